"""Ciphering and deciphering of xDLMS APDUs: glo-/ded- service-specific ciphering and
general-glo/ded-ciphering (Green Book 9.2.7.2.4 and the xDLMS APDU ASN.1 of 9.5).

The framing (tags, lengths, system title, the tag table plain -> glo-/ded-) lives in
:mod:`openamr.apdu.ciphered`; this module applies the cryptography to the content
(:func:`~openamr.security.suite0.protect` / ``unprotect``) and keeps the counters::

    glo-get-request  C8 | length | SC | IC (4) | C ... | T (12)
                          A-XDR   \\___ ciphered content (suite0.protect) ___/

    general-glo-ciphering  DB | len | system title (8) | length | SC | IC | C | T

The IV takes the sender's system title: the one general ciphering carries, else the
peer's. :class:`CipheringSession` also takes and returns APDU objects of apdu/.
"""

from __future__ import annotations

from openamr.apdu.base import Apdu, decode_apdu
from openamr.apdu.ciphered import (
    DED_TAGS,
    GLO_TAGS,
    Ciphered,
    CipheredApdu,
    CipheredService,
    GeneralDedCiphering,
    GeneralGloCiphering,
    decode_ciphered,
    is_ciphered,
)
from openamr.codec.record import record
from openamr.errors import DecodeError, SecurityError
from openamr.security.control_byte import SecurityControl
from openamr.security.counters import IncomingCounter, OutgoingCounter, ReceivedCounters
from openamr.security.keys import SecurityContext, check_system_title
from openamr.security.suite0 import protect, read_header, unprotect

GENERAL_GLO_CIPHERING = GeneralGloCiphering.TAG
GENERAL_DED_CIPHERING = GeneralDedCiphering.TAG


def ciphered_tag(plain_tag: int, *, dedicated: bool = False) -> CipheredService:
    """The glo- (or ded-) tag that carries ``plain_tag``."""
    table = DED_TAGS if dedicated else GLO_TAGS
    tag = table.get(plain_tag)
    if tag is None:
        kind = "ded" if dedicated else "glo"
        raise SecurityError(f"APDU tag {plain_tag:#04x} has no {kind}- ciphered form")
    return tag


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
        general_cls = GeneralDedCiphering if dedicated else GeneralGloCiphering
        return general_cls(bytes(system_title), content).to_bytes()
    return CipheredApdu(ciphered_tag(apdu[0], dedicated=dedicated), content).to_bytes()


@record
class Deciphered:
    """A ciphered APDU that verified: the plain APDU bytes and how they came."""

    apdu: bytes
    control: SecurityControl
    invocation_counter: int
    system_title: bytes
    dedicated: bool


def sender_title(ciphered: Ciphered, expected: bytes | None) -> bytes:
    """The system title of the IV: the one a general-ciphering APDU carries (it must be
    the ``expected`` one when that is known), else ``expected``."""
    carried = None if isinstance(ciphered, CipheredApdu) else ciphered.system_title or None
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
    ciphered = decode_ciphered(data)
    title = sender_title(ciphered, system_title)
    control, ic, plain = unprotect(ciphered.ciphered_content, title, ek, ak, required)
    _check_plain(plain, ciphered)
    return Deciphered(plain, control, ic, title, ciphered.dedicated)


def _check_plain(plain: bytes, ciphered: Ciphered) -> None:
    if not plain:
        raise DecodeError(0, "the ciphered APDU carries an empty plain APDU")
    if not isinstance(ciphered, CipheredApdu):
        return  # general ciphering carries any APDU
    plain_tag = ciphered.tag.plain_tag
    if plain[0] != plain_tag:
        raise DecodeError(0, f"deciphered tag {plain[0]:#04x}, the APDU announced {plain_tag:#04x}")


class CipheringSession:
    """One association's ciphering with its invocation counters.

    Outgoing APDUs take the next IC of ``outgoing``; incoming ones are checked against
    replay before deciphering and their IC is recorded only once they verified. The
    key is chosen by the APDU: ded- and general-ded use the dedicated key, a set
    key-set bit the broadcast key, anything else the global unicast key. ``policy`` is
    both the protection applied and the least protection accepted.

    ``received`` is the receiver's memory across associations (a meter's): APDUs under
    a global key are checked against the last IC accepted from that peer under that
    key in any association (Green Book 9.2.7.2.4); under the dedicated key, which
    lives and dies with the association, against ``incoming``.
    """

    __slots__ = ("context", "incoming", "outgoing", "policy", "received")

    def __init__(
        self,
        context: SecurityContext,
        policy: SecurityControl,
        outgoing: OutgoingCounter | None = None,
        incoming: IncomingCounter | None = None,
        received: ReceivedCounters | None = None,
    ) -> None:
        self.context = context
        self.policy = policy
        self.outgoing = outgoing if outgoing is not None else OutgoingCounter()
        self.incoming = incoming if incoming is not None else IncomingCounter()
        self.received = received

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
        ciphered = decode_ciphered(data)
        control, ic = read_header(ciphered.ciphered_content)
        ek = self._ek(ciphered.dedicated, control.broadcast)
        peer, ak = self.context.peer_system_title, self.context.keys.ak
        incoming = self._incoming(peer, ek, ciphered.dedicated)
        incoming.check(ic)
        result = decipher(data, peer, ek, ak, self.policy)
        incoming.accept(ic)
        return result

    def _incoming(self, peer: bytes | None, ek: bytes, dedicated: bool) -> IncomingCounter:
        if self.received is None or peer is None or dedicated:
            return self.incoming
        return self.received.counter(peer, ek)

    def encipher_apdu(self, apdu: Apdu, *, dedicated: bool = False, general: bool = False) -> bytes:
        """Encode a plain APDU object and cipher it (see :meth:`encipher`)."""
        return self.encipher(apdu.to_bytes(), dedicated=dedicated, general=general)

    def decipher_apdu(self, data: bytes) -> tuple[Apdu, Deciphered]:
        """Decipher (see :meth:`decipher`) and decode the plain APDU."""
        result = self.decipher(data)
        return decode_apdu(result.apdu), result


__all__ = [
    "DED_TAGS",
    "GENERAL_DED_CIPHERING",
    "GENERAL_GLO_CIPHERING",
    "GLO_TAGS",
    "CipheringSession",
    "Deciphered",
    "ciphered_tag",
    "decipher",
    "encipher",
    "is_ciphered",
    "sender_title",
]
