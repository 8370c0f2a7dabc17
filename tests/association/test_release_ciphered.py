"""Release of a ciphered association (Green Book 9.3.3.2): the RLRQ carries the
ciphered xDLMS InitiateRequest and the RLRE the ciphered InitiateResponse of the
association released; a user-information that does not decipher releases nothing."""

from __future__ import annotations

from openamr.apdu import decode_apdu
from openamr.apdu.acse import ReleaseRequestReason, ReleaseResponseReason, Rlre, Rlrq
from openamr.apdu.initiate import InitiateResponse
from openamr.association.client import Associated, attribute
from openamr.codec import DoubleLongUnsigned

from .client_pair import ENERGY, make_pair

ENERGY_VALUE = attribute(3, ENERGY, 2)
GLO_INITIATE_REQUEST = 0x21


def test_a_ciphered_release_is_answered_with_the_ciphered_initiate_response() -> None:
    pair = make_pair(1)
    associated = pair.client.associate().run(pair.transport)
    assert isinstance(associated, Associated)
    session = pair.client.session
    assert session is not None
    pair.client.release().run(pair.transport)
    rlrq, rlre = decode_apdu(pair.requests[-1]), decode_apdu(pair.answers[-1])
    assert isinstance(rlrq, Rlrq) and isinstance(rlre, Rlre)
    assert rlrq.user_information is not None and rlrq.user_information[0] == GLO_INITIATE_REQUEST
    assert rlre.reason is ReleaseResponseReason.NORMAL and rlre.user_information is not None
    response = decode_apdu(session.decipher(rlre.user_information).apdu)
    assert isinstance(response, InitiateResponse)
    assert response.negotiated_conformance == associated.conformance
    assert response.server_max_receive_pdu_size == associated.server_max_receive_pdu_size


def test_a_release_that_does_not_decipher_releases_nothing() -> None:
    pair = make_pair(1)
    pair.client.associate().run(pair.transport)
    forged = bytes([GLO_INITIATE_REQUEST, 0x1F, 0x30]) + bytes(30)
    answer = pair.server.receive(
        Rlrq(reason=ReleaseRequestReason.NORMAL, user_information=forged).to_bytes()
    )
    assert answer is not None
    rlre = decode_apdu(answer)
    assert isinstance(rlre, Rlre) and rlre.reason is ReleaseResponseReason.NOT_FINISHED
    assert rlre.user_information is None
    assert pair.client.get(ENERGY_VALUE).run(pair.transport) == DoubleLongUnsigned(123456)


def test_a_plain_release_needs_no_user_information() -> None:
    for sap in (16, 32):
        pair = make_pair(sap)
        pair.client.associate().run(pair.transport)
        pair.client.release().run(pair.transport)
        rlrq, rlre = decode_apdu(pair.requests[-1]), decode_apdu(pair.answers[-1])
        assert isinstance(rlrq, Rlrq) and rlrq.user_information is None
        assert isinstance(rlre, Rlre) and rlre.user_information is None
