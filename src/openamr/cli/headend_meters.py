"""``openamr headend meters``: the inventory (import a commissioning file, add,
update, decommission, list; docs/headend.md). Secrets are stored encrypted under the
KEK of ``openamr headend --kek-file``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from openamr.cli.headend import Context, _epoch, _options, _run, _with_store, pass_context
from openamr.cli.options import format_option

if TYPE_CHECKING:
    from openamr.headend.store import Store


@click.group("meters")
def meters_group() -> None:
    """The inventory: import, add, update, decommission, list."""


@meters_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def import_command(ctx: Context, /, file: str) -> None:
    """Import a commissioning file (JSON or CSV, openamr-commissioning/1) or a plain CSV."""
    from openamr.headend.inventory import import_file

    async def work(store: Store) -> None:
        report = await import_file(store, file, ctx.kek(), _epoch())
        click.echo(
            f"{file}: {report.total} meters ({report.added} added, {report.updated} updated)"
        )

    _run(lambda: _with_store(ctx, work))


_RECORD_OPTIONS = (
    click.option("--url", default=None, help="Client URL, e.g. tcp://10.0.0.5:4059."),
    click.option("--client", type=click.IntRange(1, 0x7F), default=None, help="Client SAP."),
    click.option("--auth", type=click.Choice(["none", "low", "high"]), default=None),
    click.option("--cell", type=int, default=None, help="GSM cell id."),
    click.option("--group", default=None, help="Group (feeder, district)."),
    click.option("--tariff-group", default=None),
    click.option("--logical-device-name", default=None),
    click.option("--system-title", default=None, metavar="HEX", help="The meter's, 8 bytes."),
    click.option("--msisdn", default=None),
    click.option("--iccid", default=None),
    click.option("--imsi", default=None),
    click.option("--firmware", default=None),
    click.option("--path", type=click.Choice(["tcp", "csd", "wakeup"]), default=None,
                 help="How it is reached: TCP, a CSD call, or a wake-up then TCP (docs/gsm.md)."),
)  # fmt: skip


_record_options = _options(*_RECORD_OPTIONS)


@meters_group.command("add")
@click.argument("serial")
@_record_options
@click.option("--password", default=None, help="LLS password (better: import a file).")
@click.option("--ek", default=None, metavar="HEX", help="Encryption key (better: import a file).")
@click.option("--ak", default=None, metavar="HEX", help="Authentication key.")
@click.option("--mk", default=None, metavar="HEX", help="Master key (KEK) for key rotation.")
@pass_context
def add_command(
    ctx: Context,
    /,
    serial: str,
    password: str | None,
    ek: str | None,
    ak: str | None,
    mk: str | None,
    **fields: Any,
) -> None:
    """Add a meter (or replace the one with that serial)."""
    from openamr.headend.model import MeterRecord
    from openamr.headend.vault import MeterSecrets

    values = {k: v for k, v in fields.items() if v is not None}
    if "url" not in values:
        raise click.UsageError("--url is required to add a meter")
    try:
        secrets = MeterSecrets(
            None if password is None else password.encode(),
            None if ek is None else bytes.fromhex(ek), None if ak is None else bytes.fromhex(ak),
            None if mk is None else bytes.fromhex(mk),
        )  # fmt: skip
        record = MeterRecord(serial=serial, secrets=secrets, **values)
    except ValueError as e:
        raise click.UsageError(str(e)) from None

    async def work(store: Store) -> None:
        await store.put_meter(record, ctx.kek(required=bool(secrets)), _epoch())
        click.echo(f"meter {serial}: stored")

    _run(lambda: _with_store(ctx, work))


@meters_group.command("update")
@click.argument("serial")
@_record_options
@pass_context
def update_command(ctx: Context, /, serial: str, **fields: Any) -> None:
    """Change a meter's fields (secrets: import a file or add again)."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        raise click.UsageError("nothing to change: give at least one option, e.g. --cell 12")

    async def work(store: Store) -> None:
        await store.update_meter(serial, _epoch(), **changes)
        click.echo(f"meter {serial}: updated {', '.join(sorted(changes))}")

    _run(lambda: _with_store(ctx, work))


@meters_group.command("decommission")
@click.argument("serial")
@pass_context
def decommission_command(ctx: Context, /, serial: str) -> None:
    """Mark a meter decommissioned: it is no longer collected; its data stays."""

    async def work(store: Store) -> None:
        await store.decommission(serial, _epoch())
        click.echo(f"meter {serial}: decommissioned")

    _run(lambda: _with_store(ctx, work))


METER_COLUMNS = ("serial", "url", "client", "auth", "cell", "group", "tariff_group",
                 "logical_device_name", "firmware", "state")  # fmt: skip


@meters_group.command("list")
@click.option("--group", default=None)
@click.option("--all", "everything", is_flag=True, help="Also decommissioned meters.")
@format_option("json", "csv")
@pass_context
def list_command(ctx: Context, /, group: str | None, everything: bool, fmt: str) -> None:
    """The inventory (never its secrets)."""
    from openamr.cli.output import table, write_csv, write_json

    async def work(store: Store) -> None:
        found = await store.meters(group=group, state=None if everything else "active")
        rows = [[getattr(m, c) for c in METER_COLUMNS] for m in found]
        if fmt == "json":
            write_json([dict(zip(METER_COLUMNS, r, strict=True)) for r in rows])
        elif fmt == "csv":
            write_csv(METER_COLUMNS, rows)
        else:
            table(
                f"{len(rows)} meters",
                METER_COLUMNS,
                [["" if v is None else str(v) for v in r] for r in rows],
            )

    _run(lambda: _with_store(ctx, work))
