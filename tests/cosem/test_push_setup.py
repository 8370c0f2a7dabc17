"""Push setup (class 40 v2): push() hands the decoded push to the sender."""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import decode, encode
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    DoubleLongUnsigned,
    Enum,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
)
from openamr.cosem.classes.push_setup import (
    NOT_SPECIFIED,
    PushObject,
    PushRequest,
    PushSetup,
    RestrictionType,
    TransportService,
)
from tests.cosem.declared import check_declaration

PUSH = Obis.parse("0.0.25.9.0.255")
EVENT = PushObject(1, Obis.parse("0.0.96.11.0.255"), 2)


def test_declaration_and_default_content() -> None:
    obj = PushSetup(destination=b"10.0.0.1:4059")
    assert (obj.CLASS_ID, obj.VERSION) == (40, 2)
    assert [m.name for m in obj.methods()] == ["push", "reset"]
    assert len(obj.attributes()) == 13
    check_declaration(obj)
    first = PushObject.from_data(obj.get(2)[0])  # type: ignore[index]
    assert first == PushObject(40, PUSH, 1)  # the push names itself first


def test_push_hands_over_the_request() -> None:
    sent: list[PushRequest] = []

    def sender(request: PushRequest) -> bool:
        sent.append(request)
        return True

    obj = PushSetup(destination=b"10.0.0.1:4059", sender=sender)
    objects = Array([PushObject(40, PUSH, 1).to_data(), EVENT.to_data()])
    assert obj.set(2, decode(encode(objects))) is DataAccessResult.SUCCESS
    destination = Structure((Enum(TransportService.UDP), OctetString(b"h:4059"), Enum(0)))
    assert obj.set(3, destination) is DataAccessResult.SUCCESS
    assert obj.action(1, Integer(0)) == (ActionResult.SUCCESS, None)
    assert sent == [
        PushRequest(
            push_setup=PUSH,
            objects=(PushObject(40, PUSH, 1), EVENT),
            transport=TransportService.UDP,
            destination=b"h:4059",
            message=0,
            client_sap=1,
            retries=3,
            operation_method=0,
        )
    ]


def test_push_refusals() -> None:
    assert PushSetup(destination=b"x").action(1, Integer(0))[0] is ActionResult.OTHER_REASON
    assert PushSetup(sender=lambda r: True).action(1, Integer(0))[0] is ActionResult.OTHER_REASON
    busy = PushSetup(destination=b"x", sender=lambda r: False)
    assert busy.action(1, Integer(0))[0] is ActionResult.TEMPORARY_FAILURE


def test_confirmation_and_reset() -> None:
    obj = PushSetup()
    now = CosemDateTime.from_datetime(dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))
    obj.confirmed(now)
    assert obj.get(13) == now
    assert obj.set(13, NOT_SPECIFIED) is DataAccessResult.READ_WRITE_DENIED
    assert obj.action(2, Integer(0)) == (ActionResult.SUCCESS, None)
    assert obj.get(13) == NOT_SPECIFIED


def test_deep_checks() -> None:
    obj = PushSetup()
    bad_object = Structure((LongUnsigned(1), OctetString(b"x" * 6), Integer(2)))
    assert obj.set(2, Array([bad_object])) is DataAccessResult.TYPE_UNMATCHED
    assert obj.set(3, Structure((Enum(0), OctetString(b"x")))) is DataAccessResult.TYPE_UNMATCHED
    assert obj.set(7, Structure((LongUnsigned(1),) * 3)) is DataAccessResult.SUCCESS
    assert obj.set(8, OctetString(b"short")) is DataAccessResult.TYPE_UNMATCHED
    assert obj.set(11, Enum(3)) is DataAccessResult.OTHER_REASON
    assert obj.set(12, Structure((NOT_SPECIFIED, LongUnsigned(0)))) is (
        DataAccessResult.TYPE_UNMATCHED
    )


def test_the_short_form_of_versions_0_and_1_is_accepted() -> None:
    obj = PushSetup()
    short = Structure(EVENT.to_data()[:4])
    assert obj.set(2, Array([short])) is DataAccessResult.SUCCESS
    assert obj.request().objects == (EVENT,)


def test_restriction_and_columns_round_trip() -> None:
    profile = PushObject(
        7,
        Obis.parse("1.0.99.1.0.255"),
        2,
        restriction_type=RestrictionType.BY_ENTRY,
        restriction_value=Structure((DoubleLongUnsigned(1), DoubleLongUnsigned(96))),
        columns=(PushObject(8, Obis.parse("0.0.1.0.0.255"), 2),),
    )
    obj = PushSetup(objects=[profile])
    wire = decode(encode(obj.get(2)))
    assert obj.set(2, wire) is DataAccessResult.SUCCESS
    assert obj.request().objects == (profile,)


def test_gurux_reads_our_attributes() -> None:
    from gurux_dlms.objects import GXDLMSPushSetup

    from tests.cosem.gurux_oracle import gurux_parse

    obj = PushSetup(destination=b"10.0.0.1:4059", objects=[PushObject(40, PUSH, 1), EVENT])
    theirs = gurux_parse(obj, GXDLMSPushSetup())
    got = [(k.objectType, k.logicalName, v.attributeIndex) for k, v in theirs.pushObjectList]
    assert got == [(40, "0.0.25.9.0.255", 1), (1, "0.0.96.11.0.255", 2)]
    assert (int(theirs.service), theirs.destination, int(theirs.message)) == (
        0,
        "10.0.0.1:4059",
        0,
    )
    delay = theirs.repetitionDelay2
    assert (delay.min, delay.exponent, delay.max) == (60, 0, 3600)
    assert theirs.pushClientSAP == 1 and int(theirs.pushOperationMethod) == 0
