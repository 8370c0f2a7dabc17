"""Properties of the client/server pair: random operation sequences over random PDU
sizes end in the right values; random answers make the client raise only DlmsError."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.results import DataAccessResult
from openamr.association.client import Exchange, Send, attribute
from openamr.codec import DoubleLongUnsigned, OctetString, Structure, Unsigned
from openamr.codec.types import Data
from openamr.errors import DlmsError

from .client_pair import BIG, ENERGY, SETTINGS, Pair, make_pair

BIG_VALUE = attribute(1, BIG, 2)
ENERGY_VALUE = attribute(3, ENERGY, 2)
START: dict[CosemAttributeDescriptor, Data] = {
    BIG_VALUE: Structure(tuple(Unsigned(i % 256) for i in range(600))),
    ENERGY_VALUE: DoubleLongUnsigned(123456),
}

big_values = st.one_of(
    st.binary(max_size=1500).map(OctetString),
    st.lists(st.binary(max_size=200), max_size=6).map(
        lambda parts: Structure(tuple(OctetString(p) for p in parts))
    ),
)
energy_values = st.integers(0, 2**32 - 1).map(DoubleLongUnsigned)
operations = st.lists(
    st.one_of(
        st.sampled_from([("get", BIG_VALUE), ("get", ENERGY_VALUE), ("list", None)]),
        st.tuples(st.just("set"), st.just(BIG_VALUE), big_values),
        st.tuples(st.just("set"), st.just(ENERGY_VALUE), energy_values),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sap=st.sampled_from([32, 1]),
    client_pdu=st.integers(48, 600),
    server_pdu=st.integers(64, 600),
    ops=operations,
)
def test_random_operations_end_in_the_right_values(
    sap: int, client_pdu: int, server_pdu: int, ops: list[tuple[object, ...]]
) -> None:
    pair = make_pair(sap, replace(SETTINGS[sap], max_receive_pdu_size=client_pdu), server_pdu)
    pair.client.associate().run(pair.transport)
    model = dict(START)
    for op in ops:
        if op[0] == "set":
            ref, value = op[1], op[2]
            assert isinstance(ref, CosemAttributeDescriptor)
            assert pair.client.set(ref, value).run(pair.transport) is DataAccessResult.SUCCESS  # type: ignore[arg-type]
            model[ref] = value  # type: ignore[assignment]
        elif op[0] == "get":
            ref = op[1]
            assert isinstance(ref, CosemAttributeDescriptor)
            assert pair.client.get(ref).run(pair.transport) == model[ref]
        else:
            got = pair.client.get_with_list([BIG_VALUE, ENERGY_VALUE]).run(pair.transport)
            assert got == (model[BIG_VALUE], model[ENERGY_VALUE])
    assert all(len(r) <= server_pdu for r in pair.requests[1:])
    assert all(len(a) <= client_pdu for a in pair.answers[1:])
    pair.client.release().run(pair.transport)


# -- random answers ---------------------------------------------------------------------

Scenario = Callable[[], tuple[Pair, Exchange[object], bytes]]


def _awaiting_aare(sap: int) -> Scenario:
    def build() -> tuple[Pair, Exchange[object], bytes]:
        pair = make_pair(sap)
        x = pair.client.associate()
        return pair, x, pair.transport(x.bytes_to_send())  # type: ignore[return-value]

    return build


def _awaiting_pass4() -> tuple[Pair, Exchange[object], bytes]:
    pair = make_pair(1)
    x = pair.client.associate()
    step = x.receive(pair.transport(x.bytes_to_send()))
    assert isinstance(step, Send)
    return pair, x, pair.transport(step.data)  # type: ignore[return-value]


def _awaiting_block(sap: int, pdu: int) -> Scenario:
    def build() -> tuple[Pair, Exchange[object], bytes]:
        pair = make_pair(sap, replace(SETTINGS[sap], max_receive_pdu_size=pdu))
        pair.client.associate().run(pair.transport)
        x = pair.client.get(BIG_VALUE)
        answer = pair.transport(x.bytes_to_send())
        if pdu < 600:  # move into the middle of the long GET
            step = x.receive(answer)
            assert isinstance(step, Send)
            answer = pair.transport(step.data)
        return pair, x, answer  # type: ignore[return-value]

    return build


def _awaiting_set_ack(sap: int) -> tuple[Pair, Exchange[object], bytes]:
    pair = make_pair(sap, server_pdu=100)
    pair.client.associate().run(pair.transport)
    x = pair.client.set(BIG_VALUE, OctetString(bytes(500)))
    return pair, x, pair.transport(x.bytes_to_send())  # type: ignore[return-value]


SCENARIOS: list[Scenario] = [
    _awaiting_aare(16),
    _awaiting_aare(32),
    _awaiting_aare(1),
    _awaiting_pass4,
    _awaiting_block(16, 0xFFFF),
    _awaiting_block(16, 100),
    _awaiting_block(1, 100),
    lambda: _awaiting_set_ack(32),
    lambda: _awaiting_set_ack(1),
]


def _feed(x: Exchange[object], data: bytes) -> None:
    with contextlib.suppress(DlmsError):  # the only acceptable failure
        x.receive(data)


@settings(max_examples=150, deadline=None)
@given(scenario=st.sampled_from(SCENARIOS), junk=st.binary(max_size=80))
def test_random_answers_raise_only_dlms_errors(scenario: Scenario, junk: bytes) -> None:
    _, x, _ = scenario()
    _feed(x, junk)


@settings(max_examples=150, deadline=None)
@given(scenario=st.sampled_from(SCENARIOS), data=st.data())
def test_mutated_answers_raise_only_dlms_errors(scenario: Scenario, data: st.DataObject) -> None:
    _, x, answer = scenario()
    i = data.draw(st.integers(0, len(answer) - 1))
    flipped = answer[:i] + bytes([answer[i] ^ data.draw(st.integers(1, 255))]) + answer[i + 1 :]
    cut = data.draw(st.integers(0, len(flipped)))
    _feed(x, flipped[:cut] if data.draw(st.booleans()) else flipped)
