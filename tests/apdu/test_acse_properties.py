"""Hypothesis: generated ACSE and initiate APDUs round-trip; random and mutated bytes make
the decoders raise only DecodeError."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.apdu import Apdu, decode_apdu
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
from openamr.apdu.initiate import (
    ConfirmedServiceError,
    Conformance,
    InitiateRequest,
    InitiateResponse,
)
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.service_error import SERVICE_ERROR_CHOICES, ConfirmedServiceName
from openamr.codec.ber import ObjectIdentifier
from openamr.codec.types import BitString
from openamr.errors import DecodeError

OUR_TAGS = [0x01, 0x08, 0x0E, 0x60, 0x61, 0x62, 0x63]

octets = st.none() | st.binary(max_size=24)
long_octets = st.none() | st.binary(max_size=300)  # certificates: long-form lengths
integers = st.none() | st.integers(-(2**31), 2**31 - 1)
foreign_oids = st.lists(st.integers(0, 2**32), max_size=6).map(
    lambda rest: ObjectIdentifier((1, 3, *rest))
)
context_names = st.sampled_from(ApplicationContextName) | foreign_oids
mechanisms = st.none() | st.sampled_from(MechanismName) | foreign_oids
requirements = st.none() | st.integers(0, 2**12).map(AcseRequirements)
versions = st.none() | st.text("01", max_size=12).map(BitString.from_str)
diagnostics = st.sampled_from(AcseServiceUser) | st.sampled_from(AcseServiceProvider)
conformances = st.integers(0, 2**24 - 1).map(Conformance)
u16 = st.integers(0, 0xFFFF)
qos = st.none() | st.integers(-128, 127)

aarqs = st.builds(
    Aarq,
    protocol_version=versions,
    application_context_name=context_names,
    called_ap_title=octets,
    called_ae_qualifier=octets,
    called_ap_invocation_id=integers,
    called_ae_invocation_id=integers,
    calling_ap_title=octets,
    calling_ae_qualifier=long_octets,
    calling_ap_invocation_id=integers,
    calling_ae_invocation_id=integers,
    sender_acse_requirements=requirements,
    mechanism_name=mechanisms,
    calling_authentication_value=octets,
    implementation_information=octets,
    user_information=long_octets,
)
aares = st.builds(
    Aare,
    protocol_version=versions,
    application_context_name=context_names,
    result=st.sampled_from(AssociationResult),
    result_source_diagnostic=diagnostics,
    responding_ap_title=octets,
    responding_ae_qualifier=long_octets,
    responding_ap_invocation_id=integers,
    responding_ae_invocation_id=integers,
    responder_acse_requirements=requirements,
    mechanism_name=mechanisms,
    responding_authentication_value=octets,
    implementation_information=octets,
    user_information=long_octets,
)
rlrqs = st.builds(
    Rlrq, reason=st.none() | st.sampled_from(ReleaseRequestReason), user_information=octets
)
rlres = st.builds(
    Rlre, reason=st.none() | st.sampled_from(ReleaseResponseReason), user_information=octets
)
initiate_requests = st.builds(
    InitiateRequest,
    proposed_conformance=conformances,
    client_max_receive_pdu_size=u16,
    proposed_dlms_version_number=st.integers(0, 255),
    dedicated_key=st.none() | st.binary(max_size=32),
    response_allowed=st.booleans(),
    proposed_quality_of_service=qos,
)
initiate_responses = st.builds(
    InitiateResponse,
    negotiated_conformance=conformances,
    server_max_receive_pdu_size=u16,
    negotiated_dlms_version_number=st.integers(0, 255),
    negotiated_quality_of_service=qos,
    vaa_name=u16,
)
service_errors = st.builds(
    ConfirmedServiceError,
    st.sampled_from(ConfirmedServiceName),
    st.sampled_from(list(SERVICE_ERROR_CHOICES.values())).flatmap(st.sampled_from),
)
apdus = aarqs | aares | rlrqs | rlres | initiate_requests | initiate_responses | service_errors


@settings(max_examples=300)
@given(apdus)
def test_round_trip(apdu: Apdu) -> None:
    data = apdu.to_bytes()
    assert decode_apdu(data) == apdu
    assert type(apdu).from_bytes(data).to_bytes() == data


@settings(max_examples=400)
@given(st.sampled_from(OUR_TAGS), st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(tag: int, body: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_apdu(bytes([tag]) + body)


@settings(max_examples=400)
@given(apdus, st.data())
def test_mutated_bytes_raise_only_decode_error(apdu: Apdu, data: st.DataObject) -> None:
    wire = bytearray(apdu.to_bytes())
    i = data.draw(st.integers(0, len(wire) - 1))
    wire[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(wire)))
    for candidate in (bytes(wire), bytes(wire[:cut])):
        with contextlib.suppress(DecodeError):
            decoded = decode_apdu(candidate)
            assert isinstance(decoded, Apdu)
