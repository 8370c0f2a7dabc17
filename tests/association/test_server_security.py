"""The holes of issue 11 in the server association, in memory (Green Book 9.2.7.2.4
invocation counters, 9.4.2.2.4 release of a ciphered context, 9.4.6.1 unconfirmed
services, 9.2.2.2.2 LLS): each test failed before its fix."""

from __future__ import annotations

import dataclasses
import itertools

from openamr.apdu import decode_apdu
from openamr.apdu.acse import (
    Aare,
    Aarq,
    AcseRequirements,
    AcseServiceUser,
    AssociationResult,
    ReleaseResponseReason,
    Rlre,
    Rlrq,
)
from openamr.apdu.action import ActionRequestNormal, ActionResponseNormal
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    CosemMethodDescriptor,
    DataBlockSA,
    InvokeIdAndPriority,
)
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.get import GetRequestNormal, GetResponseNormal
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import ActionResult, DataAccessResult, ServiceError, StateError
from openamr.apdu.set import (
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetResponseDatablock,
    SetResponseLastDatablock,
)
from openamr.association.server_association import ServerAssociation, State
from openamr.codec.obis import Obis
from openamr.security import hls
from openamr.security.ciphering import CipheringSession
from openamr.security.control_byte import SecurityControl
from openamr.security.counters import MAX_IC, OutgoingCounter, ReceivedCounters
from openamr.security.keys import KeySet, SecurityContext
from openamr.security.lls import LlsGuard, LockoutPolicy

from .conftest import AK, EK, SERVER_TITLE, build_device, configs

TITLE = bytes.fromhex("4F50454E414D5201")  # "OPENAMR" 01, the client title
ENERGY = CosemAttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"), 2)
#: issue 11, item 2: a glo-get-request of A+ with IC 0xFFFFFFFF under the default keys
LAST_COUNTER = bytes.fromhex(
    "c8 1e 30 ff ff ff ff f8 44 bc 6d fc 1c b0 40 fe 2f 9a 31 6f d0 5c ea 70 a8 8e d9 f0 03"
    " 08 07 76"
)
CTOS = b"CtoS-challenge!!"


def new_server(
    client: int = 1, received: ReceivedCounters | None = None, guard: LlsGuard | None = None
) -> ServerAssociation:
    offered = configs(build_device())
    if guard is not None:
        offered[32] = dataclasses.replace(offered[32], guard=guard)
    counter = itertools.count()

    def random(n: int) -> bytes:
        return bytes((next(counter) * 7 + i) % 256 for i in range(n))

    return ServerAssociation(offered, client, random, OutgoingCounter(1), received)


def session(start: int) -> CipheringSession:
    policy = SecurityControl(authentication=True, encryption=True)
    return CipheringSession(
        SecurityContext(KeySet(EK, AK), TITLE, SERVER_TITLE), policy, OutgoingCounter(start)
    )


def hls_associate(server: ServerAssociation, start: int) -> tuple[CipheringSession, Aare]:
    """AARQ and HLS pass 3 from a client whose counter starts at ``start``."""
    s = session(start)
    initiate = InitiateRequest(proposed_conformance=Conformance.GET | Conformance.ACTION)
    aarq = Aarq(
        application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        calling_ap_title=TITLE,
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=CTOS,
        user_information=s.encipher(initiate.to_bytes()),
    )
    answer = server.receive(aarq.to_bytes())
    assert answer is not None
    aare = decode_apdu(answer)
    assert isinstance(aare, Aare)
    if aare.result is not AssociationResult.ACCEPTED:
        return s, aare
    stoc = aare.responding_authentication_value
    assert stoc is not None
    f_stoc = hls.client_reply(stoc, TITLE, s.outgoing.value + 1, EK, AK)
    method = CosemMethodDescriptor(15, Obis.parse("0.0.40.0.0.255"), 1)
    reply = server.receive(s.encipher(ActionRequestNormal(method, f_stoc).to_bytes()))
    assert reply is not None
    passed = decode_apdu(s.decipher(reply).apdu)
    assert isinstance(passed, ActionResponseNormal)
    assert passed.single_response.result is ActionResult.SUCCESS
    assert server.state is State.ASSOCIATED
    return s, aare


def test_a_request_captured_in_one_association_is_refused_in_the_next() -> None:
    """Item 1: the meter remembers the last IC per client and key, not per association."""
    memory = ReceivedCounters()
    first = new_server(received=memory)
    s, _ = hls_associate(first, 1000)
    captured = s.encipher(GetRequestNormal(ENERGY).to_bytes())
    assert first.receive(captured) is not None  # accepted once
    refused = first.receive(captured)
    assert refused is not None and isinstance(decode_apdu(refused), ExceptionResponse)
    # a new association whose client starts low: refused at its AARQ
    second = new_server(received=memory)
    _, aare = hls_associate(second, 1)
    assert aare.result is AssociationResult.REJECTED_PERMANENT
    # one that starts high is associated, and the capture is still refused
    third = new_server(received=memory)
    hls_associate(third, 5000)
    again = third.receive(captured)
    assert again is not None
    answer = decode_apdu(again)
    assert isinstance(answer, ExceptionResponse)
    assert answer.service_error is ServiceError.INVOCATION_COUNTER_ERROR
    assert answer.invocation_counter == 5002  # AARQ 5000, pass 3 5001: the next is 5002
    assert ReceivedCounters(memory.snapshot()).snapshot() == memory.snapshot()


def test_the_end_of_the_counter_space_is_answered_not_a_dropped_connection() -> None:
    """Item 2: the issue's bytes twice; the second would need IC 2**32 (no Unsigned32)."""
    server = new_server()
    hls_associate(server, 1)
    first = server.receive(LAST_COUNTER)
    assert first is not None
    assert isinstance(decode_apdu(session(1).decipher(first).apdu), GetResponseNormal)
    second = server.receive(LAST_COUNTER)
    assert second is not None
    refused = decode_apdu(second)
    assert refused == ExceptionResponse(
        StateError.SERVICE_NOT_ALLOWED, ServiceError.DECIPHERING_ERROR
    )
    # and nothing more is accepted under that key, whatever its counter
    more = server.receive(session(7).encipher(GetRequestNormal(ENERGY).to_bytes()))
    assert more is not None and isinstance(decode_apdu(more), ExceptionResponse)


def test_an_exhausted_server_counter_refuses_instead_of_raising() -> None:
    """Item 2, the meter's side: its own counter used up, it ciphers nothing more."""
    offered = configs(build_device())
    server = ServerAssociation(offered, 1, lambda n: bytes(n), OutgoingCounter(MAX_IC + 1))
    _, aare = hls_associate(server, 1)
    assert aare.result is AssociationResult.REJECTED_PERMANENT
    assert server.state is State.IDLE


def test_a_plain_rlrq_does_not_release_a_ciphered_association() -> None:
    """Item 4: only a release that proves the client (a ciphered InitiateRequest)."""
    server = new_server()
    s, _ = hls_associate(server, 1)
    answer = server.receive(Rlrq().to_bytes())
    assert answer is not None
    assert decode_apdu(answer) == Rlre(reason=ReleaseResponseReason.NOT_FINISHED)
    assert server.state is State.ASSOCIATED
    initiate = InitiateRequest(proposed_conformance=Conformance.GET).to_bytes()
    proven = Rlrq(user_information=s.encipher(initiate))
    released = server.receive(proven.to_bytes())
    assert released is not None
    rlre = decode_apdu(released)
    assert isinstance(rlre, Rlre) and rlre.reason is ReleaseResponseReason.NORMAL
    assert server.state is State.IDLE


def test_an_unconfirmed_request_gets_no_response() -> None:
    """Item 4: invoke-id-and-priority 0x81 (unconfirmed), plain or ciphered."""
    server = new_server()
    s, _ = hls_associate(server, 1)
    unconfirmed = GetRequestNormal(ENERGY, None, InvokeIdAndPriority(1, confirmed=False))
    plain = unconfirmed.to_bytes()
    assert plain[2] == 0x81
    assert server.receive(plain) is None
    assert server.receive(s.encipher(plain)) is None
    assert server.state is State.ASSOCIATED
    public = new_server(16)
    aarq = Aarq(user_information=InitiateRequest(proposed_conformance=Conformance.GET).to_bytes())
    public.receive(aarq.to_bytes())
    assert public.receive(plain) is None


def lls_aarq(password: bytes) -> bytes:
    return Aarq(
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.LLS,
        calling_authentication_value=password,
        user_information=InitiateRequest(proposed_conformance=Conformance.GET).to_bytes(),
    ).to_bytes()


def diagnostic(answer: bytes | None) -> tuple[AssociationResult, object]:
    assert answer is not None
    aare = decode_apdu(answer)
    assert isinstance(aare, Aare)
    return aare.result, aare.result_source_diagnostic


def test_lls_guessing_is_slowed_then_locked_out() -> None:
    """Item 7: free attempts, doubling delays, a lockout window; the right password
    during a delay is refused too (nothing is checked before its time)."""
    lockouts: list[float] = []
    policy = LockoutPolicy(free_failures=3, first_delay=1.0, lockout_failures=6, lockout=600)
    guard = LlsGuard(policy, on_lockout=lambda: lockouts.append(1))
    server = new_server(32, guard=guard)
    failure = (AssociationResult.REJECTED_PERMANENT, AcseServiceUser.AUTHENTICATION_FAILURE)
    wait = (AssociationResult.REJECTED_TRANSIENT, AcseServiceUser.AUTHENTICATION_FAILURE)
    for _ in range(4):  # 3 free failures, the 4th sets a delay of 1 s
        assert diagnostic(server.receive(lls_aarq(b"guess"), now=0.0)) == failure
    assert guard.wait(0.0) == 1.0
    assert diagnostic(server.receive(lls_aarq(b"12345678"), now=0.5)) == wait
    assert diagnostic(server.receive(lls_aarq(b"guess"), now=1.0)) == failure  # 5th: 2 s
    assert guard.wait(1.0) == 2.0
    assert diagnostic(server.receive(lls_aarq(b"guess"), now=3.0)) == failure  # 6th: lockout
    assert lockouts == [1] and guard.wait(3.0) == 600
    assert diagnostic(server.receive(lls_aarq(b"12345678"), now=500.0)) == wait
    accepted = diagnostic(server.receive(lls_aarq(b"12345678"), now=603.0))
    assert accepted[0] is AssociationResult.ACCEPTED and guard.failures == 0


def test_a_thousand_wrong_passwords_check_only_a_few() -> None:
    """Item 7: 904 wrong passwords in one second were all checked; now ten at most."""
    guard = LlsGuard()
    server = new_server(32, guard=guard)
    checked = 0
    for i in range(1000):
        result, _ = diagnostic(server.receive(lls_aarq(b"guess"), now=i / 1000))
        checked += result is AssociationResult.REJECTED_PERMANENT
    assert checked <= LockoutPolicy().lockout_failures


def public_association(client: int = 16) -> ServerAssociation:
    server = new_server(client)
    aarq = Aarq(user_information=InitiateRequest(proposed_conformance=LONG_SET).to_bytes())
    if client == 32:
        aarq = decode_apdu(lls_aarq(b"12345678"))  # type: ignore[assignment]
        aarq = dataclasses.replace(
            aarq, user_information=InitiateRequest(proposed_conformance=LONG_SET).to_bytes()
        )
    server.receive(aarq.to_bytes())
    assert server.state is State.ASSOCIATED
    return server


LONG_SET = Conformance.SET | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE | Conformance.GET
SERIAL = CosemAttributeDescriptor(1, Obis.parse("0.0.96.1.0.255"), 2)


def set_answer(server: ServerAssociation, request: object) -> object:
    answer = server.receive(request.to_bytes())  # type: ignore[attr-defined]
    assert answer is not None
    return decode_apdu(answer)


def test_a_long_set_without_the_right_is_refused_at_its_first_block() -> None:
    """Item 10: a public client's long SET used to be buffered block after block."""
    server = public_association(16)
    first = SetRequestWithFirstDatablock(SERIAL, DataBlockSA(False, 1, b"\x0a\x10" + b"x" * 8))
    answer = set_answer(server, first)
    assert isinstance(answer, SetResponseLastDatablock)
    assert answer.result is DataAccessResult.READ_WRITE_DENIED
    assert server.services is not None and server.services.incoming is None
    later = set_answer(server, SetRequestWithDatablock(DataBlockSA(False, 2, b"y" * 100)))
    assert isinstance(later, SetResponseLastDatablock)
    assert later.result is DataAccessResult.NO_LONG_SET_IN_PROGRESS


def test_a_long_set_is_bounded() -> None:
    """Item 10: blocks beyond the reassembly bound are refused and the buffer dropped."""
    server = public_association(32)
    assert server.services is not None
    bound = server.services.max_reassembly
    block = b"z" * 1000
    answer = set_answer(server, SetRequestWithFirstDatablock(SERIAL, DataBlockSA(False, 1, block)))
    assert isinstance(answer, SetResponseDatablock)
    n = 1
    while isinstance(answer, SetResponseDatablock):
        n += 1
        answer = set_answer(server, SetRequestWithDatablock(DataBlockSA(False, n, block)))
        assert n <= bound // len(block) + 1
    assert isinstance(answer, SetResponseLastDatablock)
    assert answer.result is DataAccessResult.OTHER_REASON
    assert server.services.incoming is None
