"""What a client raises when the server refuses (Green Book 9.4.2 AARE diagnostics,
9.5 EXCEPTION-Response and ConfirmedServiceError).

On the server side a refusal is a value it sends; the client turns the refusals that
end an exchange into typed exceptions whose message names the reason in words::

    AssociationRefused       "association refused: authentication failed"
    AuthenticationFailed     "association refused: authentication failed (HLS pass 3 ...)"
    ExceptionResponseReceived "exception-response: service not allowed, deciphering error"
    ConfirmedServiceErrorReceived "confirmed-service-error: initiate, dlms version too low"

Per-attribute refusals (a :class:`~openamr.apdu.results.DataAccessResult`, an
:class:`~openamr.apdu.results.ActionResult`) stay values: they are results of the
request, not failures of the exchange.
"""

from __future__ import annotations

from enum import IntEnum

from openamr.apdu.acse import AcseServiceProvider, AcseServiceUser, AssociationResult, Diagnostic
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.initiate import ConfirmedServiceError
from openamr.apdu.results import ServiceError
from openamr.errors import DlmsError, SecurityError

#: The acse-service-user diagnostics in words (Green Book 9.4.2, Table "AARE").
_USER_WORDS: dict[AcseServiceUser, str] = {
    AcseServiceUser.NULL: "no diagnostic",
    AcseServiceUser.NO_REASON_GIVEN: "no reason given",
    AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: "application context not supported",
    AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED: (
        "authentication mechanism not recognised"
    ),
    AcseServiceUser.AUTHENTICATION_MECHANISM_NAME_REQUIRED: "authentication mechanism required",
    AcseServiceUser.AUTHENTICATION_FAILURE: "authentication failed",
    AcseServiceUser.AUTHENTICATION_REQUIRED: "authentication required",
}


def words(value: IntEnum) -> str:
    """A standard enumeration value in words: ``DECIPHERING_ERROR`` -> "deciphering error"."""
    return value.name.lower().replace("_", " ")


def diagnostic_words(diagnostic: Diagnostic) -> str:
    if isinstance(diagnostic, AcseServiceUser) and diagnostic in _USER_WORDS:
        return _USER_WORDS[diagnostic]
    source = "acse-service-provider" if isinstance(diagnostic, AcseServiceProvider) else ""
    return f"{source} {words(diagnostic)}".strip()


class AssociationRefused(DlmsError):
    """The AARE rejected the association (or HLS did not complete).

    ``diagnostic`` is the AARE result-source-diagnostic; ``service_error`` the
    ConfirmedServiceError of the user-information when the server sent one (e.g. an
    InitiateError: the conformance or the PDU size was refused)."""

    def __init__(
        self,
        result: AssociationResult,
        diagnostic: Diagnostic,
        service_error: ConfirmedServiceError | None = None,
        detail: str = "",
    ) -> None:
        self.result = result
        self.diagnostic = diagnostic
        self.service_error = service_error
        message = f"association refused: {diagnostic_words(diagnostic)}"
        if service_error is not None:
            message += f" ({confirmed_service_error_words(service_error)})"
        if result is AssociationResult.REJECTED_TRANSIENT:
            message += " [transient]"
        if detail:
            message += f" ({detail})"
        super().__init__(message)


class AuthenticationFailed(AssociationRefused, SecurityError):
    """HLS pass 3 was refused by the server, or its f(CtoS) in pass 4 did not verify."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            AssociationResult.REJECTED_PERMANENT, AcseServiceUser.AUTHENTICATION_FAILURE,
            detail=detail,
        )  # fmt: skip


class ExceptionResponseReceived(DlmsError):
    """The server answered with an EXCEPTION-Response; ``response`` is that APDU."""

    def __init__(self, response: ExceptionResponse) -> None:
        self.response = response
        message = (
            f"exception-response: {words(response.state_error)}, {words(response.service_error)}"
        )
        if response.service_error is ServiceError.INVOCATION_COUNTER_ERROR:
            message += f" (the server expects invocation counter {response.invocation_counter})"
        super().__init__(message)


def confirmed_service_error_words(error: ConfirmedServiceError) -> str:
    return f"{words(error.service)}: {type(error.error).__name__} {words(error.error)}"


class ConfirmedServiceErrorReceived(DlmsError):
    """The server answered with a ConfirmedServiceError; ``error`` is that APDU."""

    def __init__(self, error: ConfirmedServiceError) -> None:
        self.error = error
        super().__init__(f"confirmed-service-error: {confirmed_service_error_words(error)}")


__all__ = [
    "AssociationRefused",
    "AuthenticationFailed",
    "ConfirmedServiceErrorReceived",
    "ExceptionResponseReceived",
]
