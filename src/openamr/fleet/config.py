"""The fleet's configuration (issue 12, "What the fleet is"): ``--meters N`` for a
quick start, or a TOML file (``tomllib``) for the rest. Sans-IO: :func:`parse` takes
the file's text; only :func:`load` reads it.

A complete file, every key optional (these are the defaults)::

    [fleet]
    meters = 100                  # how many, serials counting up from serial_start
    serial_start = 10000001       # or: serials = ["10000001", "10000007", ...]
    seed = 1                      # the same seed, the same fleet and the same faults
    start = 2026-03-01T00:00:00Z  # true time of the fleet clock at start (default: now)
    speed = 1.0                   # one clock for the fleet: N x real time
    history_days = 30             # every meter commissioned this long before start
    secret_file = "fleet.key"     # hex; the root of every meter's keys (default:
                                  # derived from the seed: test fleets only)

    [addresses]
    first = "127.1.0.1"           # meter i at first + i, port `port` (GPRS: an IP each)
    port = 4059
    # port_range = [5000, 5999]   # or all on `host`, meter i at port_range[0] + i
    # host = "127.0.0.1"
    # bus = 32                    # or HDLC buses of up to 32 meters (RS485 behind a
                                  # terminal server): bus b listens where meter b
                                  # would, its meters at physical 16, 17, ...
    # gateway = true              # or every meter behind one wrapper listener (at
    # first_wport = 16            # first:port), meter i at destination wPort 16 + i

    [mix]                         # shares of the consumers (normalised)
    residential = 0.80
    commercial = 0.15
    industrial = 0.05
    pv = 0.20                     # share with PV export
    phases = { 1 = 0.25, 2 = 0.0, 3 = 0.75 }
    firmware = { "MT372-1004" = 0.9, "MT372-1003" = 0.1 }

    [network]
    meters_per_cell = 200         # consecutive meters share a GSM cell
    cell_capacity = 32            # simultaneous connections a cell admits (0: no limit)
    first_cell = 1001
    meters_per_group = 50         # consecutive meters share a feeder (group)
    csd = 0.0                     # share of meters reached only by CSD data calls
    wakeup = 0.0                  # share reached by TCP only after a wake-up (SMS, call)
    call_back = ""                # HOST:PORT: woken meters connect to the head-end there

    [faults]                      # see openamr.fleet.faults (FaultRates)
    offline = 0.01

Every value is checked; :class:`ConfigError` names the key and what it takes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from openamr.errors import DlmsError
from openamr.fleet.faults import FaultRates
from openamr.meter.mt372 import FIRMWARE

DEFAULT_START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class ConfigError(DlmsError):
    """The fleet configuration is not usable; the message says which key and why."""


@dataclass(frozen=True)
class Mix:
    """The shares of consumers, hook-ups and firmware versions (normalised)."""

    residential: float = 0.80
    commercial: float = 0.15
    industrial: float = 0.05
    pv: float = 0.20
    phases: tuple[float, float, float] = (0.25, 0.0, 0.75)  # 1-, 2-, 3-phase
    firmware: tuple[tuple[str, float], ...] = ((FIRMWARE, 0.9), ("MT372-1003", 0.1))


@dataclass(frozen=True)
class Network:
    """GSM cells and feeders: consecutive meters share them."""

    meters_per_cell: int = 200
    cell_capacity: int = 32
    first_cell: int = 1001
    meters_per_group: int = 50
    csd: float = 0.0  # shares of the meters reached by CSD only, or after a wake-up
    wakeup: float = 0.0
    call_back: str = ""  # HOST:PORT in wake-up meters' auto connect destination list


#: Physical addresses on a bus count from here (IEC 62056-46: 0x10 is the first
#: that is not reserved); a bus carries at most 32 meters (the MT372's RS485 option).
FIRST_PHYSICAL, MAX_BUS = 0x10, 32


@dataclass(frozen=True)
class Addresses:
    """Where meter i is reached (issue 12, "Addresses like GPRS"): each at its own
    listener (its own loopback address, or one host and a port each), ``bus`` meters
    to an HDLC bus (one listener a bus, a meter by its physical address), or all
    behind one wrapper listener (``gateway``: a meter by its destination wPort)."""

    first: str = "127.1.0.1"
    port: int = 4059
    port_range: tuple[int, int] | None = None
    host: str = "127.0.0.1"
    bus: int = 0  # meters per HDLC bus; 0: the wrapper
    gateway: bool = False
    first_wport: int = 16

    def of(self, listener: int) -> tuple[str, int]:
        """The address of listener ``listener`` (meter, bus or the gateway's 0)."""
        if self.port_range is not None:
            return self.host, self.port_range[0] + listener
        return str(ipaddress.ip_address(self.first) + listener), self.port

    def listener(self, index: int) -> int:
        """Which listener reaches meter ``index``."""
        if self.gateway:
            return 0
        return index // self.bus if self.bus else index

    def listeners(self, size: int) -> int:
        """How many listeners ``size`` meters need."""
        return 0 if size == 0 else self.listener(size - 1) + 1

    def physical(self, index: int) -> int:
        """Meter ``index``'s HDLC physical address (on a bus: its place on it)."""
        return FIRST_PHYSICAL + index % self.bus if self.bus else 17

    def wport(self, index: int) -> int:
        """The destination wPort that reaches meter ``index`` (its logical device)."""
        return self.first_wport + index if self.gateway else 1

    def url(self, index: int) -> str:
        host, port = self.of(self.listener(index))
        if self.bus:
            return f"hdlc+tcp://{host}:{port}?physical={self.physical(index)}"
        if self.gateway:
            return f"tcp://{host}:{port}?server={self.wport(index)}"
        return f"tcp://{host}:{port}"


@dataclass(frozen=True)
class FleetConfig:
    """Everything that makes a fleet; the same config, the same fleet."""

    serials: tuple[str, ...]
    seed: int = 1
    start: dt.datetime | None = None  # None: the time base's now
    speed: float = 1.0
    history_days: float = 30.0
    secret: bytes | None = field(default=None, repr=False)  # None: from the seed
    addresses: Addresses = Addresses()
    mix: Mix = Mix()
    network: Network = Network()
    faults: FaultRates = field(default_factory=FaultRates)

    @property
    def size(self) -> int:
        return len(self.serials)

    def fleet_secret(self) -> bytes:
        """The root of every meter's keys; a fleet without a secret file derives one
        from its seed (reproducible test fleets: never for meters in the field)."""
        if self.secret is not None:
            return self.secret
        return b"openamr test fleet seed %d" % self.seed


def quick(meters: int, **overrides: Any) -> FleetConfig:
    """``--meters N``: serials 10000001 and up, everything else by default."""
    config = FleetConfig(serials=serial_range(10_000_001, meters), **overrides)
    check(config)
    return config


def serial_range(first: int, count: int) -> tuple[str, ...]:
    if count < 1:
        raise ConfigError(f"a fleet needs at least one meter, not {count}")
    if first < 1 or first + count - 1 > 99_999_999:
        raise ConfigError("serials are 8-digit numbers: serial_start from 1 to 99999999")
    return tuple(f"{n:08d}" for n in range(first, first + count))


def load(path: str | Path, *, meters: int | None = None) -> FleetConfig:
    """Read a TOML file (``meters`` overrides its count)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from None
    base = Path(path).parent
    return parse(text, meters=meters, secret_reader=lambda p: (base / p).read_text())


def parse(text: str, *, meters: int | None = None, secret_reader: Any = None) -> FleetConfig:
    """The configuration in TOML ``text``; ``secret_reader(path) -> str`` reads the
    secret file (hex) it names."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not TOML: {e}") from None
    _only(doc, {"fleet", "addresses", "mix", "network", "faults"}, "the file")
    fleet = _table(doc, "fleet")
    _only(fleet, {"meters", "serial_start", "serials", "seed", "start", "speed",
                  "history_days", "secret_file"}, "[fleet]")  # fmt: skip
    config = FleetConfig(
        serials=_serials(fleet, meters),
        seed=_int(fleet, "seed", 1, 0),
        start=_start(fleet),
        speed=_num(fleet, "speed", 1.0, 1e-6),
        history_days=_num(fleet, "history_days", 30.0, 0.0, 410.0),
        secret=_secret(fleet, secret_reader),
        addresses=_addresses(_table(doc, "addresses")),
        mix=_mix(_table(doc, "mix")),
        network=_network(_table(doc, "network")),
        faults=_faults(_table(doc, "faults")),
    )
    check(config)
    return config


def check(config: FleetConfig) -> None:
    """Refuse what would break at serve time: addresses off loopback, duplicates."""
    if len(set(config.serials)) != len(config.serials):
        raise ConfigError("[fleet] serials: each serial may appear once")
    a = config.addresses
    if a.bus and a.gateway:
        raise ConfigError("[addresses]: choose bus (HDLC buses) or gateway (wPorts), not both")
    if not 0 <= a.bus <= MAX_BUS:
        raise ConfigError(f"[addresses] bus: 1 to {MAX_BUS} meters on one bus, not {a.bus}")
    if a.gateway and not 1 <= a.first_wport <= 0xFFFF - max(config.size - 1, 0):
        raise ConfigError(
            f"[addresses] first_wport: {config.size} meters need wPorts "
            f"first_wport to first_wport + {config.size - 1}, all below 65536"
        )
    needed = a.listeners(config.size)
    last = max(needed - 1, 0)
    if a.port_range is not None:
        low, high = a.port_range
        if high - low < last or not 0 < low <= high <= 65535:
            raise ConfigError(f"[addresses] port_range: {config.size} meters need {needed} ports")
        hosts = [a.host]
    else:
        hosts = [a.of(0)[0], a.of(last)[0]]
    for host in hosts:
        if ipaddress.ip_address(host) not in LOOPBACK:
            raise ConfigError(f"[addresses]: {host} is not a loopback address (127.x.y.z)")


# -- the tables ---------------------------------------------------------------------------


def _serials(fleet: Mapping[str, Any], meters: int | None) -> tuple[str, ...]:
    listed = fleet.get("serials")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
            raise ConfigError('[fleet] serials: a list of strings, e.g. ["10000001"]')
        if not listed or not all(s.isdigit() and len(s) <= 8 for s in listed):
            raise ConfigError("[fleet] serials: numbers of up to 8 digits, as strings")
        return tuple(listed[:meters] if meters is not None else listed)
    count = meters if meters is not None else _int(fleet, "meters", 100, 1)
    return serial_range(_int(fleet, "serial_start", 10_000_001, 1), count)


def _start(fleet: Mapping[str, Any]) -> dt.datetime | None:
    start = fleet.get("start")
    if start is None:
        return None
    if isinstance(start, dt.date) and not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time(), dt.UTC)
    if not isinstance(start, dt.datetime):
        raise ConfigError("[fleet] start: a TOML date-time, e.g. 2026-03-01T00:00:00Z")
    return start if start.tzinfo is not None else start.replace(tzinfo=dt.UTC)


def _secret(fleet: Mapping[str, Any], reader: Any) -> bytes | None:
    name = fleet.get("secret_file")
    if name is None:
        return None
    if not isinstance(name, str) or reader is None:
        raise ConfigError('[fleet] secret_file: the path of a file of hex, e.g. "fleet.key"')
    try:
        secret = bytes.fromhex(reader(name).strip())
    except OSError as e:
        raise ConfigError(f"[fleet] secret_file: cannot read {name}: {e.strerror}") from None
    except ValueError:
        raise ConfigError(f"[fleet] secret_file: {name} does not hold hex digits") from None
    if len(secret) < 16:
        raise ConfigError(f"[fleet] secret_file: {name} holds {len(secret)} bytes; give 16+")
    return secret


def _addresses(t: Mapping[str, Any]) -> Addresses:
    _only(t, {"first", "port", "port_range", "host", "bus", "gateway", "first_wport"},
          "[addresses]")  # fmt: skip
    span = t.get("port_range")
    if span is not None:
        ok = isinstance(span, list) and len(span) == 2 and all(isinstance(p, int) for p in span)
        if not ok:
            raise ConfigError("[addresses] port_range: two ports, e.g. [5000, 5999]")
    try:
        first, host = str(t.get("first", "127.1.0.1")), str(t.get("host", "127.0.0.1"))
        ipaddress.ip_address(first), ipaddress.ip_address(host)
    except ValueError as e:
        raise ConfigError(f"[addresses]: {e}") from None
    gateway = t.get("gateway", False)
    if not isinstance(gateway, bool):
        raise ConfigError("[addresses] gateway: true or false")
    return Addresses(
        first, _int(t, "port", 4059, 1, 65535), None if span is None else (span[0], span[1]),
        host, _int(t, "bus", 0, 0, MAX_BUS), gateway, _int(t, "first_wport", 16, 1, 65535),
    )  # fmt: skip


def _mix(t: Mapping[str, Any]) -> Mix:
    _only(t, {f.name for f in fields(Mix)}, "[mix]")
    d = Mix()
    r, c, i = (_num(t, k, getattr(d, k), 0.0) for k in ("residential", "commercial", "industrial"))
    if r + c + i <= 0:
        raise ConfigError("[mix]: residential + commercial + industrial must be > 0")
    phases_t = t.get("phases", {"1": 0.25, "2": 0.0, "3": 0.75})
    if not isinstance(phases_t, dict) or not set(phases_t) <= {"1", "2", "3"}:
        raise ConfigError(
            "[mix] phases: a table of shares by phase count, e.g. { 1 = 0.3, 3 = 0.7 }"
        )
    phases = tuple(_num(phases_t, str(n), 0.0, 0.0) for n in (1, 2, 3))
    firmware_t = t.get("firmware", dict(Mix().firmware))
    if not isinstance(firmware_t, dict) or not firmware_t:
        raise ConfigError('[mix] firmware: a table of shares, e.g. { "MT372-1004" = 1.0 }')
    if sum(phases) <= 0:
        raise ConfigError("[mix] phases: the shares must add up to more than 0")
    firmware = tuple((str(k), _num(firmware_t, k, 0.0, 0.0)) for k in firmware_t)
    return Mix(r, c, i, _num(t, "pv", 0.2, 0.0, 1.0), (phases[0], phases[1], phases[2]), firmware)


def _network(t: Mapping[str, Any]) -> Network:
    _only(t, {f.name for f in fields(Network)}, "[network]")
    d = Network()
    csd, wakeup = _num(t, "csd", d.csd, 0.0, 1.0), _num(t, "wakeup", d.wakeup, 0.0, 1.0)
    if csd + wakeup > 1:
        raise ConfigError("[network] csd + wakeup: shares of the meters, at most 1 together")
    return Network(
        _int(t, "meters_per_cell", d.meters_per_cell, 1),
        _int(t, "cell_capacity", d.cell_capacity, 0),
        _int(t, "first_cell", d.first_cell, 1, 65_535),
        _int(t, "meters_per_group", d.meters_per_group, 1),
        csd,
        wakeup,
        _call_back(t.get("call_back", "")),
    )


def _call_back(value: object) -> str:
    """``[network] call_back``: the head-end's listener (Auto connect destination)."""
    from openamr.gsm.gprs import ip_destination

    if value == "":
        return ""
    if not isinstance(value, str) or ip_destination(value) is None:
        raise ConfigError(f"[network] call_back {value!r}: write HOST:PORT, e.g. 127.0.0.1:4100")
    return value


def _faults(t: Mapping[str, Any]) -> FaultRates:
    names = {f.name for f in fields(FaultRates)}
    _only(t, names, "[faults]")
    d = FaultRates()
    values: dict[str, Any] = {}
    for name in names:
        default = getattr(d, name)
        if isinstance(default, tuple):
            span = t.get(name, list(default))
            if not (isinstance(span, list) and len(span) == 2 and 0 <= span[0] <= span[1]):
                raise ConfigError(f"[faults] {name}: two numbers, low <= high, e.g. [0.5, 3.0]")
            values[name] = (float(span[0]), float(span[1]))
        else:
            high = 1.0 if name in FaultRates.SHARES else None
            values[name] = _num(t, name, default, 0.0, high)
    return FaultRates(**values)


# -- checked values -----------------------------------------------------------------------


def _table(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    t = doc.get(name, {})
    if not isinstance(t, dict):
        raise ConfigError(f"[{name}] must be a table")
    return t


def _only(t: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(t) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")


def _int(t: Mapping[str, Any], key: str, default: int, low: int, high: int | None = None) -> int:
    value = t.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        span = f"from {low}" + (f" to {high}" if high is not None else "")
        raise ConfigError(f"{key}: a whole number {span}, not {value!r}")
    return value


def _num(
    t: Mapping[str, Any], key: str, default: float, low: float, high: float | None = None
) -> float:
    value = t.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < low
        or (high is not None and value > high)
    ):
        span = f">= {low}" + (f" and <= {high}" if high is not None else "")
        raise ConfigError(f"{key}: a number {span}, not {value!r}")
    return float(value)
