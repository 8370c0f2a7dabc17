"""Hypothesis over the server association's whole state table (the h2 way): every
state x every kind of APDU, plain and ciphered, well formed and garbage.

Per step: :meth:`ServerAssociation.receive` never raises; it answers with bytes
that decode as an APDU (deciphered too, when ciphered), or with None only for a
client SAP the server does not offer; the answer fits the request (AARQ -> AARE,
RLRQ -> RLRE); and the state moves only along an allowed transition.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, Aarq, AcseRequirements, AssociationResult, Rlre, Rlrq
from openamr.apdu.action import ActionRequestNormal
from openamr.apdu.base import Apdu
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    CosemAttributeDescriptorWithSelection,
    CosemMethodDescriptor,
)
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.get import (
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
)
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.set import SetRequestNormal
from openamr.association.config import SERVER_CONFORMANCE
from openamr.association.server_association import ServerAssociation, State
from openamr.codec import DoubleLongUnsigned, Integer
from openamr.codec.obis import Obis
from openamr.errors import DlmsError
from openamr.security import hls
from openamr.security.ciphering import CipheringSession, is_ciphered
from openamr.security.control_byte import SecurityControl
from openamr.security.keys import KeySet, SecurityContext

from ..apdu.test_xdlms_properties import MESSAGES
from .conftest import AK, CLIENT_TITLE, EK, SERVER_TITLE, build_device, configs

ENERGY = CosemAttributeDescriptor(3, Obis.parse("1.0.1.8.0.255"), 2)
BIG = CosemAttributeDescriptor(1, Obis.parse("0.0.99.99.0.255"), 2)
RESET = CosemMethodDescriptor(3, Obis.parse("1.0.1.8.0.255"), 1)
REPLY_TO_HLS = CosemMethodDescriptor(15, Obis.parse("0.0.40.0.0.255"), 1)
CTOS = b"CtoS-challenge!!"


class Step(enum.Enum):
    """What the client sends."""

    AARQ_PUBLIC = "AARQ, no authentication"
    AARQ_SMALL_PDU = "AARQ, client max PDU 64 (long GETs go in blocks)"
    AARQ_LLS = "AARQ, LLS, right password"
    AARQ_LLS_WRONG = "AARQ, LLS, wrong password"
    AARQ_HLS = "AARQ, HLS-GMAC, ciphered context, right keys"
    AARQ_HLS_WRONG_KEY = "AARQ, HLS-GMAC, ciphered context, wrong AK"
    AARQ_HLS_PLAIN = "AARQ, HLS-GMAC in a plain context"
    AARQ_OLD_DLMS = "AARQ proposing DLMS version 5"
    AARQ_TINY_PDU = "AARQ proposing a client max PDU of 11"
    AARQ_NO_CONFORMANCE = "AARQ proposing no service"
    AARQ_NO_INITIATE = "AARQ without user-information"
    AARQ_TRUNCATED = "the first half of an AARQ"
    RLRQ = "RLRQ"
    GET = "GET-Request-Normal"
    GET_BIG = "GET-Request-Normal of a 600-element structure"
    GET_NEXT = "GET-Request-Next, block 1"
    GET_LIST = "GET-Request-With-List"
    SET = "SET-Request-Normal"
    ACTION = "ACTION-Request-Normal (register reset)"
    PASS3 = "HLS pass 3, right f(StoC)"
    PASS3_WRONG = "HLS pass 3, wrong f(StoC)"
    CIPHERED_GET = "glo-GET-Request, the client's session"
    CIPHERED_PASS3 = "glo-ACTION, HLS pass 3, right f(StoC)"
    CIPHERED_PASS3_WRONG = "glo-ACTION, HLS pass 3, wrong f(StoC)"
    CIPHERED_WRONG_KEY = "glo-GET-Request, a wrong AK"
    REPLAY = "the last ciphered APDU again"


AARQ_STEPS = frozenset(s for s in Step if s.name.startswith("AARQ"))
PASS3_STEPS = frozenset(
    {Step.PASS3, Step.PASS3_WRONG, Step.CIPHERED_PASS3, Step.CIPHERED_PASS3_WRONG}
)


def initiate(**changes: object) -> bytes:
    fields: dict[str, object] = {"proposed_conformance": SERVER_CONFORMANCE}
    fields.update(changes)
    return InitiateRequest(**fields).to_bytes()  # type: ignore[arg-type]


def session(ak: bytes = AK) -> CipheringSession:
    context = SecurityContext(KeySet(EK, ak), CLIENT_TITLE, SERVER_TITLE)
    return CipheringSession(context, SecurityControl(authentication=True, encryption=True))


class Client:
    """Builds each step's bytes; keeps the HLS session and challenge it needs."""

    def __init__(self) -> None:
        self.session = session()
        self.stoc = b"\x00" * 16
        self.last_ciphered = b""

    def hls_aarq(self, ciphering: CipheringSession) -> bytes:
        return Aarq(
            application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
            calling_ap_title=CLIENT_TITLE,
            sender_acse_requirements=AcseRequirements.AUTHENTICATION,
            mechanism_name=MechanismName.HLS_GMAC,
            calling_authentication_value=CTOS,
            user_information=ciphering.encipher(initiate()),
        ).to_bytes()

    def lls_aarq(self, password: bytes) -> bytes:
        return Aarq(
            sender_acse_requirements=AcseRequirements.AUTHENTICATION,
            mechanism_name=MechanismName.LLS,
            calling_authentication_value=password,
            user_information=initiate(),
        ).to_bytes()

    def pass3(self, right: bool) -> bytes:
        ic = self.session.outgoing.value + 1
        f_stoc = hls.client_reply(self.stoc, CLIENT_TITLE, ic, EK, AK if right else bytes(16))
        return ActionRequestNormal(REPLY_TO_HLS, f_stoc).to_bytes()

    def cipher(self, plain: bytes, ciphering: CipheringSession | None = None) -> bytes:
        self.last_ciphered = (ciphering or self.session).encipher(plain)
        return self.last_ciphered

    def build(self, step: Step) -> tuple[bytes, bytes]:
        """(what goes on the wire, the plain APDU inside it)."""
        if step is Step.AARQ_HLS:
            self.session = session()
            return self.hls_aarq(self.session), b""
        builders: dict[Step, Callable[[], bytes]] = {
            Step.AARQ_PUBLIC: lambda: Aarq(user_information=initiate()).to_bytes(),
            Step.AARQ_SMALL_PDU: lambda: Aarq(
                user_information=initiate(client_max_receive_pdu_size=64)
            ).to_bytes(),
            Step.AARQ_LLS: lambda: self.lls_aarq(b"12345678"),
            Step.AARQ_LLS_WRONG: lambda: self.lls_aarq(b"87654321"),
            Step.AARQ_HLS_WRONG_KEY: lambda: self.hls_aarq(session(bytes(16))),
            Step.AARQ_HLS_PLAIN: lambda: Aarq(
                sender_acse_requirements=AcseRequirements.AUTHENTICATION,
                mechanism_name=MechanismName.HLS_GMAC,
                calling_ap_title=CLIENT_TITLE,
                calling_authentication_value=CTOS,
                user_information=initiate(),
            ).to_bytes(),
            Step.AARQ_OLD_DLMS: lambda: Aarq(
                user_information=initiate(proposed_dlms_version_number=5)
            ).to_bytes(),
            Step.AARQ_TINY_PDU: lambda: Aarq(
                user_information=initiate(client_max_receive_pdu_size=11)
            ).to_bytes(),
            Step.AARQ_NO_CONFORMANCE: lambda: Aarq(
                user_information=initiate(proposed_conformance=Conformance(0))
            ).to_bytes(),
            Step.AARQ_NO_INITIATE: lambda: Aarq().to_bytes(),
            Step.AARQ_TRUNCATED: lambda: Aarq(user_information=initiate()).to_bytes()[:20],
            Step.RLRQ: lambda: Rlrq().to_bytes(),
            Step.GET: lambda: GetRequestNormal(ENERGY).to_bytes(),
            Step.GET_BIG: lambda: GetRequestNormal(BIG).to_bytes(),
            Step.GET_NEXT: lambda: GetRequestNext(1).to_bytes(),
            Step.GET_LIST: lambda: GetRequestWithList(
                (
                    CosemAttributeDescriptorWithSelection(ENERGY),
                    CosemAttributeDescriptorWithSelection(BIG),
                )
            ).to_bytes(),
            Step.SET: lambda: SetRequestNormal(ENERGY, DoubleLongUnsigned(7)).to_bytes(),
            Step.ACTION: lambda: ActionRequestNormal(RESET, Integer(0)).to_bytes(),
            Step.PASS3: lambda: self.pass3(True),
            Step.PASS3_WRONG: lambda: self.pass3(False),
        }
        if step in builders:
            plain = builders[step]()
            return plain, plain
        ciphered: dict[Step, Callable[[], tuple[bytes, bytes]]] = {
            Step.CIPHERED_GET: lambda: (self.cipher(GET), GET),
            Step.CIPHERED_PASS3: lambda: self._ciphered_pass3(True),
            Step.CIPHERED_PASS3_WRONG: lambda: self._ciphered_pass3(False),
            Step.CIPHERED_WRONG_KEY: lambda: (self.cipher(GET, session(bytes(16))), GET),
            Step.REPLAY: lambda: (self.last_ciphered, b""),
        }
        return ciphered[step]()

    def _ciphered_pass3(self, right: bool) -> tuple[bytes, bytes]:
        plain = self.pass3(right)
        return self.cipher(plain), plain

    def read(self, answer: bytes) -> Apdu:
        """Decode the server's answer; a ciphered one is deciphered too (best effort:
        a session left behind by a later AARQ cannot read it, the framing must still
        decode)."""
        apdu = decode_apdu(answer)
        if is_ciphered(answer[0]):
            try:
                inner = decode_apdu(self.session.decipher(answer).apdu)
            except DlmsError:
                return apdu
            return inner
        if isinstance(apdu, Aare) and apdu.responding_authentication_value:
            self.stoc = apdu.responding_authentication_value
        return apdu


GET = GetRequestNormal(ENERGY).to_bytes()


def allowed(step_kind: str, before: State, ciphered_context: bool = False) -> set[State]:
    """The state table: where a step of each kind may lead from ``before`` (in a
    ciphered context a release must prove the client: a plain RLRQ changes nothing)."""
    if step_kind == "aarq":
        return {State.IDLE, State.PENDING, State.ASSOCIATED} if before is State.IDLE else {before}
    if step_kind == "rlrq":
        return {before, State.IDLE} if ciphered_context else {State.IDLE}
    if step_kind == "pass3" and before is State.PENDING:
        return {State.ASSOCIATED, State.IDLE, State.PENDING}
    return {before}


def unconfirmed(plain: bytes) -> bool:
    try:
        apdu = decode_apdu(plain)
    except DlmsError:
        return False
    iip = getattr(apdu, "invoke_id_and_priority", None)
    return iip is not None and not iip.confirmed


def decodes_as(plain: bytes, cls: type[Apdu]) -> bool:
    try:
        return isinstance(decode_apdu(plain), cls)
    except DlmsError:
        return False


def kind_of(plain: bytes) -> str:
    """Classify by what the bytes decode to (garbage may be a valid APDU by chance)."""
    if plain[:1] == b"\x60":
        return "aarq"
    try:
        apdu = decode_apdu(plain)
    except DlmsError:
        return "other"
    if isinstance(apdu, Rlrq):
        return "rlrq"
    if isinstance(apdu, ActionRequestNormal) and apdu.cosem_method_descriptor == REPLY_TO_HLS:
        return "pass3"
    return "other"


STEPS = st.one_of(
    st.sampled_from(list(Step)).map(lambda s: (s, b"")),
    st.binary(max_size=40).map(lambda b: (None, b)),
)
#: Paths into every state (and sub-state: a long GET under way, a released association).
SETUPS: dict[str, tuple[Step, ...]] = {
    "idle": (),
    "released": (Step.AARQ_PUBLIC, Step.AARQ_LLS, Step.RLRQ),
    "pending": (Step.AARQ_HLS,),
    "public": (Step.AARQ_PUBLIC,),
    "long-get": (Step.AARQ_SMALL_PDU, Step.GET_BIG),
    "lls": (Step.AARQ_LLS,),
    "hls": (Step.AARQ_HLS, Step.CIPHERED_PASS3),
    "hls-plain-pass3": (Step.AARQ_HLS, Step.PASS3),  # refused: still pending
    "hls-failed": (Step.AARQ_HLS, Step.CIPHERED_PASS3_WRONG),
}


def new_server(client_sap: int) -> ServerAssociation:
    counter = itertools.count()

    def random(n: int) -> bytes:
        return bytes((next(counter) * 7 + i) % 256 for i in range(n))

    return ServerAssociation(configs(build_device()), client_sap, random)


def play(
    server: ServerAssociation, client: Client, step: Step | None, junk: bytes = b""
) -> tuple[State, Apdu | None]:
    """One step with every per-step property checked; returns the state before it and
    the (deciphered) answer."""
    wire, plain = client.build(step) if step is not None else (junk, junk)
    before = server.state
    ciphered_context = server.ciphering is not None and before is not State.IDLE
    answer = server.receive(wire)
    if server.config is None:
        assert answer is None and server.state is State.IDLE
        return before, None
    if answer is None:  # an unconfirmed request gets no response (Green Book 9.4.6.1)
        assert unconfirmed(plain), (step, wire.hex(" "))
        assert server.state is before
        return before, None
    response = client.read(answer)
    kind = "aarq" if step in AARQ_STEPS else kind_of(plain) if plain else "other"
    assert server.state in allowed(kind, before, ciphered_context), (step, before, server.state)
    if kind == "aarq":
        assert isinstance(response, Aare)
        if before is not State.IDLE and decodes_as(plain, Aarq):
            # an AARQ in an association: refused for now (an undecodable one is refused
            # permanently: the server cannot tell what it asked for)
            assert response.result is AssociationResult.REJECTED_TRANSIENT
    if kind == "rlrq":
        assert isinstance(response, Rlre)
    if server.state is State.ASSOCIATED:
        assert server.services is not None
    if before is State.IDLE and kind == "other":
        assert isinstance(response, ExceptionResponse), (step, response)
    return before, response


@pytest.mark.parametrize("client_sap", [16, 32, 1, 99])
@pytest.mark.parametrize("setup", list(SETUPS))
@pytest.mark.parametrize("step", list(Step))
def test_state_table(client_sap: int, setup: str, step: Step) -> None:
    """Every state x every step, exhaustively."""
    server, client = new_server(client_sap), Client()
    for s in SETUPS[setup]:
        play(server, client, s)
    before, response = play(server, client, step)
    if client_sap == 1 and setup == "pending":
        assert before is State.PENDING
        if step is Step.CIPHERED_PASS3:
            assert server.state is State.ASSOCIATED
        if step is Step.CIPHERED_PASS3_WRONG:
            assert server.state is State.IDLE
        if step in (Step.PASS3, Step.PASS3_WRONG):  # plain APDUs in a ciphered context
            assert isinstance(response, ExceptionResponse)
            assert server.state is State.PENDING
    if before is State.ASSOCIATED and step is Step.GET:
        expected = ExceptionResponse if client_sap == 1 else GetResponseNormal
        assert isinstance(response, expected)  # client 1 must cipher
    if before is State.ASSOCIATED and client_sap != 1 and step is Step.GET_LIST:
        assert isinstance(response, (GetResponseWithList, GetResponseWithDatablock))
    if setup == "long-get" and client_sap == 16 and step is Step.GET_NEXT:
        assert isinstance(response, GetResponseWithDatablock)
        assert response.datablock.block_number == 2
    if before is State.ASSOCIATED and client_sap == 1 and step is Step.CIPHERED_GET:
        assert isinstance(response, GetResponseNormal)
        assert isinstance(play(server, client, Step.REPLAY)[1], ExceptionResponse)


def test_the_table_reaches_every_state() -> None:
    reached = set()
    for setup in SETUPS.values():
        server, client = new_server(1), Client()
        for s in setup:
            play(server, client, s)
        reached.add(server.state)
    assert reached == set(State)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client_sap=st.sampled_from([16, 32, 1, 99]), steps=st.lists(STEPS, max_size=12))
def test_random_sequences(client_sap: int, steps: list[tuple[Step | None, bytes]]) -> None:
    server, client = new_server(client_sap), Client()
    for step, junk in steps:
        play(server, client, step, junk)


@settings(max_examples=100, deadline=None)
@given(
    client_sap=st.sampled_from([16, 32, 1]),
    setup=st.sampled_from(list(SETUPS)),
    data=st.binary(max_size=64),
)
def test_garbage_in_every_state(client_sap: int, setup: str, data: bytes) -> None:
    """Garbage is answered, and the state stays put unless the garbage is itself a
    valid AARQ, RLRQ or HLS reply."""
    server, client = new_server(client_sap), Client()
    for step in SETUPS[setup]:
        play(server, client, step)
    play(server, client, None, data)


# -- every xDLMS request the apdu strategies generate, in an open association ---------------

REQUESTS = st.one_of(
    [
        s
        for s in MESSAGES
        if "Request" in repr(s) and "Notification" not in repr(s)  # client -> server only
    ]
)
#: Descriptors of objects that exist, so that requests reach the object model.
KNOWN = st.sampled_from([ENERGY, BIG, CosemAttributeDescriptor(1, Obis.parse("0.0.96.1.0.255"), 2)])


def retarget(request: Apdu, known: CosemAttributeDescriptor) -> Apdu:
    """Point a generated single-attribute request at an object that exists."""
    if isinstance(request, (GetRequestNormal, SetRequestNormal)):
        return dataclasses.replace(request, cosem_attribute_descriptor=known)
    return request


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    setup=st.sampled_from(["public", "long-get", "lls", "hls"]),
    requests=st.lists(st.tuples(REQUESTS, KNOWN, st.booleans()), min_size=1, max_size=6),
)
def test_generated_requests_in_an_association(
    setup: str, requests: list[tuple[Apdu, CosemAttributeDescriptor, bool]]
) -> None:
    client_sap = {"public": 16, "long-get": 16, "lls": 32, "hls": 1}[setup]
    server, client = new_server(client_sap), Client()
    for s in SETUPS[setup]:
        play(server, client, s)
    assert server.state is State.ASSOCIATED
    for request, known, aimed in requests:
        plain = (retarget(request, known) if aimed else request).to_bytes()
        wire = client.cipher(plain) if client_sap == 1 else plain
        answer = server.receive(wire)
        if unconfirmed(plain):  # no response to an unconfirmed service (9.4.6.1)
            assert answer is None
            continue
        assert answer is not None
        response = client.read(answer)
        assert not isinstance(response, (Aare, Rlre))
        if client_sap == 1:
            assert is_ciphered(answer[0]) or isinstance(response, ExceptionResponse)
        assert server.state is State.ASSOCIATED
