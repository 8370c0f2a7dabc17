"""``openamr firmware URL IMAGE``: a firmware upgrade through Image transfer
(0.0.44.0.0.255, Blue Book 4.4.6): initiate, the missing blocks, verify,
activate; see :mod:`openamr.client.firmware`.

Resumable: after a dropped connection, the same command sends only the blocks
the meter does not hold yet (it keeps them for the same identifier and size).
"""

from __future__ import annotations

from pathlib import Path

import click

from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import pairs, progress, write_json
from openamr.client.firmware import Upgrade
from openamr.client.meter import Meter


async def upgrade(
    meter: Meter, image: bytes, identifier: bytes, block_size: int | None, activate: bool
) -> Upgrade:
    with progress("firmware blocks") as update:
        return await meter.firmware_upgrade(
            image, identifier, block_size, progress=lambda held, total: update(held, total),
            activate=activate,
        )  # fmt: skip


def show(u: Upgrade, fmt: str) -> None:
    status = u.status.name.lower()
    if fmt == "json":
        write_json({
            "identifier": u.identifier.decode("ascii", "replace"), "size": u.size,
            "block_size": u.block_size, "blocks": u.blocks, "resumed": u.resumed,
            "sent": u.sent, "status": status,
        })  # fmt: skip
        return
    pairs(None, [
        ("image", f"{u.identifier.decode('ascii', 'replace')}, {u.size} bytes"),
        ("blocks", f"{u.blocks} of {u.block_size} bytes"),
        ("already in the meter", str(u.resumed)),
        ("sent", str(u.sent)),
        ("status", status.replace("_", " ")),
    ])  # fmt: skip


@click.command("firmware")
@meter_options
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--identifier", metavar="ID", help="Image identifier (default: the file's name).")
@click.option("--block-size", type=click.IntRange(1, 0xFFFF), default=None,
              help="Bytes per block (default: the meter's image_block_size).")  # fmt: skip
@click.option("--no-activate", is_flag=True, help="Transfer and verify only.")
@format_option("json")
def firmware_command(
    url: MeterOptions, image: Path, identifier: str | None, block_size: int | None,
    no_activate: bool, fmt: str,
) -> None:  # fmt: skip
    """Upgrade the firmware through Image transfer (resumable).

    Run the same command again after an interruption: only the blocks the meter
    lacks are sent. On the MT372 this needs --auth high (client 1) with the keys."""
    data = image.read_bytes()
    if not data:
        raise click.BadParameter("the image is empty", param_hint="IMAGE")
    name = (identifier or image.name).encode()

    async def go() -> Upgrade:
        async with url.connect() as meter:
            return await upgrade(meter, data, name, block_size, not no_activate)

    show(url.run(go, loop=True), fmt)
