"""Ciphered xDLMS APDUs: glo-/ded- service-specific ciphering and general-glo/ded-ciphering
(Green Book 9.2.7.2.4 and the xDLMS APDU ASN.1 of 9.5).

A service-specific ciphered APDU wraps the ciphered content of one plain APDU; its tag
says which plain APDU it carries and which key ciphered it (glo-: a global key,
ded-: the dedicated key of the association)::

    glo-get-request  C8 | length | SC | IC (4) | C ... | T (12)
                          A-XDR   \\___ ciphered content (suite0.protect) ___/

    plain   01  05  06  08  0C  0D  0E  16  18  C0  C1  C2  C3  C4  C5  C7
    glo-    21  25  26  28  2C  2D  2E  36  38  C8  C9  CA  CB  CC  CD  CF
    ded-    41  45  46  48  4C  4D  4E  56  58  D0  D1  D2  D3  D4  D5  D7

Any APDU (data-notification 0F included, which has no glo- form) may instead travel
in general-glo-ciphering (DB) or general-ded-ciphering (DC), which also carry the
sender's system title::

    DB | len | system title (8) | length | SC | IC | C | T

This module works on APDU bytes (the framing only, independent of apdu/ciphered.py);
:class:`CipheringSession` also takes and returns APDU objects of apdu/.
"""

from __future__ import annotations

from dataclasses import dataclass

from openamr.apdu.base import Apdu, decode_apdu
from openamr.codec.buffer import Reader, Writer
from openamr.errors import DecodeError, SecurityError
from openamr.security.control import SecurityControl
from openamr.security.counters import IncomingCounter, OutgoingCounter
from openamr.security.keys import SecurityContext, check_system_title
from openamr.security.suite0 import protect, read_header, unprotect

GENERAL_GLO_CIPHERING = 0xDB
GENERAL_DED_CIPHERING = 0xDC

#: plain tag -> glo- tag (global key)
GLO_TAGS: dict[int, int] = {
    0x01: 0x21,  # initiateRequest
    0x05: 0x25,  # readRequest
    0x06: 0x26,  # writeRequest
    0x08: 0x28,  # initiateResponse
    0x0C: 0x2C,  # readResponse
    0x0D: 0x2D,  # writeResponse
    0x0E: 0x2E,  # confirmedServiceError
    0x16: 0x36,  # unconfirmedWriteRequest
    0x18: 0x38,  # informationReportRequest
    0xC0: 0xC8,  # get-request
    0xC1: 0xC9,  # set-request
    0xC2: 0xCA,  # event-notification-request
    0xC3: 0xCB,  # action-request
    0xC4: 0xCC,  # get-response
    0xC5: 0xCD,  # set-response
    0xC7: 0xCF,  # action-response
}
#: plain tag -> ded- tag (dedicated key): +0x40 for the short tags, +0x10 for C0..C7
DED_TAGS: dict[int, int] = {
    plain: glo + (0x20 if plain < 0xC0 else 0x08) for plain, glo in GLO_TAGS.items()
}
#: ciphered tag -> (plain tag, dedicated)
PLAIN_TAGS: dict[int, tuple[int, bool]] = {
    **{glo: (plain, False) for plain, glo in GLO_TAGS.items()},
    **{ded: (plain, True) for plain, ded in DED_TAGS.items()},
}
GENERAL_TAGS: dict[int, bool] = {GENERAL_GLO_CIPHERING: False, GENERAL_DED_CIPHERING: True}


def ciphered_tag(plain_tag: int, *, dedicated: bool = False) -> int:
    """The glo- (or ded-) tag that carries ``plain_tag``."""
    table = DED_TAGS if dedicated else GLO_TAGS
    tag = table.get(plain_tag)
    if tag is None:
        kind = "ded" if dedicated else "glo"
        raise SecurityError(f"APDU tag {plain_tag:#04x} has no {kind}- ciphered form")
    return tag


def is_ciphered(tag: int) -> bool:
    return tag in PLAIN_TAGS or tag in GENERAL_TAGS


@dataclass(frozen=True, slots=True)
class CipheredApdu:
    """A ciphered APDU split into its parts (nothing checked cryptographically yet).

    ``plain_tag`` is None for general ciphering; ``system_title`` is None for the
    service-specific form (and empty when a general-ciphering sender left it out).
    """

    tag: int
    dedicated: bool
    plain_tag: int | None
    system_title: bytes | None
    content: bytes

    @property
    def control(self) -> SecurityControl:
        return read_header(self.content)[0]

    @property
    def invocation_counter(self) -> int:
        return read_header(self.content)[1]

    def to_bytes(self) -> bytes:
        w = Writer()
        w.u8(self.tag)
        if self.system_title is not None:
            w.length(len(self.system_title))
            w.write(self.system_title)
        w.length(len(self.content))
        w.write(self.content)
        return w.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> CipheredApdu:
        r = Reader(data)
        tag = r.u8()
        title: bytes | None = None
        if tag in GENERAL_TAGS:
            dedicated, plain_tag = GENERAL_TAGS[tag], None
            title = r.read(r.length())
        elif tag in PLAIN_TAGS:
            plain_tag, dedicated = PLAIN_TAGS[tag]
        else:
            raise DecodeError(0, f"APDU tag {tag:#04x} is not a ciphered APDU")
        content = r.read(r.length())
        if not r.at_end():
            raise r.fail(f"{r.remaining} trailing bytes after the ciphered content")
        return cls(tag, dedicated, plain_tag, title, content)


def encipher(
    apdu: bytes,
    control: SecurityControl,
    system_title: bytes,
    invocation_counter: int,
    ek: bytes,
    ak: bytes,
    *,
    dedicated: bool = False,
    general: bool = False,
) -> bytes:
    """Cipher the plain ``apdu`` into its glo-/ded- APDU, or general-glo/ded-ciphering
    when ``general``. ``system_title`` is ours; ``ek`` the key the tag names (the
    dedicated key for ded-, the broadcast key when ``control.broadcast``)."""
    if not apdu:
        raise SecurityError("nothing to cipher: empty APDU")
    content = protect(control, system_title, invocation_counter, ek, ak, apdu)
    if general:
        tag = GENERAL_DED_CIPHERING if dedicated else GENERAL_GLO_CIPHERING
        return CipheredApdu(tag, dedicated, None, bytes(system_title), content).to_bytes()
    tag = ciphered_tag(apdu[0], dedicated=dedicated)
    return CipheredApdu(tag, dedicated, apdu[0], None, content).to_bytes()


@dataclass(frozen=True, slots=True)
class Deciphered:
    """A ciphered APDU that verified: the plain APDU bytes and how they came."""

    apdu: bytes
    control: SecurityControl
    invocation_counter: int
    system_title: bytes
    dedicated: bool


def sender_title(ciphered: CipheredApdu, expected: bytes | None) -> bytes:
    """The system title of the IV: the one a general-ciphering APDU carries (it must be
    the ``expected`` one when that is known), else ``expected``."""
    carried = ciphered.system_title or None
    if carried is not None and expected is not None and carried != expected:
        raise SecurityError("general ciphering carries another system title than the peer's")
    title = carried if carried is not None else expected
    if title is None:
        raise SecurityError("the sender's system title is not known")
    check_system_title(title, "sender's system title")
    return title


def decipher(
    data: bytes,
    system_title: bytes | None,
    ek: bytes,
    ak: bytes,
    required: SecurityControl | None = None,
) -> Deciphered:
    """Check and decipher a ciphered APDU from the peer whose ``system_title`` is given.

    DecodeError for a malformed frame or a plain APDU that does not match its glo-/ded-
    tag; SecurityError for everything :func:`~openamr.security.suite0.unprotect` refuses.
    """
    ciphered = CipheredApdu.from_bytes(data)
    title = sender_title(ciphered, system_title)
    control, ic, plain = unprotect(ciphered.content, title, ek, ak, required)
    _check_plain(plain, ciphered.plain_tag)
    return Deciphered(plain, control, ic, title, ciphered.dedicated)


def _check_plain(plain: bytes, plain_tag: int | None) -> None:
    if not plain:
        raise DecodeError(0, "the ciphered APDU carries an empty plain APDU")
    if plain_tag is not None and plain[0] != plain_tag:
        raise DecodeError(0, f"deciphered tag {plain[0]:#04x}, the APDU announced {plain_tag:#04x}")


class CipheringSession:
    """One association's ciphering with its invocation counters.

    Outgoing APDUs take the next IC of ``outgoing``; incoming ones are checked against
    replay before deciphering and their IC is recorded only once they verified. The
    key is chosen by the APDU: ded- and general-ded use the dedicated key, a set
    key-set bit the broadcast key, anything else the global unicast key. ``policy`` is
    both the protection applied and the least protection accepted.
    """

    __slots__ = ("context", "incoming", "outgoing", "policy")

    def __init__(
        self,
        context: SecurityContext,
        policy: SecurityControl,
        outgoing: OutgoingCounter | None = None,
        incoming: IncomingCounter | None = None,
    ) -> None:
        self.context = context
        self.policy = policy
        self.outgoing = outgoing if outgoing is not None else OutgoingCounter()
        self.incoming = incoming if incoming is not None else IncomingCounter()

    def _ek(self, dedicated: bool, broadcast: bool) -> bytes:
        keys = self.context.keys
        key = keys.dedicated_ek if dedicated else keys.broadcast_ek if broadcast else keys.ek
        if key is None:
            which = "dedicated" if dedicated else "broadcast"
            raise SecurityError(f"no {which} encryption key in this security context")
        return key

    def encipher(self, apdu: bytes, *, dedicated: bool = False, general: bool = False) -> bytes:
        ek = self._ek(dedicated, self.policy.broadcast)
        ic = self.outgoing.next()
        ctx = self.context
        title, ak = ctx.own_system_title, ctx.keys.ak
        return encipher(apdu, self.policy, title, ic, ek, ak, dedicated=dedicated, general=general)

    def decipher(self, data: bytes) -> Deciphered:
        ciphered = CipheredApdu.from_bytes(data)
        control, ic = read_header(ciphered.content)
        self.incoming.check(ic)
        ek = self._ek(ciphered.dedicated, control.broadcast)
        peer, ak = self.context.peer_system_title, self.context.keys.ak
        result = decipher(data, peer, ek, ak, self.policy)
        self.incoming.accept(ic)
        return result

    def encipher_apdu(self, apdu: Apdu, *, dedicated: bool = False, general: bool = False) -> bytes:
        """Encode a plain APDU object and cipher it (see :meth:`encipher`)."""
        return self.encipher(apdu.to_bytes(), dedicated=dedicated, general=general)

    def decipher_apdu(self, data: bytes) -> tuple[Apdu, Deciphered]:
        """Decipher (see :meth:`decipher`) and decode the plain APDU."""
        result = self.decipher(data)
        return decode_apdu(result.apdu), result
