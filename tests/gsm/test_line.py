"""CsdLine: 9600 bit/s, 10 bits per octet, on a stepped clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.gsm import CsdLine


def test_octets_take_their_time() -> None:
    line = CsdLine()
    assert line.octet_s == pytest.approx(1 / 960)
    done = line.send(bytes(960), now=10.0)
    assert done == pytest.approx(11.0)
    assert line.receivable(10.0) == b""
    assert len(line.receivable(10.5)) == 480
    assert len(line.receivable(10.5)) == 0  # each octet once
    assert len(line.receivable(10.999)) == 479  # 959 complete at 10.999
    assert len(line.receivable(11.0)) == 1
    assert line.pending() == 0 and line.next_arrival() is None


def test_sends_queue_behind_each_other() -> None:
    line = CsdLine(bit_rate=9600)
    line.send(b"a" * 96, 0.0)  # 0.1 s
    end = line.send(b"b" * 96, 0.05)  # waits for the line: ends at 0.2 s
    assert end == pytest.approx(0.2)
    assert line.receivable(0.15) == b"a" * 96 + b"b" * 48
    assert line.next_arrival() == pytest.approx(0.15 + 1 / 960)
    # an idle gap: the next send starts when it is sent, not when the line freed
    assert line.send(b"c", 5.0) == pytest.approx(5.0 + 1 / 960)


def test_theoretical_seconds_and_latency() -> None:
    line = CsdLine(bit_rate=9600, bits_per_octet=10, latency_s=0.2)
    assert line.theoretical_seconds(9600) == pytest.approx(10.0)
    line.send(b"xy", 0.0)
    assert line.receivable(0.2) == b""
    assert line.receivable(0.2 + 2 / 960) == b"xy"


def test_bad_line_is_refused() -> None:
    with pytest.raises(ValueError, match="positive bit rate"):
        CsdLine(bit_rate=0)


@given(
    chunks=st.lists(st.tuples(st.binary(min_size=0, max_size=300), st.floats(0, 0.5)), max_size=8),
    polls=st.lists(st.floats(0, 0.3), min_size=1, max_size=20),
)
def test_every_octet_arrives_once_in_order_and_never_early(
    chunks: list[tuple[bytes, float]], polls: list[float]
) -> None:
    line, now, sent, arrivals = CsdLine(), 0.0, b"", []
    for data, gap in chunks:
        now += gap
        line.send(data, now)
        sent += data
    got, t = b"", 0.0
    for step in polls:
        t += step
        piece = line.receivable(t)
        got += piece
        arrivals.append((t, len(got)))
    got += line.receivable(1e9)
    assert got == sent and line.pending() == 0
    # by t, no more octets than the line can carry from the first send on
    for t, count in arrivals:
        assert count <= max(0.0, t) / line.octet_s + 1e-6
