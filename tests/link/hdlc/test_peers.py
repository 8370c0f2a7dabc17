"""Cross-checks with the test oracles: gurux-dlms builds client frames that our
secondary must accept; gurux-dlms and dlms-cosem must parse what we send."""

from __future__ import annotations

from gurux_dlms import GXByteBuffer, GXDLMSClient, GXReplyData
from gurux_dlms.enums import InterfaceType

from openamr.link.hdlc.address import MT372_SERVER, Address
from openamr.link.hdlc.frame import Frame, Kind
from openamr.link.hdlc.params import HdlcParameters
from openamr.link.hdlc.primary import PrimaryStation
from openamr.link.hdlc.secondary import SecondaryState, SecondaryStation
from openamr.link.hdlc.station import Connected, DataReceived

AARE = bytes.fromhex(
    "61 29 a1 09 06 07 60 85 74 05 08 01 01 a2 03 02 01 00 a3 05 a1 03 02 01 00"
    " be 10 04 0e 08 00 06 5f 1f 04 00 00 1e 1d 04 c8 00 07"
)  # the AARE of the dlms-cosem capture in hdlc_frames.hex


def _gurux(max_tx: int = 128, max_rx: int = 128) -> GXDLMSClient:
    client = GXDLMSClient(
        True, 16, GXDLMSClient.getServerAddress(1, 17), interfaceType=InterfaceType.HDLC
    )
    client.hdlcSettings.maxInfoTX = max_tx
    client.hdlcSettings.maxInfoRX = max_rx
    return client


def _gurux_aarq() -> bytes:
    """The AARQ APDU gurux builds for the same client (its wrapper form)."""
    wrapper = GXDLMSClient(True, 16, 1, interfaceType=InterfaceType.WRAPPER)
    (frame,) = wrapper.aarqRequest()
    return bytes(frame)[8:]


def _connect(client: GXDLMSClient, server: SecondaryStation) -> None:
    (event,) = server.receive_data(bytes(client.snrmRequest()), 0.0)
    assert isinstance(event, Connected)
    reply = GXReplyData()
    client.getData(GXByteBuffer(server.data_to_send()), reply)
    client.parseUAResponse(reply.data)


def test_gurux_segmented_aarq_is_reassembled() -> None:
    client, server = _gurux(max_tx=32, max_rx=64), SecondaryStation()
    _connect(client, server)
    assert server.params == HdlcParameters(max_info_tx=64, max_info_rx=32)
    assert client.hdlcSettings.maxInfoTX == 32
    frames = [bytes(f) for f in client.aarqRequest()]
    assert len(frames) == 2  # 34 bytes of LLC + AARQ in 32-byte segments
    events = []
    for frame in frames:
        events += server.receive_data(frame, 0.0)
        server.data_to_send()  # the RR asking for the next segment
    (event,) = events
    assert event == DataReceived(16, _gurux_aarq())


def test_gurux_reads_our_segmented_answer() -> None:
    client, server = _gurux(max_tx=128, max_rx=32), SecondaryStation()
    _connect(client, server)
    for frame in client.aarqRequest():
        server.receive_data(bytes(frame), 0.0)
    out = server.send_data(AARE, 0.0)
    reply = GXReplyData()
    while True:
        client.getData(GXByteBuffer(out), reply)
        if not reply.isMoreData():
            break
        rr = bytes(client.receiverReady(reply))
        out = b"".join((server.receive_data(rr, 0.0) and []) or [server.data_to_send()])
        assert out, "our station must answer gurux's RR with the next segment"
    assert bytes(reply.data.array()) == AARE


def test_gurux_disconnect() -> None:
    client, server = _gurux(), SecondaryStation()
    _connect(client, server)
    (event,) = server.receive_data(bytes(client.disconnectRequest()), 0.0)
    assert event.reason == "DISC"  # type: ignore[union-attr]
    assert server.state is SecondaryState.NDM
    ua = Frame.decode(server.data_to_send())
    assert (ua.kind, ua.control.pf, ua.information) == (Kind.UA, True, b"")
    assert ua.destination == Address.client(16)
    assert ua.source == MT372_SERVER


def test_our_snrm_equals_gurux_snrm() -> None:
    assert PrimaryStation().connect(0.0) == bytes(_gurux().snrmRequest())
    custom = HdlcParameters(max_info_tx=32, max_info_rx=64)
    snrm = Frame.decode(PrimaryStation(params=custom).connect(0.0))
    assert HdlcParameters.decode(snrm.information) == custom


def test_our_exchange_parses_in_dlms_cosem() -> None:
    from dlms_cosem.hdlc import frames as dc

    primary, server = PrimaryStation(), SecondaryStation()
    server.receive_data(primary.connect(0.0), 0.0)
    primary.receive_data(server.data_to_send(), 0.0)
    request = primary.send_data(b"\xc0\x01\xc1\x00\x01", 0.0)
    (event,) = server.receive_data(request, 0.0)
    assert event == DataReceived(16, b"\xc0\x01\xc1\x00\x01")
    answer = dc.InformationFrame.from_bytes(server.send_data(b"\xc4\x01\xc1\x00", 0.0))
    assert answer.payload == b"\xe6\xe7\x00\xc4\x01\xc1\x00"


def test_our_ua_and_answer_parse_in_dlms_cosem() -> None:
    from dlms_cosem.hdlc import frames as dc

    client, server = _gurux(), SecondaryStation()
    server.receive_data(bytes(client.snrmRequest()), 0.0)
    ua = server.data_to_send()
    theirs = dc.UnNumberedAcknowledgmentFrame.from_bytes(ua)
    assert theirs.to_bytes() == ua
    for frame in client.aarqRequest():
        server.receive_data(bytes(frame), 0.0)
    answer = dc.InformationFrame.from_bytes(server.send_data(AARE, 0.0))
    assert answer.payload == b"\xe6\xe7\x00" + AARE
    assert (answer.send_sequence_number, answer.receive_sequence_number) == (0, 1)
