"""Cross-checks with the test oracles, both ways.

gurux-dlms builds AARQs that we decode and re-encode byte-exact, and parses the AAREs we
build; dlms-cosem decodes what we encode to the same fields, and builds messages that we
decode and re-encode byte-exact.
"""

from __future__ import annotations

from typing import Any

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.acse import (
    Aare,
    Aarq,
    AcseRequirements,
    AcseServiceUser,
    AssociationResult,
    ReleaseRequestReason,
    ReleaseResponseReason,
    Rlre,
    Rlrq,
)
from openamr.apdu.initiate import (
    ConfirmedServiceError,
    Conformance,
    InitiateRequest,
    InitiateResponse,
)
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.service_error import ConfirmedServiceName, InitiateError

gurux = pytest.importorskip("gurux_dlms")
dlms_cosem = pytest.importorskip("dlms_cosem")

from dlms_cosem import enumerations as dc_enum  # noqa: E402
from dlms_cosem.protocol import acse as dc_acse  # noqa: E402
from dlms_cosem.protocol import xdlms as dc_xdlms  # noqa: E402
from gurux_dlms import GXByteBuffer, GXDLMSClient, GXDLMSException  # noqa: E402
from gurux_dlms.enums import Authentication, InterfaceType, Security  # noqa: E402
from gurux_dlms.secure import GXDLMSSecureClient  # noqa: E402

SYSTEM_TITLE = bytes.fromhex("4d 4d 4d 00 00 bc 61 4e")
C = Conformance
BASIC = C.GET | C.SET | C.ACTION | C.SELECTIVE_ACCESS | C.BLOCK_TRANSFER_WITH_GET_OR_READ


def _reverse24(value: int) -> int:
    """Ours has bit 0 (first on the wire) at 1 << 23; gurux's Conformance at 1 << 0."""
    return int(f"{value:024b}"[::-1], 2)


def _gurux_client(auth: Authentication, password: str | None = None, **cipher: Any) -> Any:
    if not cipher and auth in (Authentication.NONE, Authentication.LOW):
        return GXDLMSClient(True, 16, 1, auth, password, InterfaceType.PDU)
    client = GXDLMSSecureClient(True, 16, 1, auth, password, InterfaceType.PDU)
    client.ciphering.systemTitle = SYSTEM_TITLE
    client.ciphering.blockCipherKey = bytes.fromhex(
        "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"
    )
    client.ciphering.authenticationKey = bytes(range(0xD0, 0xE0))
    for name, value in cipher.items():
        setattr(client.ciphering, name, value)
    return client


def _gurux_aarq(client: Any) -> bytes:
    (frame,) = client.aarqRequest()
    return bytes(frame)


# -- gurux -> ours ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "password", "mechanism"),
    [
        pytest.param(Authentication.NONE, None, None, id="none"),
        pytest.param(Authentication.LOW, "12345678", MechanismName.LLS, id="lls"),
        pytest.param(Authentication.HIGH_GMAC, None, MechanismName.HLS_GMAC, id="hls-gmac"),
    ],
)
def test_gurux_aarq_decodes_and_reencodes(
    auth: Authentication, password: str | None, mechanism: MechanismName | None
) -> None:
    client = _gurux_client(auth, password)
    data = _gurux_aarq(client)
    aarq = Aarq.from_bytes(data)
    assert aarq.to_bytes() == data
    assert aarq.application_context_name is ApplicationContextName.LOGICAL_NAME
    assert aarq.mechanism_name is mechanism
    if mechanism is None:
        assert aarq.sender_acse_requirements is None
        assert aarq.calling_authentication_value is None
    else:
        assert aarq.sender_acse_requirements is AcseRequirements.AUTHENTICATION
    if mechanism is MechanismName.LLS:
        assert aarq.calling_authentication_value == b"12345678"
    if mechanism is MechanismName.HLS_GMAC:
        assert aarq.calling_ap_title == SYSTEM_TITLE
        assert aarq.calling_authentication_value == bytes(client.settings.ctoSChallenge)
    assert aarq.user_information is not None
    initiate = InitiateRequest.from_bytes(aarq.user_information)
    assert _reverse24(initiate.proposed_conformance) == int(client.proposedConformance)
    assert initiate.client_max_receive_pdu_size == client.maxReceivePDUSize
    assert initiate.proposed_dlms_version_number == 6


def test_gurux_ciphered_aarq_decodes_and_reencodes() -> None:
    client = _gurux_client(Authentication.HIGH_GMAC, security=Security.AUTHENTICATION_ENCRYPTION)
    data = _gurux_aarq(client)
    aarq = Aarq.from_bytes(data)
    assert aarq.to_bytes() == data
    assert aarq.application_context_name is ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING
    assert aarq.calling_ap_title == SYSTEM_TITLE
    assert aarq.user_information is not None and aarq.user_information[0] == 0x21


def test_gurux_user_id_is_the_calling_ae_invocation_id() -> None:
    client = _gurux_client(Authentication.LOW, "12345678")
    client.settings.userId = 5
    aarq = Aarq.from_bytes(_gurux_aarq(client))
    assert aarq.calling_ae_invocation_id == 5
    assert aarq.to_bytes() == _gurux_aarq(client)


def test_gurux_user_id_above_127_is_one_signed_octet() -> None:
    # gurux writes the user id as one octet (02 01 c8): as a BER INTEGER that is -56. We
    # keep the INTEGER value (byte-exact); the association layer reads it as ``id & 0xff``.
    client = _gurux_client(Authentication.LOW, "12345678")
    client.settings.userId = 200
    data = _gurux_aarq(client)
    assert bytes.fromhex("a9 03 02 01 c8") in data
    aarq = Aarq.from_bytes(data)
    assert aarq.calling_ae_invocation_id == -56
    assert aarq.to_bytes() == data


# -- ours -> gurux ---------------------------------------------------------------------


def _initiate_response(conformance: Conformance = BASIC, size: int = 1224) -> bytes:
    return InitiateResponse(
        negotiated_conformance=conformance, server_max_receive_pdu_size=size
    ).to_bytes()


def test_gurux_parses_our_accepting_aare() -> None:
    client = _gurux_client(Authentication.NONE)
    _gurux_aarq(client)
    client.parseAareResponse(GXByteBuffer(Aare(user_information=_initiate_response()).to_bytes()))
    assert int(client.negotiatedConformance) == _reverse24(BASIC)
    assert client.maxReceivePDUSize == 1224


def test_gurux_parses_our_rejecting_aare() -> None:
    client = _gurux_client(Authentication.NONE)
    _gurux_aarq(client)
    aare = Aare(
        result=AssociationResult.REJECTED_PERMANENT,
        result_source_diagnostic=AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
        user_information=_initiate_response(),
    )
    with pytest.raises(GXDLMSException) as e:
        client.parseAareResponse(GXByteBuffer(aare.to_bytes()))
    assert int(e.value.result) == AssociationResult.REJECTED_PERMANENT
    assert int(e.value.diagnostic) == AcseServiceUser.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED


def test_gurux_parses_our_hls_aare() -> None:
    client = _gurux_client(Authentication.HIGH_GMAC)
    _gurux_aarq(client)
    challenge = bytes(range(16))
    aare = Aare(
        result_source_diagnostic=AcseServiceUser.AUTHENTICATION_REQUIRED,
        responding_ap_title=bytes.fromhex("4b 46 4d 10 20 00 00 01"),
        responder_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.HLS_GMAC,
        responding_authentication_value=challenge,
        user_information=_initiate_response(),
    )
    client.parseAareResponse(GXByteBuffer(aare.to_bytes()))
    assert bytes(client.settings.sourceSystemTitle) == aare.responding_ap_title
    assert bytes(client.settings.stoCChallenge) == challenge


# -- ours -> dlms-cosem ----------------------------------------------------------------


def test_dlms_cosem_decodes_our_aarq() -> None:
    initiate = InitiateRequest(
        proposed_conformance=BASIC,
        client_max_receive_pdu_size=1200,
        dedicated_key=bytes(range(16)),
    )
    aarq = Aarq(
        calling_ap_title=SYSTEM_TITLE,
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=bytes(range(16, 32)),
        user_information=initiate.to_bytes(),
    )
    theirs = dc_acse.ApplicationAssociationRequest.from_bytes(aarq.to_bytes())
    assert theirs.to_bytes() == aarq.to_bytes()
    assert theirs.system_title == SYSTEM_TITLE
    assert theirs.authentication == dc_enum.AuthenticationMechanism.HLS_GMAC
    assert bytes(theirs.authentication_value) == aarq.calling_authentication_value
    assert not theirs.ciphered
    content = theirs.user_information.content
    assert content.client_max_receive_pdu_size == 1200
    assert content.dedicated_key == bytes(range(16))
    assert content.proposed_conformance.get and content.proposed_conformance.selective_access
    assert not content.proposed_conformance.multiple_references


def test_dlms_cosem_decodes_our_aare() -> None:
    aare = Aare(
        result_source_diagnostic=AcseServiceUser.AUTHENTICATION_REQUIRED,
        responding_ap_title=SYSTEM_TITLE,
        responder_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.HLS_GMAC,
        responding_authentication_value=b"P6wRJ21F",
        user_information=_initiate_response(size=500),
    )
    theirs = dc_acse.ApplicationAssociationResponse.from_bytes(aare.to_bytes())
    assert theirs.to_bytes() == aare.to_bytes()
    assert theirs.result == dc_enum.AssociationResult.ACCEPTED
    assert theirs.result_source_diagnostics == (
        dc_enum.AcseServiceUserDiagnostics.AUTHENTICATION_REQUIRED
    )
    assert theirs.system_title == SYSTEM_TITLE
    assert theirs.authentication_value == b"P6wRJ21F"
    assert theirs.user_information.content.server_max_receive_pdu_size == 500


def test_dlms_cosem_decodes_our_rejection_with_service_error() -> None:
    aare = Aare(
        result=AssociationResult.REJECTED_PERMANENT,
        result_source_diagnostic=AcseServiceUser.NO_REASON_GIVEN,
        user_information=ConfirmedServiceError(
            ConfirmedServiceName.INITIATE_ERROR, InitiateError.DLMS_VERSION_TOO_LOW
        ).to_bytes(),
    )
    theirs = dc_acse.ApplicationAssociationResponse.from_bytes(aare.to_bytes())
    assert theirs.result == dc_enum.AssociationResult.REJECTED_PERMANENT
    assert theirs.user_information.content.error == dc_enum.InitiateError.DLMS_VERSION_TOO_LOW


def test_dlms_cosem_decodes_our_release() -> None:
    rlrq = Rlrq(reason=ReleaseRequestReason.NORMAL)
    assert dc_acse.ReleaseRequest.from_bytes(rlrq.to_bytes()).reason == (
        dc_enum.ReleaseRequestReason.NORMAL
    )
    rlre = Rlre(reason=ReleaseResponseReason.NORMAL, user_information=_initiate_response())
    theirs = dc_acse.ReleaseResponse.from_bytes(rlre.to_bytes())
    assert theirs.reason == dc_enum.ReleaseResponseReason.NORMAL
    assert theirs.user_information.content.server_max_receive_pdu_size == 1224


# -- dlms-cosem -> ours ----------------------------------------------------------------


def test_dlms_cosem_aarq_decodes_and_reencodes() -> None:
    theirs = dc_acse.ApplicationAssociationRequest(
        user_information=dc_acse.UserInformation(
            content=dc_xdlms.InitiateRequest(
                proposed_conformance=dc_xdlms.Conformance(get=True, set=True, action=True),
                client_max_receive_pdu_size=512,
            )
        ),
        system_title=SYSTEM_TITLE,
        authentication=dc_enum.AuthenticationMechanism.LLS,
        authentication_value=b"00000000",
        ciphered=True,
    )
    data = theirs.to_bytes()
    aarq = Aarq.from_bytes(data)
    assert aarq.to_bytes() == data
    assert aarq.application_context_name is ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING
    assert aarq.calling_authentication_value == b"00000000"
    assert aarq.user_information is not None
    initiate = decode_apdu(aarq.user_information)
    assert initiate == InitiateRequest(
        proposed_conformance=C.GET | C.SET | C.ACTION, client_max_receive_pdu_size=512
    )


def test_dlms_cosem_aare_decodes_and_reencodes() -> None:
    theirs = dc_acse.ApplicationAssociationResponse(
        result=dc_enum.AssociationResult.REJECTED_TRANSIENT,
        result_source_diagnostics=dc_enum.AcseServiceUserDiagnostics.AUTHENTICATION_FAILED,
        user_information=dc_acse.UserInformation(
            content=dc_xdlms.InitiateResponse(
                negotiated_conformance=dc_xdlms.Conformance(get=True),
                server_max_receive_pdu_size=256,
            )
        ),
    )
    data = theirs.to_bytes()
    aare = Aare.from_bytes(data)
    assert aare.to_bytes() == data
    assert aare.result is AssociationResult.REJECTED_TRANSIENT
    assert aare.result_source_diagnostic is AcseServiceUser.AUTHENTICATION_FAILURE
    assert aare.user_information is not None
    assert InitiateResponse.from_bytes(aare.user_information).server_max_receive_pdu_size == 256


def test_enumerations_agree_with_dlms_cosem() -> None:
    pairs = [
        (AcseServiceUser, dc_enum.AcseServiceUserDiagnostics),
        (AssociationResult, dc_enum.AssociationResult),
        (MechanismName, dc_enum.AuthenticationMechanism),
        (InitiateError, dc_enum.InitiateError),
    ]
    for ours, theirs in pairs:
        assert [m.value for m in ours] == [m.value for m in theirs], ours.__name__
