"""An MT372-like meter served by gurux-dlms's own server classes (test oracle
only, never shipped): ``GXDLMSServer`` behind a loopback socket speaking the
wrapper (IEC 62056-47) or HDLC (IEC 62056-46), one connection at a time, in a
thread of its own.

The object set is what the head-end collects (docs/mt372.md): the clock
0.0.1.0.0.255 (class 8), the A+/A- registers 1.0.1.8.t.255 and 1.0.2.8.t.255
(class 3, with scalers), the ICCID 0.0.128.20.30.255, the load profile
1.0.99.1.0.255 (class 7, 15-minute, capture objects clock, status 1.0.96.240.0.255,
A+, A-) and the log-book 1.0.99.98.0.255 (clock, event code 0.0.96.11.0.255);
the S0 water and gas registers 8.0.1.0.0.255 and 7.0.3.0.0.255 too, wired: gurux
cannot say that an object is not there inside a GET-with-list (below).
Associations: LLS (client 1 or 32, the password) and no security (client 16).
Not HLS-GMAC: gurux 1.0.203 cannot answer a ciphered or HLS-GMAC AARQ
(``_GXAPDU.generateAARE`` writes the responding-AP-title with ``data.setUInt8()``,
no argument: ``TypeError``, the connection dropped), and its
``GXDLMSSecureServer.__init__`` puts its ``GXCiphering`` in ``settings.ciphering``,
which nothing reads (the handlers use ``settings.cipher``).

gurux-dlms 1.0.203's server does not run as shipped: tests/gurux_shims.py makes it
run and names each bug. Two more are met here:

* ``GXDLMSLNCommandHandler.getRequestWithList`` answers an undefined object (or any
  attribute whose ``getValue`` raises) with the single byte 0x01, the Get-Data-Result
  CHOICE tag [1] data-access-result without the Data-Access-Result after it
  (IEC 62056-5-3 Get-Response-With-List): the rest of the response is misread, and
  our client refuses it ("Get-Data-Result choice must be 0 or 1"). Not shimmed: the
  fixture serves every object the head-end asks for;
* ``GXDLMSProfileGeneric.__getProfileGenericData`` compares ``tm >= start >= 0``
  (a datetime with 0: ``TypeError`` on any range read), and for a range read
  without selected columns passes ``[captureObjects]`` (a list in a list) as the
  columns, so every row would be encoded as a structure of one element and no
  value.

gurux's server examples serve a profile's buffer themselves (the rows a range or
entry read selects, put in the buffer before gurux encodes it). Since gurux's
normal GET never calls the read hooks, :class:`Profile` does that selection in
its own ``getValue`` (attribute 2) and lets gurux's ``getData`` encode the rows:
gurux's encoder and block transfer, our row selection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gurux_dlms import GXDateTime, GXDLMSClient
from gurux_dlms.enums import (
    Authentication,
    DataType,
    InterfaceType,
    SourceDiagnostic,
)
from gurux_dlms.enums import Unit as GxUnit
from gurux_dlms.objects import (
    GXDLMSAssociationLogicalName,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSProfileGeneric,
    GXDLMSRegister,
)

from tests.gurux_shims import ShimmedServer, serving

PERIOD = 900
STATUS = "1.0.96.240.0.255"
EVENT_CODE = "0.0.96.11.0.255"
ICCID_OBIS = "0.0.128.20.30.255"
WH, M3 = int(GxUnit.ACTIVE_ENERGY), int(GxUnit.VOLUME_CUBIC_METER)


@dataclass(frozen=True)
class MeterData:
    """What the gurux meter holds: the oracle a test compares the store with."""

    now: dt.datetime
    password: bytes
    registers: dict[str, tuple[int, int, int]]  # OBIS -> (raw value, scaler exponent, unit)
    profile: list[tuple[dt.datetime, int, int, int]]  # stamp, status, A+, A-
    events: list[tuple[dt.datetime, int]]
    iccid: str = "8938600000000000012"


def mt372_data(now: dt.datetime, days: float = 2.0, password: bytes = b"12345678") -> MeterData:
    """Registers with scalers, ``days`` of 15-minute profile up to ``now``, a few events."""
    registers = {f"1.0.{d}.8.{t}.255": (1_234_567 * d + 1000 * t, -3 if t == 0 else 0, WH)
                 for d in (1, 2) for t in range(5)}  # fmt: skip
    registers |= {"8.0.1.0.0.255": (98_765, -3, M3), "7.0.3.0.0.255": (4_321, -2, M3)}
    end = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    count = int(days * 86400 / PERIOD)
    stamps = [end - dt.timedelta(seconds=PERIOD * i) for i in reversed(range(count))]
    profile = [(t, 8 if i % 37 == 5 else 0, 100_000 + 250 * i, 7 * i) for i, t in enumerate(stamps)]
    events = [(now - dt.timedelta(hours=h), code) for h, code in ((30, 1), (20, 2), (3, 47))]
    return MeterData(now, password, registers, profile, events)


class Profile(GXDLMSProfileGeneric):  # type: ignore[misc]
    """A profile whose rows are ``rows``; attribute 2 selects them (Blue Book 4.3.6:
    range_descriptor on the clock column, inclusive; entry_descriptor 1-based) and
    gurux encodes what was selected."""

    def __init__(self, ln: str, rows: Sequence[Sequence[Any]]) -> None:
        super().__init__(ln)
        self.rows = [list(r) for r in rows]

    def getValue(self, settings: Any, e: Any) -> Any:
        if e.index == 2:
            return self.getData(settings, e, self._selected(e), None)
        if e.index == 7:
            return len(self.rows)
        return super().getValue(settings, e)

    def _selected(self, e: Any) -> list[list[Any]]:
        if e.selector == 1 and e.parameters:
            start, end = (_when(v) for v in e.parameters[1:3])
            return [r for r in self.rows if start <= r[0].value <= end]
        if e.selector == 2 and e.parameters:
            first, last = int(e.parameters[0]) or 1, int(e.parameters[1]) or len(self.rows)
            return self.rows[first - 1 : last]
        return self.rows


def _when(value: Any) -> dt.datetime:
    """A range bound: date-time as an octet string (Blue Book 4.1.6.1)."""
    if isinstance(value, GXDateTime):
        return value.value  # type: ignore[no-any-return]
    return GXDLMSClient.changeType(bytearray(value), DataType.DATETIME).value  # type: ignore[no-any-return]


class GuruxMeter(ShimmedServer):
    """One association's state; a new one per connection (as a meter after release)."""

    def __init__(self, data: MeterData, interface: int) -> None:
        super().__init__(interface)
        self.data = data
        items: list[Any] = []
        clock = GXDLMSClock("0.0.1.0.0.255")
        clock.time = GXDateTime(data.now)
        items.append(clock)
        for obis, (value, scaler, unit) in data.registers.items():
            reg = GXDLMSRegister(obis)
            reg.value, reg.scaler, reg.unit = value, 10.0**scaler, GxUnit(unit)
            reg.setDataType(2, DataType.UINT32)
            items.append(reg)
        iccid = GXDLMSData(ICCID_OBIS)
        iccid.value = data.iccid
        status = GXDLMSData(STATUS)
        status.setDataType(2, DataType.UINT8)
        code = GXDLMSData(EVENT_CODE)
        code.setDataType(2, DataType.UINT16)
        items += [iccid, status, code]
        a_plus, a_minus = items[1], items[6]
        profile = Profile("1.0.99.1.0.255", [
            (GXDateTime(t), s, p, m) for t, s, p, m in data.profile
        ])  # fmt: skip
        profile.capturePeriod = PERIOD
        for obj in (clock, status, a_plus, a_minus):
            profile.addCaptureObject(obj, 2, 0)
        logbook = Profile("1.0.99.98.0.255", [(GXDateTime(t), c) for t, c in data.events])
        for obj in (clock, code):
            logbook.addCaptureObject(obj, 2, 0)
        association = GXDLMSAssociationLogicalName()
        for obj in (*items, profile, logbook, association):
            self.items.append(obj)
            association.objectList.append(obj)
        self.initialize()

    def isTarget(self, server: int, client: int) -> bool:
        return client in (1, 16, 32)

    def onValidateAuthentication(self, authentication: Any, password: Any) -> Any:
        if authentication == Authentication.NONE:
            return SourceDiagnostic.NONE
        if authentication == Authentication.LOW and bytes(password or b"") == self.data.password:
            return SourceDiagnostic.NONE
        return SourceDiagnostic.AUTHENTICATION_FAILURE


@contextmanager
def gurux_meter(data: MeterData, hdlc: bool = False) -> Iterator[str]:
    """The meter on a loopback port of its own: its client URL."""
    interface = InterfaceType.HDLC if hdlc else InterfaceType.WRAPPER
    with serving(lambda: GuruxMeter(data, interface)) as port:
        yield f"hdlc+tcp://127.0.0.1:{port}" if hdlc else f"tcp://127.0.0.1:{port}"


__all__ = ["MeterData", "gurux_meter", "mt372_data"]
