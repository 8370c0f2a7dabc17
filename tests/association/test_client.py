"""The client association against the server association, in memory: every
mechanism, GET/SET/ACTION, block transfer both ways, with-list, refusals, release."""

from __future__ import annotations

from dataclasses import replace

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aarq, AcseServiceUser, AssociationResult, ReleaseResponseReason
from openamr.apdu.action import ActionResponseWithOptionalData
from openamr.apdu.get import GetRequestNext, GetResponseWithDatablock
from openamr.apdu.initiate import Conformance
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.apdu.service_error import InitiateError
from openamr.apdu.set import SetRequestWithDatablock, SetRequestWithFirstDatablock
from openamr.association.client import (
    Associated,
    AssociationRefused,
    AuthenticationFailed,
    ClientAssociation,
    ClientSettings,
    Done,
    Released,
    Send,
    State,
    attribute,
    method,
)
from openamr.association.config import AssociationConfig
from openamr.codec import DoubleLongUnsigned, OctetString, Structure, Unsigned, VisibleString
from openamr.codec.table import Table
from openamr.codec.types import Array
from openamr.errors import LocalProtocolError

from .client_pair import BIG, ENERGY, IMAGE, SETTINGS, client_keys, device, make_pair
from .conftest import configs

ENERGY_VALUE = attribute(3, ENERGY, 2)
BIG_VALUE = attribute(1, BIG, 2)
SERIAL = attribute(1, "0.0.96.1.0.255", 2)
BIG_STRUCTURE = Structure(tuple(Unsigned(i % 256) for i in range(600)))


@pytest.mark.parametrize("sap", [16, 32, 1], ids=["public", "lls", "hls-gmac-ciphered"])
def test_every_mechanism_associates_reads_and_releases(sap: int) -> None:
    pair = make_pair(sap)
    associated = pair.client.associate().run(pair.transport)
    assert isinstance(associated, Associated)
    assert associated.conformance & Conformance.GET
    assert associated.server_max_receive_pdu_size == 0x0400
    assert pair.client.state is State.ASSOCIATED
    assert pair.client.get(ENERGY_VALUE).run(pair.transport) == DoubleLongUnsigned(123456)
    released = pair.client.release().run(pair.transport)
    assert released == Released(ReleaseResponseReason.NORMAL)
    assert pair.client.state.value == "idle" and pair.client.session is None
    with pytest.raises(LocalProtocolError, match="idle"):
        pair.client.get(ENERGY_VALUE)


def test_hls_takes_four_passes_and_ciphers_everything() -> None:
    pair = make_pair(1)
    x = pair.client.associate()
    aarq = decode_apdu(x.bytes_to_send())
    assert isinstance(aarq, Aarq) and aarq.calling_ap_title == client_keys().own_system_title
    assert aarq.user_information is not None and aarq.user_information[0] == 0x21
    step = x.receive(pair.transport(x.bytes_to_send()))
    assert isinstance(step, Send) and step.data[0] == 0xCB  # glo-action-request, pass 3
    assert pair.client.state is State.ASSOCIATING
    done = x.receive(pair.transport(step.data))
    assert isinstance(done, Done) and done.result.server_system_title is not None
    pair.client.get(ENERGY_VALUE).run(pair.transport)
    assert pair.requests[-1][0] == 0xC8 and pair.answers[-1][0] == 0xCC


def test_lls_writes_and_reads_back() -> None:
    pair = make_pair(32)
    pair.client.associate().run(pair.transport)
    assert pair.client.set(ENERGY_VALUE, DoubleLongUnsigned(7)).run(pair.transport) == (
        DataAccessResult.SUCCESS
    )
    assert pair.client.get(ENERGY_VALUE).run(pair.transport) == 7


def test_public_write_is_a_refusal_value() -> None:
    pair = make_pair(16)
    pair.client.associate().run(pair.transport)
    result = pair.client.set(ENERGY_VALUE, DoubleLongUnsigned(1)).run(pair.transport)
    assert result is DataAccessResult.READ_WRITE_DENIED
    assert pair.client.get(attribute(1, "0.0.1.2.3.255", 2)).run(pair.transport) in (
        DataAccessResult.OBJECT_UNDEFINED,
        DataAccessResult.OBJECT_UNAVAILABLE,
    )


def test_wrong_password_is_refused_in_words() -> None:
    pair = make_pair(32, ClientSettings(mechanism=MechanismName.LLS, password=b"wrong"))
    with pytest.raises(AssociationRefused, match="association refused: authentication failed") as e:
        pair.client.associate().run(pair.transport)
    assert e.value.diagnostic is AcseServiceUser.AUTHENTICATION_FAILURE
    assert e.value.result is AssociationResult.REJECTED_PERMANENT
    assert pair.client.state is State.IDLE
    # the association can try again with the right password
    pair.client.settings = SETTINGS[32]
    assert isinstance(pair.client.associate().run(pair.transport), Associated)


def test_missing_mechanism_is_refused_in_words() -> None:
    pair = make_pair(32, ClientSettings())
    with pytest.raises(AssociationRefused, match="authentication mechanism required"):
        pair.client.associate().run(pair.transport)


def test_wrong_key_with_ciphering_is_refused() -> None:
    settings = replace(SETTINGS[1], security=client_keys(ak=bytes(16)))
    pair = make_pair(1, settings)
    # the ciphered InitiateRequest does not authenticate: named so, the user checks the keys
    with pytest.raises(AssociationRefused, match="authentication failed") as e:
        pair.client.associate().run(pair.transport)
    assert e.value.diagnostic is AcseServiceUser.AUTHENTICATION_FAILURE


def test_wrong_key_without_ciphering_fails_in_pass_3() -> None:
    offered = configs_with_plain_hls()
    settings = ClientSettings(mechanism=MechanismName.HLS_GMAC, security=client_keys(ek=bytes(16)))
    pair = make_pair(2, settings, offered=offered)
    with pytest.raises(AuthenticationFailed, match="refused f\\(StoC\\): other reason"):
        pair.client.associate().run(pair.transport)
    assert pair.client.state is State.IDLE
    good = make_pair(2, replace(settings, security=client_keys()), offered=configs_with_plain_hls())
    assert good.client.associate().run(good.transport).server_system_title is not None
    assert good.client.get(ENERGY_VALUE).run(good.transport) == 123456
    assert good.requests[-1][0] == 0xC0  # an LN context: nothing ciphered


def configs_with_plain_hls() -> dict[int, AssociationConfig]:
    offered = configs(device())
    offered[2] = replace(offered[1], client_sap=2, context=ApplicationContextName.LOGICAL_NAME)
    return offered


def test_incompatible_conformance_names_the_initiate_error() -> None:
    pair = make_pair(16, ClientSettings(conformance=Conformance.READ))
    with pytest.raises(AssociationRefused, match="incompatible conformance") as e:
        pair.client.associate().run(pair.transport)
    assert e.value.service_error is not None
    assert e.value.service_error.error is InitiateError.INCOMPATIBLE_CONFORMANCE


def test_get_with_list_mixes_values_and_refusals() -> None:
    pair = make_pair(16)
    pair.client.associate().run(pair.transport)
    assert pair.client.supports(Conformance.MULTIPLE_REFERENCES)
    results = pair.client.get_with_list(
        [ENERGY_VALUE, SERIAL, attribute(1, "0.0.1.2.3.255", 2)]
    ).run(pair.transport)
    assert results[:2] == (DoubleLongUnsigned(123456), VisibleString("12345678"))
    assert isinstance(results[2], DataAccessResult)


def test_get_with_list_needs_multiple_references() -> None:
    settings = ClientSettings(conformance=Conformance.GET | Conformance.SET)
    pair = make_pair(16, settings)
    pair.client.associate().run(pair.transport)
    assert not pair.client.supports(Conformance.MULTIPLE_REFERENCES)
    with pytest.raises(LocalProtocolError, match="MULTIPLE_REFERENCES"):
        pair.client.get_with_list([ENERGY_VALUE])
    assert pair.client.get(ENERGY_VALUE).run(pair.transport) == 123456  # the fallback


@pytest.mark.parametrize("pdu", [64, 100, 128, 200, 256])
@pytest.mark.parametrize("sap", [16, 1], ids=["plain", "ciphered"])
def test_long_get_is_reassembled(pdu: int, sap: int) -> None:
    pair = make_pair(sap, replace(SETTINGS[sap], max_receive_pdu_size=pdu))
    pair.client.associate().run(pair.transport)
    start = len(pair.answers)
    assert pair.client.get(BIG_VALUE).run(pair.transport) == BIG_STRUCTURE
    blocks = pair.answers[start:]
    assert len(blocks) >= 600 // pdu
    assert all(len(a) <= pdu for a in blocks)
    if sap == 16:
        nexts = [decode_apdu(r) for r in pair.requests[start + 1 :]]
        assert [n.block_number for n in nexts if isinstance(n, GetRequestNext)] == list(
            range(1, len(blocks))
        )


def test_long_get_with_list_is_reassembled() -> None:
    pair = make_pair(16, replace(SETTINGS[16], max_receive_pdu_size=90))
    pair.client.associate().run(pair.transport)
    results = pair.client.get_with_list([BIG_VALUE, ENERGY_VALUE]).run(pair.transport)
    assert results == (BIG_STRUCTURE, DoubleLongUnsigned(123456))
    assert isinstance(decode_apdu(pair.answers[-1]), GetResponseWithDatablock)


@pytest.mark.parametrize("sap", [32, 1], ids=["lls", "ciphered"])
def test_long_set_goes_in_blocks_that_fit(sap: int) -> None:
    pair = make_pair(sap, server_pdu=128)
    pair.client.associate().run(pair.transport)
    value = Structure(tuple(OctetString(bytes([i % 256]) * 40) for i in range(100)))  # ~4 KB
    start = len(pair.requests)
    assert pair.client.set(BIG_VALUE, value).run(pair.transport) is DataAccessResult.SUCCESS
    sent = pair.requests[start:]
    assert len(sent) > 4000 // 128
    assert all(len(r) <= 128 for r in sent)
    if sap == 32:
        kinds = [type(decode_apdu(r)) for r in sent]
        assert kinds == [SetRequestWithFirstDatablock] + [SetRequestWithDatablock] * (len(sent) - 1)
    assert pair.client.get(BIG_VALUE).run(pair.transport) == value


def test_long_action_goes_in_pblocks() -> None:
    pair = make_pair(32, server_pdu=128)
    pair.client.associate().run(pair.transport)
    image = bytes(i * 7 % 256 for i in range(3000))
    initiate = Structure((OctetString(b"fw-2"), DoubleLongUnsigned(3000)))
    transfer = method(18, IMAGE, 1)
    ok = ActionResponseWithOptionalData(ActionResult.SUCCESS)
    assert pair.client.action(transfer, initiate).run(pair.transport) == ok
    start = len(pair.requests)
    block = Structure((DoubleLongUnsigned(0), OctetString(image)))
    assert pair.client.action(method(18, IMAGE, 2), block).run(pair.transport) == ok
    assert len(pair.requests) - start > 3000 // 128
    assert all(len(r) <= 128 for r in pair.requests[start:])
    first_missing = pair.client.get(attribute(18, IMAGE, 4)).run(pair.transport)
    assert first_missing == 1  # the one block of the image arrived


def test_action_without_parameters() -> None:
    pair = make_pair(32)
    pair.client.associate().run(pair.transport)
    reply = pair.client.action(method(18, IMAGE, 3)).run(pair.transport)  # image_verify
    assert isinstance(reply.result, ActionResult)


def test_set_too_long_without_block_transfer_is_refused_locally() -> None:
    settings = replace(SETTINGS[32], conformance=Conformance.GET | Conformance.SET)
    pair = make_pair(32, settings, server_pdu=128)
    pair.client.associate().run(pair.transport)
    with pytest.raises(LocalProtocolError, match="block-transfer-with-set"):
        pair.client.set(BIG_VALUE, OctetString(bytes(500)))
    # the refused request did not occupy the association
    assert pair.client.get(ENERGY_VALUE).run(pair.transport) == 123456


def test_a_long_profile_buffer_comes_back_as_a_table() -> None:
    rows = Array(
        [
            Structure((OctetString(bytes(12)), DoubleLongUnsigned(i), Unsigned(i % 256)))
            for i in range(300)
        ]
    )
    pair = make_pair(32, replace(SETTINGS[32], max_receive_pdu_size=200), server_pdu=200)
    pair.client.associate().run(pair.transport)
    assert pair.client.set(BIG_VALUE, rows).run(pair.transport) is DataAccessResult.SUCCESS
    value = pair.client.get(BIG_VALUE).run(pair.transport)
    assert isinstance(value, Table) and len(value) == 300
    assert value == rows


def test_the_module_docstring_flow() -> None:
    pair = make_pair(32)
    transport = pair.transport
    assoc = ClientAssociation(
        ClientSettings(mechanism=MechanismName.LLS, password=b"12345678"), random=bytes
    )
    x = assoc.associate()
    done = x.receive(transport(x.bytes_to_send()))
    assert isinstance(done, Done) and isinstance(done.result, Associated)
    energy = assoc.get(attribute(3, "1.0.1.8.0.255", 2))
    out = energy.bytes_to_send()
    while isinstance(step := energy.receive(transport(out)), Send):
        out = step.data
    assert step.result == DoubleLongUnsigned(123456)
    assert assoc.release().run(transport) == Released(ReleaseResponseReason.NORMAL)
