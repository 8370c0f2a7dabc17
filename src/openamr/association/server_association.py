"""The server side of one association, sans-IO: APDU bytes in, APDU bytes out
(Green Book 9.4 "COSEM application layer"; IEC 62056-5-3).

States::

    IDLE --AARQ ok--> ASSOCIATED                       (no authentication, LLS)
    IDLE --AARQ ok, HLS--> PENDING --pass 3 ok--> ASSOCIATED
    PENDING --pass 3 fails--> IDLE
    ASSOCIATED --RLRQ--> IDLE

Every refusal is a protocol value: an AARE rejected with its diagnostic, an
ExceptionResponse, a DataAccessResult. Undecodable input never raises out of
:meth:`ServerAssociation.receive`; it is answered (or dropped where the standard
says nothing can be answered).

Security (Green Book 9.2.7.2.4, 9.4.2):

- the last invocation counter accepted per client system title and key is the
  meter's (``received``), not the association's: a request captured in one
  association is refused in every later one;
- at the end of the counter space (IC 2**32 - 1 accepted, or the server's own
  counter used up) nothing more is ciphered under that key: requests get a plain
  ExceptionResponse ``deciphering-error`` (the expected IC would not fit the
  Unsigned32 of ``invocation-counter-error``) and AARQs an AARE rejected, until
  the key is changed;
- in a ciphered context nothing plain is acted on: an xDLMS APDU must come
  ciphered, and an RLRQ must carry a ciphered xDLMS InitiateRequest in its
  user-information (9.4.2.2.4); a plain one is answered RLRE ``not-finished`` and
  the association stays;
- an unconfirmed service request (service-class bit 0 of invoke-id-and-priority)
  gets no response (9.4.6.1), refused or not;
- authentication failures go to the association's
  :class:`~openamr.security.lls.LlsGuard`: a wrong LLS password, and for HLS a
  ciphered InitiateRequest that does not authenticate or a wrong f(StoC) in pass 3
  (``reply_to_HLS_authentication``, Green Book 9.2.7.4); an AARQ before its time is
  refused (rejected-transient, authentication-failure) without its password or
  challenge being looked at, and a good pass 3 (or LLS password) resets the count.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping

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
from openamr.apdu.action import (
    ActionRequestNormal,
    ActionResponseNormal,
    ActionResponseWithOptionalData,
)
from openamr.apdu.base import Apdu, decode_apdu
from openamr.apdu.ciphered import CipheredService
from openamr.apdu.descriptors import ServiceApdu
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.initiate import (
    ConfirmedServiceError,
    InitiateRequest,
    InitiateResponse,
)
from openamr.apdu.mechanism import MechanismName
from openamr.apdu.results import ActionResult, ServiceError, StateError
from openamr.apdu.service_error import ConfirmedServiceName, InitiateError
from openamr.association.config import AssociationConfig
from openamr.association.handler import Negotiated
from openamr.association.services import ServiceServer
from openamr.codec.obis import Obis
from openamr.errors import DecodeError, DlmsError, SecurityError
from openamr.security import hls
from openamr.security.ciphering import (
    GENERAL_DED_CIPHERING,
    GENERAL_GLO_CIPHERING,
    CipheringSession,
    is_ciphered,
)
from openamr.security.counters import (
    IncomingCounter,
    OutgoingCounter,
    ReceivedCounters,
    ReplayError,
)
from openamr.security.lls import check_secret

CURRENT_ASSOCIATION = Obis(0, 0, 40, 0, 0, 255)
ASSOCIATION_LN_CLASS = 15
REPLY_TO_HLS_AUTHENTICATION = 1
#: The smallest client max receive PDU size the standard allows.
MIN_PDU_SIZE = 12
DLMS_VERSION = 6
#: get-, set- and action-request: the services that may come unconfirmed.
REQUEST_TAGS = frozenset({0xC0, 0xC1, 0xC3})


class State(enum.Enum):
    IDLE = "idle"
    PENDING = "association pending"
    ASSOCIATED = "associated"


class ServerAssociation:
    """One client's association with this server over one connection.

    ``configs`` maps client SAP -> what is offered; ``random`` gives challenge
    bytes (injected: sans-IO); ``outgoing`` keeps the server's outgoing invocation
    counter and ``received`` the last counters accepted from clients, across
    associations (the meter persists both)."""

    def __init__(
        self,
        configs: Mapping[int, AssociationConfig],
        client_sap: int,
        random: Callable[[int], bytes],
        outgoing: OutgoingCounter | None = None,
        received: ReceivedCounters | None = None,
    ) -> None:
        self.config = configs.get(client_sap)
        self.client_sap = client_sap
        self.random = random
        self.outgoing = outgoing if outgoing is not None else OutgoingCounter(1)
        self.received = received if received is not None else ReceivedCounters()
        self.now = 0.0
        self.state = State.IDLE
        self.services: ServiceServer | None = None
        self.ciphering: CipheringSession | None = None
        self._stoc = b""
        self._ctos = b""
        self._client_title = b""
        self._initiate_response: InitiateResponse | None = None

    # -- entry point ------------------------------------------------------------------

    def receive(self, data: bytes, now: float = 0.0) -> bytes | None:
        """Answer one APDU from the client (None: nothing to send). ``now`` (seconds,
        monotonic) times the guard's delays (LLS and HLS)."""
        if self.config is None:
            return None  # an unknown client SAP: the standard has the server stay silent
        self.now = now
        ciphered = bool(data) and is_ciphered(data[0])
        try:
            plain = self._decipher(data) if ciphered else data
            apdu = decode_apdu(plain)
        except SecurityError as e:
            return self._exception(ServiceError.DECIPHERING_ERROR, e)
        except DecodeError:
            if data[:1] == b"\x60":
                return _aare_rejected(self.config, AcseServiceUser.NO_REASON_GIVEN).to_bytes()
            return ExceptionResponse(
                StateError.SERVICE_UNKNOWN, ServiceError.SERVICE_NOT_SUPPORTED
            ).to_bytes()
        if ciphered and self.outgoing.exhausted and not isinstance(apdu, Aarq | Rlrq):
            # no answer could be ciphered: do not act on what cannot be answered
            return _counter_exhausted().to_bytes()
        try:
            answer = self._dispatch(apdu, ciphered)
            if answer is None or _unconfirmed(apdu):
                return None
            encoded = answer.to_bytes()
            if (
                ciphered
                and self.ciphering is not None
                and not isinstance(answer, ExceptionResponse)
            ):
                # answer in the form the client used (Green Book 9.2.7.2.4)
                general = data[0] in (GENERAL_GLO_CIPHERING, GENERAL_DED_CIPHERING)
                dedicated = _dedicated(data[0])
                return self.ciphering.encipher(encoded, dedicated=dedicated, general=general)
        except SecurityError:  # no invocation counter to cipher with (used up, or unreserved)
            if isinstance(apdu, Aarq):
                return _aare_rejected(self.config, AcseServiceUser.NO_REASON_GIVEN).to_bytes()
            return _counter_exhausted().to_bytes()
        return encoded

    def _dispatch(self, apdu: Apdu, ciphered: bool) -> Apdu | None:
        """Look the APDU up in the state's row of :data:`DISPATCH`; what a row does not
        name is refused (Green Book 9.4: services by association state)."""
        row = DISPATCH[self.state]
        handler = row.get(type(apdu)) or row.get(Apdu)
        if handler is None:
            return _refused()
        return handler(self, apdu, ciphered)

    def _on_aarq(self, apdu: Apdu, ciphered: bool) -> Apdu:
        assert isinstance(apdu, Aarq)
        return self._associate(apdu)

    def _on_rlrq(self, apdu: Apdu, ciphered: bool) -> Apdu:
        assert isinstance(apdu, Rlrq)
        # a ciphered context is released only by a client that proves itself: the
        # RLRQ's user-information is a ciphered InitiateRequest (Green Book 9.4.2.2.4),
        # deciphered (once: its IC is then spent) by _release
        plain = apdu.user_information is None  # a plain RLRQ in a ciphered context
        if plain and self.ciphering is not None and self.state is not State.IDLE:
            return Rlre(reason=ReleaseResponseReason.NOT_FINISHED)
        return self._release(apdu)

    def _service(self, apdu: Apdu, ciphered: bool) -> Apdu:
        if self.services is None or (
            self.config is not None and self.config.ciphered and not ciphered
        ):
            return _refused()  # a ciphered context takes no plain xDLMS APDU
        return self.services.handle(apdu)

    def _pass3_checked(self, apdu: Apdu, ciphered: bool) -> Apdu:
        if self.config is not None and self.config.ciphered and not ciphered:
            return _refused()  # HLS pass 3 too must come ciphered in a ciphered context
        return self._pass3(apdu)

    def _decipher(self, data: bytes) -> bytes:
        if self.ciphering is None:
            raise SecurityError("a ciphered APDU outside a ciphered association")
        return self.ciphering.decipher(data).apdu

    def _exception(self, error: ServiceError, cause: DlmsError) -> bytes:
        if isinstance(cause, ReplayError) and cause.exhausted:
            return _counter_exhausted().to_bytes()
        if isinstance(cause, ReplayError):
            return ExceptionResponse(
                StateError.SERVICE_NOT_ALLOWED,
                ServiceError.INVOCATION_COUNTER_ERROR,
                cause.expected,
            ).to_bytes()
        return ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, error).to_bytes()

    # -- association establishment ----------------------------------------------------

    def _associate(self, aarq: Aarq) -> Apdu:
        config = self.config
        assert config is not None
        if self.state is not State.IDLE:
            return _aare_rejected(config, AcseServiceUser.NO_REASON_GIVEN, transient=True)
        if aarq.application_context_name != config.context:
            return _aare_rejected(config, AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        if config.ciphered and self.outgoing.exhausted:
            return _aare_rejected(config, AcseServiceUser.NO_REASON_GIVEN)  # change the key
        guard = config.guard if config.mechanism is not MechanismName.NONE else None
        if guard is not None and guard.wait(self.now) > 0:
            return _aare_rejected(config, AcseServiceUser.AUTHENTICATION_FAILURE, transient=True)
        refusal = self._authenticate(aarq, config)
        if guard is not None and refusal is AcseServiceUser.AUTHENTICATION_FAILURE:
            guard.failed(self.now)
        elif guard is not None and refusal is None and config.mechanism is MechanismName.LLS:
            guard.succeeded()  # HLS succeeds only at pass 3
        if refusal is not None:
            return _aare_rejected(config, refusal)
        try:
            initiate = self._initiate_request(aarq, config)
        except SecurityError:  # the ciphered InitiateRequest does not authenticate: keys
            if guard is not None:
                guard.failed(self.now)
            return _aare_rejected(config, AcseServiceUser.AUTHENTICATION_FAILURE)
        except (DlmsError, ValueError):
            return _aare_rejected(config, AcseServiceUser.NO_REASON_GIVEN)
        error = _check_initiate(initiate, config)
        if error is not None:
            service_error = ConfirmedServiceError(ConfirmedServiceName.INITIATE_ERROR, error)
            return _aare_rejected(config, AcseServiceUser.NO_REASON_GIVEN, service_error.to_bytes())
        return self._accept(aarq, config, initiate)

    def _authenticate(self, aarq: Aarq, config: AssociationConfig) -> AcseServiceUser | None:
        wanted = config.mechanism
        got = aarq.mechanism_name if aarq.mechanism_name is not None else MechanismName.NONE
        if wanted is MechanismName.NONE:
            return (
                None
                if got is MechanismName.NONE
                else AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED
            )
        if got is MechanismName.NONE:
            return AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_REQUIRED
        if got != wanted:
            return AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED
        value = aarq.calling_authentication_value or b""
        if wanted is MechanismName.LLS:
            return (
                None
                if check_secret(value, config.secret)
                else AcseServiceUser.AUTHENTICATION_FAILURE
            )
        if wanted is MechanismName.HLS_GMAC:
            if config.security is None or aarq.calling_ap_title is None:
                return AcseServiceUser.AUTHENTICATION_FAILURE
            if not 8 <= len(value) <= 64:
                return AcseServiceUser.AUTHENTICATION_FAILURE
            self._ctos = value
            self._client_title = aarq.calling_ap_title
            return None
        return AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED

    def _initiate_request(self, aarq: Aarq, config: AssociationConfig) -> InitiateRequest:
        info = aarq.user_information
        if info is None:
            raise DecodeError(0, "AARQ without an xDLMS InitiateRequest")
        if config.ciphered:
            if config.security is None or aarq.calling_ap_title is None:
                raise SecurityError("a ciphered context needs keys and the client's system title")
            self._client_title = aarq.calling_ap_title
            self.ciphering = CipheringSession(
                config.security.with_peer(aarq.calling_ap_title),
                config.protection,
                self.outgoing,
                IncomingCounter(),
                self.received,
            )
            info = self.ciphering.decipher(info).apdu
        initiate = InitiateRequest.from_bytes(info)
        if initiate.dedicated_key is not None and self.ciphering is not None:
            context = self.ciphering.context
            keys = context.keys.with_dedicated(initiate.dedicated_key)
            self.ciphering.context = dataclasses.replace(context, keys=keys)
        return initiate

    def _accept(self, aarq: Aarq, config: AssociationConfig, initiate: InitiateRequest) -> Apdu:
        conformance = initiate.proposed_conformance & config.conformance
        client_max = initiate.client_max_receive_pdu_size or 0xFFFF
        response = InitiateResponse(
            negotiated_conformance=conformance,
            server_max_receive_pdu_size=config.max_receive_pdu_size,
        )
        self._initiate_response = response
        info = response.to_bytes()
        if self.ciphering is not None:
            info = self.ciphering.encipher(info)
        hls_pending = config.mechanism is MechanismName.HLS_GMAC
        authenticated = config.mechanism is not MechanismName.NONE
        negotiated = Negotiated(
            conformance,
            max_receive_pdu_size=config.max_receive_pdu_size,
            max_send_pdu_size=min(client_max, 0xFFFF),
            dlms_version=DLMS_VERSION,
            quality_of_service=initiate.proposed_quality_of_service or 0,
        )
        self.services = ServiceServer(
            config.open_handler(hls_pending and config.ciphered, negotiated),
            max_pdu_size=min(client_max, 0xFFFF) - (24 if config.ciphered else 0),
            conformance=conformance,
        )
        if hls_pending:
            assert config.security is not None
            self._stoc = self.random(16)
            self.state = State.PENDING
        else:
            self.state = State.ASSOCIATED
        return Aare(
            application_context_name=config.context,
            result=AssociationResult.ACCEPTED,
            result_source_diagnostic=(
                AcseServiceUser.AUTHENTICATION_REQUIRED if hls_pending else AcseServiceUser.NULL
            ),
            responding_ap_title=config.security.own_system_title if config.security else None,
            responder_acse_requirements=AcseRequirements.AUTHENTICATION if authenticated else None,
            mechanism_name=config.mechanism if authenticated else None,
            responding_authentication_value=self._stoc if hls_pending else None,
            user_information=info,
        )

    def _pass3(self, apdu: Apdu) -> Apdu:
        """HLS pass 3 (client proves) and pass 4 (server proves), Green Book 9.2.7.4."""
        config = self.config
        assert config is not None and config.security is not None
        m = apdu.cosem_method_descriptor if isinstance(apdu, ActionRequestNormal) else None
        if m is None or (m.class_id, m.instance_id, m.method_id) != (
            ASSOCIATION_LN_CLASS,
            CURRENT_ASSOCIATION,
            REPLY_TO_HLS_AUTHENTICATION,
        ):
            return ExceptionResponse(
                StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE
            )
        assert isinstance(apdu, ActionRequestNormal)
        keys = config.security.keys
        f_stoc = apdu.method_invocation_parameters
        try:
            if not isinstance(f_stoc, bytes):
                raise SecurityError("f(StoC) is not an octet-string")
            hls.server_check(f_stoc, self._stoc, self._client_title, keys.ek, keys.ak)
        except SecurityError:
            self.state = State.IDLE
            self.services = None
            if config.guard is not None:
                config.guard.failed(self.now)  # a wrong f(StoC) counts as a wrong password
            result = ActionResponseWithOptionalData(ActionResult.OTHER_REASON)
            return ActionResponseNormal(result, apdu.invoke_id_and_priority)
        if config.guard is not None:
            config.guard.succeeded()
        f_ctos = hls.server_reply(
            self._ctos, config.security.own_system_title, self.outgoing.next(), keys.ek, keys.ak
        )
        self.state = State.ASSOCIATED
        result = ActionResponseWithOptionalData(ActionResult.SUCCESS, f_ctos)
        return ActionResponseNormal(result, apdu.invoke_id_and_priority)

    def _release(self, rlrq: Rlrq) -> Apdu:
        """RLRQ -> RLRE. In a ciphered context the RLRQ may carry the ciphered xDLMS
        InitiateRequest (proving the release comes from the client that associated):
        the RLRE then carries the ciphered InitiateResponse of the association being
        released (Green Book 9.3.3.2). Decision: a user-information that does not
        decipher (a third party) releases nothing and gets RLRE reason not-finished."""
        info = None
        if rlrq.user_information is not None and self.ciphering is not None:
            try:
                InitiateRequest.from_bytes(self.ciphering.decipher(rlrq.user_information).apdu)
            except (DlmsError, ValueError):
                return Rlre(reason=ReleaseResponseReason.NOT_FINISHED)
            if self._initiate_response is not None and not self.outgoing.exhausted:
                info = self.ciphering.encipher(self._initiate_response.to_bytes())
        self.state = State.IDLE
        self.services = None
        self._initiate_response = None
        return Rlre(reason=ReleaseResponseReason.NORMAL, user_information=info)


Handler = Callable[[ServerAssociation, Apdu, bool], "Apdu | None"]

#: The server association as a table: per state, the handler of each kind of APDU
#: (``Apdu``: any other kind). Transitions happen in the handlers, by outcome:
#: IDLE -AARQ accepted-> ASSOCIATED (or PENDING for HLS) ; PENDING -pass 3 ok->
#: ASSOCIATED, -fails-> IDLE ; any -RLRQ-> IDLE.
DISPATCH: dict[State, dict[type[Apdu], Handler]] = {
    State.IDLE: {
        Aarq: ServerAssociation._on_aarq,
        Rlrq: ServerAssociation._on_rlrq,
    },
    State.PENDING: {
        Aarq: ServerAssociation._on_aarq,
        Rlrq: ServerAssociation._on_rlrq,
        ActionRequestNormal: ServerAssociation._pass3_checked,
    },
    State.ASSOCIATED: {
        Aarq: ServerAssociation._on_aarq,
        Rlrq: ServerAssociation._on_rlrq,
        Apdu: ServerAssociation._service,
    },
}


def _counter_exhausted() -> ExceptionResponse:
    """The key's counter space is used up (Green Book 9.2.7.2.4): change the key."""
    return ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.DECIPHERING_ERROR)


def _unconfirmed(apdu: Apdu) -> bool:
    """An unconfirmed service request: the server sends no response (9.4.6.1)."""
    return (
        isinstance(apdu, ServiceApdu)
        and apdu.TAG in REQUEST_TAGS
        and not apdu.invoke_id_and_priority.confirmed
    )


def _refused() -> ExceptionResponse:
    return ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OPERATION_NOT_POSSIBLE)


def _aare_rejected(
    config: AssociationConfig,
    diagnostic: AcseServiceUser,
    user_information: bytes | None = None,
    transient: bool = False,
) -> Aare:
    return Aare(
        application_context_name=config.context,
        result=AssociationResult.REJECTED_TRANSIENT
        if transient
        else AssociationResult.REJECTED_PERMANENT,
        result_source_diagnostic=diagnostic,
        user_information=user_information,
    )


def _dedicated(tag: int) -> bool:
    """Whether a ciphered request used the dedicated key (then so does the answer)."""
    if tag == GENERAL_DED_CIPHERING:
        return True
    service = CipheredService._value2member_map_.get(tag)
    return isinstance(service, CipheredService) and service.dedicated


def _check_initiate(initiate: InitiateRequest, config: AssociationConfig) -> InitiateError | None:
    if not initiate.proposed_conformance & config.conformance:
        return InitiateError.INCOMPATIBLE_CONFORMANCE
    if initiate.proposed_dlms_version_number < DLMS_VERSION:
        return InitiateError.DLMS_VERSION_TOO_LOW
    if initiate.client_max_receive_pdu_size and initiate.client_max_receive_pdu_size < MIN_PDU_SIZE:
        return InitiateError.PDU_SIZE_TOO_SHORT
    return None
