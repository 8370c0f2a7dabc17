"""The client's refusals and protocol checks: replay, typed server errors, invoke-ids,
one exchange at a time, the dedicated key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aarq
from openamr.apdu.descriptors import InvokeIdAndPriority, SelectiveAccessDescriptor
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.get import GetRequestNormal, GetResponseNormal
from openamr.apdu.initiate import ConfirmedServiceError, InitiateRequest
from openamr.apdu.results import DataAccessResult, ServiceError, StateError
from openamr.apdu.service_error import ConfirmedServiceName, ServiceErrorReason
from openamr.association.client import (
    ClientAssociation,
    ClientSettings,
    ConfirmedServiceErrorReceived,
    Done,
    ExceptionResponseReceived,
    State,
    attribute,
)
from openamr.codec import DoubleLongUnsigned, Structure, Unsigned
from openamr.errors import (
    DecodeError,
    DlmsError,
    LocalProtocolError,
    RemoteProtocolError,
    SecurityError,
)
from openamr.security.ciphering import CipheringSession
from openamr.security.control_byte import AUTHENTICATED_ENCRYPTED
from openamr.security.counters import OutgoingCounter
from openamr.security.keys import KeySet, SecurityContext

from .client_pair import ENERGY, SETTINGS, Pair, client_keys, counting_random, make_pair
from .conftest import AK, CLIENT_TITLE, EK, SERVER_TITLE

ENERGY_VALUE = attribute(3, ENERGY, 2)


def associated(sap: int, settings: ClientSettings | None = None) -> Pair:
    pair = make_pair(sap, settings)
    pair.client.associate().run(pair.transport)
    return pair


def test_a_replayed_answer_is_refused() -> None:
    pair = associated(1)
    x = pair.client.get(ENERGY_VALUE)
    answer = pair.transport(x.bytes_to_send())
    assert x.receive(answer) == Done(123456)
    y = pair.client.get(ENERGY_VALUE)
    y.bytes_to_send()
    with pytest.raises(SecurityError, match="replayed invocation counter"):
        y.receive(answer)
    assert y.finished  # a failed exchange frees the association
    assert pair.client.get(ENERGY_VALUE).run(pair.transport) == 123456


def test_a_replayed_request_comes_back_as_a_typed_exception() -> None:
    pair = associated(1)
    x = pair.client.get(ENERGY_VALUE)
    request = x.bytes_to_send()
    x.receive(pair.transport(request))
    refusal = pair.transport(request)  # the server sees our counter again
    y = pair.client.get(ENERGY_VALUE)
    y.bytes_to_send()
    with pytest.raises(ExceptionResponseReceived, match="server expects invocation counter") as e:
        y.receive(refusal)
    assert e.value.response.service_error is ServiceError.INVOCATION_COUNTER_ERROR


def test_an_unciphered_answer_in_a_ciphered_association_is_refused() -> None:
    pair = associated(1)
    x = pair.client.get(ENERGY_VALUE)
    x.bytes_to_send()
    with pytest.raises(SecurityError, match="unciphered"):
        x.receive(GetResponseNormal(DoubleLongUnsigned(1)).to_bytes())


def test_a_ciphered_answer_in_a_plain_association_is_refused() -> None:
    pair = associated(16)
    x = pair.client.get(ENERGY_VALUE)
    x.bytes_to_send()
    with pytest.raises(SecurityError):
        x.receive(bytes.fromhex("cc 05 30 00 00 00 01"))


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (
            ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE),
            "exception-response: service not allowed, operation not possible",
        ),
        (
            ExceptionResponse(StateError.SERVICE_UNKNOWN, ServiceError.DECIPHERING_ERROR),
            "exception-response: service unknown, deciphering error",
        ),
    ],
)
def test_exception_response_is_a_typed_error(response: ExceptionResponse, words: str) -> None:
    pair = associated(16)
    x = pair.client.get(ENERGY_VALUE)
    x.bytes_to_send()
    with pytest.raises(ExceptionResponseReceived, match=words) as e:
        x.receive(response.to_bytes())
    assert e.value.response == response
    assert isinstance(e.value, DlmsError)


def test_confirmed_service_error_is_a_typed_error() -> None:
    pair = associated(16)
    x = pair.client.get(ENERGY_VALUE)
    x.bytes_to_send()
    error = ConfirmedServiceError(ConfirmedServiceName.READ, ServiceErrorReason.PDU_SIZE)
    with pytest.raises(ConfirmedServiceErrorReceived, match=r"read: .* pdu size") as e:
        x.receive(error.to_bytes())
    assert e.value.error == error


def test_invoke_ids_cycle_and_answers_must_match() -> None:
    pair = associated(16, replace(SETTINGS[16], cycle_invoke_id=True))
    ids = []
    for _ in range(3):
        x = pair.client.get(ENERGY_VALUE)
        request = decode_apdu(x.bytes_to_send())
        assert isinstance(request, GetRequestNormal)
        ids.append(request.invoke_id_and_priority.invoke_id)
        x.receive(pair.transport(x.bytes_to_send()))
    assert len(set(ids)) == 3
    x = pair.client.get(ENERGY_VALUE)
    x.bytes_to_send()
    stale = GetResponseNormal(DoubleLongUnsigned(1), InvokeIdAndPriority(ids[0]))
    with pytest.raises(RemoteProtocolError, match="invoke-id"):
        x.receive(stale.to_bytes())


def test_one_exchange_at_a_time_until_done_or_cancelled() -> None:
    pair = associated(16)
    x = pair.client.get(ENERGY_VALUE)
    with pytest.raises(LocalProtocolError, match="in progress"):
        pair.client.get(ENERGY_VALUE)
    x.cancel()
    y = pair.client.get(ENERGY_VALUE)
    assert y.bytes_to_send() == y.bytes_to_send()  # asking twice gives the same APDU
    with pytest.raises(LocalProtocolError, match="over"):
        x.receive(pair.transport(y.bytes_to_send()))
    y.cancel()
    z = pair.client.get(ENERGY_VALUE)
    with pytest.raises(LocalProtocolError, match="bytes_to_send"):
        z.receive(b"\xc4\x01\xc1\x00\x11\x01")


def test_garbage_answers_raise_decode_errors() -> None:
    pair = associated(16)
    for junk in (b"", b"\xc4", b"\xc4\x09\xc1", b"\x99\x00"):
        x = pair.client.get(ENERGY_VALUE)
        x.bytes_to_send()
        with pytest.raises(DecodeError):
            x.receive(junk)
    assert pair.client.state is State.ASSOCIATED


def test_an_unexpected_answer_is_a_remote_protocol_error() -> None:
    pair = associated(16)
    x = pair.client.set(ENERGY_VALUE, DoubleLongUnsigned(1))
    x.bytes_to_send()
    with pytest.raises(RemoteProtocolError, match="unexpected GetResponseNormal"):
        x.receive(GetResponseNormal(DoubleLongUnsigned(1)).to_bytes())


def test_selective_access_goes_into_the_request() -> None:
    pair = associated(16)
    entries = SelectiveAccessDescriptor(
        2, Structure((DoubleLongUnsigned(1), DoubleLongUnsigned(10), Unsigned(1), Unsigned(0)))
    )
    x = pair.client.get(attribute(7, "1.0.99.1.0.255", 2), entries)
    request = decode_apdu(x.bytes_to_send())
    assert isinstance(request, GetRequestNormal) and request.access_selection == entries
    assert x.receive(pair.transport(x.bytes_to_send())) == Done(DataAccessResult.OBJECT_UNDEFINED)


def test_the_outgoing_counter_is_ours_and_goes_on() -> None:
    counter = OutgoingCounter(1000)
    pair = make_pair(1, outgoing=counter)
    aarq = decode_apdu(pair.client.associate().bytes_to_send())
    assert isinstance(aarq, Aarq) and aarq.user_information is not None
    assert aarq.user_information[3:7] == (1000).to_bytes(4, "big")  # 21 len SC IC
    assert counter.value == 1001


def test_the_dedicated_key_travels_in_the_aarq_and_ciphers_the_services() -> None:
    dedicated = bytes(range(16, 32))
    settings = replace(SETTINGS[1], security=client_keys(dedicated=dedicated))
    pair = make_pair(1, settings)
    aarq = decode_apdu(pair.client.associate().bytes_to_send())
    assert isinstance(aarq, Aarq) and aarq.user_information is not None
    meter = CipheringSession(
        SecurityContext(KeySet(EK, AK, dedicated_ek=dedicated), SERVER_TITLE, CLIENT_TITLE),
        AUTHENTICATED_ENCRYPTED,
    )
    initiate = InitiateRequest.from_bytes(meter.decipher(aarq.user_information).apdu)
    assert initiate.dedicated_key == dedicated
    pair = make_pair(1, settings)
    pair.client.associate().run(pair.transport)  # pass 3 stays glo-ciphered
    get = pair.client.get(ENERGY_VALUE).bytes_to_send()
    assert get[0] == 0xD0  # ded-get-request
    assert isinstance(decode_apdu(meter.decipher(get).apdu), GetRequestNormal)


def test_settings_are_checked() -> None:
    with pytest.raises(LocalProtocolError, match="keys"):
        ClientSettings(mechanism=SETTINGS[1].mechanism)
    with pytest.raises(LocalProtocolError, match="challenge"):
        ClientSettings(challenge_length=4)
    client = ClientAssociation(SETTINGS[1], lambda n: bytes(n - 1))
    with pytest.raises(LocalProtocolError, match="random"):
        client.associate()
    assert ClientAssociation(SETTINGS[16], counting_random()).state is State.IDLE


def test_a_request_longer_than_the_server_accepts_is_refused_locally() -> None:
    pair = make_pair(16, server_pdu=128)
    pair.client.associate().run(pair.transport)
    x = pair.client.get_with_list([ENERGY_VALUE] * 20)  # 4 + 20 * 10 bytes
    with pytest.raises(LocalProtocolError, match="exceeds the server's max receive PDU size 128"):
        x.bytes_to_send()
    assert x.finished and not pair.requests[1:]
    assert pair.client.get_with_list([ENERGY_VALUE] * 5).run(pair.transport) == (123456,) * 5


def test_the_server_answers_ded_requests_with_the_dedicated_key() -> None:
    dedicated = bytes(range(16, 32))
    settings = replace(SETTINGS[1], security=client_keys(dedicated=dedicated))
    pair = make_pair(1, settings)
    pair.client.associate().run(pair.transport)
    assert pair.client.get(ENERGY_VALUE).run(pair.transport) == 123456
    assert pair.requests[-1][0] == 0xD0  # ded-get-request, answered and read back
