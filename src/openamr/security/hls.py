"""HLS authentication mechanism 5, GMAC: passes 3 and 4 (Green Book 9.2.7.4 and 9.2.2.2.4).

Passes 1 and 2 exchange the challenges in the AARQ (CtoS) and AARE (StoC); in
passes 3 and 4 each side proves it holds the keys by returning f(challenge) of the
other side's challenge, through the reply_to_HLS_authentication method of the
Association LN object::

    f(challenge) = SC || IC || T                      17 octets
                   10    4    12
    T  = GMAC tag over SC || AK || challenge          (AES-GCM, empty plaintext)
    IV = system title of the side that computes f || its IC

    pass 3: client -> server  f(StoC), client system title, client IC
    pass 4: server -> client  f(CtoS), server system title, server IC

Challenges are given by the caller (sans-IO: the random bytes come from above).
Checks compare tags in constant time and return the IC carried by f so that the
caller can feed it to its :class:`~openamr.security.counters.IncomingCounter`.
"""

from __future__ import annotations

from openamr.errors import SecurityError
from openamr.security.control_byte import AUTHENTICATED
from openamr.security.suite0 import HEADER_LENGTH, TAG_LENGTH, gmac, read_header

#: A challenge is 8 to 64 octets long (Green Book 9.2.2.2.4).
CHALLENGE_MIN = 8
CHALLENGE_MAX = 64
F_LENGTH = HEADER_LENGTH + TAG_LENGTH
SC_HLS_GMAC = AUTHENTICATED.format()  # 0x10: suite 0, authentication only


def check_challenge(challenge: bytes) -> None:
    if not CHALLENGE_MIN <= len(challenge) <= CHALLENGE_MAX:
        raise SecurityError(
            f"challenge of {len(challenge)} bytes is not {CHALLENGE_MIN}..{CHALLENGE_MAX} bytes"
        )


def make_f(
    challenge: bytes, system_title: bytes, invocation_counter: int, ek: bytes, ak: bytes
) -> bytes:
    """f(challenge) = SC || IC || GMAC(SC || AK || challenge), computed by the side whose
    ``system_title`` and ``invocation_counter`` are given."""
    check_challenge(challenge)
    tag = gmac(AUTHENTICATED, system_title, invocation_counter, ek, ak, challenge)
    return bytes([SC_HLS_GMAC]) + invocation_counter.to_bytes(4, "big") + tag


def check_f(value: bytes, challenge: bytes, system_title: bytes, ek: bytes, ak: bytes) -> int:
    """Check f(challenge) computed by the peer whose ``system_title`` is given; returns
    the peer's IC. Raises SecurityError when it does not verify."""
    check_challenge(challenge)
    if len(value) != F_LENGTH:
        raise SecurityError(f"HLS-GMAC reply of {len(value)} bytes, expected {F_LENGTH}")
    control, ic = read_header(value)
    if control != AUTHENTICATED:
        raise SecurityError(f"HLS-GMAC reply has security control {control.format():#04x}")
    expected = gmac(control, system_title, ic, ek, ak, challenge)
    import hmac  # OpenSSL, loaded by the first HLS pass 4, not by every client

    if not hmac.compare_digest(expected, value[HEADER_LENGTH:]):
        raise SecurityError("HLS-GMAC reply does not verify")
    return ic


# The four steps named by who does them (pass 3 on the client, pass 4 on the server).


def client_reply(
    stoc: bytes, client_system_title: bytes, client_ic: int, ek: bytes, ak: bytes
) -> bytes:
    """Pass 3, client: f(StoC) to send in reply_to_HLS_authentication."""
    return make_f(stoc, client_system_title, client_ic, ek, ak)


def server_check(
    f_stoc: bytes, stoc: bytes, client_system_title: bytes, ek: bytes, ak: bytes
) -> int:
    """Pass 3, server: check the client's f(StoC); returns the client's IC."""
    return check_f(f_stoc, stoc, client_system_title, ek, ak)


def server_reply(
    ctos: bytes, server_system_title: bytes, server_ic: int, ek: bytes, ak: bytes
) -> bytes:
    """Pass 4, server: f(CtoS) to return in the method's response."""
    return make_f(ctos, server_system_title, server_ic, ek, ak)


def client_check(
    f_ctos: bytes, ctos: bytes, server_system_title: bytes, ek: bytes, ak: bytes
) -> int:
    """Pass 4, client: check the server's f(CtoS); returns the server's IC."""
    return check_f(f_ctos, ctos, server_system_title, ek, ak)
