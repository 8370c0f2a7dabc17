"""Reading pushes, sans-IO: who sent it, when, which code; and what is refused."""

from __future__ import annotations

from openamr.apdu.notification import DataNotification
from openamr.codec import LongUnsigned, OctetString, Structure
from openamr.headend.alarms import Alarm, Directory, Reader, Refusal, Sender
from openamr.security.ciphering import encipher
from openamr.security.control_byte import SecurityControl

EK, AK = bytes(range(16)), bytes(range(16, 32))
TITLE = bytes.fromhex("49534B0000BC614E")
WHEN = bytes.fromhex("07EA0105FF0A1E0000000000")  # 2026-01-05 10:30:00 UTC
LDN = b"ISK0000012345678"


def notification(name: bytes = LDN, code: int = 0x8010) -> bytes:
    body = Structure(
        (OctetString(bytes(6)), OctetString(name), OctetString(WHEN), LongUnsigned(code))
    )
    return DataNotification(body, WHEN).to_bytes()


def directory(require_ciphered: bool = False) -> Directory:
    return Directory([Sender(7, "12345678", LDN, TITLE, EK, AK, require_ciphered)], {7: 10})


def test_a_plain_push_names_its_meter_time_and_code() -> None:
    got = Reader(directory()).read(notification(), 99)
    assert isinstance(got, Alarm)
    assert (got.meter_id, got.serial, got.ts, got.code) == (7, "12345678", 1767609000, 0x8010)
    assert got.name == "meter cover opened" and got.counter is None


def test_refusals_say_why() -> None:
    control = SecurityControl(authentication=True, encryption=True)
    ded = encipher(notification(), control, TITLE, 11, EK, AK, dedicated=True, general=True)
    cases = {
        notification(b"ISK0000099999999"): "no meter in the inventory",
        ded: "no dedicated key",
        encipher(notification(), control, TITLE, 10, EK, AK, general=True): "replayed",
        encipher(notification(), control, TITLE, 11, AK, EK, general=True): "does not verify",
        b"\x0f\x00": "not an APDU",
    }
    for payload, reason in cases.items():
        got = Reader(directory()).read(payload, 0)
        assert isinstance(got, Refusal) and reason in got.reason, (reason, got)
    plain = Reader(directory(require_ciphered=True)).read(notification(), 0)
    assert isinstance(plain, Refusal) and "must cipher" in plain.reason


def test_a_ciphered_push_raises_the_counter_and_must_name_the_same_meter() -> None:
    control = SecurityControl(authentication=True, encryption=True)
    d = directory()
    got = Reader(d).read(encipher(notification(), control, TITLE, 11, EK, AK, general=True), 0)
    assert isinstance(got, Alarm) and got.counter == 11 and d.counters[7] == 11
    d.by_name[b"ISK0000000000002"] = Sender(8, "2", b"ISK0000000000002")
    other = encipher(notification(b"ISK0000000000002"), control, TITLE, 12, EK, AK, general=True)
    refused = Reader(d).read(other, 0)
    assert isinstance(refused, Refusal) and "another meter" in refused.reason
