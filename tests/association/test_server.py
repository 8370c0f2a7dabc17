"""The server association in memory: establishment, services, refusals."""

from __future__ import annotations

from collections.abc import Callable

from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, Aarq, AcseRequirements, AcseServiceUser, AssociationResult, Rlrq
from openamr.apdu.action import ActionRequestNormal, ActionResponseNormal
from openamr.apdu.descriptors import CosemAttributeDescriptor, CosemMethodDescriptor
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.get import (
    GetRequestNext,
    GetRequestNormal,
    GetResponseNormal,
    GetResponseWithDatablock,
)
from openamr.apdu.initiate import Conformance, InitiateRequest, InitiateResponse
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.apdu.set import SetRequestNormal, SetResponseNormal
from openamr.association.server_association import ServerAssociation, State
from openamr.codec import DoubleLongUnsigned, decode
from openamr.codec.obis import Obis
from openamr.security import hls
from openamr.security.ciphering import CipheringSession
from openamr.security.control_byte import SecurityControl
from openamr.security.keys import KeySet, SecurityContext

from .conftest import AK, CLIENT_TITLE, EK, SERVER_TITLE

Server = Callable[[int], ServerAssociation]
CONFORMANCE = (
    Conformance.GET
    | Conformance.SET
    | Conformance.ACTION
    | Conformance.SELECTIVE_ACCESS
    | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
)
ENERGY = CosemAttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"), 2)


def initiate(max_pdu: int = 0xFFFF) -> bytes:
    return InitiateRequest(
        proposed_conformance=CONFORMANCE, client_max_receive_pdu_size=max_pdu
    ).to_bytes()


def ask(server: ServerAssociation, apdu: object) -> object:
    answer = server.receive(apdu.to_bytes())  # type: ignore[attr-defined]
    assert answer is not None
    return decode_apdu(answer)


def associate_public(server: ServerAssociation, max_pdu: int = 0xFFFF) -> Aare:
    aare = ask(server, Aarq(user_information=initiate(max_pdu)))
    assert isinstance(aare, Aare)
    return aare


def test_public_association_reads_a_register(server_for: Server) -> None:
    server = server_for(16)
    aare = associate_public(server)
    assert aare.result is AssociationResult.ACCEPTED
    assert aare.user_information is not None
    response = InitiateResponse.from_bytes(aare.user_information)
    assert response.negotiated_conformance & Conformance.GET
    got = ask(server, GetRequestNormal(ENERGY))
    assert isinstance(got, GetResponseNormal)
    assert got.result == DoubleLongUnsigned(123456)


def test_public_cannot_write(server_for: Server) -> None:
    server = server_for(16)
    associate_public(server)
    answer = ask(server, SetRequestNormal(ENERGY, DoubleLongUnsigned(1)))
    assert isinstance(answer, SetResponseNormal)
    assert answer.result is DataAccessResult.READ_WRITE_DENIED


def test_service_before_association_is_refused(server_for: Server) -> None:
    answer = ask(server_for(16), GetRequestNormal(ENERGY))
    assert isinstance(answer, ExceptionResponse)


def test_unknown_client_gets_silence(server_for: Server) -> None:
    assert server_for(99).receive(Aarq(user_information=initiate()).to_bytes()) is None


def test_garbage_is_answered_not_raised(server_for: Server) -> None:
    server = server_for(16)
    for junk in (b"", b"\x00", b"\xc0\x01", b"\x60\x05\x01", bytes(range(40))):
        answer = server.receive(junk)
        assert answer is None or isinstance(decode_apdu(answer), (Aare, ExceptionResponse))


def lls_aarq(password: bytes) -> Aarq:
    return Aarq(
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.LLS,
        calling_authentication_value=password,
        user_information=initiate(),
    )


def test_lls_right_password_writes(server_for: Server) -> None:
    server = server_for(32)
    aare = ask(server, lls_aarq(b"12345678"))
    assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED
    answer = ask(server, SetRequestNormal(ENERGY, DoubleLongUnsigned(7)))
    assert isinstance(answer, SetResponseNormal) and answer.result is DataAccessResult.SUCCESS


def test_lls_wrong_password_is_refused(server_for: Server) -> None:
    aare = ask(server_for(32), lls_aarq(b"wrong"))
    assert isinstance(aare, Aare)
    assert aare.result is AssociationResult.REJECTED_PERMANENT
    assert aare.result_source_diagnostic is AcseServiceUser.AUTHENTICATION_FAILURE


def test_lls_without_mechanism_is_refused(server_for: Server) -> None:
    aare = ask(server_for(32), Aarq(user_information=initiate()))
    assert isinstance(aare, Aare)
    assert aare.result_source_diagnostic is AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_REQUIRED


def test_long_get_goes_in_blocks(server_for: Server) -> None:
    server = server_for(16)
    associate_public(server, max_pdu=128)
    ref = CosemAttributeDescriptor(1, Obis.parse("0.0.99.99.0.255"), 2)
    answer = ask(server, GetRequestNormal(ref))
    raw = b""
    while True:
        assert isinstance(answer, GetResponseWithDatablock)
        assert len(answer.to_bytes()) <= 128
        block = answer.datablock
        assert isinstance(block.result, bytes)
        raw += block.result
        if block.last_block:
            break
        answer = ask(server, GetRequestNext(block.block_number))
    value = decode(raw)
    assert isinstance(value, tuple) and len(value) == 600
    stale = ask(server, GetRequestNext(1))
    assert isinstance(stale, GetResponseWithDatablock)
    assert stale.datablock.result is DataAccessResult.NO_LONG_GET_IN_PROGRESS


def test_release(server_for: Server) -> None:
    server = server_for(16)
    associate_public(server)
    ask(server, Rlrq())
    assert server.state is State.IDLE
    assert isinstance(ask(server, GetRequestNormal(ENERGY)), ExceptionResponse)


def hls_client(server: ServerAssociation, ak: bytes = AK) -> tuple[CipheringSession, Aare]:
    context = SecurityContext(KeySet(EK, ak), CLIENT_TITLE, SERVER_TITLE)
    session = CipheringSession(context, SecurityControl(authentication=True, encryption=True))
    aarq = Aarq(
        application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        calling_ap_title=CLIENT_TITLE,
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=b"CtoS-challenge!!",
        user_information=session.encipher(initiate()),
    )
    aare = ask(server, aarq)
    assert isinstance(aare, Aare)
    return session, aare


def test_hls_gmac_with_ciphering(server_for: Server) -> None:
    server = server_for(1)
    session, aare = hls_client(server)
    assert aare.result is AssociationResult.ACCEPTED
    assert aare.result_source_diagnostic is AcseServiceUser.AUTHENTICATION_REQUIRED
    assert aare.user_information is not None
    InitiateResponse.from_bytes(session.decipher(aare.user_information).apdu)
    stoc = aare.responding_authentication_value
    assert stoc is not None and server.state is State.PENDING
    f_stoc = hls.client_reply(stoc, CLIENT_TITLE, session.outgoing.value + 1, EK, AK)
    reply = ActionRequestNormal(CosemMethodDescriptor(15, Obis.parse("0.0.40.0.0.255"), 1), f_stoc)
    answer = server.receive(session.encipher(reply.to_bytes()))
    assert answer is not None
    response = decode_apdu(session.decipher(answer).apdu)
    assert isinstance(response, ActionResponseNormal)
    assert response.single_response.result is ActionResult.SUCCESS
    f_ctos = response.single_response.return_parameters
    assert isinstance(f_ctos, bytes)
    hls.client_check(f_ctos, b"CtoS-challenge!!", SERVER_TITLE, EK, AK)
    assert server.state is State.ASSOCIATED
    answer = server.receive(session.encipher(GetRequestNormal(ENERGY).to_bytes()))
    assert answer is not None
    got = decode_apdu(session.decipher(answer).apdu)
    assert isinstance(got, GetResponseNormal) and got.result == DoubleLongUnsigned(123456)
    # a replayed request is refused with the counter the server expects
    replay = session.encipher(GetRequestNormal(ENERGY).to_bytes())
    assert server.receive(replay) is not None
    refused = server.receive(replay)
    assert refused is not None and isinstance(decode_apdu(refused), ExceptionResponse)
    # plain requests are refused in a ciphered association
    assert isinstance(ask(server, GetRequestNormal(ENERGY)), ExceptionResponse)


def test_hls_with_wrong_key_is_refused(server_for: Server) -> None:
    server = server_for(1)
    _, aare = hls_client(server, ak=bytes(16))
    # the ciphered InitiateRequest does not verify with the server's keys
    assert aare.result is AssociationResult.REJECTED_PERMANENT
    assert server.state is State.IDLE
