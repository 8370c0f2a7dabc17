"""AARQ, AARE, RLRQ, RLRE: the Green Book and peer vectors both ways, strict decoding."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.acse import (
    Aare,
    Aarq,
    AcseRequirements,
    AcseServiceProvider,
    AcseServiceUser,
    AssociationResult,
    ReleaseRequestReason,
    ReleaseResponseReason,
    Rlre,
    Rlrq,
)
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.codec.ber import ObjectIdentifier
from openamr.codec.types import BitString
from openamr.errors import DecodeError
from tests.vector_files import Vectors

ACSE = Vectors("acse")

LN = ApplicationContextName.LOGICAL_NAME
AUTH = AcseRequirements.AUTHENTICATION
GB_INITIATE_REQUEST = bytes.fromhex("01 00 00 00 06 5f 1f 04 00 00 7e 1f 04 b0")
GB_INITIATE_RESPONSE = bytes.fromhex("08 00 06 5f 1f 04 00 00 50 1f 01 f4 00 07")
GURUX_INITIATE_REQUEST = bytes.fromhex("01 00 00 00 06 5f 1f 04 00 40 1e 5d ff ff")
GLO_INITIATE_REQUEST = bytes.fromhex(
    "21 30 30 01 23 45 67 80 13 02 ff 8a 78 74 13 3d 41 4c ed 25 b4 25 34 d2 8d b0 04 77"
    "20 60 6b 17 5b d5 22 11 be 68 41 db 20 4d 39 ee 6f db 8e 35 68 55"
)

SYSTEM_TITLE = bytes.fromhex("4d 4d 4d 00 00 bc 61 4e")

EXPECTED: dict[str, object] = {
    "aarq-ln-no-security": Aarq(user_information=GB_INITIATE_REQUEST),
    "aarq-ln-no-security-65535": Aarq(
        user_information=bytes.fromhex("01 00 00 00 06 5f 1f 04 00 00 1e 1d ff ff")
    ),
    "aarq-ln-lls": Aarq(
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.LLS,
        calling_authentication_value=b"12345678",
        user_information=GB_INITIATE_REQUEST,
    ),
    "aarq-ln-hls-gmac": Aarq(
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=b"K56iVagY",
        user_information=GB_INITIATE_REQUEST,
    ),
    "aarq-ln-hls-manufacturer": Aarq(
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.HLS,
        calling_authentication_value=b"12345678",
        user_information=bytes.fromhex("01 00 00 00 06 5f 1f 04 00 00 7e 1f ff ff"),
    ),
    "aarq-ln-ciphered-lls": Aarq(
        application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        calling_ap_title=SYSTEM_TITLE,
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.LLS,
        calling_authentication_value=b"12345678",
        user_information=GLO_INITIATE_REQUEST,
    ),
    "gurux-aarq-none": Aarq(user_information=GURUX_INITIATE_REQUEST),
    "gurux-aarq-lls": Aarq(
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.LLS,
        calling_authentication_value=b"12345678",
        user_information=GURUX_INITIATE_REQUEST,
    ),
    "gurux-aarq-hls-gmac": Aarq(
        calling_ap_title=SYSTEM_TITLE,
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=bytes.fromhex(
            "d1 da 16 af 15 18 07 08 c6 58 f2 95 fd 49 64 eb"
        ),
        user_information=GURUX_INITIATE_REQUEST,
    ),
    "gurux-aarq-hls-gmac-ciphered": Aarq(
        application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        calling_ap_title=SYSTEM_TITLE,
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=bytes.fromhex(
            "f3 e5 e3 19 2f 7e cd 8e 9f 41 62 3a f9 cc 48 28"
        ),
        user_information=bytes.fromhex(
            "21 1f 30 00 00 00 01 d0 61 00 0a 04 ec 61 55 71 c4 ca 56 76 a2 3c b0 2e 0f 3b 43"
            "a1 ee 9c 3b 5c 56"
        ),
    ),
    "aare-ln-accepted": Aare(user_information=GB_INITIATE_RESPONSE),
    "aare-ln-rejected-context": Aare(
        result=AssociationResult.REJECTED_PERMANENT,
        result_source_diagnostic=AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
        user_information=GB_INITIATE_RESPONSE,
    ),
    "aare-ln-rejected-dlms-version": Aare(
        result=AssociationResult.REJECTED_PERMANENT,
        result_source_diagnostic=AcseServiceUser.NO_REASON_GIVEN,
        user_information=bytes.fromhex("0e 01 06 01"),
    ),
    "aare-ln-hls-gmac": Aare(
        result_source_diagnostic=AcseServiceUser.AUTHENTICATION_REQUIRED,
        responder_acse_requirements=AUTH,
        mechanism_name=MechanismName.HLS_GMAC,
        responding_authentication_value=b"P6wRJ21F",
        user_information=GB_INITIATE_RESPONSE,
    ),
    "aare-ln-conformance-1e1d": Aare(
        user_information=bytes.fromhex("08 00 06 5f 1f 04 00 00 1e 1d 04 c8 00 07")
    ),
    "rlrq-normal": Rlrq(reason=ReleaseRequestReason.NORMAL),
    "rlrq-ciphered": Rlrq(
        reason=ReleaseRequestReason.NORMAL, user_information=GLO_INITIATE_REQUEST
    ),
    "rlre-normal": Rlre(reason=ReleaseResponseReason.NORMAL),
    "rlre-initiate-response": Rlre(
        reason=ReleaseResponseReason.NORMAL,
        user_information=bytes.fromhex("08 01 00 06 5f 1f 04 00 00 1e 1d 04 c8 00 07"),
    ),
    "rlre-ciphered": Rlre(
        reason=ReleaseResponseReason.NORMAL,
        user_information=bytes.fromhex(
            "28 1f 30 01 23 45 67 89 12 14 a0 84 5e 47 57 14 38 3f 65 bc 19 74 5c a2 35 90 65"
            "25 e4 f3 e1 c8 93"
        ),
    ),
}


def test_every_acse_vector_is_checked() -> None:
    acse = [s for s in ACSE.stems() if s.split("-")[0] in {"aarq", "aare", "rlrq", "rlre", "gurux"}]
    assert sorted(acse) == sorted(EXPECTED)


@pytest.mark.parametrize(("data", "msg"), ACSE.expected_params(EXPECTED))
def test_vector_both_ways(data: bytes, msg: Aarq | Aare | Rlrq | Rlre) -> None:
    assert msg.to_bytes() == data
    assert type(msg).from_bytes(data) == msg
    assert decode_apdu(data) == msg


def test_gb_lls_aarq_fields() -> None:
    aarq = Aarq.from_bytes(ACSE.vector("aarq-ln-lls"))
    assert aarq.application_context_name is LN
    assert not LN.ciphered and LN.logical_names
    assert aarq.mechanism_name is MechanismName.LLS
    assert aarq.calling_authentication_value == b"12345678"


def test_ciphered_context_name() -> None:
    aarq = Aarq.from_bytes(ACSE.vector("aarq-ln-ciphered-lls"))
    name = aarq.application_context_name
    assert isinstance(name, ApplicationContextName) and name.ciphered
    assert str(name.oid) == "2.16.756.5.8.1.3"


def test_all_optional_elements_in_order() -> None:
    aarq = Aarq(
        protocol_version=BitString.from_str("1"),
        application_context_name=ApplicationContextName.SHORT_NAME,
        called_ap_title=b"\x01",
        called_ae_qualifier=b"\x02",
        called_ap_invocation_id=3,
        called_ae_invocation_id=4,
        calling_ap_title=SYSTEM_TITLE,
        calling_ae_qualifier=b"\x07" * 200,  # a certificate: long-form lengths
        calling_ap_invocation_id=8,
        calling_ae_invocation_id=-1,
        sender_acse_requirements=AUTH,
        mechanism_name=MechanismName.HLS_ECDSA,
        calling_authentication_value=b"x" * 32,
        implementation_information=b"openamr",
        user_information=GB_INITIATE_REQUEST,
    )
    data = aarq.to_bytes()
    assert data[:2] == bytes.fromhex("60 82")  # long form, two length octets
    assert int.from_bytes(data[2:4], "big") == len(data) - 4
    assert data[4:8] == bytes.fromhex("80 02 07 80")  # protocol-version {version1}
    assert bytes.fromhex("a7 81 cb 04 81 c8") in data
    assert bytes.fromhex("a9 03 02 01 ff") in data
    assert bytes.fromhex("9d 07") + b"openamr" in data
    assert Aarq.from_bytes(data) == aarq


def test_aare_service_provider_diagnostic() -> None:
    aare = Aare(
        result=AssociationResult.REJECTED_TRANSIENT,
        result_source_diagnostic=AcseServiceProvider.NO_COMMON_ACSE_VERSION,
        responding_ap_title=SYSTEM_TITLE,
    )
    data = aare.to_bytes()
    assert bytes.fromhex("a3 05 a2 03 02 01 02") in data
    assert bytes.fromhex("a4 0a 04 08") + SYSTEM_TITLE in data
    assert Aare.from_bytes(data) == aare


def test_unknown_mechanism_is_kept_as_an_oid() -> None:
    oid = ObjectIdentifier((2, 16, 756, 5, 8, 2, 9))
    aarq = Aarq(mechanism_name=oid, sender_acse_requirements=AUTH)
    assert Aarq.from_bytes(aarq.to_bytes()).mechanism_name == oid


def test_empty_release_apdus() -> None:
    assert Rlrq().to_bytes() == bytes.fromhex("62 00")
    assert Rlre.from_bytes(bytes.fromhex("63 00")) == Rlre()


BAD = [
    pytest.param("60 03 a1 09 06", id="length-beyond-data"),
    pytest.param("60 00", id="aarq-without-context-name"),
    pytest.param("61 0b a1 09 06 07 60 85 74 05 08 01 01", id="aare-without-result"),
    pytest.param("60 80 00 00", id="indefinite-length"),
    pytest.param("60 0e be 01 00 a1 09 06 07 60 85 74 05 08 01 01", id="out-of-order"),
    pytest.param("60 05 bf 1f 01 00 00", id="high-tag-number"),
    pytest.param("60 03 8c 01 00", id="unknown-element"),
    pytest.param("60 0b a1 09 06 07 60 85 74 05 08 01 01 00", id="truncated-element"),
    pytest.param("62 06 80 01 00 80 01 00", id="duplicate-element"),
    pytest.param("62 03 80 01 05", id="unknown-release-reason"),
    pytest.param("62 00 00", id="trailing-byte"),
    pytest.param(
        "61 14 a1 09 06 07 60 85 74 05 08 01 01 a2 03 02 01 00 a3 02 a5 00",
        id="unknown-diagnostic-choice",
    ),
    pytest.param("60 0c a1 0a 06 07 60 85 74 05 08 01 01 00", id="bytes-after-oid"),
    pytest.param("60 04 ac 02 81 00", id="bitstring-authentication-value"),
    pytest.param("60 06 be 04 04 01 00 00", id="bytes-after-user-information"),
]


@pytest.mark.parametrize("hex_data", BAD)
def test_malformed_raises_decode_error(hex_data: str) -> None:
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex(hex_data))
