"""Malformed input to our MT372 server over real loopback sockets: every case gets
the protocol-correct answer (an ExceptionResponse, a rejecting AARE, a DM, a
silently dropped frame, a dropped connection), the server never logs an error or
hangs, and a normal client still reads the serial number afterwards."""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Iterator

import pytest
from gurux_dlms.objects import GXDLMSData

from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, Aarq, AcseServiceUser, AssociationResult
from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.get import GetRequestNormal, GetResponseNormal
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.apdu.results import ServiceError, StateError
from openamr.codec import VisibleString
from openamr.codec.obis import Obis
from openamr.link.hdlc.address import Address, mt372_server
from openamr.link.hdlc.fcs import check_sequence
from openamr.link.hdlc.frame import Control, Frame, FrameSplitter, InvalidFrame, Kind
from openamr.link.hdlc.station import LLC_COMMAND, LLC_RESPONSE
from openamr.link.wrapper import HEADER, encode_wrapper

from .conftest import RunningMeter
from .gurux_helpers import connect, make_client

WAIT = 0.3  # how long "no answer" is waited for
SERIAL = CosemAttributeDescriptor(1, Obis.parse("0.0.96.1.0.255"), 2)
AARQ = Aarq(
    user_information=InitiateRequest(
        proposed_conformance=Conformance.GET, client_max_receive_pdu_size=0x400
    ).to_bytes()
).to_bytes()
GET_SERIAL = GetRequestNormal(SERIAL).to_bytes()
SERVER = mt372_server()
CLIENT = Address.client(16)


@pytest.fixture(autouse=True)
def server_stays_well(meter: RunningMeter, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After each test: nothing logged at ERROR (an exception in a protocol callback
    is logged by asyncio), and a fresh gurux client reads the serial number over
    both transports."""
    caplog.set_level(logging.INFO)
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    for transport, port in (("wrapper", meter.wrapper_port), ("hdlc", meter.hdlc_port)):
        with connect(meter.host, port, make_client(transport, 16)) as s:
            assert s.read(GXDLMSData("0.0.96.1.0.255"), 2) == "12345678"


# -- raw wrapper client -------------------------------------------------------------------


class RawWrapper:
    def __init__(self, meter: RunningMeter) -> None:
        self.sock = socket.create_connection((meter.host, meter.wrapper_port), timeout=1.0)

    def send(self, apdu: bytes, source: int = 16, destination: int = 1) -> None:
        self.sock.sendall(encode_wrapper(source, destination, apdu))

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def receive(self) -> bytes:
        version, source, destination, length = HEADER.unpack(self._exactly(HEADER.size))
        assert (version, source, destination) == (1, 1, 16)
        return self._exactly(length)

    def ask(self, apdu: bytes) -> object:
        self.send(apdu)
        return decode_apdu(self.receive())

    def silent(self) -> bool:
        """No answer within WAIT (the connection still open)."""
        self.sock.settimeout(WAIT)
        try:
            self.sock.recv(1, socket.MSG_PEEK)  # bytes, or b"" when closed: not silent
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(1.0)
        return False

    def closed_by_server(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def wrapper(meter: RunningMeter) -> Iterator[RawWrapper]:
    raw = RawWrapper(meter)
    yield raw
    raw.close()


def assert_reads_serial(raw: RawWrapper) -> None:
    answer = raw.ask(GET_SERIAL)
    assert isinstance(answer, GetResponseNormal)
    assert answer.result == VisibleString("12345678")


def test_bad_wrapper_version_drops_the_connection(wrapper: RawWrapper) -> None:
    wrapper.sock.sendall(bytes.fromhex("00 02 00 10 00 01 00 03 c0 01 c1"))
    assert wrapper.closed_by_server()


def test_oversize_wrapper_apdu_is_answered(wrapper: RawWrapper) -> None:
    """Issue 11 item 12: an APDU above the max receive PDU size the AARE gave (1024)
    gets an EXCEPTION-Response pdu-too-long, not a silent close; the connection
    stays in step for the next APDU."""
    aare = wrapper.ask(AARQ)
    assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED
    too_long = GetRequestNormal(CosemAttributeDescriptor(1, Obis.parse("0.0.96.1.0.255"), 2))
    wrapper.send(too_long.to_bytes() + bytes(2000))
    answer = decode_apdu(wrapper.receive())
    assert answer == ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)
    assert_reads_serial(wrapper)
    # announces 65535 bytes and sends 3: answered at once, the body never buffered
    wrapper.sock.sendall(bytes.fromhex("00 01 00 10 00 01 ff ff c0 01 c1"))
    assert isinstance(decode_apdu(wrapper.receive()), ExceptionResponse)


def test_coalesced_and_byte_by_byte_wrapper_frames(wrapper: RawWrapper) -> None:
    both = encode_wrapper(16, 1, AARQ) + encode_wrapper(16, 1, GET_SERIAL)
    for i in range(0, 20):  # the first 20 bytes one at a time, the rest at once
        wrapper.sock.sendall(both[i : i + 1])
    wrapper.sock.sendall(both[20:])
    aare = decode_apdu(wrapper.receive())
    got = decode_apdu(wrapper.receive())
    assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED
    assert isinstance(got, GetResponseNormal) and got.result == VisibleString("12345678")


GARBAGE = [
    pytest.param(b"", id="empty"),
    pytest.param(bytes.fromhex("ff ff ff"), id="unknown-tag"),
    pytest.param(bytes.fromhex("c0 01"), id="truncated-get"),
    pytest.param(bytes.fromhex("c0 01 c1 00 01 00 00 60 01"), id="get-short-descriptor"),
    pytest.param(bytes.fromhex("c1 01 c1 00 01 00 00 60 01 00 ff 02 00 09 ff"), id="set-bad-len"),
    pytest.param(bytes.fromhex("c3 09"), id="action-bad-choice"),
    pytest.param(bytes.fromhex("62 ff 80 01 00"), id="rlrq-bad-length"),
    pytest.param(bytes.fromhex("c8 05 30 00 00 00 01"), id="glo-get-unassociated"),
]


@pytest.mark.parametrize("junk", GARBAGE)
def test_garbage_apdus_get_an_exception_response(wrapper: RawWrapper, junk: bytes) -> None:
    before = wrapper.ask(junk)
    assert isinstance(before, ExceptionResponse)
    aare = wrapper.ask(AARQ)
    assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED
    after = wrapper.ask(junk)
    assert isinstance(after, (ExceptionResponse, Aare))
    assert_reads_serial(wrapper)  # the association survives


@pytest.mark.parametrize("cut", [2, 9, 20, len(AARQ) - 1])
def test_truncated_aarq_is_rejected(wrapper: RawWrapper, cut: int) -> None:
    aare = wrapper.ask(AARQ[:cut])
    assert isinstance(aare, Aare)
    assert aare.result is AssociationResult.REJECTED_PERMANENT
    assert aare.result_source_diagnostic is AcseServiceUser.NO_REASON_GIVEN
    accepted = wrapper.ask(AARQ)
    assert isinstance(accepted, Aare) and accepted.result is AssociationResult.ACCEPTED


def test_unknown_wports_are_not_answered(wrapper: RawWrapper) -> None:
    wrapper.send(AARQ, destination=5)  # no such logical device
    assert wrapper.silent()
    wrapper.send(AARQ, source=99)  # no association offered to client 99
    assert wrapper.silent()
    aare = wrapper.ask(AARQ)
    assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED


def test_random_bytes_on_the_wrapper(meter: RunningMeter) -> None:
    rng = random.Random(62056)
    for _ in range(20):
        raw = RawWrapper(meter)
        raw.sock.sendall(rng.randbytes(rng.randrange(1, 200)))
        raw.close()
    for _ in range(20):  # well-framed random APDUs: answered or ignored, never fatal
        raw = RawWrapper(meter)
        for _ in range(5):
            raw.send(rng.randbytes(rng.randrange(0, 60)))
        raw.send(AARQ)
        answers = [decode_apdu(raw.receive()) for _ in range(6)]
        assert all(isinstance(a, (ExceptionResponse, Aare)) for a in answers)
        raw.close()


# -- raw HDLC client ----------------------------------------------------------------------


class RawHdlc:
    def __init__(self, meter: RunningMeter) -> None:
        self.sock = socket.create_connection((meter.host, meter.hdlc_port), timeout=1.0)
        self.splitter = FrameSplitter()
        self.frames: list[Frame] = []

    @staticmethod
    def frame(kind: Kind, info: bytes = b"", ns: int = 0, nr: int = 0, client: int = 16) -> bytes:
        control = Control(kind, True, ns=ns, nr=nr)
        return Frame(SERVER, Address.client(client), control, info).encode()

    def receive(self) -> Frame:
        while not self.frames:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed by the server")
            for item in self.splitter.feed(chunk):
                assert not isinstance(item, InvalidFrame), item
                self.frames.append(item)
        return self.frames.pop(0)

    def ask(self, frame: bytes) -> Frame:
        self.sock.sendall(frame)
        return self.receive()

    def silent(self) -> bool:
        self.sock.settimeout(WAIT)
        try:
            self.sock.recv(1, socket.MSG_PEEK)  # bytes, or b"" when closed: not silent
        except TimeoutError:
            return True
        finally:
            self.sock.settimeout(1.0)
        return False

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def hdlc(meter: RunningMeter) -> Iterator[RawHdlc]:
    raw = RawHdlc(meter)
    yield raw
    raw.close()


def corrupt(frame: bytes, index: int) -> bytes:
    return frame[:index] + bytes([frame[index] ^ 0x01]) + frame[index + 1 :]


def test_hdlc_bad_fcs_is_dropped_and_the_link_goes_on(hdlc: RawHdlc) -> None:
    snrm = RawHdlc.frame(Kind.SNRM)
    hdlc.sock.sendall(corrupt(snrm, len(snrm) - 2))  # FCS
    assert hdlc.silent()
    assert hdlc.ask(snrm).kind is Kind.UA
    i_frame = RawHdlc.frame(Kind.I, LLC_COMMAND + AARQ)
    hdlc.sock.sendall(corrupt(i_frame, len(i_frame) - 3))  # FCS
    assert hdlc.silent()
    answer = hdlc.ask(i_frame)
    assert answer.kind is Kind.I and answer.control.ns == 0 and answer.control.nr == 1
    aare = decode_apdu(answer.information[3:])
    assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED


def test_hdlc_bad_hcs_is_dropped_and_the_link_goes_on(hdlc: RawHdlc) -> None:
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA
    i_frame = RawHdlc.frame(Kind.I, LLC_COMMAND + AARQ)
    # format (2), server address (2), client address (1), control (1), then the HCS;
    # the FCS is recomputed so that only the HCS is wrong
    body = bytearray(i_frame[1:-3])
    body[6] ^= 0x01
    hdlc.sock.sendall(b"\x7e" + bytes(body) + check_sequence(bytes(body)) + b"\x7e")
    assert hdlc.silent()
    answer = hdlc.ask(i_frame)
    assert answer.kind is Kind.I
    assert isinstance(decode_apdu(answer.information[3:]), Aare)


def test_hdlc_i_frame_before_snrm_gets_dm(hdlc: RawHdlc) -> None:
    answer = hdlc.ask(RawHdlc.frame(Kind.I, LLC_COMMAND + AARQ))
    assert answer.kind is Kind.DM
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA


def test_hdlc_unknown_control_gets_frmr(hdlc: RawHdlc) -> None:
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA
    unknown = Frame(SERVER, CLIENT, Control(Kind.UNKNOWN, True, raw=0xFF)).encode()
    assert hdlc.ask(unknown).kind is Kind.FRMR
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA  # SNRM clears the condition


def test_hdlc_garbage_apdu_gets_an_exception_response(hdlc: RawHdlc) -> None:
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA
    answer = hdlc.ask(RawHdlc.frame(Kind.I, LLC_COMMAND + bytes.fromhex("ff ff ff")))
    assert isinstance(decode_apdu(answer.information[3:]), ExceptionResponse)


def test_hdlc_request_and_disc_in_one_write(hdlc: RawHdlc) -> None:
    """The link goes down before the answer is ready: no answer on a dead link and no
    crash; the DISC is acknowledged, then the line (the TCP connection) is hung up:
    an unauthenticated peer holds nothing once its link is down (issue 11, item 8)."""
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA
    both = RawHdlc.frame(Kind.I, LLC_COMMAND + AARQ) + RawHdlc.frame(Kind.DISC)
    assert hdlc.ask(both).kind is Kind.UA
    hdlc.sock.settimeout(5)
    assert hdlc.sock.recv(1) == b"", "the connection is closed after the link went down"


def test_hdlc_unknown_client_gets_no_aare_but_a_live_link(hdlc: RawHdlc) -> None:
    """No association is offered to client 99: its AARQ is not answered (Green Book
    9.4.2), but the link answers its poll at once (IEC 62056-46: every P=1 gets an
    F=1), so the client is not left hanging (issue 11 item 12)."""
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM, client=99)).kind is Kind.UA
    rr = hdlc.ask(RawHdlc.frame(Kind.I, LLC_COMMAND + AARQ, client=99))
    assert rr.kind is Kind.RR and rr.control.nr == 1 and rr.control.pf  # received
    again = hdlc.ask(RawHdlc.frame(Kind.RR, nr=0, client=99))
    assert again.kind is Kind.RR and again.control.nr == 1
    assert hdlc.ask(RawHdlc.frame(Kind.DISC, client=99)).kind is Kind.UA


def test_hdlc_wrong_llc_header_is_answered_at_once(hdlc: RawHdlc) -> None:
    """Issue 11 item 12: the SNRM ``7e a0 08 02 23 21 93 bd 64 7e``, then an I frame
    (P=1) carrying the server's LLC header ``e6 e7 00``: the poll gets an RR at once,
    not only after the client's own RR."""
    ua = hdlc.ask(bytes.fromhex("7e a0 08 02 23 21 93 bd 64 7e"))
    assert ua.kind is Kind.UA
    wrong = RawHdlc.frame(Kind.I, LLC_RESPONSE + AARQ)
    assert wrong[:7].hex(" ") == f"7e a0 {len(wrong) - 2:02x} 02 23 21 10"
    rr = hdlc.ask(wrong)
    assert rr.kind is Kind.RR and rr.control.pf and rr.control.nr == 1
    aare = hdlc.ask(RawHdlc.frame(Kind.I, LLC_COMMAND + AARQ, ns=1, nr=0))
    assert isinstance(decode_apdu(aare.information[3:]), Aare)  # the link still works


def test_hdlc_request_above_the_max_pdu_size_is_answered(hdlc: RawHdlc) -> None:
    """As on the wrapper: a request above the max receive PDU size (1024) is not kept
    but answered with an EXCEPTION-Response pdu-too-long, and the link goes on."""
    assert hdlc.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA  # 128-byte frames
    aare = hdlc.ask(RawHdlc.frame(Kind.I, LLC_COMMAND + AARQ))
    assert isinstance(decode_apdu(aare.information[3:]), Aare)
    message = LLC_COMMAND + GET_SERIAL + bytes(1100)
    pieces = [message[i : i + 128] for i in range(0, len(message), 128)]
    for n, piece in enumerate(pieces):
        control = Control(Kind.I, True, ns=(1 + n) % 8, nr=1)
        reply = hdlc.ask(Frame(SERVER, CLIENT, control, piece, n < len(pieces) - 1).encode())
        if n < len(pieces) - 1:
            assert reply.kind is Kind.RR and reply.control.nr == (2 + n) % 8
    assert reply.kind is Kind.I
    answer = decode_apdu(reply.information[3:])
    assert answer == ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)


def test_hdlc_honours_the_advertised_inter_octet_timeout(hdlc: RawHdlc) -> None:
    """The HDLC setup object says 25 ms (issue 11 item 12): a frame whose bytes pause
    for 150 ms is a broken frame and gets no answer; a whole one does."""
    snrm = RawHdlc.frame(Kind.SNRM)
    hdlc.sock.sendall(snrm[:5])
    time.sleep(0.15)
    hdlc.sock.sendall(snrm[5:])
    assert hdlc.silent()
    assert hdlc.ask(snrm).kind is Kind.UA


def test_random_bytes_on_hdlc(meter: RunningMeter) -> None:
    rng = random.Random(62046)
    for _ in range(20):
        raw = RawHdlc(meter)
        junk = rng.randbytes(rng.randrange(1, 200))
        raw.sock.sendall(b"\x7e" + junk if rng.random() < 0.5 else junk)
        raw.close()
    for _ in range(10):  # well-framed random APDUs before any association: refused
        raw = RawHdlc(meter)
        assert raw.ask(RawHdlc.frame(Kind.SNRM)).kind is Kind.UA
        answer = raw.ask(RawHdlc.frame(Kind.I, LLC_COMMAND + rng.randbytes(20)))
        assert answer.kind is Kind.I
        assert isinstance(decode_apdu(answer.information[3:]), (ExceptionResponse, Aare))
        raw.close()
