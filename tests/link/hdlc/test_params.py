"""SNRM/UA parameter field (Green Book 8.4.5.3.2) and the negotiation rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import DecodeError, EncodeError
from openamr.link.hdlc.frame import Frame
from openamr.link.hdlc.params import HdlcParameters, negotiate
from tests.vector_files import Vectors

LINK = Vectors("link")

UA = next(v for v in LINK.sections("hdlc_frames.hex") if v.name == "ua-params")


def test_ua_capture_both_ways() -> None:
    info = Frame.decode(UA.data).information
    params = HdlcParameters.decode(info)
    assert params == HdlcParameters(154, 154, 1, 1)
    assert params.encode() == info


def test_gurux_snrm_with_two_parameters() -> None:
    # GXDLMSClient snrmRequest() with maxInfoTX 32, maxInfoRX 64 (gurux-dlms 1.0.203)
    snrm = bytes.fromhex("7e a0 13 02 23 21 93 11 97 81 80 06 05 01 20 06 01 40 44 08 7e")
    params = HdlcParameters.decode(Frame.decode(snrm).information)
    assert params == HdlcParameters(max_info_tx=32, max_info_rx=64)


def test_two_byte_lengths_and_defaults() -> None:
    params = HdlcParameters(max_info_tx=1024, max_info_rx=2030, window_tx=7, window_rx=3)
    data = params.encode()
    assert data.hex(" ").startswith("81 80 14 05 02 04 00 06 02 07 ee 07 04 00 00 00 07")
    assert HdlcParameters.decode(data) == params
    assert HdlcParameters.decode(b"") == HdlcParameters()
    assert HdlcParameters.decode(bytes.fromhex("81 80 00")).is_default


def test_negotiation_takes_the_minimum_of_both_views() -> None:
    server = HdlcParameters(max_info_tx=512, max_info_rx=128, window_tx=1, window_rx=7)
    client_proposal = HdlcParameters(max_info_tx=2030, max_info_rx=256, window_tx=3, window_rx=3)
    agreed = negotiate(server, client_proposal)
    assert agreed == HdlcParameters(max_info_tx=256, max_info_rx=128, window_tx=1, window_rx=3)
    assert negotiate(client_proposal, agreed) == agreed.mirrored()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param("81 80 04 05 02 0f a0", HdlcParameters(max_info_tx=2030), id="clamp-high"),
        pytest.param("81 80 03 07 01 09", HdlcParameters(window_tx=7), id="clamp-window"),
        pytest.param("81 80 03 0a 01 09", HdlcParameters(), id="unknown-id-skipped"),
    ],
)
def test_lenient_decoding(data: str, expected: HdlcParameters) -> None:
    assert HdlcParameters.decode(bytes.fromhex(data)) == expected


@pytest.mark.parametrize(
    "data", ["82 80 00", "81 81 00", "81 80 05 05 03 00 00 80", "81 80 04 05 02 00"]
)
def test_refusals(data: str) -> None:
    with pytest.raises(DecodeError):
        HdlcParameters.decode(bytes.fromhex(data))


def test_constructor_bounds() -> None:
    with pytest.raises(EncodeError):
        HdlcParameters(max_info_tx=31)
    with pytest.raises(EncodeError):
        HdlcParameters(window_rx=8)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    try:
        params = HdlcParameters.decode(data)
    except DecodeError:
        return
    assert HdlcParameters.decode(params.encode()) == params
