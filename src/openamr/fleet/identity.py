"""Who each meter of a fleet is (issue 12, "Identity and keys"): serial, logical
device name, address, GSM cell, group, SIM (MSISDN, ICCID, IMSI), firmware, the
consumer behind it, and its secrets.

Secrets are derived from the fleet secret with HKDF-SHA256 (RFC 5869; salt
``openamr-fleet/1``, info ``<what>/<serial>/<generation>``), so that a fleet holds
no table of keys and each meter has its own: the LLS password (8 characters), the
global unicast encryption key EK, the authentication key AK and the master key KEK
(16 bytes each, suite 0). Generation 0 is what the commissioning file gives the
head-end; a meter whose keys were rotated (the fault model) serves generation 1.

The system title is the manufacturer's "ISK" and the serial in 5 bytes (Green Book
4.3.4), as the single twin's. An identity is computed when asked (some tens of
microseconds: the SIM's check digits, the addresses), so 10,000 meters cost no
memory for it; :meth:`openamr.fleet.meters.Fleet.meter` keeps those of the meters
reached lately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from openamr.fleet.config import FleetConfig
from openamr.fleet.faults import FaultModel, unit
from openamr.gsm.sim import Sim
from openamr.meter.associations import Credentials
from openamr.meter.metrology.model import ProfileKind
from openamr.meter.mt372 import logical_device_name
from openamr.security.keys import KeySet

SALT = b"openamr-fleet/1"
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
COUNTRY, NETWORK = "386", "40"  # Slovenia, the SIM issuer's network code
MCC = "293"
T = TypeVar("T")


def derive(secret: bytes, what: str, serial: str, generation: int, length: int) -> bytes:
    """HKDF-SHA256 of the fleet secret for one purpose of one meter."""
    info = f"{what}/{serial}/{generation}".encode()
    return HKDF(hashes.SHA256(), length, SALT, info).derive(secret)


@dataclass(frozen=True, slots=True)
class Secrets:
    """One generation of a meter's secrets (never in a repr)."""

    password: bytes = field(repr=False)
    ek: bytes = field(repr=False)
    ak: bytes = field(repr=False)
    kek: bytes = field(repr=False)

    @classmethod
    def derive(cls, secret: bytes, serial: str, generation: int) -> Secrets:
        raw = derive(secret, "lls", serial, generation, 8)
        password = "".join(PASSWORD_ALPHABET[b % len(PASSWORD_ALPHABET)] for b in raw)
        ek, ak, kek = (derive(secret, k, serial, generation, 16) for k in ("ek", "ak", "kek"))
        return cls(password.encode(), ek, ak, kek)


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """Everything public about meter ``index`` of a fleet."""

    index: int
    serial: str
    host: str  # of its listener: its own, its bus's or the gateway's
    port: int
    url: str
    physical: int  # HDLC physical address (17 unless on a bus)
    cell: int
    group: str
    msisdn: str
    iccid: str
    imsi: str
    firmware: str
    kind: ProfileKind
    pv: bool
    phases: int
    rotated: bool  # its keys were rotated: it serves generation 1
    reach: str = "tcp"  # "tcp", "csd" or "wakeup": the head-end's path (meter.peripherals.Reach)

    @property
    def logical_device_name(self) -> str:
        return logical_device_name(self.serial)

    @property
    def system_title(self) -> bytes:
        return b"ISK" + int(self.serial).to_bytes(5, "big")

    @property
    def sim(self) -> Sim:
        """The card the meter was commissioned with (its swaps: :meth:`Sim.next`)."""
        return Sim(self.iccid, self.imsi, self.msisdn)


def identity(config: FleetConfig, index: int) -> MeterIdentity:
    """Meter ``index`` (0-based) of the fleet ``config`` describes."""
    if not 0 <= index < config.size:
        raise IndexError(f"the fleet has meters 0 to {config.size - 1}, not {index}")
    serial, seed, mix, net = config.serials[index], config.seed, config.mix, config.network
    addresses = config.addresses
    host, port = addresses.of(addresses.listener(index))
    kinds = (
        (ProfileKind.RESIDENTIAL, mix.residential),
        (ProfileKind.COMMERCIAL, mix.commercial),
        (ProfileKind.INDUSTRIAL, mix.industrial),
    )
    phases = ((1, mix.phases[0]), (2, mix.phases[1]), (3, mix.phases[2]))
    number = index + 1
    card = Sim.derive(number, int(MCC), int(NETWORK))
    return MeterIdentity(
        index=index,
        serial=serial,
        host=host,
        port=port,
        url=addresses.url(index),
        physical=addresses.physical(index),
        cell=cell_of(config, index),
        group=f"feeder-{index // net.meters_per_group + 1:02d}",
        msisdn=card.msisdn,
        iccid=card.iccid,
        imsi=card.imsi,
        firmware=_pick(mix.firmware, unit(seed, "firmware", index)),
        kind=_pick(kinds, unit(seed, "kind", index)),
        pv=unit(seed, "pv", index) < mix.pv,
        phases=_pick(phases, unit(seed, "phases", index)),
        rotated=FaultModel(config.faults, seed).rotated(index),
        reach=_pick((("csd", net.csd), ("wakeup", net.wakeup),
                     ("tcp", max(0.0, 1 - net.csd - net.wakeup))), unit(seed, "reach", index)),
    )  # fmt: skip


def index_of_card(config: FleetConfig, msisdn_or_imsi: str) -> int | None:
    """The meter whose derived cards (any generation) have this number or IMSI."""
    key = msisdn_or_imsi
    if (key.startswith(f"+{COUNTRY}4") and len(key) == 12 and key[1:].isdigit()) or (
        len(key) == 15 and key.isdigit() and key.startswith(MCC + NETWORK)
    ):
        n = int(key[6:])
    else:
        return None
    return n - 1 if 1 <= n <= config.size else None


def cell_of(config: FleetConfig, index: int) -> int:
    """The GSM cell of meter ``index``: consecutive meters share one."""
    net = config.network
    return net.first_cell + index // net.meters_per_cell


def secrets(config: FleetConfig, serial: str, generation: int = 0) -> Secrets:
    return Secrets.derive(config.fleet_secret(), serial, generation)


def credentials(config: FleetConfig, meter: MeterIdentity) -> Credentials:
    """What the meter's twin serves: its own password, keys and system title."""
    s = secrets(config, meter.serial, 1 if meter.rotated else 0)
    return Credentials(s.password, KeySet(s.ek, s.ak, s.kek), meter.system_title, s.password)


def _pick(choices: tuple[tuple[T, float], ...], u: float) -> T:
    total = sum(w for _, w in choices)
    at = u * total
    for value, weight in choices:
        if at < weight:
            return value
        at -= weight
    return next(v for v, w in reversed(choices) if w > 0)
