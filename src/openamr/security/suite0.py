"""Security suite 0: AES-GCM-128 protection of xDLMS APDUs (Green Book 9.2.7.2.4).

The ciphered content of a glo-/ded- APDU or of general-glo-ciphering::

    +----+-----------+--------------------------------+----------+
    | SC | IC (4, BE)| C: ciphertext (or P, plaintext)| T (12)   |
    +----+-----------+--------------------------------+----------+
    \\_ SH: security header _/                          only when
                                                        SC & 0x10

    IV  = system title of the sender (8) || IC (4)
    SC & 0x30 == 0x30  authenticated encryption  AAD = SC || AK           content = SH||C||T
    SC & 0x30 == 0x10  authentication only       AAD = SC || AK || P      content = SH||P||T
    SC & 0x30 == 0x20  encryption only           (no tag)                 content = SH||C

T is the GCM tag truncated to its 12 leftmost octets. Every primitive is the
``cryptography`` package's AES-GCM. Which encryption key (unicast, broadcast or
dedicated) is passed in as ``ek`` is the caller's choice, by the SC key-set bit
and the APDU tag. ``cryptography`` is imported by the first use of AES, so that a
public or LLS session does not pay for loading it.
"""

from __future__ import annotations

import struct

from openamr.errors import SecurityError
from openamr.security.control_byte import SecurityControl
from openamr.security.keys import check_key, check_system_title

TAG_LENGTH = 12
HEADER_LENGTH = 5  # SC (1) + IC (4)
MAX_INVOCATION_COUNTER = 0xFFFF_FFFF
_SH = struct.Struct(">BI")


def _check_control(control: SecurityControl) -> None:
    if control.suite != 0:
        raise SecurityError(f"security suite {control.suite} is not supported (only suite 0)")
    if control.compression:
        raise SecurityError("compressed ciphered content is not supported")
    if not (control.authentication or control.encryption):
        raise SecurityError("security control asks for neither authentication nor encryption")


def _check_inputs(system_title: bytes, ek: bytes, ak: bytes) -> None:
    check_system_title(system_title)
    check_key(ek, "encryption key")
    check_key(ak, "authentication key")


def _iv(system_title: bytes, invocation_counter: int) -> bytes:
    return bytes(system_title) + invocation_counter.to_bytes(4, "big")


def _aad(sc: int, ak: bytes, plaintext: bytes, control: SecurityControl) -> bytes:
    if control.encryption:
        return bytes([sc]) + ak
    return bytes([sc]) + ak + plaintext


def gcm_encrypt(iv: bytes, ek: bytes, aad: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    """AES-GCM: (ciphertext, 12-byte tag)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encryptor = Cipher(algorithms.AES(ek), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return ciphertext, encryptor.tag[:TAG_LENGTH]


def gcm_decrypt(iv: bytes, ek: bytes, aad: bytes, ciphertext: bytes, tag: bytes) -> bytes:
    """AES-GCM with a 12-byte tag; raises SecurityError when the tag does not verify."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    mode = modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)
    decryptor = Cipher(algorithms.AES(ek), mode).decryptor()
    decryptor.authenticate_additional_data(aad)
    plaintext = decryptor.update(ciphertext)
    try:
        return plaintext + decryptor.finalize()
    except InvalidTag:
        raise SecurityError("authentication tag does not verify") from None


def ctr_only(iv: bytes, ek: bytes, data: bytes) -> bytes:
    """The GCM keystream applied without a tag (encryption only): GCM's ciphertext
    does not depend on the AAD, so encrypting and decrypting are the same operation."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encryptor = Cipher(algorithms.AES(ek), modes.GCM(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def protect(
    control: SecurityControl,
    system_title: bytes,
    invocation_counter: int,
    ek: bytes,
    ak: bytes,
    plaintext: bytes,
) -> bytes:
    """The ciphered content SH || C || T of ``plaintext`` (see the module docstring).

    ``system_title`` and ``invocation_counter`` are the sender's; the caller owns the
    counter (see :class:`~openamr.security.counters.OutgoingCounter`).
    """
    _check_control(control)
    _check_inputs(system_title, ek, ak)
    if not 0 <= invocation_counter <= MAX_INVOCATION_COUNTER:
        raise SecurityError(f"invocation counter {invocation_counter} is not a uint32")
    sc = control.format()
    header = _SH.pack(sc, invocation_counter)
    iv = _iv(system_title, invocation_counter)
    if not control.authentication:
        return header + ctr_only(iv, ek, plaintext)
    aad = _aad(sc, ak, plaintext, control)
    if control.encryption:
        ciphertext, tag = gcm_encrypt(iv, ek, aad, plaintext)
        return header + ciphertext + tag
    _, tag = gcm_encrypt(iv, ek, aad, b"")
    return header + plaintext + tag


def read_header(content: bytes) -> tuple[SecurityControl, int]:
    """SC and IC of a ciphered content; SecurityError when it cannot hold them."""
    if len(content) < HEADER_LENGTH:
        raise SecurityError(f"ciphered content of {len(content)} bytes has no security header")
    sc, ic = _SH.unpack_from(content)
    control = SecurityControl.parse(sc)
    _check_control(control)
    return control, ic


def check_required(control: SecurityControl, required: SecurityControl) -> None:
    """Refuse a content protected less than ``required`` (the security policy).

    The SC is only authenticated when authentication is applied: a man in the middle
    can turn SC 0x30 into 0x20 (encryption only, no tag) and the content then
    "deciphers" into garbage without any error. The receiver must therefore hold the
    SC it got against its policy, which this check does.
    """
    if (required.authentication and not control.authentication) or (
        required.encryption and not control.encryption
    ):
        raise SecurityError(f"{control} is below the required protection {required}")


def unprotect(
    content: bytes,
    system_title: bytes,
    ek: bytes,
    ak: bytes,
    required: SecurityControl | None = None,
) -> tuple[SecurityControl, int, bytes]:
    """Check and decipher SH || C || T: ``(control, invocation counter, plaintext)``.

    ``system_title`` is the sender's; ``required`` is the least protection accepted
    (see :func:`check_required`). Raises SecurityError on a bad tag, a content too
    short for its header and tag, an unsupported suite or compression, or too little
    protection. The caller checks the IC against replay *before* trusting the result
    and records it only after this function returns
    (see :class:`~openamr.security.counters.IncomingCounter`).
    """
    content = bytes(content)
    control, ic = read_header(content)
    if required is not None:
        check_required(control, required)
    _check_inputs(system_title, ek, ak)
    iv = _iv(system_title, ic)
    body = content[HEADER_LENGTH:]
    if not control.authentication:
        return control, ic, ctr_only(iv, ek, body)
    if len(body) < TAG_LENGTH:
        raise SecurityError(f"ciphered content of {len(content)} bytes is too short for its tag")
    data, tag = body[:-TAG_LENGTH], body[-TAG_LENGTH:]
    sc = control.format()
    if control.encryption:
        return control, ic, gcm_decrypt(iv, ek, _aad(sc, ak, b"", control), data, tag)
    gcm_decrypt(iv, ek, _aad(sc, ak, data, control), b"", tag)
    return control, ic, data


def gmac(
    control: SecurityControl,
    system_title: bytes,
    invocation_counter: int,
    ek: bytes,
    ak: bytes,
    data: bytes,
) -> bytes:
    """The 12-byte GMAC tag over SC || AK || data (authentication only, no ciphertext):
    the tag of HLS mechanism 5 (Green Book 9.2.7.4) and of authentication-only APDUs."""
    if control.encryption or not control.authentication:
        raise SecurityError("GMAC needs a security control with authentication only")
    _check_control(control)
    _check_inputs(system_title, ek, ak)
    iv = _iv(system_title, invocation_counter)
    _, tag = gcm_encrypt(iv, ek, bytes([control.format()]) + ak + data, b"")
    return tag
