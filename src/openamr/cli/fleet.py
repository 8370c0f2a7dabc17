"""``openamr fleet serve | export | status``: a fleet of MT372 twins in one process
(issue 12)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from openamr.cli.times import IsoTime, twin_local
from openamr.errors import DlmsError

DEFAULT_CONTROL_PORT = 4060


@click.group("fleet")
def fleet_group() -> None:
    """Many MT372 twins in one process, each at its own address."""


def _config(meters: int | None, config_path: str | None, **overrides: Any) -> Any:
    from dataclasses import replace

    from openamr.fleet import config as fc
    from openamr.fleet.faults import FaultRates

    try:
        if config_path is not None:
            cfg = fc.load(config_path, meters=meters)
        else:
            cfg = fc.quick(meters if meters is not None else 100)
        changes = {k: v for k, v in overrides.items() if v is not None and k != "no_faults"}
        if overrides.get("no_faults"):
            changes["faults"] = FaultRates.none()
        cfg = replace(cfg, **changes)
        fc.check(cfg)
        return cfg
    except DlmsError as e:
        raise click.ClickException(f"{e}") from None


def _port_range(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        low, high = (int(p) for p in text.split("-"))
    except ValueError:
        raise click.BadParameter("give two ports, e.g. 5000-5999") from None
    return low, high


meters_option = click.option("--meters", type=click.IntRange(1, 100_000), default=None,
                             help="How many meters (default 100, or the config's).")  # fmt: skip
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             default=None, help="The fleet's TOML file (see docs).")  # fmt: skip


@fleet_group.command("serve")
@meters_option
@config_option
@click.option("--state", "state_path", type=click.Path(dir_okay=False), default="fleet.state",
              show_default=True, help="The fleet's state file (SQLite): hibernated meters, "
              "the fleet's clock.")  # fmt: skip
@click.option("--port-range", default=None, metavar="LOW-HIGH",
              help="All meters on 127.0.0.1, meter i at port LOW+i (default: meter i at "
                   "its own address 127.1.x.y, port 4059).")  # fmt: skip
@click.option("--bus", type=click.IntRange(1, 32), default=None, metavar="N",
              help="HDLC buses of N meters (RS485 behind a terminal server): bus b listens "
                   "where meter b would, a meter at physical address 16 + its place.")  # fmt: skip
@click.option("--gateway", is_flag=True, help="Every meter behind one wrapper listener, "
              "meter i at destination wPort 16 + i.")  # fmt: skip
@click.option("--control-port", type=click.IntRange(0, 65535), default=DEFAULT_CONTROL_PORT,
              show_default=True, help="The control endpoint (JSON/HTTP, 127.0.0.1).")  # fmt: skip
@click.option("--start", type=IsoTime(), default=None,
              help="Fleet time to start at (ISO 8601; no offset: the meters' local time, "
                   "CET/CEST). Default: now.")  # fmt: skip
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Run the fleet's clock N times faster than real time.")  # fmt: skip
@click.option("--history-days", type=click.FloatRange(0, 410), default=None,
              help="Days of history every meter holds at start (default 30).")  # fmt: skip
@click.option("--no-faults", is_flag=True, help="A fleet that never misbehaves.")
@click.option("--push-to", default=None, metavar="HOST:PORT",
              help="The head-end's alarm listener the meters push to.")  # fmt: skip
@click.option("--idle", "idle_s", type=click.FloatRange(1), default=60.0, show_default=True,
              help="Seconds without a connection before a meter hibernates.")  # fmt: skip
@click.option("--max-awake", type=click.IntRange(1), default=256, show_default=True,
              help="Twins kept in memory at most (about 1 MiB each with 30 days of "
              "history); the least recently used beyond hibernate.")  # fmt: skip
@click.option("--save-every", "save_s", type=click.FloatRange(0.1), default=10.0,
              show_default=True, help="Seconds between writes of the meters reached since "
              "their last one into the state file (what a kill -9 can lose).")  # fmt: skip
@click.option(
    "--modem",
    default=None,
    metavar="HOST:PORT",
    help="The head-end's GSM modem (AT) on the fleet's network (docs/gsm.md).",
)
@click.option(
    "--lookup",
    default=None,
    metavar="HOST:PORT",
    help="The address lookup of the fleet's network (for wake-ups).",
)
def serve_command(meters: int | None, config_path: str | None, state_path: str,
                  port_range: str | None, bus: int | None, gateway: bool,
                  control_port: int, start: dt.datetime | None,
                  speed: float | None, history_days: float | None, no_faults: bool,
                  push_to: str | None, idle_s: float, max_awake: int,
                  save_s: float, modem: str | None, lookup: str | None) -> None:  # fmt: skip
    """Serve the fleet: every meter a full MT372 twin at its own address."""
    from dataclasses import replace

    if start is not None:
        start = twin_local(start)  # no offset: the twins' local time (cli/times.py)
    cfg = _config(meters, config_path, start=start, speed=speed, history_days=history_days,
                  no_faults=no_faults)  # fmt: skip
    span = _port_range(port_range)
    layout: dict[str, Any] = {} if span is None else {"port_range": span}
    if bus is not None:
        layout["bus"] = bus
    if gateway:
        layout["gateway"] = True
    if layout:
        cfg = replace(cfg, addresses=replace(cfg.addresses, **layout))
        _config_check(cfg)
    with contextlib.suppress(KeyboardInterrupt):
        limits = (idle_s, max_awake, save_s)
        gsm = (_at(modem, "--modem"), _at(lookup, "--lookup"))
        asyncio.run(_serve(cfg, state_path, control_port, push_to, limits, gsm))


def _at(text: str | None, flag: str) -> tuple[str, int] | None:
    if text is None:
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"{text!r}: write HOST:PORT, e.g. 127.0.0.1:7000", param_hint=flag)
    return host, int(port)


async def serve_gsm(fleet: Any, cfg: Any, gsm: tuple[tuple[str, int] | None, ...]) -> Any:
    """The head-end's modem and the address lookup on the fleet's own network: a call
    reaches the called twin's HDLC stations in this process (docs/gsm.md)."""
    from openamr.aio.modem import ModemPool, NetworkClock
    from openamr.devices.mt372.objects import HEAD_END_CSD_NUMBER
    from openamr.fleet.identity import index_of_card
    from openamr.gsm.pool import NetworkFile

    loop = asyncio.get_running_loop()

    def end_of(modem: Any) -> Any:
        index = None if modem.sim is None else index_of_card(cfg, modem.sim.msisdn)
        return None if index is None else fleet.app(index, loop.time())

    clock = NetworkClock(cfg.speed, fleet.gsm_now)
    pool = ModemPool(NetworkFile(HEAD_END_CSD_NUMBER), network=fleet.network, clock=clock,
                     end_of=end_of)  # fmt: skip
    await pool.start()
    modem, lookup = gsm
    try:
        if modem is not None:
            host, port = await pool.serve_tcp(*modem)
            click.echo(
                f"modem (AT) listening on TCP {host}:{port}, calling as {HEAD_END_CSD_NUMBER}"
            )
        if lookup is not None:
            host, port = await pool.serve_lookup(*lookup)
            click.echo(f"address lookup listening on {host}:{port}")
    except OSError as e:
        await pool.close()
        raise click.ClickException(
            f"cannot listen: {e.strerror or e}; choose another port"
        ) from None
    return pool


def fleet_dialler(fleet: Any, server: Any, cfg: Any) -> Any:
    """Woken meters connect to the head-end (their auto connect destinations, e.g.
    ``[network] call_back``): each connection is served as one to the meter."""
    from openamr.aio.dial_out import Dialler
    from openamr.aio.modem import NetworkClock
    from openamr.fleet.identity import index_of_card
    from openamr.fleet.serve import MeterSession

    loop = asyncio.get_running_loop()
    clock = NetworkClock(cfg.speed, fleet.gsm_now)

    async def connect(modem: Any, destination: tuple[str, int]) -> bool:
        index = None if modem.sim is None else index_of_card(cfg, modem.sim.msisdn)
        if index is None:
            return False
        await loop.create_connection(lambda: MeterSession(server, index), *destination)
        return True

    dialler = Dialler(clock.now, clock.loop_time, connect)
    fleet.network.on_dial = dialler.schedule
    return dialler


def _config_check(cfg: Any) -> None:
    from openamr.fleet.config import check

    try:
        check(cfg)
    except DlmsError as e:
        raise click.ClickException(str(e)) from None


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _serve(cfg: Any, state_path: str, control_port: int, push_to: str | None,
                 limits: tuple[float, int, float],
                 gsm: tuple[tuple[str, int] | None, ...] = (None, None)) -> None:  # fmt: skip
    from openamr.aio.control import serve_control
    from openamr.aio.push import PushDelivery
    from openamr.fleet.control import FleetControl
    from openamr.fleet.hibernation import FleetState
    from openamr.fleet.meters import Fleet, fleet_clock
    from openamr.fleet.serve import FleetServer, Garbage
    from openamr.meter.state import StateError

    try:
        state = FleetState.open(state_path)
    except StateError as e:
        raise click.ClickException(f"{e}; stop the other fleet or give another --state") from None
    delivery = PushDelivery(1)
    fleet = Fleet(
        cfg, fleet_clock(cfg, state, wall_clock), state,
        on_push=lambda meter, message: delivery(message), push_destination=push_to,
    )  # fmt: skip
    loop = asyncio.get_running_loop()
    idle_s, max_awake, save_s = limits
    server = FleetServer(fleet, loop, idle_s=idle_s, max_awake=max_awake, save_s=save_s,
                         garbage=Garbage())  # fmt: skip
    try:
        server.listen()
    except OSError as e:
        raise click.ClickException(
            f"cannot listen on {e.strerror}; choose --port-range or free the address"
        ) from None
    first, last = fleet.meter(0), fleet.meter(cfg.size - 1)
    a = cfg.addresses
    how = (
        f"HDLC buses of {a.bus}, a meter by physical address"
        if a.bus
        else "one wrapper gateway, a meter by destination wPort"
        if a.gateway
        else "wrapper"
    )
    click.echo(f"fleet of {cfg.size:,} MT372 twins: {first.url} ({first.serial}) to "
               f"{last.url} ({last.serial}); {how}, clients 16, 32 (LLS), 1 (HLS)")  # fmt: skip
    try:
        endpoint = await serve_control(FleetControl(fleet, loop.time), "127.0.0.1", control_port)
    except OSError as e:
        server.close()
        raise click.ClickException(
            f"cannot listen on 127.0.0.1:{control_port} for the control endpoint: {e.strerror}"
        ) from None
    assert endpoint.server is not None
    control = endpoint.server
    bound = control.sockets[0].getsockname()
    click.echo(f"control endpoint on http://{bound[0]}:{bound[1]}/; state in {state.path}")
    server.start()
    pool = await serve_gsm(fleet, cfg, gsm) if any(gsm) else None
    dialler = fleet_dialler(fleet, server, cfg)
    try:
        await control.serve_forever()
    finally:
        await dialler.close()
        if pool is not None:
            await pool.close()
        fleet.save_awake()
        server.close()


@fleet_group.command("export")
@meters_option
@config_option
@click.option("--kek-file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The key-encryption key (hex) the secrets are wrapped under "
                   "(default: $OPENAMR_KEK).")  # fmt: skip
@click.option("--json", "fmt", flag_value="json", default=True, help="JSON (default).")
@click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (mode 0600) instead of standard output.")  # fmt: skip
def export_command(meters: int | None, config_path: str | None, kek_file: str | None,
                   fmt: str, output: str | None) -> None:  # fmt: skip
    """Write the commissioning file a head-end imports (docs/commissioning.md)."""
    from openamr.fleet.commissioning import KekError, parse_kek, to_csv, to_json

    cfg = _config(meters, config_path)
    text = Path(kek_file).read_text() if kek_file else os.environ.get("OPENAMR_KEK")
    if text is None:
        raise click.ClickException("give the key-encryption key: --kek-file F or $OPENAMR_KEK")
    try:
        kek = parse_kek(text)
    except KekError as e:
        raise click.ClickException(f"{e}") from None
    out = to_json(cfg, kek) if fmt == "json" else to_csv(cfg, kek)
    if output is None:
        click.echo(out, nl=False)
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(out)
    click.echo(f"{cfg.size:,} meters written to {output} ({fmt}, 0600)", err=True)


@fleet_group.command("status")
@click.option("--control-port", type=click.IntRange(1, 65535), default=DEFAULT_CONTROL_PORT,
              show_default=True, help="The fleet's control endpoint on 127.0.0.1.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="The counts as JSON.")
def status_command(control_port: int, as_json: bool) -> None:
    """The fleet at a glance: meters online, offline, in outage, connections, alarms."""
    url = f"http://127.0.0.1:{control_port}/status"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            counts = json.load(answer)
    except (urllib.error.URLError, OSError) as e:
        raise click.ClickException(
            f"no fleet answers on {url} ({e}); is `openamr fleet serve` running?"
        ) from None
    if as_json:
        click.echo(json.dumps(counts, indent=2))
        return
    rows = [
        ("meters", counts["meters"], ""),
        ("online", counts["online"], "modem registered, powered"),
        ("offline", counts["offline"], "modem not registered"),
        ("in outage", counts["in_outage"], "feeder or cell scenario"),
        ("awake", counts["awake"], "twins in memory"),
        ("hibernated", counts["hibernated"], "in the state file"),
        ("connections now", counts["connections"], ""),
        ("sessions served", counts["sessions"], ""),
        ("refused", counts["refused"], "connections"),
        ("alarms pushed", counts["alarms_pushed"], ""),
    ]
    click.echo(f"fleet time {counts['time']}")
    for name, value, note in rows:
        click.echo(f"  {name:<16} {value:>8,}  {note}".rstrip())
