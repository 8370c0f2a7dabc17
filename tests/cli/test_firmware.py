"""``openamr firmware``: an image transfer to the twin, then the same call again
(resumed: every block already held)."""

from __future__ import annotations

import json
from pathlib import Path

from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from tests.cli.conftest import HLS, LLS, Twin, invoke


def test_transfer_then_resume(fresh_twin: Twin, tmp_path: Path) -> None:
    image = tmp_path / "mt372-fw-2.1.bin"
    image.write_bytes(bytes(range(256)) * 20)  # 5120 bytes
    first = invoke(["firmware", fresh_twin.url, str(image), *HLS, "--no-activate", "--json"])
    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    assert document == {
        "identifier": "mt372-fw-2.1.bin", "size": 5120, "block_size": 192, "blocks": 27,
        "resumed": 0, "sent": 27, "status": "verification_successful",
    }  # fmt: skip
    again = invoke(["firmware", fresh_twin.url, str(image), *HLS, "--block-size", "192"])
    assert again.exit_code == 0, again.output
    assert "activation successful" in again.output
    assert "already in the meter │ 27" in again.output


def test_reader_may_not_upgrade(twin: Twin, tmp_path: Path) -> None:
    image = tmp_path / "fw.bin"
    image.write_bytes(b"\x01" * 100)
    result = invoke(["firmware", twin.url, str(image), *LLS])
    assert result.exit_code == 1
    assert "refused" in result.output and "more rights" in result.output


def test_empty_or_missing_image(twin: Twin, tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert invoke(["firmware", twin.url, str(empty), *HLS]).exit_code == 2
    assert invoke(["firmware", twin.url, str(tmp_path / "nope.bin"), *HLS]).exit_code == 2


def test_readme_firmware_with_a_keys_file(fresh_twin: Twin, tmp_path: Path) -> None:
    """The README's `openamr firmware ... fw-2.1.bin --keys-file mt372.keys`: the keys
    file alone chooses HLS and the management client (issue 10)."""
    keys = tmp_path / "mt372.keys"
    keys.write_text(f"ek={DEFAULT_EK.hex()}\nak={DEFAULT_AK.hex()}\n")
    image = tmp_path / "fw-2.1.bin"
    image.write_bytes(bytes(range(256)) * 2)
    done = invoke(["firmware", fresh_twin.url, str(image), "--keys-file", str(keys), "--json",
                   "--no-activate"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "verification_successful"


def test_a_3_mb_image_is_refused_with_the_limit(twin: Twin, tmp_path: Path) -> None:
    image = tmp_path / "big.bin"
    image.write_bytes(b"\x5a" * (3 << 20))
    result = invoke(["firmware", twin.url, str(image), *HLS])
    assert result.exit_code == 1, result.output
    assert "image_transfer_initiate of 3,145,728 bytes" in result.output
    assert "1,048,576 bytes" in result.output and "Traceback" not in result.output


def test_after_activation_the_meter_runs_and_logged_the_new_image(
    fresh_twin: Twin, tmp_path: Path
) -> None:
    image = tmp_path / "MT372-1100"
    image.write_bytes(bytes(range(256)) * 4)
    before = invoke(["read", fresh_twin.url, "1.0.0.2.0.255"])
    assert "MT372-1004" in before.output, before.output
    done = invoke(["firmware", fresh_twin.url, str(image), *HLS])
    assert done.exit_code == 0, done.output
    after = invoke(["read", fresh_twin.url, "1.0.0.2.0.255"])
    assert "MT372-1100" in after.output and "MT372-1004" not in after.output, after.output
    status = invoke(["read", fresh_twin.url, "0.0.44.0.0.255:6", *HLS])
    assert "6 (activation successful)" in status.output, status.output
    events = invoke(["events", fresh_twin.url, *LLS, "--json"])
    assert events.exit_code == 0, events.output
    assert 0x8035 in [e["code"] for e in json.loads(events.stdout)], events.stdout
