"""The client side of one association, sans-IO (Green Book 9.4 "COSEM application
layer"; IEC 62056-5-3). No sockets, no clock: APDU bytes in, APDU bytes out, and the
random bytes of the HLS challenge from an injected ``random(n)``.

Every operation is an :class:`~openamr.association.client.exchange.Exchange` that
returns the APDU bytes to send and takes the answers, until it is ``Done``::

    assoc = ClientAssociation(
        ClientSettings(mechanism=MechanismName.LLS, password=b"12345678"), random=os.urandom
    )
    x = assoc.associate()
    done = x.receive(transport(x.bytes_to_send()))       # LLS: Done(Associated(...))
    energy = assoc.get(attribute(3, "1.0.1.8.0.255", 2))
    out = energy.bytes_to_send()
    while isinstance(step := energy.receive(transport(out)), Send):
        out = step.data                                   # a long GET: Get-Request-Next
    value = step.result                                   # Data | DataAccessResult
    assoc.release().run(transport)                        # run(): the same loop

An asyncio driver is the same loop with awaits (and ``x.cancel()`` on a timeout)::

    async def run(x: Exchange[T]) -> T:
        out = x.bytes_to_send()
        while True:
            await link.send(out)
            step = x.receive(await link.receive())
            if isinstance(step, Done):
                return step.result
            out = step.data

States (one exchange at a time; a failed or cancelled exchange frees the association)::

    IDLE        --associate()-->   ASSOCIATING
    ASSOCIATING --AARE ok [HLS: pass 4 ok]--> ASSOCIATED
    ASSOCIATING --refused, error--> IDLE
    ASSOCIATED  --get/set/action--> ASSOCIATED
    ASSOCIATED  --release()-->     RELEASING --RLRE or error--> IDLE

In a ciphered context every xDLMS APDU goes glo-ciphered (ded- when the keys hold a
dedicated key, which the AARQ then carries); answers are deciphered and their
invocation counters checked against replay. The server's first counter is accepted
whatever it is; ours comes from ``outgoing`` (a head-end reads it from 0.0.43.1.x
over a public association first, and persists ``outgoing.value``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any, TypeVar

from openamr.apdu.acse import Aarq, ReleaseRequestReason, Rlrq
from openamr.apdu.action import ActionRequestNormal, ActionResponseWithOptionalData
from openamr.apdu.base import Apdu, decode_apdu
from openamr.apdu.descriptors import (
    ABSENT,
    Absent,
    CosemAttributeDescriptor,
    CosemAttributeDescriptorWithSelection,
    CosemMethodDescriptor,
    InvokeIdAndPriority,
    SelectiveAccessDescriptor,
)
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.get import GetDataResult, GetRequestNormal, GetRequestWithList
from openamr.apdu.initiate import ConfirmedServiceError, Conformance, InitiateRequest
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import DataAccessResult
from openamr.apdu.set import SetRequestNormal
from openamr.association.client.acse import (
    DLMS_VERSION,
    AarqParameters,
    Associated,
    EstablishExchange,
    Released,
    ReleaseExchange,
)
from openamr.association.client.errors import (
    ConfirmedServiceErrorReceived,
    ExceptionResponseReceived,
)
from openamr.association.client.exchange import Exchange
from openamr.association.client.services import (
    ActionExchange,
    GetExchange,
    GetWithListExchange,
    SetExchange,
)
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.types import Data
from openamr.errors import DecodeError, LocalProtocolError, SecurityError
from openamr.security import hls
from openamr.security.ciphering import CipheringSession, is_ciphered
from openamr.security.control_byte import AUTHENTICATED_ENCRYPTED, SecurityControl
from openamr.security.counters import IncomingCounter, OutgoingCounter
from openamr.security.keys import SecurityContext

#: What this client proposes (Green Book Table "Conformance"): GET, SET, ACTION,
#: selective access, multiple references and block transfer with all three.
CLIENT_CONFORMANCE = (
    Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
    | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | Conformance.BLOCK_TRANSFER_WITH_ACTION
    | Conformance.MULTIPLE_REFERENCES
    | Conformance.GET
    | Conformance.SET
    | Conformance.SELECTIVE_ACCESS
    | Conformance.ACTION
)
SUPPORTED_MECHANISMS = (MechanismName.NONE, MechanismName.LLS, MechanismName.HLS_GMAC)
#: The plain APDUs a server may send unciphered in a ciphered context.
_PLAIN_IN_CIPHERED = (0x61, 0x63, ExceptionResponse.TAG, ConfirmedServiceError.TAG)
#: ciphered APDU = tag | length(1..3) | SC(1) IC(4) | plain | T(12)
_CIPHERING_OVERHEAD = 1 + 1 + 4 + 12


X = TypeVar("X", bound="Exchange[Any]")


class State(enum.Enum):
    IDLE = "idle"
    ASSOCIATING = "associating"
    ASSOCIATED = "associated"
    RELEASING = "releasing"


@record(kw_only=True)
class ClientSettings:
    """What the client asks for. ``security`` holds the suite 0 keys and the client's
    system title (calling-AP-title); it is needed for HLS-GMAC and ciphered contexts.
    ``protection`` is applied to every APDU of a ciphered context and is the least
    protection accepted from the server."""

    context: ApplicationContextName = ApplicationContextName.LOGICAL_NAME
    mechanism: MechanismName = MechanismName.NONE
    password: bytes = field(default=b"", repr=False)
    security: SecurityContext | None = None
    protection: SecurityControl = AUTHENTICATED_ENCRYPTED
    conformance: Conformance = CLIENT_CONFORMANCE
    max_receive_pdu_size: int = 0xFFFF
    challenge_length: int = 16
    high_priority: bool = True
    cycle_invoke_id: bool = False

    def __post_init__(self) -> None:
        if self.mechanism not in SUPPORTED_MECHANISMS:
            raise LocalProtocolError(
                f"authentication mechanism {self.mechanism.name} is not supported"
            )
        if self.context not in (
            ApplicationContextName.LOGICAL_NAME,
            ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        ):
            raise LocalProtocolError(f"application context {self.context.name} is not supported")
        needs_keys = self.context.ciphered or self.mechanism is MechanismName.HLS_GMAC
        if needs_keys and self.security is None:
            raise LocalProtocolError("HLS-GMAC and ciphering need keys and a system title")
        if not hls.CHALLENGE_MIN <= self.challenge_length <= hls.CHALLENGE_MAX:
            raise LocalProtocolError(f"a challenge of {self.challenge_length} bytes")
        if not 12 <= self.max_receive_pdu_size <= 0xFFFF:
            raise LocalProtocolError(f"client max receive PDU size {self.max_receive_pdu_size}")


def attribute(class_id: int, logical_name: Obis | str, index: int) -> CosemAttributeDescriptor:
    """``attribute(3, "1.0.1.8.0.255", 2)``: the value of a Register."""
    ln = logical_name if isinstance(logical_name, Obis) else Obis.parse(logical_name)
    return CosemAttributeDescriptor(class_id, ln, index)


def method(class_id: int, logical_name: Obis | str, index: int) -> CosemMethodDescriptor:
    """``method(70, "0.0.96.3.10.255", 1)``: remote_disconnect of a Disconnect control."""
    ln = logical_name if isinstance(logical_name, Obis) else Obis.parse(logical_name)
    return CosemMethodDescriptor(class_id, ln, index)


AttributeRef = CosemAttributeDescriptor | CosemAttributeDescriptorWithSelection


class ClientAssociation:
    """One association of a client with one server over one connection."""

    def __init__(
        self,
        settings: ClientSettings,
        random: Callable[[int], bytes],
        outgoing: OutgoingCounter | None = None,
    ) -> None:
        self.settings = settings
        self.random = random
        self.outgoing = outgoing if outgoing is not None else OutgoingCounter()
        self.state = State.IDLE
        self.negotiated: Associated | None = None
        self.session: CipheringSession | None = None
        self._current: Exchange[Any] | None = None
        self._invoke_id = 1

    # -- establishment and release ---------------------------------------------------

    def associate(self) -> Exchange[Associated]:
        """AARQ ... AARE (and HLS passes 3 and 4): Done(Associated) or a refusal."""
        self._free(State.IDLE)
        s = self.settings
        hls_gmac = s.mechanism is MechanismName.HLS_GMAC
        ctos = self.random(s.challenge_length) if hls_gmac else None
        if ctos is not None and len(ctos) != s.challenge_length:
            raise LocalProtocolError(f"random() gave {len(ctos)} bytes, not {s.challenge_length}")
        session = self._new_session()
        title = s.security.own_system_title if s.security and (session or hls_gmac) else None
        params = AarqParameters(
            context=s.context,
            mechanism=s.mechanism,
            conformance=s.conformance,
            max_receive_pdu_size=s.max_receive_pdu_size,
            calling_ap_title=title,
            authentication_value=s.password if s.mechanism is MechanismName.LLS else ctos,
        )
        x = EstablishExchange(
            self, params, session, s.security, self.outgoing, self._iip(), self._associated
        )
        self.session, self.negotiated, self.state = session, None, State.ASSOCIATING
        return self._begin(x)

    def release(self) -> Exchange[Released]:
        """RLRQ (reason normal) ... RLRE; in a ciphered context the RLRQ carries the
        ciphered InitiateRequest, proving who releases (Green Book 9.3.3.2)."""
        self._free(State.ASSOCIATED)
        info = None
        if self.session is not None:
            s = self.settings
            initiate = InitiateRequest(
                proposed_conformance=s.conformance,
                client_max_receive_pdu_size=s.max_receive_pdu_size,
                proposed_dlms_version_number=DLMS_VERSION,
            )
            info = self.session.encipher(initiate.to_bytes())
        rlrq = Rlrq(reason=ReleaseRequestReason.NORMAL, user_information=info)
        x = ReleaseExchange(self, rlrq)
        self.state = State.RELEASING
        return self._begin(x)

    def _new_session(self) -> CipheringSession | None:
        s = self.settings
        if not s.context.ciphered or s.security is None:
            return None
        context = SecurityContext(s.security.keys, s.security.own_system_title)
        return CipheringSession(context, s.protection, self.outgoing, IncomingCounter())

    def _associated(self, associated: Associated) -> None:
        self.negotiated = associated
        self.state = State.ASSOCIATED

    # -- services --------------------------------------------------------------------

    def get(
        self,
        attribute: CosemAttributeDescriptor,
        selection: SelectiveAccessDescriptor | None = None,
    ) -> Exchange[GetDataResult]:
        """Get-Request-Normal (long answers reassembled): Done(Data | DataAccessResult)."""
        self._ready(Conformance.GET)
        return self._begin(GetExchange(self, GetRequestNormal(attribute, selection, self._iip())))

    def get_with_list(
        self, attributes: Sequence[AttributeRef]
    ) -> Exchange[tuple[GetDataResult, ...]]:
        """Get-Request-With-List; needs multiple-references (check :meth:`supports`
        and read one by one otherwise): Done(one result per attribute)."""
        self._ready(Conformance.GET | Conformance.MULTIPLE_REFERENCES)
        if not attributes:
            raise LocalProtocolError("get_with_list of no attributes")
        refs = tuple(
            a if isinstance(a, CosemAttributeDescriptorWithSelection)
            else CosemAttributeDescriptorWithSelection(a)
            for a in attributes
        )  # fmt: skip
        return self._begin(GetWithListExchange(self, GetRequestWithList(refs, self._iip())))

    def set(
        self,
        attribute: CosemAttributeDescriptor,
        value: Data,
        selection: SelectiveAccessDescriptor | None = None,
    ) -> Exchange[DataAccessResult]:
        """Set-Request-Normal, in blocks when too long: Done(DataAccessResult)."""
        self._ready(Conformance.SET)
        request = SetRequestNormal(attribute, value, selection, self._iip())
        blocks = self.supports(Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE)
        return self._begin(SetExchange(self, request, self.max_request_size, blocks))

    def action(
        self, method: CosemMethodDescriptor, parameters: Data | Absent = ABSENT
    ) -> Exchange[ActionResponseWithOptionalData]:
        """Action-Request-Normal, parameters in pblocks when too long:
        Done(ActionResponseWithOptionalData(result, return_parameters))."""
        self._ready(Conformance.ACTION)
        request = ActionRequestNormal(method, parameters, self._iip())
        blocks = self.supports(Conformance.BLOCK_TRANSFER_WITH_ACTION)
        return self._begin(ActionExchange(self, request, self.max_request_size, blocks))

    def supports(self, conformance: Conformance) -> bool:
        """Whether the server accepted every service of ``conformance``."""
        n = self.negotiated
        return n is not None and (n.conformance & conformance) == conformance

    @property
    def max_request_size(self) -> int:
        """The longest plain APDU we may send (the server's max receive PDU size, less
        the ciphering overhead in a ciphered context)."""
        n = self.negotiated
        limit = n.server_max_receive_pdu_size if n and n.server_max_receive_pdu_size else 0xFFFF
        if self.session is None:
            return limit
        return limit - _CIPHERING_OVERHEAD - (1 if limit < 128 else 2 if limit < 256 else 3)

    # -- the channel of the exchanges --------------------------------------------------

    def wrap(self, apdu: Apdu) -> bytes:
        data = apdu.to_bytes()
        if self.session is not None and not isinstance(apdu, Aarq | Rlrq):
            # the dedicated key serves the established association; pass 3 goes glo-
            has_key = self.session.context.keys.dedicated_ek is not None
            dedicated = has_key and self.state is State.ASSOCIATED
            data = self.session.encipher(data, dedicated=dedicated)
        n = self.negotiated
        if (
            n is not None
            and n.server_max_receive_pdu_size
            and len(data) > n.server_max_receive_pdu_size
        ):
            raise LocalProtocolError(
                f"a request of {len(data)} bytes exceeds the server's max receive PDU size "
                f"{n.server_max_receive_pdu_size}"
            )
        return data

    def unwrap(self, data: bytes) -> Apdu:
        if not data:
            raise DecodeError(0, "an empty APDU")
        if is_ciphered(data[0]):
            if self.session is None:
                raise SecurityError("a ciphered APDU in an association without ciphering")
            apdu = decode_apdu(self.session.decipher(data).apdu)
        elif self.session is not None and data[0] not in _PLAIN_IN_CIPHERED:
            raise SecurityError(f"an unciphered APDU {data[0]:#04x} in a ciphered association")
        else:
            apdu = decode_apdu(data)
        if isinstance(apdu, ExceptionResponse):
            raise ExceptionResponseReceived(apdu)
        if isinstance(apdu, ConfirmedServiceError):
            raise ConfirmedServiceErrorReceived(apdu)
        return apdu

    def exchange_finished(self, exchange: object) -> None:
        if exchange is self._current:
            self._current = None
        if self.state is State.ASSOCIATING or (
            self.state is State.RELEASING and isinstance(exchange, ReleaseExchange)
        ):
            self._reset()

    # -- helpers ----------------------------------------------------------------------

    def _reset(self) -> None:
        self.state = State.IDLE
        self.session = None
        self.negotiated = None

    def _free(self, wanted: State) -> None:
        if self._current is not None and not self._current.finished:
            raise LocalProtocolError("an exchange is in progress: finish or cancel it first")
        if self.state is not wanted:
            raise LocalProtocolError(f"the association is {self.state.value}")

    def _ready(self, needed: Conformance) -> None:
        self._free(State.ASSOCIATED)
        if not self.supports(needed):
            missing = needed & ~(self.negotiated.conformance if self.negotiated else 0)
            raise LocalProtocolError(f"not negotiated with the server: {missing!r}")

    def _begin(self, exchange: X) -> X:
        self._current = exchange
        return exchange

    def _iip(self) -> InvokeIdAndPriority:
        iip = InvokeIdAndPriority(self._invoke_id, True, self.settings.high_priority)
        if self.settings.cycle_invoke_id:
            self._invoke_id = (self._invoke_id + 1) % 16
        return iip
