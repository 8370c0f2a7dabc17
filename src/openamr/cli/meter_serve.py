"""``openamr meter serve``: run an MT372 twin that DLMS clients can read."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from openamr.aio.lines import BAUD_RATES, DEFAULT_BAUD
from openamr.aio.push import PushDelivery
from openamr.aio.serve import Listeners, ServedTwin, ServeError, serve_twin
from openamr.cli.advice import serial_advice
from openamr.cli.gsm import endpoint_option
from openamr.cli.state_files import open_counters, state_kek
from openamr.cli.times import IsoTime, twin_local
from openamr.gsm.gprs import ip_destination
from openamr.meter.associations import SERVER_LOGICAL_ADDRESS, Credentials
from openamr.meter.metrology.disturbances import FIELD_RATES
from openamr.meter.metrology.load import seeded_load
from openamr.meter.metrology.model import LoadConfig, ProfileKind
from openamr.meter.mt372 import FleetSite, build_mt372, seed_of
from openamr.meter.peripherals import ModemSite, Reach
from openamr.meter.state import StateError, StateStore

if TYPE_CHECKING:
    from openamr.aio.twin_gsm import TwinGsm


@click.group("meter")
def meter_group() -> None:
    """The MT372 meter twin."""


@meter_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=4059, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (4059 is the registered DLMS port; 0 picks a free one).")  # fmt: skip
@click.option(
    "--transport",
    type=click.Choice(["wrapper", "hdlc"]),
    default="wrapper",
    show_default=True,
    help="IEC 62056-47 wrapper (GPRS) or HDLC over TCP (terminal server, RS485).",
)
@click.option("--serial-number", default="12345678", show_default=True, help="Meter serial number.")
@click.option("--history-days", default=0.0, show_default=True, type=click.FloatRange(0, 410),
              help="Simulate N days of history before answering.")  # fmt: skip
@click.option("--optical-port", type=click.IntRange(0, 65535), default=None,
              help="Also serve the optical port (IEC 62056-21 mode C, HDLC in mode E) on "
                   "this TCP port, carrying exactly the bytes of the serial line.")  # fmt: skip
@click.option("--optical-serial", metavar="DEVICE", default=None,
              help="Also serve the optical port on a serial line (7E1, 300 Bd), "
                   "e.g. /dev/ttyUSB0 or one end of a socat pty pair.")  # fmt: skip
@click.option("--serial", "serial_device", metavar="DEVICE", default=None,
              help="Also serve HDLC on a serial line (RS485/RS232, 8N1), "
                   "e.g. /dev/ttyUSB0.")  # fmt: skip
@click.option("--baud", type=click.Choice([str(b) for b in BAUD_RATES]),
              default=str(DEFAULT_BAUD), show_default=True,
              help="Baud rate of --serial.")  # fmt: skip
@click.option("--start", type=IsoTime(), default=None,
              help="Meter time to start at (ISO 8601; no offset: the meter's local time, "
                   "CET/CEST). Default: now.")  # fmt: skip
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Run meter time N times faster than real time.")  # fmt: skip
@click.option("--control-port", type=click.IntRange(0, 65535), default=None,
              help="Also serve the control endpoint (JSON over HTTP, 127.0.0.1 only) on this "
                   "port: state, power failures, sags, load changes...")  # fmt: skip
@click.option("--state", "state_path", type=click.Path(dir_okay=False), default=None,
              help="Keep the meter's non-volatile memory in this SQLite file: registers, "
                   "profiles, log-book, parameters, keys and invocation counters survive a "
                   "restart, and the downtime is logged as a power failure.")  # fmt: skip
@click.option("--state-key", "state_key", type=click.Path(dir_okay=False), default=None,
              help="The key-encryption key of the keys in --state (32 hex digits; default "
                   "FILE.key, created on first use; or set OPENAMR_STATE_KEK).")  # fmt: skip
@click.option("--load", "load_kind", type=click.Choice([k.value for k in ProfileKind]),
              default=None, help="The consumer's day shape (default: by serial).")  # fmt: skip
@click.option("--pv/--no-pv", default=None, help="With or without PV export (default: drawn).")
@click.option("--phases", type=click.IntRange(1, 3), default=3, show_default=True,
              help="Phases wired to the meter (the MT372 is poly-phase: 1, 2 or 3).")  # fmt: skip
@click.option("--disturbances/--no-disturbances", default=True, show_default=True,
              help="Seeded outages, sags and swells at the field's rates (README); "
                   "off: a quiet grid, only what the control port injects.")  # fmt: skip
@click.option("--modem", "modem_at", callback=endpoint_option, default=None, metavar="HOST:PORT",
              help="Also serve the head-end's GSM modem (AT, CSD, SMS) on this twin's own "
                   "network: calls are answered by its Auto answer object, an SMS from a "
                   "whitelisted number wakes it (docs/gsm-meter.md).")  # fmt: skip
@click.option("--lookup", "lookup_at", callback=endpoint_option, default=None,
              metavar="HOST:PORT",
              help="Also serve the address lookup (LOOKUP <msisdn>: the twin's address "
                   "while attached to GPRS).")  # fmt: skip
@click.option("--call-back", default=None, metavar="HOST:PORT",
              help="A fresh meter's Auto connect: mode 104 with this one destination, so "
                   "that once woken it connects there (a head-end's --inbound).")  # fmt: skip
@click.option("--reach", type=click.Choice([r.value for r in Reach]), default=Reach.TCP.value,
              show_default=True,
              help="How a head-end reaches a fresh meter (its factory GSM settings): tcp "
                   "(always attached to GPRS), csd (data calls only), wakeup (TCP only "
                   "after an SMS or a call). TCP answers only while attached.")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log protocol events.")
def serve_command(
    host: str,
    port: int,
    transport: str,
    serial_number: str,
    history_days: float,
    optical_port: int | None,
    optical_serial: str | None,
    serial_device: str | None,
    baud: str,
    control_port: int | None,
    start: dt.datetime | None,
    speed: float,
    state_path: str | None,
    state_key: str | None,
    load_kind: str | None,
    pv: bool | None,
    phases: int,
    disturbances: bool,
    modem_at: tuple[str, int] | None,
    lookup_at: tuple[str, int] | None,
    call_back: str | None,
    reach: str,
    verbose: bool,
) -> None:
    """Serve the MT372 object list: client 16 public, 32 LLS, 1 HLS-GMAC + ciphering."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    optical = Optical(optical_port, optical_serial, serial_device, int(baud))
    if start is not None:
        start = twin_local(start)  # no offset: the twin's local time (cli/times.py)
    kind = ProfileKind(load_kind) if load_kind else None
    load = seeded_load(seed_of(serial_number), kind, pv, phases)
    if call_back is not None and ip_destination(call_back) is None:
        raise click.BadParameter(f"{call_back!r}: write HOST:PORT, e.g. 127.0.0.1:4100",
                                 param_hint="--call-back")  # fmt: skip
    twin = TwinOptions(
        serial_number,
        history_days,
        start,
        speed,
        state_path,
        load,
        state_key,
        disturbances,
        Gsm(modem_at, lookup_at, call_back, Reach(reach)),
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(host, port, transport, twin, optical, control_port))


def wall_clock() -> dt.datetime:
    """The system's UTC time: the time base of a twin serving real clients."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Gsm:
    """The twin's own GSM network (:mod:`openamr.aio.twin_gsm`): where the head-end's
    modem and the address lookup are served, and a fresh meter's call-back."""

    modem: tuple[str, int] | None = None
    lookup: tuple[str, int] | None = None
    call_back: str | None = None
    reach: Reach = Reach.TCP  # a fresh meter's factory settings (meter.peripherals.Reach)


@dataclass(frozen=True)
class TwinOptions:
    """Which meter, and its time: history simulated, start, speed; its GSM network."""

    serial_number: str
    history_days: float = 0
    start: dt.datetime | None = None
    speed: float = 1.0
    state: str | None = None  # the state file (--state)
    load: LoadConfig | None = None  # the consumer (default: drawn from the serial)
    state_key: str | None = None  # the state key-encryption key's file (--state-key)
    disturbances: bool = True  # the field's seeded grid events (--no-disturbances: none)
    gsm: Gsm = Gsm()  # its own GSM network: --modem, --lookup, --call-back


@dataclass(frozen=True)
class Optical:
    """Where the optical port is served: a TCP port, a serial device, both or neither."""

    port: int | None = None
    serial: str | None = None
    #: HDLC on a serial line (not the optical port): device and baud rate
    hdlc_serial: str | None = None
    hdlc_baud: int = DEFAULT_BAUD


async def _serve(
    host: str,
    port: int,
    transport: str,
    twin: TwinOptions,
    optical: Optical = Optical(),
    control_port: int | None = None,
) -> None:
    serial_number = twin.serial_number
    credentials = Credentials()
    store = _open_state(twin.state)
    # without --state the invocation counters are kept anyway: never an IC twice
    counters = None if store is not None else open_counters(credentials.system_title)
    try:
        kek = None if twin.state is None else state_kek(twin.state, twin.state_key)
        resumed = store is not None and store.last_alive() is not None
        if store is not None and resumed:
            ignored = [
                f
                for f, given in (
                    ("--start", twin.start),
                    ("--history-days", twin.history_days),
                    ("--reach", twin.gsm.reach is not Reach.TCP),
                )
                if given
            ]
            if ignored:
                click.echo(
                    f"warning: {' and '.join(ignored)} ignored: {store.path} resumes its meter "
                    "where it stopped (give --state a new file for a fresh meter)",
                    err=True,
                )
        # alarm call-backs go out once a head-end set a destination
        push = PushDelivery(SERVER_LOGICAL_ADDRESS)
        try:
            meter = build_mt372(
                serial_number, credentials, time_base=wall_clock, history_days=twin.history_days,
                speed=twin.speed, start=twin.start, state=store, load=twin.load, push=push,
                counters=counters, state_kek=kek,
                disturbances=FIELD_RATES if twin.disturbances else None,
                fleet=FleetSite(modem=ModemSite(reach=twin.gsm.reach)),
            )  # fmt: skip
        except StateError as e:
            raise click.ClickException(str(e)) from None
        listeners = Listeners(
            host, port, "wrapper" if transport == "wrapper" else "hdlc", optical.port,
            optical.serial, optical.hdlc_serial, optical.hdlc_baud, control_port,
            gprs_gate=True,
        )  # fmt: skip
        try:
            served = await serve_twin(meter, listeners, push=push)
        except ServeError as e:
            hint = {"dlms": "--port", "optical": "--optical-port", "control": "--control-port"}
            option = hint.get(e.listener)
            device = {"optical-serial": optical.serial, "hdlc-serial": optical.hdlc_serial}
            if e.cause is not None and device.get(e.listener) is not None:
                flag = "--optical-serial" if e.listener == "optical-serial" else "--serial"
                message = serial_advice(str(device[e.listener]), e.cause)
                raise click.ClickException(f"{flag}: {message}") from None
            raise click.ClickException(
                f"{e}; choose another {option}" if option else str(e)
            ) from None
        try:
            network = await _gsm(served, twin.speed, twin.gsm, resumed)
        except BaseException:
            await served.close()
            raise
        try:
            _banner(served, transport, optical, store or counters)
            _gsm_banner(network)
            await served.serve_forever()
        except ServeError as e:
            raise click.ClickException(str(e)) from None
        finally:
            await network.close()
            await served.close()
    finally:  # a twin that could not start leaves its files for the next one
        for opened in (store, counters):
            if opened is not None:
                opened.close()


async def _gsm(served: ServedTwin, speed: float, gsm: Gsm, resumed: bool) -> TwinGsm:
    """The twin's own network: its Auto connect drives its dial-out when woken; the
    head-end's modem and the lookup on it, if asked for."""
    from openamr.aio.twin_gsm import TwinGsm, set_call_back
    from openamr.devices.mt372.objects import HEAD_END_CSD_NUMBER

    meter = served.meter
    if gsm.call_back is not None:
        if resumed:
            click.echo(f"warning: --call-back ignored: {meter.serial}'s state holds its Auto "
                       "connect (write it over DLMS)", err=True)  # fmt: skip
        else:
            set_call_back(meter, gsm.call_back)
    wrapper = served.dlms_address if served.listeners.transport == "wrapper" else None
    network = TwinGsm(meter, speed, wrapper)
    if gsm.modem is None and gsm.lookup is None:
        return network
    try:
        await network.serve_modem(gsm.modem, gsm.lookup, HEAD_END_CSD_NUMBER)
    except OSError as e:
        await network.close()
        raise click.ClickException(
            f"cannot listen: {e.strerror or e}; choose another --modem or --lookup"
        ) from None
    return network


def _gsm_banner(network: TwinGsm) -> None:
    from openamr.devices.mt372.objects import HEAD_END_CSD_NUMBER

    sim, pool = network.modem.sim, network.pool
    if pool is None:
        return
    if sim is not None:
        click.echo(f"SIM card {sim.iccid}, number {sim.msisdn}, IMSI {sim.imsi}")
    for what, at in zip(("modem (AT) listening on TCP", "address lookup listening on"),
                        network.listening, strict=True):  # fmt: skip
        if at is not None:
            calling = f", calling as {HEAD_END_CSD_NUMBER}" if "modem" in what else ""
            click.echo(f"{what} {at[0]}:{at[1]}{calling}")


def _banner(served: ServedTwin, transport: str, optical: Optical, store: StateStore | None) -> None:
    app = served.meter.app
    bound = served.dlms_address
    assert bound is not None
    click.echo(
        f"MT372 {served.meter.serial} listening on {bound[0]}:{bound[1]} ({transport}); "
        f"logical device {app.logical_address}, HDLC address {app.physical_address}",
    )
    if (at := served.optical_address) is not None:
        click.echo(f"optical port (IEC 62056-21, mode E to HDLC) on {at[0]}:{at[1]}")
    if optical.serial is not None:
        click.echo(f"optical port (IEC 62056-21, mode E to HDLC) on {optical.serial}")
    if optical.hdlc_serial is not None:
        click.echo(f"HDLC on {optical.hdlc_serial} at {optical.hdlc_baud} Bd 8N1")
    if (at := served.control_address) is not None:
        click.echo(f"control endpoint (JSON over HTTP) on http://{at[0]}:{at[1]}/")
    if store is not None and store.path.endswith(".sqlite") and "counters-" in store.path:
        click.echo(f"invocation counters in {store.path} (no --state)")
    elif store is not None:
        click.echo(f"state in {store.path}")


def _open_state(path: str | None) -> StateStore | None:
    try:
        return None if path is None else StateStore.open(path)
    except StateError as e:
        raise click.ClickException(str(e)) from None
