"""``openamr headend``: the head-end's inventory, collection and stored readings.

The database is ``--db URL`` (or ``$OPENAMR_DB``; default ``sqlite:///openamr-headend.db``
here), the key-encryption key ``--kek-file PATH`` (or ``$OPENAMR_KEK``). The head-end's
modules (and SQLAlchemy) are imported only when a subcommand runs.
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
    MAX_SESSIONS_OPTION,
    MQTT_OPTION,
    PER_CELL_OPTION,
    VEE_OPTION,
    mqtt_checked,
    session_options,
    with_mqtt,
)
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


@click.group("headend")
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


@headend_group.group("meters")
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


def _options(*options: Any) -> Callable[[Any], Any]:
    """A decorator that adds ``options`` to a command, in this order."""

    def add(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return add


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


_SELECT = (
    click.option("--meter", "serial", default=None, metavar="SERIAL"),
    click.option("--channel", default=None, help="e.g. 1.0.1.8.0.255:2"),
    click.option("--from", "start", type=click.DateTime(ISO), default=None, help="UTC."),
    click.option("--to", "end", type=click.DateTime(ISO), default=None, help="UTC, inclusive."),
)


_select_options = _options(*_SELECT)


@headend_group.command("readings")
@_select_options
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@format_option("json", "csv")
@pass_context
def readings_command(
    ctx: Context,
    /,
    serial: str | None,
    channel: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
    fmt: str,
) -> None:
    """Stored readings, with units, status and quality flags."""
    from openamr.cli.output import table, write_csv, write_json
    from openamr.headend.service import READING_COLUMNS, reading_rows

    first, last = _utc(start), _utc(end)
    rows = _run(
        lambda: _with_store(ctx, lambda s: reading_rows(s, serial, first, last, channel, limit))
    )
    if fmt == "json":
        write_json([dict(zip(READING_COLUMNS, r, strict=True)) for r in rows])
    elif fmt == "csv":
        write_csv(READING_COLUMNS, rows)
    else:
        table(f"{len(rows)} readings", READING_COLUMNS, [[str(v) for v in r] for r in rows])


@headend_group.command("serve")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML configuration (docs/headend-config.md); options given here win.",
)
@click.option(
    "--window-start",
    default="01:00",
    show_default=True,
    metavar="HH:MM",
    help="Start of the daily collection window, UTC.",
)
@click.option("--window-hours", type=click.FloatRange(0.1, 24), default=4.0, show_default=True)
@click.option(
    "--spread-hours",
    type=click.FloatRange(0, 24),
    default=1.0,
    show_default=True,
    help="Starts are drawn at random in this part of the window.",
)
@MAX_SESSIONS_OPTION
@PER_CELL_OPTION
@click.option("--listen", default="127.0.0.1:4061", show_default=True, metavar="HOST:PORT",
              help="The push listener (alarm call-backs); 'off' for none.")  # fmt: skip
@click.option("--api", "api_at", default="127.0.0.1:8080", show_default=True,
              metavar="HOST:PORT", help="REST API (docs at /docs); 'off' for none.")  # fmt: skip
@click.option(
    "--queue",
    "queue_url",
    default=None,
    metavar="URL",
    help="nats://HOST:PORT[?name=N]: publish due work there for "
    "'openamr headend worker' processes (default: collect in this process).",
)
@click.option("--collectors", type=click.IntRange(0, 64), default=0, show_default=True,
              help="With --queue: workers in this process too.")  # fmt: skip
@_gsm_options
@MQTT_OPTION
@click.pass_context
def serve_command(click_ctx: click.Context, /, config_file: str | None, **options: Any) -> None:
    """Collect every active meter daily in its window, take alarm call-backs and
    serve the API, until interrupted (Ctrl-C)."""
    from dataclasses import replace

    from openamr.headend.config import ConfigError, HeadendConfig, host_port, load
    from openamr.headend.scheduler import Policy
    from openamr.headend.server import Endpoints, Running, serve_all

    ctx: Context = click_ctx.obj
    try:
        config = HeadendConfig() if config_file is None else load(config_file)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None

    def given(name: str) -> bool:
        return click_ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE

    def given_db() -> bool:
        parent = click_ctx.parent
        source = None if parent is None else parent.get_parameter_source("db")
        return source is not None and source is not click.core.ParameterSource.DEFAULT

    try:
        listen = host_port(options["listen"], "--listen") if given("listen") else config.listen
        api = host_port(options["api_at"], "--api") if given("api_at") else config.api
        p = config.policy
        if given("window_start"):
            hours, minutes = (int(x) for x in options["window_start"].split(":"))
            p = replace(p, window_start=hours * 3600.0 + minutes * 60.0)
        for flag, attr, scale in (("window_hours", "window_length", 3600),
                                  ("spread_hours", "spread", 3600),
                                  ("max_sessions", "max_sessions", 1),
                                  ("per_cell", "per_cell", 1)):  # fmt: skip
            if given(flag):
                p = replace(p, **{attr: type(getattr(p, attr))(options[flag] * scale)})
        policy = Policy(**{f: getattr(p, f) for f in Policy.__dataclass_fields__})
    except (ConfigError, ValueError) as e:
        message = f"--window-start HH:MM and --spread-hours <= --window-hours ({e})"
        raise click.UsageError(str(e) if isinstance(e, ConfigError) else message) from None
    if config.database_url is not None and not given_db():
        ctx = Context(config.database_url, ctx.kek_file)
    if config.kek_file is not None and ctx.kek_file is None:
        ctx = Context(ctx.db, config.kek_file)
    endpoints = Endpoints(*listen, *api)
    mqtt = mqtt_checked(options["mqtt"] or config.mqtt_url)
    collect = config.collect
    if options["modem"] or options["lookup"]:  # --inbound: in work()
        from openamr.headend.paths import GsmPolicy

        collect = replace(collect, gsm=GsmPolicy(options["modem"], options["lookup"]))
    start = f"{int(policy.window_start // 3600):02d}:{int(policy.window_start % 3600 // 60):02d}"

    async def work(store: Store) -> None:
        click.echo(f"openamr headend: collecting daily at {start} UTC for "
                   f"{policy.window_length / 3600:g} h, database {ctx.db}; Ctrl-C stops",
                   err=True)  # fmt: skip

        def started(running: Running) -> None:
            if running.listen_port is not None:
                click.echo(f"alarm listener on {endpoints.listen_host}:{running.listen_port}",
                           err=True)  # fmt: skip
            if running.api_port is not None:
                click.echo(f"API on http://{endpoints.api_host}:{running.api_port}/docs" + (
                    " (bearer tokens required)" if config.tokens else ""), err=True)  # fmt: skip

        queue_url, collectors = options["queue_url"], options["collectors"]
        if queue_url is not None and options["inbound"]:
            raise click.UsageError("--inbound takes the meters' calls in one head-end: not "
                                   "with --queue (collectors elsewhere)")  # fmt: skip
        if queue_url is None:
            from openamr.headend.collector import Collector
            from openamr.headend.inbound import open_inbound
            from openamr.headend.service import utc_now

            unasked = Collector(store, ctx.kek(), utc_now, collect).collect  # a meter calls in
            async with open_inbound(store, options["inbound"], collect.gsm, unasked) as gsm:
                await with_mqtt(store, mqtt, lambda: serve_all(
                    store, ctx.kek(), policy, replace(collect, gsm=gsm), asyncio.Event(),
                    endpoints, started=started, tokens=config.tokens))  # fmt: skip
            return
        from openamr.headend.cluster import serve_cluster
        from openamr.headend.worker import WorkerPolicy

        queue = await _open_queue(queue_url)
        try:
            click.echo(f"publishing due work to {queue_url}; {collectors} collectors here",
                       err=True)  # fmt: skip
            workers = WorkerPolicy(max_sessions=policy.max_sessions, per_cell=policy.per_cell)
            await serve_cluster(
                store, ctx.kek(), queue, policy, asyncio.Event(), collectors=collectors,
                worker_policy=workers,
                endpoints=endpoints, started=started,  # type: ignore[arg-type]
            )  # fmt: skip
        finally:
            await queue.close()

    try:
        _run(lambda: _with_store(ctx, work))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@headend_group.command("token")
@format_option("json")
def token_command(fmt: str) -> None:
    """Make a bearer token for the API: give the token to the client, put its hash
    in [api] tokens of the config (the head-end keeps only hashes)."""
    import secrets

    from openamr.cli.output import write_json
    from openamr.headend.config import token_hash

    token = secrets.token_urlsafe(32)
    if fmt == "json":
        write_json({"token": token, "hash": token_hash(token)})
        return
    click.echo(f"token (give it to the API's client, shown once): {token}")
    click.echo(f'config line: [api] tokens = ["{token_hash(token)}"]')


async def _open_queue(url: str, **settings: Any) -> Any:
    from openamr.headend.queue import QueueError, QueueSettings, open_queue

    try:
        return await open_queue(url, QueueSettings(**settings))
    except (QueueError, ValueError) as e:
        raise click.ClickException(str(e)) from None


def _subgroups() -> None:
    from openamr.cli.headend_campaign import campaign_group
    from openamr.cli.headend_cluster import push_listener_command, worker_command

    for command in (campaign_group, worker_command, push_listener_command):
        headend_group.add_command(command)


_subgroups()
