"""Hypothesis: every xDLMS service APDU round-trips; random input only raises DecodeError."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openamr.apdu import action, ciphered, exception, get, notification
from openamr.apdu import set as set_
from openamr.apdu.base import Apdu, decode_apdu
from openamr.apdu.descriptors import (
    ABSENT,
    CosemAttributeDescriptor,
    CosemAttributeDescriptorWithSelection,
    CosemMethodDescriptor,
    DataBlockSA,
    InvokeIdAndPriority,
    SelectiveAccessDescriptor,
)
from openamr.apdu.results import ActionResult, DataAccessResult, ServiceError, StateError
from openamr.codec import (
    DoubleLong,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    Unsigned,
    VisibleString,
)
from openamr.codec.obis import Obis
from openamr.errors import DecodeError
from tests.vector_files import Vectors

XDLMS = Vectors("xdlms")

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

u32 = st.integers(0, 0xFFFFFFFF)
iip = st.integers(0, 255).map(InvokeIdAndPriority.from_byte)
obis = st.binary(min_size=6, max_size=6).map(lambda b: Obis(*b))
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(0, 255).map(Unsigned),
    st.integers(-128, 127).map(Integer),
    st.integers(0, 0xFFFF).map(LongUnsigned),
    st.integers(-(2**31), 2**31 - 1).map(DoubleLong),
    st.binary(max_size=40).map(OctetString),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10).map(VisibleString),
)
data = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4).map(Structure), max_leaves=8)
class_id, member_id = st.integers(0, 0xFFFF), st.integers(-128, 127)
attr_desc = st.builds(CosemAttributeDescriptor, class_id, obis, member_id)
method_desc = st.builds(CosemMethodDescriptor, class_id, obis, member_id)
selection = st.none() | st.builds(SelectiveAccessDescriptor, st.integers(0, 255), data)
with_sel = st.builds(CosemAttributeDescriptorWithSelection, attr_desc, selection)
block = st.builds(DataBlockSA, st.booleans(), u32, st.binary(max_size=64))
dar = st.sampled_from(DataAccessResult)
get_result = data | dar
optional_data = st.just(ABSENT) | data
tup = lambda s: st.lists(s, max_size=4).map(tuple)  # noqa: E731
action_result = st.sampled_from(ActionResult)
action_resp = st.builds(
    action.ActionResponseWithOptionalData, action_result, st.just(ABSENT) | get_result
)

octets = st.none() | st.binary(min_size=1, max_size=16)
content = st.binary(min_size=5, max_size=64)

MESSAGES: list[st.SearchStrategy[Any]] = [
    st.builds(get.GetRequestNormal, attr_desc, selection, iip),
    st.builds(get.GetRequestNext, u32, iip),
    st.builds(get.GetRequestWithList, tup(with_sel), iip),
    st.builds(get.GetResponseNormal, get_result, iip),
    st.builds(get.GetResponseWithDatablock,
              st.builds(get.DataBlockG, st.booleans(), u32, st.binary(max_size=64) | dar), iip),
    st.builds(get.GetResponseWithList, tup(get_result), iip),
    st.builds(set_.SetRequestNormal, attr_desc, data, selection, iip),
    st.builds(set_.SetRequestWithFirstDatablock, attr_desc, block, selection, iip),
    st.builds(set_.SetRequestWithDatablock, block, iip),
    st.builds(set_.SetRequestWithList, tup(with_sel), tup(data), iip),
    st.builds(set_.SetRequestWithListAndFirstDatablock, tup(with_sel), block, iip),
    st.builds(set_.SetResponseNormal, dar, iip),
    st.builds(set_.SetResponseDatablock, u32, iip),
    st.builds(set_.SetResponseLastDatablock, dar, u32, iip),
    st.builds(set_.SetResponseLastDatablockWithList, tup(dar), u32, iip),
    st.builds(set_.SetResponseWithList, tup(dar), iip),
    st.builds(action.ActionRequestNormal, method_desc, optional_data, iip),
    st.builds(action.ActionRequestNextPblock, u32, iip),
    st.builds(action.ActionRequestWithList, tup(method_desc), tup(data), iip),
    st.builds(action.ActionRequestWithFirstPblock, method_desc, block, iip),
    st.builds(action.ActionRequestWithListAndFirstPblock, tup(method_desc), block, iip),
    st.builds(action.ActionRequestWithPblock, block, iip),
    st.builds(action.ActionResponseNormal, action_resp, iip),
    st.builds(action.ActionResponseWithPblock, block, iip),
    st.builds(action.ActionResponseWithList, tup(action_resp), iip),
    st.builds(action.ActionResponseNextPblock, u32, iip),
    st.builds(exception.ExceptionResponse, st.sampled_from(StateError),
              st.sampled_from([e for e in ServiceError if e != 6])),
    st.builds(exception.ExceptionResponse, st.sampled_from(StateError),
              st.just(ServiceError.INVOCATION_COUNTER_ERROR), u32),
    st.builds(notification.DataNotification, data, octets,
              st.integers(0, 0xFFFFFFFF).map(notification.LongInvokeIdAndPriority.from_int)),
    st.builds(notification.EventNotificationRequest, attr_desc, data,
              st.none() | st.binary(max_size=16)),
    st.builds(ciphered.CipheredApdu, st.sampled_from(ciphered.CipheredService), content),
    st.builds(ciphered.GeneralGloCiphering, st.binary(max_size=8), content),
    st.builds(ciphered.GeneralDedCiphering, st.binary(max_size=8), content),
]  # fmt: skip


@pytest.mark.parametrize("strategy", MESSAGES, ids=lambda s: repr(s)[:40])
@FAST
@given(st.data())
def test_round_trip(strategy: st.SearchStrategy[Any], draw: st.DataObject) -> None:
    apdu: Apdu = draw.draw(strategy)
    wire = apdu.to_bytes()
    back = decode_apdu(wire)
    assert back == apdu
    assert back.to_bytes() == wire
    assert type(apdu).from_bytes(wire) == apdu


MY_TAGS = [0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC7, 0xD8, 0x0F, 0xDB, 0xDC] + [
    int(t) for t in ciphered.CipheredService
]


def _decodes_or_refuses(wire: bytes) -> None:
    try:
        apdu = decode_apdu(wire)
    except DecodeError:
        return
    assert apdu.to_bytes() == wire or decode_apdu(apdu.to_bytes()) == apdu


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(MY_TAGS), st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(tag: int, body: bytes) -> None:
    _decodes_or_refuses(bytes((tag,)) + body)


@pytest.mark.parametrize("wire", XDLMS.params())
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_vectors_raise_only_decode_error(wire: bytes, draw: st.DataObject) -> None:
    buf = bytearray(wire)
    for _ in range(draw.draw(st.integers(1, 4))):
        i = draw.draw(st.integers(0, len(buf) - 1))
        buf[i] = draw.draw(st.integers(0, 255))
    cut = draw.draw(st.integers(1, len(buf)))
    _decodes_or_refuses(bytes(buf[:cut]))
