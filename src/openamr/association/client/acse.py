"""Association establishment and release, client side (Green Book 9.4.2 "ACSE
services", 9.2.7.4 "HLS authentication", IEC 62056-5-3 8.x).

Establishment is one exchange of two APDUs, or four with HLS::

    pass 1  AARQ  context, mechanism, calling-AP-title (system title), CtoS or the
                  password, user-information: xDLMS InitiateRequest (glo-initiate
                  ciphered with the GUEK/GAK in a ciphered context)
    pass 2  AARE  result and diagnostic, responding-AP-title, StoC, InitiateResponse
                  (negotiated conformance, server max receive PDU size)
    pass 3  ACTION reply_to_HLS_authentication (class 15, 0.0.40.0.0.255, method 1)
                  with f(StoC) = SC || IC || GMAC(SC || AK || StoC)
    pass 4  ACTION-Response success with f(CtoS), checked by the client

A rejected AARE raises :class:`~openamr.association.client.errors.AssociationRefused`
naming its diagnostic; a failed pass 3 or 4 raises ``AuthenticationFailed``.
"""

from __future__ import annotations

from collections.abc import Callable

from openamr.apdu.acse import (
    Aare,
    Aarq,
    AcseRequirements,
    AssociationResult,
    ReleaseResponseReason,
    Rlre,
)
from openamr.apdu.action import ActionRequestNormal, ActionResponseNormal
from openamr.apdu.base import Apdu, decode_apdu
from openamr.apdu.descriptors import CosemMethodDescriptor, InvokeIdAndPriority
from openamr.apdu.initiate import (
    ConfirmedServiceError,
    Conformance,
    InitiateRequest,
    InitiateResponse,
)
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import ActionResult
from openamr.association.client.errors import AssociationRefused, AuthenticationFailed, words
from openamr.association.client.exchange import Channel, Done, Exchange, check_invoke_id, unexpected
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.types import OctetString
from openamr.errors import DlmsError, RemoteProtocolError, SecurityError
from openamr.security import hls
from openamr.security.ciphering import CipheringSession, is_ciphered
from openamr.security.counters import OutgoingCounter
from openamr.security.keys import SecurityContext

#: Association LN, current association, method reply_to_HLS_authentication.
REPLY_TO_HLS_AUTHENTICATION = CosemMethodDescriptor(15, Obis(0, 0, 40, 0, 0, 255), 1)
DLMS_VERSION = 6


@record
class Associated:
    """The outcome of establishment: what the server accepted (its InitiateResponse)."""

    conformance: Conformance
    server_max_receive_pdu_size: int
    dlms_version: int
    server_system_title: bytes | None
    vaa_name: int


@record
class AarqParameters:
    """What goes into the AARQ (the association's settings and this attempt's CtoS)."""

    context: ApplicationContextName
    mechanism: MechanismName
    conformance: Conformance
    max_receive_pdu_size: int
    calling_ap_title: bytes | None
    authentication_value: bytes | None


def build_aarq(p: AarqParameters, session: CipheringSession | None) -> Aarq:
    """The AARQ of pass 1; the InitiateRequest is glo-ciphered by ``session`` when the
    context is ciphered (and then carries the dedicated key, if the keys hold one)."""
    dedicated = session.context.keys.dedicated_ek if session is not None else None
    initiate = InitiateRequest(
        proposed_conformance=p.conformance,
        client_max_receive_pdu_size=p.max_receive_pdu_size,
        proposed_dlms_version_number=DLMS_VERSION,
        dedicated_key=dedicated,
    ).to_bytes()
    authenticated = p.mechanism is not MechanismName.NONE
    return Aarq(
        application_context_name=p.context,
        calling_ap_title=p.calling_ap_title,
        sender_acse_requirements=AcseRequirements.AUTHENTICATION if authenticated else None,
        mechanism_name=p.mechanism if authenticated else None,
        calling_authentication_value=p.authentication_value,
        user_information=session.encipher(initiate) if session is not None else initiate,
    )


def _user_information(aare: Aare, session: CipheringSession | None) -> Apdu | None:
    info = aare.user_information
    if info is None:
        return None
    if is_ciphered(info[0]):
        if session is None:
            raise SecurityError("a ciphered InitiateResponse in a context without ciphering")
        return decode_apdu(session.decipher(info).apdu)
    if session is not None and info[0] != ConfirmedServiceError.TAG:
        raise SecurityError("a plain InitiateResponse in a ciphered context")
    return decode_apdu(info)


def _refusal(aare: Aare, session: CipheringSession | None) -> AssociationRefused:
    try:
        info = _user_information(aare, session)
    except DlmsError:
        info = None  # a refusal that we cannot read further is still a refusal
    error = info if isinstance(info, ConfirmedServiceError) else None
    return AssociationRefused(aare.result, aare.result_source_diagnostic, error)


def read_aare(
    aare: Aare, context: ApplicationContextName, session: CipheringSession | None
) -> Associated:
    """Check the AARE of pass 2: accepted, our context, a readable InitiateResponse.
    In a ciphered context the server's system title (responding-AP-title) becomes the
    peer title of ``session`` before its InitiateResponse is deciphered."""
    if aare.result is not AssociationResult.ACCEPTED:
        raise _refusal(aare, session)
    if aare.application_context_name != context:
        raise RemoteProtocolError(
            f"the AARE accepts another context: {aare.application_context_name}"
        )
    title = aare.responding_ap_title
    if session is not None:
        if title is None:
            raise SecurityError("a ciphered context, and the AARE names no server system title")
        session.context = session.context.with_peer(title)
    info = _user_information(aare, session)
    if isinstance(info, ConfirmedServiceError):
        raise AssociationRefused(aare.result, aare.result_source_diagnostic, info)
    if not isinstance(info, InitiateResponse):
        raise RemoteProtocolError("the accepting AARE carries no InitiateResponse")
    return Associated(
        conformance=info.negotiated_conformance,
        server_max_receive_pdu_size=info.server_max_receive_pdu_size,
        dlms_version=info.negotiated_dlms_version_number,
        server_system_title=title,
        vaa_name=info.vaa_name,
    )


class EstablishExchange(Exchange[Associated]):
    """Passes 1 to 4; ``on_associated`` is told once the association stands."""

    def __init__(
        self,
        channel: Channel,
        p: AarqParameters,
        session: CipheringSession | None,
        hls_keys: SecurityContext | None,
        outgoing: OutgoingCounter,
        iip: InvokeIdAndPriority,
        on_associated: Callable[[Associated], None],
    ) -> None:
        super().__init__(channel, build_aarq(p, session))
        self._context = p.context
        self._mechanism = p.mechanism
        self._ctos = p.authentication_value or b""
        self._session = session
        self._hls = hls_keys
        self._outgoing = outgoing
        self._iip = iip
        self._on_associated = on_associated
        self._pending: Associated | None = None

    def _step(self, apdu: Apdu) -> Apdu | Done[Associated]:
        if self._pending is not None:
            return self._pass4(apdu, self._pending)
        if not isinstance(apdu, Aare):
            raise unexpected(apdu, "the AARQ")
        associated = read_aare(apdu, self._context, self._session)
        if self._mechanism is not MechanismName.HLS_GMAC:
            return self._done(associated)
        self._pending = associated
        return self._pass3(apdu)

    def _done(self, associated: Associated) -> Done[Associated]:
        self._on_associated(associated)
        return Done(associated)

    def _pass3(self, aare: Aare) -> Apdu:
        stoc = aare.responding_authentication_value
        assert self._hls is not None
        if stoc is None or aare.responding_ap_title is None:
            raise AuthenticationFailed("the AARE carries no StoC challenge or no system title")
        keys, title = self._hls.keys, self._hls.own_system_title
        try:
            f_stoc = hls.client_reply(stoc, title, self._outgoing.next(), keys.ek, keys.ak)
        except SecurityError as e:
            raise AuthenticationFailed(str(e)) from None
        return ActionRequestNormal(REPLY_TO_HLS_AUTHENTICATION, OctetString(f_stoc), self._iip)

    def _pass4(self, apdu: Apdu, associated: Associated) -> Done[Associated]:
        if not isinstance(apdu, ActionResponseNormal):
            raise unexpected(apdu, "reply_to_HLS_authentication")
        check_invoke_id(apdu, self._iip)
        response = apdu.single_response
        if response.result is not ActionResult.SUCCESS:
            raise AuthenticationFailed(f"the server refused f(StoC): {words(response.result)}")
        f_ctos = response.return_parameters
        if not isinstance(f_ctos, bytes):
            raise AuthenticationFailed("the server returned no f(CtoS)")
        assert self._hls is not None and associated.server_system_title is not None
        keys = self._hls.keys
        try:
            hls.client_check(f_ctos, self._ctos, associated.server_system_title, keys.ek, keys.ak)
        except SecurityError as e:
            raise AuthenticationFailed(f"the server's f(CtoS) does not verify: {e}") from None
        return self._done(associated)


@record
class Released:
    """The outcome of release: the RLRE's reason (None when it gave none)."""

    reason: ReleaseResponseReason | None


class ReleaseExchange(Exchange[Released]):
    """RLRQ -> RLRE (Green Book 9.4.2 A-RELEASE)."""

    def _step(self, apdu: Apdu) -> Apdu | Done[Released]:
        if not isinstance(apdu, Rlre):
            raise unexpected(apdu, "the RLRQ")
        return Done(Released(apdu.reason))


__all__ = [
    "AarqParameters",
    "Associated",
    "EstablishExchange",
    "Released",
    "ReleaseExchange",
    "build_aarq",
    "read_aare",
]
