"""The client side of one association, sans-IO (Green Book 9.4; IEC 62056-5-3): the
public face of the package.

``association.py`` holds :class:`ClientAssociation` (one association's operations as
exchanges); ``acse.py`` establishment and release; ``services.py`` GET, SET and ACTION
with block transfer; ``exchange.py`` the exchange protocol (``Send``/``Done``);
``errors.py`` what a refusal raises. Import from here, not from the modules.
"""

from openamr.association.client.acse import Associated, Released
from openamr.association.client.association import (
    CLIENT_CONFORMANCE,
    SUPPORTED_MECHANISMS,
    ClientAssociation,
    ClientSettings,
    State,
    attribute,
    method,
)
from openamr.association.client.errors import (
    AssociationRefused,
    AuthenticationFailed,
    ConfirmedServiceErrorReceived,
    ExceptionResponseReceived,
)
from openamr.association.client.exchange import Done, Exchange, Send

__all__ = [
    "CLIENT_CONFORMANCE",
    "SUPPORTED_MECHANISMS",
    "AssociationRefused",
    "Associated",
    "AuthenticationFailed",
    "ClientAssociation",
    "ClientSettings",
    "ConfirmedServiceErrorReceived",
    "Done",
    "ExceptionResponseReceived",
    "Exchange",
    "Released",
    "Send",
    "State",
    "attribute",
    "method",
]
