"""The fleet's configuration: a quick start, a TOML file, and errors that say what
to do."""

from __future__ import annotations

import datetime as dt

import pytest

from openamr.fleet.config import ConfigError, parse, quick

FULL = """
[fleet]
serial_start = 20000001
meters = 12
seed = 7
start = 2026-06-01T00:00:00Z
speed = 60.0
history_days = 10
secret_file = "fleet.key"

[addresses]
port_range = [6000, 6099]

[mix]
residential = 0.5
commercial = 0.5
industrial = 0.0
pv = 1.0
phases = { 1 = 1.0 }
firmware = { "MT372-1004" = 1.0 }

[network]
meters_per_cell = 5
cell_capacity = 2
meters_per_group = 4

[faults]
offline = 0.5
slow_rtt_s = [1.0, 2.0]
"""


def test_quick_start() -> None:
    c = quick(3)
    assert c.serials == ("10000001", "10000002", "10000003")
    assert c.addresses.of(0) == ("127.1.0.1", 4059) and c.addresses.of(2) == ("127.1.0.3", 4059)
    assert c.addresses.of(255) == ("127.1.1.0", 4059)


def test_a_full_file() -> None:
    c = parse(FULL, secret_reader=lambda name: "00" * 31 + "01")
    assert c.serials[0] == "20000001" and c.size == 12 and c.seed == 7
    assert c.start == dt.datetime(2026, 6, 1, tzinfo=dt.UTC) and c.speed == 60.0
    assert c.secret == bytes(31) + b"\x01"
    assert c.addresses.of(3) == ("127.0.0.1", 6003)
    assert c.mix.pv == 1.0 and c.mix.phases == (1.0, 0.0, 0.0)
    assert c.network.cell_capacity == 2 and c.faults.offline == 0.5
    assert c.faults.slow_rtt_s == (1.0, 2.0)


def test_a_serial_list_and_a_count_override() -> None:
    c = parse('[fleet]\nserials = ["00000042", "12345678", "99"]', meters=2)
    assert c.serials == ("00000042", "12345678")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[fleet]\nmeters = 0", "meters: a whole number from 1"),
        ("[fleet]\nmetres = 3", "unknown key 'metres'"),
        ("[faults]\noffline = 1.5", "offline: a number >= 0.0 and <= 1.0"),
        ('[addresses]\nfirst = "10.0.0.1"', "not a loopback address"),
        ("[addresses]\nport_range = [5000, 5001]\n[fleet]\nmeters = 3", "3 meters need 3 ports"),
        ('[fleet]\nserials = ["1", "1"]', "each serial may appear once"),
        ("[fleet\n", "not TOML"),
        ("[mix]\nresidential = 0\ncommercial = 0\nindustrial = 0", "must be > 0"),
    ],
)
def test_errors_name_the_key(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("[", r"\[").replace(".", r"\.")):
        parse(text)
