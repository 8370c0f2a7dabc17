"""Flags and values the CLI refuses or shows with a word of sense: entry numbers,
an empty time range, IPv6 URLs, a clock difference of zero, wrong HLS keys."""

from __future__ import annotations

import datetime as dt

import pytest

from openamr.cli.clock import _seconds
from openamr.client.url import parse_url
from tests.cli.conftest import Twin, invoke

LP1 = "1.0.99.1.0.255"


def test_an_entry_number_beyond_the_selector_names_the_flag(twin: Twin) -> None:
    result = invoke(
        ["profile", twin.url, LP1, "--password", "12345678", "--entries", "99999999999:"]
    )
    assert result.exit_code == 2, result.output
    assert "--entries" in result.output and "4,294,967,295" in result.output
    assert "from_entry" not in result.output and "Traceback" not in result.output


def test_from_later_than_to_is_refused(twin: Twin) -> None:
    args = ["--from", "2026-01-02T00:00", "--to", "2026-01-01T00:00"]
    result = invoke(["profile", twin.url, LP1, "--password", "12345678", *args])
    assert result.exit_code == 2, result.output
    assert "later than --to" in result.output


@pytest.mark.parametrize(
    "url, shown",
    [("tcp://[::1]:4059", "tcp://[::1]:4059"), ("tcp://127.0.0.1:4059", "tcp://127.0.0.1:4059")],
)
def test_ipv6_urls_keep_their_brackets(url: str, shown: str) -> None:
    assert str(parse_url(url)) == shown


@pytest.mark.parametrize(
    "seconds, text",
    [(-0.04, "0.0 s"), (0.04, "0.0 s"), (0.0, "0.0 s"), (-1.26, "-1.3 s"), (2.0, "+2.0 s")],
)
def test_a_clock_difference_of_zero_has_no_sign(seconds: float, text: str) -> None:
    assert _seconds(dt.timedelta(seconds=seconds)) == text


def test_wrong_hls_keys_say_authentication_failed(twin: Twin) -> None:
    wrong = ["--auth", "high", "--ek", "11" * 16, "--ak", "22" * 16]
    result = invoke(["read", twin.url, "1.0.1.8.0.255", *wrong])
    assert result.exit_code == 1, result.output
    assert "authentication failed" in result.output and "check --ek/--ak" in result.output
    assert "no reason given" not in result.output
