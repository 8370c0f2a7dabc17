"""Cross-checks of the client with gurux-dlms (a test oracle): a GXDLMSClient with the
same settings produces the same AARQ (with the same CtoS challenge and invocation
counter), the same GET, SET, ACTION and RLRQ requests and the same HLS pass 3."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from openamr.apdu.descriptors import SelectiveAccessDescriptor
from openamr.apdu.mechanism import MechanismName
from openamr.association.client import (
    CLIENT_CONFORMANCE,
    ClientAssociation,
    Send,
    attribute,
    method,
)
from openamr.codec import DoubleLongUnsigned, Integer, LongUnsigned, Structure
from openamr.security.counters import OutgoingCounter

from .client_pair import SETTINGS, make_pair
from .conftest import AK, CLIENT_TITLE, EK

gurux = pytest.importorskip("gurux_dlms")

from gurux_dlms import GXDLMSClient  # noqa: E402
from gurux_dlms.ConnectionState import ConnectionState  # noqa: E402
from gurux_dlms.enums import (  # noqa: E402
    Authentication,
    Conformance,
    InterfaceType,
    Security,
)
from gurux_dlms.objects import GXDLMSData, GXDLMSProfileGeneric, GXDLMSRegister  # noqa: E402
from gurux_dlms.secure import GXDLMSSecureClient  # noqa: E402

CTOS = bytes(range(16))


def _reverse24(value: int) -> int:
    """Ours has conformance bit 0 (first on the wire) at 1 << 23; gurux's at 1 << 0."""
    return int(f"{value:024b}"[::-1], 2)


def _gurux(sap: int) -> Any:
    if sap == 16:
        client = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.PDU)
    elif sap == 32:
        client = GXDLMSClient(True, 32, 1, Authentication.LOW, "12345678", InterfaceType.PDU)
    else:
        client = GXDLMSSecureClient(True, 1, 1, Authentication.HIGH_GMAC, None, InterfaceType.PDU)
        client.ciphering.security = Security.AUTHENTICATION_ENCRYPTION
        client.ciphering.systemTitle = CLIENT_TITLE
        client.ciphering.blockCipherKey = EK
        client.ciphering.authenticationKey = AK
        client.ctoSChallenge = CTOS
    client.proposedConformance = Conformance(_reverse24(CLIENT_CONFORMANCE))
    return client


def _ours(sap: int, counter: int = 1) -> ClientAssociation:
    # gurux's invocation counter starts at 1; its CtoS is CTOS
    return ClientAssociation(SETTINGS[sap], lambda n: CTOS[:n], OutgoingCounter(counter))


@pytest.mark.parametrize("sap", [16, 32, 1], ids=["none", "lls", "hls-gmac-ciphered"])
def test_aarq_is_gurux_s(sap: int) -> None:
    (theirs,) = _gurux(sap).aarqRequest()
    assert _ours(sap).associate().bytes_to_send().hex(" ") == bytes(theirs).hex(" ")


def test_aarq_with_a_small_pdu_size_is_gurux_s() -> None:
    theirs = _gurux(32)
    theirs.maxReceivePDUSize = 256
    ours = ClientAssociation(
        replace(SETTINGS[32], max_receive_pdu_size=256), lambda n: bytes(n)
    ).associate()
    assert ours.bytes_to_send() == bytes(theirs.aarqRequest()[0])


def test_lls_aarq_names_the_mechanism() -> None:
    # gurux sends the password as the calling-authentication-value, like us
    data = _ours(32).associate().bytes_to_send()
    assert bytes.fromhex("8b 07 60 85 74 05 08 02 01") in data
    assert SETTINGS[32].mechanism is MechanismName.LLS and b"12345678" in data


@pytest.mark.parametrize("sap", [16, 32], ids=["none", "lls"])
def test_plain_requests_are_gurux_s(sap: int) -> None:
    pair = make_pair(sap)
    pair.client.associate().run(pair.transport)
    theirs = _gurux(sap)
    register = GXDLMSRegister("1.0.1.8.0.255")
    (get,) = theirs.read(register, 2)
    ours_get = pair.client.get(attribute(3, "1.0.1.8.0.255", 2))
    assert ours_get.bytes_to_send() == bytes(get)
    ours_get.cancel()  # only the bytes are compared
    register.value = 7
    theirs.updateValue(register, 2, 7)
    register.setDataType(2, gurux.enums.DataType.UINT32)
    (write,) = theirs.write(register, 2)
    ours = pair.client.set(attribute(3, "1.0.1.8.0.255", 2), DoubleLongUnsigned(7))
    assert ours.bytes_to_send() == bytes(write)
    ours.cancel()
    (act,) = theirs.method(GXDLMSData("0.0.10.0.0.255"), 1, 0, gurux.enums.DataType.INT8)
    assert act[:2] == b"\xc3\x01"
    ours_act = pair.client.action(method(1, "0.0.10.0.0.255", 1), Integer(0))
    assert ours_act.bytes_to_send() == bytes(act)
    ours_act.cancel()
    theirs.settings.connected = ConnectionState.DLMS  # gurux releases only when connected
    (release,) = theirs.releaseRequest()
    assert pair.client.release().bytes_to_send() == bytes(release)


def test_hls_pass_3_and_the_ciphered_get_are_gurux_s() -> None:
    pair = make_pair(1, outgoing=OutgoingCounter(1))
    pair.client.random = lambda n: CTOS[:n]
    theirs = _gurux(1)
    (aarq,) = theirs.aarqRequest()
    x = pair.client.associate()
    assert x.bytes_to_send() == bytes(aarq)
    aare = pair.transport(x.bytes_to_send())
    theirs.parseAareResponse(gurux.GXByteBuffer(aare))
    (pass3,) = theirs.getApplicationAssociationRequest()
    step = x.receive(aare)
    assert isinstance(step, Send)
    assert step.data == bytes(pass3)
    x.receive(pair.transport(step.data))
    theirs.ciphering.invocationCounter = pair.client.outgoing.value
    (get,) = theirs.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
    assert pair.client.get(attribute(3, "1.0.1.8.0.255", 2)).bytes_to_send() == bytes(get)


def test_get_by_entry_is_gurux_s() -> None:
    pair = make_pair(16)
    pair.client.associate().run(pair.transport)
    profile = GXDLMSProfileGeneric("1.0.99.1.0.255")
    (theirs,) = _gurux(16).readRowsByEntry(profile, 1, 10)
    entries = SelectiveAccessDescriptor(
        2,
        Structure(
            (DoubleLongUnsigned(1), DoubleLongUnsigned(10), LongUnsigned(1), LongUnsigned(0))
        ),
    )
    ours = pair.client.get(attribute(7, "1.0.99.1.0.255", 2), entries)
    assert ours.bytes_to_send() == bytes(theirs)
