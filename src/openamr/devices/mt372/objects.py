"""The MT372's objects, declared once (docs/mt372.md): the values
of a meter fresh from the factory, the access of each association, the display list,
the profile and billing row layouts. Adding an object to the meter is adding it here.

Associations (section 5, a project decision; public documents give none): client 16
public, no authentication, read-only, a small set of objects; client 32 LLS, reading
and local programming (clock, special days, calendar, billing schedule); client 1
HLS-GMAC with ciphering, all rights, but nobody writes or resets what the meter
measures (energy, demand, instantaneous values, impulse counters); client 100 LLS with
the rights of client 32 (the client of the published Mx372 head-end driver).

Row layouts (decision, [I]: the MT372's own layouts are not public)::

    LP1 1.0.99.1.0.255    clock, status 1.0.96.240.0.255, A+, A-        every 15 min
    LP2 1.0.99.2.0.255    clock, status, A+, A-, P1, P2                daily
    log 1.0.99.98.0.255   clock, event code 0.0.96.11.0.255            on event
    monthly 1.0.98.1.0.255  clock, billing counter, A+ total T1..T4, A- total
                          T1..T4, then for total, T1..T4 maximum demand A+ and
                          its capture time (22 columns)
    daily 1.0.98.2.0.255  clock, A+ total T1..T4, A- total T1..T4 (11 columns)

The display list (LCD auto scroll and the IEC 62056-21 mode C readout, in the
reduced form of IEC 62056-61: value groups C.D.E, letters C F for 96 97): serial
number, firmware, time, date, energy A+ and A- with their rates, |A|, maximum
demand, voltages and currents, and the error register last (the order of the
Iskraemeco captures under tests/vectors/iec21/).
"""

from __future__ import annotations

from openamr.codec.obis import Obis
from openamr.codec.types import (
    Data,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    Long,
    LongUnsigned,
    OctetString,
    Tag,
    Unsigned,
)
from openamr.codec.units import ScalerUnit, Unit
from openamr.devices.profile import Capture, Client, DeviceProfile, Layout, ObjectDecl, access

FIRMWARE = "MT372-1004"
PUBLIC_CLIENT, READER_CLIENT, MANAGEMENT_CLIENT = 16, 32, 1
#: The Mx372 head-end driver's client (MT372.md section 5): LLS, the reader's rights.
HEAD_END_CLIENT = 100
#: The client SAPs in the order of the access rows (the associations: OFFERED).
CLIENTS = (PUBLIC_CLIENT, READER_CLIENT, MANAGEMENT_CLIENT, HEAD_END_CLIENT)

# -- access rows: one right per client of CLIENTS (16 public, 32 reader, 1 management,
#    100 head-end: as 32)
PUBLIC_MEASURED = access(CLIENTS, "r", "r", "auth r", "r")
MEASURED = access(CLIENTS, "-", "r", "auth r", "r")
PUBLIC = access(CLIENTS, "r", "r", "auth rw", "r")
PUBLIC_PROGRAMMABLE = access(CLIENTS, "r", "rw", "auth rw", "rw")
PROGRAMMABLE = access(CLIENTS, "-", "rw", "auth rw", "rw")
SETTING = access(CLIENTS, "-", "r", "auth rw", "r")

# -- scalers and units: the registers count Wh, W, 0.1 V, 0.01 A, ...
ENERGY = ScalerUnit(0, Unit.WATT_HOUR)  # the LCD shows kWh
POWER = ScalerUnit(0, Unit.WATT)
VOLTS = ScalerUnit(-1, Unit.VOLT)
AMPS = ScalerUnit(-2, Unit.AMPERE)
COS_PHI = ScalerUnit(-3, Unit.COUNT)
HERTZ = ScalerUnit(-2, Unit.HERTZ)
LITRES = ScalerUnit(-3, Unit.CUBIC_METRE)
PER_M3 = ScalerUnit(0, Unit.PER_CUBIC_METRE)

NOT_SPECIFIED_STAMP = bytes.fromhex("ffff ff ff ff ff ff ff ff 8000 ff")
PHASES = ("L1", "L2", "L3")


def _obj(
    obis: str, class_id: int, name: str, rights: tuple[tuple[int, str], ...], value: Data = None,
    unit: ScalerUnit | None = None, version: int = 0, lcd: tuple[tuple[int, str], ...] = (),
) -> ObjectDecl:  # fmt: skip
    return ObjectDecl(Obis.parse(obis), class_id, version, name, rights, value, unit, lcd)


def _profile(
    obis: str, name: str, columns: tuple[Capture, ...], period: int, entries: int
) -> ObjectDecl:
    return ObjectDecl(
        Obis.parse(obis), 7, 1, name, SETTING, layout=Layout(columns, entries), period=period
    )


def _value_of(decl: ObjectDecl, tag: Tag, attribute: int = 2, size: int = 0) -> Capture:
    return Capture(decl.class_id, decl.obis, attribute, tag, size)


U32 = Tag.DOUBLE_LONG_UNSIGNED

# -- the clock and identification (section 2) ------------------------------------------

CLOCK = _obj("0.0.1.0.0.255", 8, "clock", PUBLIC_PROGRAMMABLE, lcd=((3, "0.9.1"), (4, "0.9.2")))
DEVICE_NAME = _obj("0.0.42.0.0.255", 1, "logical device name", PUBLIC)  # "ISK" + serial
SERIAL_NUMBER = _obj("0.0.96.1.0.255", 1, "serial number", PUBLIC, lcd=((1, "C.1.0"),))
CONFIGURATION_COUNTER = _obj(
    "0.0.96.2.0.255", 1, "configuration change counter", SETTING, LongUnsigned(0)
)
FIRMWARE_ID = _obj(
    "1.0.0.2.0.255", 1, "active firmware identifier", PUBLIC, OctetString(FIRMWARE.encode()),
    lcd=((2, "0.2.0"),),
)  # fmt: skip
ERROR_REGISTER = _obj(
    "0.0.97.97.0.255", 1, "error register FF", SETTING, DoubleLongUnsigned(0), lcd=((99, "F.F"),)
)
LP_STATUS = _obj("1.0.96.240.0.255", 1, "load profile status", SETTING, Unsigned(0))
LAST_EVENT = _obj("0.0.96.11.0.255", 1, "last event code", SETTING, LongUnsigned(0))
ACTIVE_TARIFF = _obj("0.0.96.14.0.255", 1, "active tariff", SETTING, Unsigned(1))
DISCONNECTOR_STATE = _obj(
    "0.0.128.30.21.255", 1, "disconnector state (Mx372)", SETTING, Unsigned(1)
)  # 0 disconnected, 1 connected, 2 ready for reconnection
DISCONNECTOR_MODE = _obj(
    "0.0.128.30.22.255", 1, "disconnector control mode (Mx372)", SETTING, Unsigned(1)
)
CONTRACT_LIMIT = _obj("0.0.128.61.1.255", 1, "contract power limit (W)", SETTING, DoubleLong(0))

# -- energy (A+, A- with their rates, |A|) ---------------------------------------------


def _energy(c: int, rate: int, what: str) -> ObjectDecl:
    name = f"{what} {'total' if rate == 0 else f'T{rate}'}"
    code = f"{c}.8.{rate}"
    position = (5 if c == 1 else 10) + rate
    rights = PUBLIC_MEASURED if rate == 0 else MEASURED
    return _obj(f"1.0.{c}.8.{rate}.255", 3, name, rights, DoubleLongUnsigned(0), ENERGY,
                lcd=((position, code),))  # fmt: skip


A_PLUS = tuple(_energy(1, rate, "A+") for rate in range(5))
A_MINUS = tuple(_energy(2, rate, "A-") for rate in range(5))
A_ABS = _obj(
    "1.0.15.8.0.255", 3, "|A| total", MEASURED, DoubleLongUnsigned(0), ENERGY,
    lcd=((15, "15.8.0"),),
)  # fmt: skip

# -- instantaneous values --------------------------------------------------------------


def _phase(c: int, what: str, p: int, value: Data, unit: ScalerUnit, lcd: int = 0) -> ObjectDecl:
    shown = ((lcd, f"{c}.7.0"),) if lcd else ()
    return _obj(f"1.0.{c}.7.0.255", 3, f"{what} {PHASES[p]}", MEASURED, value, unit, lcd=shown)


VOLTAGE = tuple(
    _phase(c, "voltage", p, LongUnsigned(2300), VOLTS, 17 + p) for p, c in enumerate((32, 52, 72))
)
CURRENT = tuple(
    _phase(c, "current", p, LongUnsigned(0), AMPS, 20 + p) for p, c in enumerate((31, 51, 71))
)
POWER_IMPORT = _obj("1.0.1.7.0.255", 3, "active power +", MEASURED, DoubleLongUnsigned(0), POWER)
POWER_EXPORT = _obj("1.0.2.7.0.255", 3, "active power -", MEASURED, DoubleLongUnsigned(0), POWER)
POWER_FACTOR = _obj("1.0.13.7.0.255", 3, "power factor", MEASURED, Long(1000), COS_PHI)
PHASE_POWER_FACTOR = tuple(
    _phase(c, "power factor", p, Long(1000), COS_PHI) for p, c in enumerate((33, 53, 73))
)
FREQUENCY = _obj("1.0.14.7.0.255", 3, "frequency", MEASURED, LongUnsigned(5000), HERTZ)

# -- power quality counters (IEC 62056-61 names, as DSMR meters serve them) --------------

SAGS = tuple(
    _obj(f"1.0.{c}.32.0.255", 1, f"voltage sags {PHASES[p]}", SETTING, LongUnsigned(0))
    for p, c in enumerate((32, 52, 72))
)
SWELLS = tuple(
    _obj(f"1.0.{c}.36.0.255", 1, f"voltage swells {PHASES[p]}", SETTING, LongUnsigned(0))
    for p, c in enumerate((32, 52, 72))
)
POWER_FAILURES = _obj("0.0.96.7.21.255", 1, "power failures in any phase", SETTING, LongUnsigned(0))

# -- multi-utility inputs P1, P2 (decision: water and gas volume, litres) ---------------

P1 = _obj("8.0.1.0.0.255", 3, "water volume P1", MEASURED, DoubleLongUnsigned(0), LITRES)
P2 = _obj("7.0.3.0.0.255", 3, "gas volume P2", MEASURED, DoubleLongUnsigned(0), LITRES)

# -- demand ---------------------------------------------------------------------------

CURRENT_DEMAND = ObjectDecl(
    Obis.parse("1.0.1.4.0.255"), 5, 0, "current average demand A+", MEASURED,
    DoubleLongUnsigned(0), POWER, period=900,
)  # fmt: skip
LAST_DEMAND = _obj(
    "1.0.1.5.0.255", 3, "last average demand A+", MEASURED, DoubleLongUnsigned(0), POWER
)
MAXIMUM_DEMAND = tuple(
    _obj(
        f"1.0.1.6.{rate}.255", 4,
        f"maximum demand A+ {'total' if rate == 0 else f'T{rate}'}",
        MEASURED, DoubleLongUnsigned(0), POWER, lcd=((16, "1.6.0"),) if rate == 0 else (),
    )
    for rate in range(5)
)  # fmt: skip

# -- tariffs and billing ----------------------------------------------------------------

CALENDAR = _obj("0.0.13.0.0.255", 20, "activity calendar", PROGRAMMABLE)
SPECIAL_DAYS = _obj("0.0.11.0.0.255", 11, "special days table", PROGRAMMABLE)
REGISTER_ACTIVATION = _obj("0.0.14.0.1.255", 6, "register activation (rates)", SETTING)
END_OF_BILLING = _obj("0.0.10.0.1.255", 9, "end of billing script", SETTING)
BILLING_SCHEDULE = _obj("0.0.15.0.0.255", 22, "end of billing date", PROGRAMMABLE)
BILLING_COUNTER = _obj("0.0.0.1.0.255", 1, "billing period counter", SETTING, Unsigned(0))

# -- profiles (layouts: the module docstring) -------------------------------------------

STAMP = _value_of(CLOCK, Tag.OCTET_STRING, size=12)
_LP = (STAMP, _value_of(LP_STATUS, Tag.UNSIGNED), _value_of(A_PLUS[0], U32),
       _value_of(A_MINUS[0], U32))  # fmt: skip
_ENERGY = tuple(_value_of(d, U32) for d in (*A_PLUS, *A_MINUS))
_MAXIMA = tuple(
    column
    for d in MAXIMUM_DEMAND
    for column in (_value_of(d, U32), _value_of(d, Tag.OCTET_STRING, 5, 12))
)
LP1 = _profile("1.0.99.1.0.255", "load profile 1", _LP, 900, 19_680)  # 380 days at 30 min
LP2 = _profile(
    "1.0.99.2.0.255", "load profile 2 (daily)",
    (*_LP, _value_of(P1, U32), _value_of(P2, U32)), 86_400, 400,
)  # fmt: skip
EVENT_LOG = _profile(
    "1.0.99.98.0.255", "event log", (STAMP, _value_of(LAST_EVENT, Tag.LONG_UNSIGNED)), 0, 128
)
MONTHLY_BILLING = _profile(
    "1.0.98.1.0.255", "monthly billing values",
    (STAMP, _value_of(BILLING_COUNTER, Tag.UNSIGNED), *_ENERGY, *_MAXIMA), 0, 24,
)  # fmt: skip  # two years
DAILY_BILLING = _profile(
    "1.0.98.2.0.255", "daily billing values", (STAMP, *_ENERGY), 86_400, 62
)  # two months

# -- relays ------------------------------------------------------------------------------

DISCONNECT_CONTROL = _obj("0.0.96.3.10.255", 70, "disconnect control (contactor)", SETTING)
LIMITER = _obj("0.0.17.0.0.255", 71, "limiter", SETTING)

# -- associations (section 5) -------------------------------------------------------------

ASSOCIATIONS = (
    _obj("0.0.40.0.1.255", 15, "association: public client 16", PUBLIC, version=1),
    _obj("0.0.40.0.2.255", 15, "association: reader client 32 (LLS)", SETTING, version=1),
    _obj("0.0.40.0.3.255", 15, "association: management client 1 (HLS)", SETTING, version=1),
    _obj("0.0.40.0.4.255", 15, "association: head-end client 100 (LLS)", SETTING, version=1),
)
#: The associations offered: client SAP, authentication mechanism, Association LN.
OFFERED = (
    Client(PUBLIC_CLIENT, "none", ASSOCIATIONS[0].obis),
    Client(READER_CLIENT, "lls", ASSOCIATIONS[1].obis),
    Client(MANAGEMENT_CLIENT, "hls-gmac", ASSOCIATIONS[2].obis),
    Client(HEAD_END_CLIENT, "lls", ASSOCIATIONS[3].obis),
)

# -- communication (sections 2 and 5) ---------------------------------------------------------

SAP_ASSIGNMENT = _obj("0.0.41.0.0.255", 17, "SAP assignment", SETTING)
IEC_LOCAL_PORT = _obj("0.0.20.0.0.255", 19, "optical port setup", SETTING, version=1)
IEC_HDLC = _obj("0.0.22.0.0.255", 23, "HDLC setup", SETTING, version=1)
TCP_UDP = _obj("0.0.25.0.0.255", 41, "TCP-UDP setup", SETTING)
IPV4 = _obj("0.0.25.1.0.255", 42, "IPv4 setup", SETTING)
GPRS_MODEM = _obj("0.0.25.4.0.255", 45, "GPRS modem setup", SETTING)
GSM_DIAGNOSTIC = _obj("0.0.25.6.0.255", 47, "GSM diagnostic", SETTING, version=1)
AUTO_CONNECT = _obj("0.0.2.1.0.255", 29, "auto connect (call-back)", SETTING, version=2)
AUTO_ANSWER = _obj("0.0.2.2.0.255", 28, "auto answer (CSD whitelist, wake-up)", SETTING,
                   version=2)  # fmt: skip
PUSH_SETUP = _obj("0.0.25.9.0.255", 40, "push setup (alarm call-back)", SETTING, version=2)
IMAGE_TRANSFER = _obj("0.0.44.0.0.255", 18, "image transfer (firmware)", SETTING)
SECURITY_SETUP = _obj("0.0.43.0.3.255", 64, "security setup", SETTING, version=1)
INVOCATION_COUNTER = _obj("0.0.43.1.0.255", 1, "invocation counter", PUBLIC)
GSM_MODE = _obj("0.0.128.20.10.255", 1, "GSM mode (Mx372; write 0: wake up)", SETTING, Enum(2))
CSD_FLAGS = _obj(
    "0.0.128.20.20.255", 1, "call restriction: CSD flags of the auto-connect list (Mx372)",
    SETTING, Unsigned(0),
)  # fmt: skip
# -- the GSM module and its SIM (docs/gsm-meter.md; decisions, [I]) -------------------------
#: Blue Book 4.8.1 at its standard name; the MT372's values are not public
MODEM_CONFIGURATION = _obj("0.0.2.0.0.255", 27, "modem configuration (GSM module)", SETTING,
                           version=1)  # fmt: skip
#: OBIS 0.0.96.12.6.255 "telephone number / communication address" (IEC 62056-61)
MSISDN = _obj(
    "0.0.96.12.6.255", 1, "telephone number (MSISDN of the SIM)", MEASURED, OctetString(b"")
)
#: the card's identity, in the Mx372's GSM group 128.20 (manufacturer range)
ICCID = _obj("0.0.128.20.30.255", 1, "SIM card ICCID", MEASURED, OctetString(b""))
IMSI = _obj("0.0.128.20.31.255", 1, "SIM card IMSI", MEASURED, OctetString(b""))
#: The head-end's modem pool, on every meter's whitelist from the factory (a decision:
#: a utility commissions its own numbers): CSD data calls, and wake-up calls.
HEAD_END_CSD_NUMBER = "+38640100200"
HEAD_END_WAKE_UP_NUMBER = "+38640100201"

# -- peripherals: code red, R1/R2 outputs, impulse constants ----------------------------------

CODE_RED_START = _obj(
    "0.0.128.62.1.255", 1, "code red start", SETTING, OctetString(NOT_SPECIFIED_STAMP)
)
CODE_RED_DURATION = _obj(
    "0.0.128.62.2.255", 1, "code red duration (s)", SETTING, DoubleLongUnsigned(0)
)
CODE_RED_LIMIT = _obj(
    "0.0.128.62.3.255", 1, "code red power limit (W)", SETTING, DoubleLongUnsigned(0)
)
OUTPUT_STATE = _obj("0.0.96.3.1.255", 1, "outputs R1/R2 state", SETTING, Unsigned(0))
SET_OUTPUTS = _obj("0.0.10.0.103.255", 9, "outputs R1/R2 scripts", SETTING)
IMPULSE_CONSTANTS = (
    _obj("0.0.128.40.1.255", 3, "impulse constant P1", SETTING, DoubleLongUnsigned(1000), PER_M3),
    _obj("0.0.128.40.2.255", 3, "impulse constant P2", SETTING, DoubleLongUnsigned(1000), PER_M3),
)

#: The object list, in the order the meter serves it.
OBJECTS: tuple[ObjectDecl, ...] = (
    CLOCK, LP1, LP2, EVENT_LOG,
    DEVICE_NAME, SERIAL_NUMBER, CONFIGURATION_COUNTER, FIRMWARE_ID, ERROR_REGISTER, LP_STATUS,
    LAST_EVENT, ACTIVE_TARIFF, DISCONNECTOR_STATE, DISCONNECTOR_MODE, CONTRACT_LIMIT,
    *A_PLUS, *A_MINUS, A_ABS,
    *VOLTAGE, *CURRENT, POWER_IMPORT, POWER_EXPORT, POWER_FACTOR, *PHASE_POWER_FACTOR,
    FREQUENCY,
    *(counter for pair in zip(SAGS, SWELLS, strict=True) for counter in pair), POWER_FAILURES,
    P1, P2,
    CURRENT_DEMAND, LAST_DEMAND, *MAXIMUM_DEMAND,
    CALENDAR, SPECIAL_DAYS, REGISTER_ACTIVATION, END_OF_BILLING, BILLING_SCHEDULE,
    BILLING_COUNTER, MONTHLY_BILLING, DAILY_BILLING,
    DISCONNECT_CONTROL, LIMITER,
    *ASSOCIATIONS,
    SAP_ASSIGNMENT, IEC_LOCAL_PORT, IEC_HDLC, TCP_UDP, IPV4, GPRS_MODEM, GSM_DIAGNOSTIC,
    AUTO_CONNECT, AUTO_ANSWER, PUSH_SETUP, IMAGE_TRANSFER, SECURITY_SETUP, INVOCATION_COUNTER,
    GSM_MODE, CSD_FLAGS, MODEM_CONFIGURATION, MSISDN, ICCID, IMSI,
    CODE_RED_START, CODE_RED_DURATION, CODE_RED_LIMIT, OUTPUT_STATE, SET_OUTPUTS,
    *IMPULSE_CONSTANTS,
)  # fmt: skip

MT372 = DeviceProfile("MT372", OFFERED, OBJECTS)
