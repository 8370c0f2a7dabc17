"""``openamr relay``: the disconnector through the management client (HLS-GMAC)."""

from __future__ import annotations

import json

from tests.cli.conftest import HLS, LLS, Twin, invoke


def test_disconnect_connect(fresh_twin: Twin, link: str) -> None:
    url = fresh_twin.url_of(link)
    state = invoke(["relay", url, "state", *HLS, "--json"])
    assert state.exit_code == 0, state.output
    assert json.loads(state.stdout) == {
        "output_state": True, "control_state": "connected", "control_mode": 1,
    }  # fmt: skip
    off = invoke(["relay", url, "disconnect", *HLS])
    assert off.exit_code == 0, off.output
    assert "supply" in off.output and "disconnected" in off.output
    on = json.loads(invoke(["relay", url, "connect", *HLS, "--json"]).stdout)
    # control mode 1: a remote reconnection leaves it to the customer at the meter
    assert on == {"output_state": False, "control_state": "ready_for_reconnection",
                  "control_mode": 1}  # fmt: skip


def test_reader_may_not_switch(twin: Twin) -> None:
    result = invoke(["relay", twin.url, "disconnect", *LLS])
    assert result.exit_code == 1
    assert "refused: read write denied" in result.output
    assert "--auth high --client 1" in result.output


def test_keys_never_echoed(twin: Twin) -> None:
    wrong = ["--auth", "high", "--ek", "11" * 16, "--ak", "22" * 16]
    result = invoke(["relay", twin.url, "state", *wrong])
    assert result.exit_code == 1
    assert "authentication failed" in result.output and "check --ek/--ak" in result.output
    assert "11" * 16 not in result.output and "22" * 16 not in result.output
    bad = invoke(["relay", twin.url, "state", "--auth", "high", "--ek", "zz-secret", "--ak", "00"])
    assert bad.exit_code == 2 and "not hex" in bad.output and "zz-secret" not in bad.output
    missing = invoke(["relay", twin.url, "state", "--auth", "high"])
    assert missing.exit_code == 1
    assert "--auth high needs keys: give --ek and --ak" in missing.output
