"""``openamr headend campaign start|status|list``: firmware campaigns (docs/headend.md).

``start`` stores the campaign; the running head-end (``openamr headend serve``)
carries it out in its window, within its limits, and sees a new campaign within
30 s. ``status`` and ``list`` read the database (``--json`` for scripts).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openamr.cli.headend import ISO, Context, _run, _utc, _with_store, pass_context
from openamr.cli.options import format_option

if TYPE_CHECKING:
    from openamr.headend.store import Store


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _when(ts: int | None) -> str:
    if ts is None:
        return "when verified"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "none"


@click.group("campaign")
def campaign_group() -> None:
    """Firmware campaigns: an image for a group, in a window (Image transfer)."""


@campaign_group.command("start")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--group", required=True, help="The active meters of this group.")
@click.option(
    "--identifier", default=None, metavar="ID", help="Image identifier (default: the file's name)."
)
@click.option(
    "--start",
    "start",
    type=click.DateTime(ISO),
    default=None,
    help="Window start, UTC (default: now).",
)
@click.option(
    "--hours",
    type=click.FloatRange(0.01, 24 * 30),
    default=4.0,
    show_default=True,
    help="Window length.",
)
@click.option(
    "--activate-at",
    type=click.DateTime(ISO),
    default=None,
    help="Activate at this time, UTC (default: as soon as verified).",
)
@format_option("json")
@pass_context
def start_command(
    ctx: Context,
    /,
    image: Path,
    group: str,
    identifier: str | None,
    start: dt.datetime | None,
    hours: float,
    activate_at: dt.datetime | None,
    fmt: str,
) -> None:
    """Start a campaign: IMAGE to every active meter of --group."""
    from openamr.cli.output import write_json
    from openamr.headend.campaign import CampaignSpec
    from openamr.headend.campaign_service import Campaigns

    data = image.read_bytes()
    begin = _utc(start) or int(_now().timestamp())
    spec = CampaignSpec(
        identifier or image.name, group, begin, begin + int(hours * 3600), _utc(activate_at)
    )

    async def work(store: Store) -> dict[str, Any]:
        campaigns = Campaigns(store, _now)
        return await campaigns.status(await campaigns.start(spec, data), meters=False)

    status = _run(lambda: _with_store(ctx, work))
    if fmt == "json":
        write_json(status)
        return
    click.echo(
        f"campaign {status['id']}: {spec.identifier} ({len(data):,} bytes) to "
        f"{status['meters']} meters of group {group}"
    )
    click.echo(
        f"window {_when(spec.window_start)} to {_when(spec.window_end)}, activation "
        f"{_when(spec.activate_at)}; 'openamr headend serve' carries it out"
    )


@campaign_group.command("status")
@click.argument("campaign_id", metavar="ID")
@format_option("json")
@pass_context
def status_command(ctx: Context, /, campaign_id: str, fmt: str) -> None:
    """A campaign's state, per-state counts and each meter's state."""
    from openamr.cli.output import pairs, table, write_json
    from openamr.headend.campaign_service import Campaigns

    status = _run(lambda: _with_store(ctx, lambda s: Campaigns(s, _now).status(campaign_id)))
    if fmt == "json":
        write_json(status)
        return
    pairs(
        f"campaign {status['id']}",
        [
            ("image", f"{status['identifier']}, {status['size']:,} bytes"),
            ("group", f"{status['group']} ({status['meters']} meters)"),
            ("window", f"{_when(status['window']['start'])} to {_when(status['window']['end'])}"),
            ("activation", _when(status["activate_at"])),
            ("state", status["state"]),
            ("meters", _counts(status["counts"])),
        ],
    )
    heads = ("serial", "state", "attempts", "blocks", "reason")
    table(
        None,
        heads,
        [
            [t["serial"], t["state"], str(t["attempts"]), f"{t['held']}/{t['blocks']}", t["reason"]]
            for t in status["targets"]
        ],
    )


@campaign_group.command("list")
@format_option("json")
@pass_context
def list_command(ctx: Context, /, fmt: str) -> None:
    """Every campaign with its counts."""
    from openamr.cli.output import table, write_json
    from openamr.headend.campaign_service import Campaigns

    found = _run(lambda: _with_store(ctx, lambda s: Campaigns(s, _now).list()))
    if fmt == "json":
        write_json(found)  # type: ignore[arg-type]
        return
    heads = ("id", "image", "group", "window start", "state", "meters")
    table(
        f"{len(found)} campaigns",
        heads,
        [
            [
                c["id"],
                c["identifier"],
                c["group"],
                _when(c["window"]["start"]),
                c["state"],
                _counts(c["counts"]),
            ]
            for c in found
        ],
    )
