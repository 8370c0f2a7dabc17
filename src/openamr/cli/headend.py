"""``openamr headend``: the head-end's inventory, collection and stored readings.

The database is ``--db URL`` (or ``$OPENAMR_DB``; default ``sqlite:///openamr-headend.db``
here), the key-encryption key ``--kek-file PATH`` (or ``$OPENAMR_KEK``). The head-end's
modules (and SQLAlchemy) are imported only when a subcommand runs.

This module is the group, what its commands share, and ``collect``. The other
subcommands live by role in their own modules, in :data:`COMMANDS` (a lazy table, as
in :mod:`openamr.cli.main`): ``headend_meters`` (the inventory), ``headend_data``
(readings, VEE, export), ``headend_serve`` (serve, token), ``headend_campaign`` and
``headend_cluster`` (worker, push-listener). ``openamr headend --help`` imports none
of them; a subcommand imports its own module only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from openamr.cli.headend_options import (
    MQTT_OPTION,
    VEE_OPTION,
    mqtt_checked,
    session_options,
    with_mqtt,
)
from openamr.cli.main import Entry, LazyGroup
from openamr.cli.options import format_option

if TYPE_CHECKING:
    from openamr.headend.store import Store
    from openamr.headend.vault import Kek

T = TypeVar("T")
DEFAULT_DB = "sqlite:///openamr-headend.db"
ISO = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


@dataclass
class Context:
    db: str
    kek_file: str | None

    def kek(self, required: bool = False) -> Kek | None:
        from openamr.headend.vault import load_kek

        if self.kek_file is None and not os.environ.get("OPENAMR_KEK") and not required:
            return None
        return load_kek(self.kek_file)

    async def store(self) -> Store:
        from openamr.headend.store import Store

        return await Store.open(self.db)


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine; a user's mistake is a message and exit 1, no traceback."""
    from openamr.errors import DlmsError
    from openamr.headend.db import DatabaseError
    from openamr.headend.store import StoreError

    try:
        return asyncio.run(make())
    except (StoreError, DatabaseError, ValueError, OSError, DlmsError) as e:
        raise click.ClickException(str(e)) from None


async def _with_store(ctx: Context, /, work: Callable[[Store], Coroutine[Any, Any, T]]) -> T:
    store = await ctx.store()
    try:
        return await work(store)
    finally:
        await store.close()


def _epoch() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def _utc(when: dt.datetime | None) -> int | None:
    return None if when is None else int(when.replace(tzinfo=when.tzinfo or dt.UTC).timestamp())


#: The subcommands, in the order ``openamr headend --help`` lists them; the help is the
#: start of each command's docstring, as click would shorten it at 80 columns.
COMMANDS: tuple[Entry, ...] = (
    Entry("campaign", "openamr.cli.headend_campaign:campaign_group",
          "Firmware campaigns: an image for a group, in a window..."),
    Entry("collect", "openamr.cli.headend:collect_command",
          "Collect now: clock, billing registers, load profile..."),
    Entry("export", "openamr.cli.headend_data:export_command",
          "Stored readings with their quality flags and VEE's..."),
    Entry("meters", "openamr.cli.headend_meters:meters_group",
          "The inventory: import, add, update, decommission, list."),
    Entry("push-listener", "openamr.cli.headend_cluster:push_listener_command",
          "A stateless push listener: every alarm call-back..."),
    Entry("readings", "openamr.cli.headend_data:readings_command",
          "Stored readings, with units, status and quality flags."),
    Entry("serve", "openamr.cli.headend_serve:serve_command",
          "Collect every active meter daily in its window, take..."),
    Entry("token", "openamr.cli.headend_serve:token_command",
          "Make a bearer token for the API: give the token to the..."),
    Entry("vee", "openamr.cli.headend_data:vee_command",
          "Validate the stored load profiles, estimate their gaps,..."),
    Entry("worker", "openamr.cli.headend_cluster:worker_command",
          "A stateless collector: take due jobs from the queue,..."),
)  # fmt: skip


@click.group("headend", cls=LazyGroup, entries=COMMANDS, col_max=30)
@click.option(
    "--db",
    default=lambda: os.environ.get("OPENAMR_DB", DEFAULT_DB),
    show_default="$OPENAMR_DB or " + DEFAULT_DB,
    metavar="URL",
    help="sqlite:///PATH or postgresql://USER@HOST/DB[?schema=NAME].",
)
@click.option(
    "--kek-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Key-encryption key of the inventory's secrets, hex (or $OPENAMR_KEK).",
)
@click.pass_context
def headend_group(click_ctx: click.Context, db: str, kek_file: str | None) -> None:
    """The head-end: inventory, collection, stored readings."""
    click_ctx.obj = Context(db, kek_file)


pass_context = click.make_pass_decorator(Context)


def _options(*options: Any) -> Callable[[Any], Any]:
    """A decorator that adds ``options`` to a command, in this order."""

    def add(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return add


def _meters_for(store: Store, meter: tuple[str, ...], group: str | None) -> Any:
    async def pick() -> list[Any]:
        if meter:
            return [await store.meter(s) for s in meter]
        return await store.meters(group=group)

    return pick()


_gsm_options = _options(
    click.option("--modem", default="", metavar="HOST:PORT|DEVICE",
                 help="The head-end's GSM modem, for meters on the csd and wakeup paths."),
    click.option("--lookup", default="", metavar="HOST:PORT",
                 help="The address lookup (RADIUS stand-in), for the wakeup path."),
    click.option("--inbound", default="", metavar="HOST:PORT",
                 help="Take the meters' own connections here (woken meters whose auto "
                      "connect lists this address; docs/gsm.md)."),
)  # fmt: skip


@headend_group.command("collect")
@click.option("--meter", multiple=True, metavar="SERIAL", help="This meter (repeatable).")
@click.option("--group", default=None, help="Every active meter of this group.")
@click.option("--force-clock", is_flag=True, help="Set the clock whatever the drift.")
@session_options(retry_after=10.0)
@click.option(
    "--deadline",
    type=click.FloatRange(0),
    default=120.0,
    show_default=True,
    help="Seconds within which transient failures are retried.",
)
@VEE_OPTION
@MQTT_OPTION
@_gsm_options
@format_option("json")
@pass_context
def collect_command(
    ctx: Context,
    /,
    meter: tuple[str, ...],
    group: str | None,
    force_clock: bool,
    max_sessions: int,
    per_cell: int,
    timeout: float,
    deadline: float,
    retry_after: float,
    vee: bool,
    mqtt: str | None,
    modem: str,
    lookup: str,
    inbound: str,
    fmt: str,
) -> None:
    """Collect now: clock, billing registers, load profile since the last, log-book.
    Without --meter or --group: every active meter. Each meter is reached by its path
    (tcp, csd through --modem, wakeup through --modem and --lookup)."""
    from openamr.cli.output import table, write_json
    from openamr.headend.collector import CollectPolicy
    from openamr.headend.inbound import open_inbound
    from openamr.headend.paths import GsmPolicy
    from openamr.headend.scheduler import Policy
    from openamr.headend.service import collect_now, completeness_by_path
    from openamr.headend.vee import Rules

    url = mqtt_checked(mqtt)

    async def work(store: Store) -> int:
        meters = await _meters_for(store, meter, group)
        if not meters:
            raise click.ClickException("no meters to collect; see 'openamr headend meters list'")
        policy = Policy(max_sessions=max_sessions, per_cell=per_cell, on_demand_deadline=deadline,
                        retry_base=retry_after)  # fmt: skip
        async with open_inbound(store, inbound, GsmPolicy(modem, lookup)) as gsm:
            collect_policy = CollectPolicy(timeout=timeout, vee=Rules() if vee else None,
                                           gsm=gsm)  # fmt: skip
            done = await with_mqtt(store, url, lambda: collect_now(
                store, ctx.kek(), meters, policy=policy, collect_policy=collect_policy,
                force_clock=force_clock))  # fmt: skip
        rows = [c.as_row() for c in done]
        if fmt == "json":
            write_json(rows)  # type: ignore[arg-type]
        else:
            heads = ("serial", "path", "outcome", "attempts", "readings", "events", "reason")
            table(
                f"{len(rows)} meters collected", heads, [[str(r[h]) for h in heads] for r in rows]
            )
            paths = completeness_by_path(done)
            by_path = ("path", "meters", "collected", "completeness", "readings")
            table("completeness by path", by_path, [[str(p[h]) for h in by_path] for p in paths])
        return sum(1 for r in rows if r["outcome"] != "ok")

    failed = _run(lambda: _with_store(ctx, work))
    if failed:
        raise click.exceptions.Exit(1)


async def _open_queue(url: str, **settings: Any) -> Any:
    from openamr.headend.queue import QueueError, QueueSettings, open_queue

    try:
        return await open_queue(url, QueueSettings(**settings))
    except (QueueError, ValueError) as e:
        raise click.ClickException(str(e)) from None
