"""Auto answer (class 28 v2): incoming calls and the wake-up whitelist."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec.types import Array, Enum, OctetString, Structure, Unsigned
from openamr.cosem.classes.auto_answer import AutoAnswer, CallType
from tests.cosem.declared import check_declaration

HEADEND = b"+38640111222"
WINDOW = Structure((OctetString(bytes.fromhex("ff" * 12)), OctetString(bytes.fromhex("ff" * 12))))


def test_declaration() -> None:
    obj = AutoAnswer(allowed_callers=[(HEADEND, CallType.WAKE_UP)])
    assert (obj.CLASS_ID, obj.VERSION) == (28, 2)
    assert obj.methods() == ()
    check_declaration(obj)
    obj.set(3, Array([WINDOW]))
    check_declaration(obj)


def test_whitelist() -> None:
    assert AutoAnswer().call_type(b"+1") is CallType.NORMAL_CSD  # empty list: anyone
    obj = AutoAnswer(allowed_callers=[(HEADEND, CallType.WAKE_UP)])
    assert obj.call_type(HEADEND) is CallType.WAKE_UP
    assert obj.call_type(b"+1") is None
    entry = Structure((OctetString(b"+1"), Enum(CallType.NORMAL_CSD)))
    assert obj.set(7, Array([entry])) is DataAccessResult.SUCCESS
    assert obj.call_type(b"+1") is CallType.NORMAL_CSD and obj.call_type(HEADEND) is None


def test_checks() -> None:
    obj = AutoAnswer()
    assert obj.set(2, Enum(7)) is DataAccessResult.OTHER_REASON
    assert obj.set(2, Enum(200)) is DataAccessResult.SUCCESS  # manufacturer specific
    assert obj.set(4, Enum(2)) is DataAccessResult.READ_WRITE_DENIED
    assert obj.set(6, Structure((Unsigned(1),))) is DataAccessResult.TYPE_UNMATCHED
    assert obj.set(3, Array([Structure((OctetString(b""),))])) is DataAccessResult.TYPE_UNMATCHED
