"""``openamr install-check``: the "Fit and go" steps against a live twin, each
pass or fail with what to do."""

from __future__ import annotations

import json

from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from tests.cli.conftest import HLS, LLS, Twin, invoke
from tests.cli.test_events import T0


def steps(twin: Twin) -> dict[str, dict[str, object]]:
    r = invoke(["install-check", twin.url, *LLS, "--json"])
    assert r.exit_code in (0, 1) and "Traceback" not in r.output, r.output
    return {s["name"]: s for s in json.loads(r.stdout)}


def test_every_step_of_fit_and_go_with_advice(fresh_twin: Twin) -> None:
    found = steps(fresh_twin)
    assert list(found) == [
        "meter ID", "phase voltages L1-L3", "phase sequence", "current reversal",
        "GSM registration", "GSM signal", "clock", "error register FF",
    ]  # fmt: skip
    assert "12345678" in str(found["meter ID"]["found"])
    assert found["phase voltages L1-L3"]["passed"] and found["error register FF"]["passed"]
    signal = found["GSM signal"]  # this serial's modem sits in a weak cell
    assert not signal["passed"] and "external antenna" in str(signal["advice"])
    assert not found["clock"]["passed"] and "--sync" in str(found["clock"]["advice"])
    assert invoke(["clock", fresh_twin.url, *HLS, "--sync"]).exit_code == 0
    assert steps(fresh_twin)["clock"]["passed"]


def test_a_wrong_sequence_and_a_reversed_current_fail(fresh_twin: Twin) -> None:
    log = fresh_twin.app.device.find(Obis.parse("1.0.99.98.0.255"))
    assert isinstance(log, ProfileGeneric)
    for code in (0x8032, 0x802D):  # phase sequence error, current reversal begins on L2
        log.append_row((CosemDateTime.from_datetime(T0).to_bytes(), code))
    found = steps(fresh_twin)
    assert not found["phase sequence"]["passed"]
    assert "RST" in str(found["phase sequence"]["advice"])
    assert found["current reversal"]["found"] == "reversed on L2"
    r = invoke(["install-check", fresh_twin.url, *LLS])
    assert (
        r.exit_code == 1 and "FAIL  current reversal" in r.output and "step(s) failed" in r.output
    )


def test_skipped_steps_print_skip_and_do_not_count(fresh_twin: Twin) -> None:
    """The README's example passes honestly: the steps it cannot pass are skipped by
    name, not the exit status ignored (it ran with `|| true`)."""
    found = steps(fresh_twin)
    result = invoke(["install-check", fresh_twin.url, *LLS, "--skip", "gsm", "--skip", "clock"])
    lines = {line[6:28].strip(): line[:4] for line in result.output.splitlines()}
    assert lines["GSM signal"] == lines["GSM registration"] == lines["clock"] == "skip"
    others = [n for n in found if not n.startswith(("GSM", "clock"))]
    assert all(lines[n] == ("pass" if found[n]["passed"] else "FAIL") for n in others)
    assert result.exit_code == (0 if all(found[n]["passed"] for n in others) else 1)
    assert result.exit_code == 0 and "installation OK" in result.output
