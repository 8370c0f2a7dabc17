"""The common flags: defaults by mechanism, keys from flags, a keys file or the
environment, hidden secrets; and the installed ``openamr`` script end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from openamr.cli.options import build_options
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from tests.cli.conftest import Twin, invoke

NONE = {"client": None, "auth": None, "password": None, "ek": None, "ak": None, "kek": None,
        "system_title": None, "keys_file": None}  # fmt: skip


def options(**flags: str | int | None) -> tuple[int, str]:
    o = build_options("tcp://127.0.0.1:4059", 10.0, 2, **{**NONE, **flags})
    return o.client, o.auth


def test_defaults_follow_the_flags() -> None:
    assert options() == (16, "none")
    assert options(password="x") == (32, "low")
    assert options(ek=DEFAULT_EK.hex(), ak=DEFAULT_AK.hex()) == (1, "high")
    assert options(auth="high") == (1, "high")
    assert options(auth="low", client=48) == (48, "low")


def test_secrets_hidden_from_repr() -> None:
    o = build_options("tcp://h:1", 10.0, 2, **{**NONE, "password": "pw-123",
                      "ek": DEFAULT_EK.hex(), "ak": DEFAULT_AK.hex()})  # fmt: skip
    assert "pw-123" not in repr(o) and DEFAULT_EK.hex() not in repr(o).lower()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param({"ek": DEFAULT_EK.hex()}, "give both --ek and --ak", id="ek-alone"),
        pytest.param({"kek": "00" * 16}, "--kek needs --ek and --ak", id="kek-alone"),
        pytest.param({"ek": "00" * 15, "ak": "00" * 16}, "keys:", id="short-key"),
        pytest.param({"system_title": "xyz"}, "not hex", id="title-not-hex"),
    ],
)
def test_bad_key_flags(flags: dict[str, str], message: str) -> None:
    with pytest.raises(click.UsageError, match=message) as info:
        build_options("tcp://h:1", 10.0, 2, **{**NONE, **flags})
    assert "00" * 15 not in str(info.value)


def test_keys_file_and_environment(twin: Twin, tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"ek": DEFAULT_EK.hex(), "ak": DEFAULT_AK.hex()}))
    by_file = invoke(["relay", twin.url, "state", "--auth", "high", "--keys-file", str(keys)])
    assert by_file.exit_code == 0, by_file.output
    env = {"OPENAMR_EK": DEFAULT_EK.hex(), "OPENAMR_AK": DEFAULT_AK.hex()}
    by_env = invoke(["relay", twin.url, "state", "--auth", "high", "--json"], env=env)
    assert by_env.exit_code == 0, by_env.output
    assert json.loads(by_env.stdout)["output_state"] is True
    password = invoke(["read", twin.url, "--auth", "low", "1.0.32.7.0.255"],
                      env={"OPENAMR_PASSWORD": "12345678"})  # fmt: skip
    assert password.exit_code == 0, password.output
    missing = invoke(["read", twin.url, "--auth", "low", "1.0.32.7.0.255"])
    assert missing.exit_code == 1
    assert "--auth low needs a password: give --password" in missing.output


def test_installed_script_end_to_end(twin: Twin) -> None:
    """The `openamr` console script in a subprocess, as an engineer runs it."""
    script = Path(sys.executable).parent / "openamr"
    assert script.exists()
    done = subprocess.run(
        [str(script), "read", twin.url, "1.0.1.8.0.255", "--json"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["unit"] == "Wh"
    failed = subprocess.run(
        [str(script), "read", twin.url, "--password", "wrong", "1.0.1.8.0.255"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert failed.returncode == 1
    assert "authentication failed" in failed.stderr and "Traceback" not in failed.stderr


def test_secrets_from_a_keys_file_or_the_environment_choose_like_the_flags(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "mt372.keys"
    keys.write_text(f"ek={DEFAULT_EK.hex()}\nak={DEFAULT_AK.hex()}\n")
    assert options(keys_file=str(keys)) == (1, "high")
    env_keys = {"OPENAMR_EK": DEFAULT_EK.hex(), "OPENAMR_AK": DEFAULT_AK.hex()}
    assert options_in(env_keys) == (1, "high")
    assert options_in({"OPENAMR_KEYS_FILE": str(keys)}) == (1, "high")
    assert options_in({"OPENAMR_PASSWORD": "12345678"}) == (32, "low")
    assert options_in({"OPENAMR_PASSWORD": "x"}, auth="none") == (16, "none")


def options_in(environ: dict[str, str], **flags: str | int | None) -> tuple[int, str]:
    o = build_options("tcp://127.0.0.1:4059", 10.0, 2, environ=environ, **{**NONE, **flags})
    return o.client, o.auth


def test_readme_relay_disconnect_with_a_keys_file(fresh_twin: Twin, tmp_path: Path) -> None:
    """The README's `openamr relay ... disconnect --keys-file mt372.keys`, no --auth."""
    keys = tmp_path / "mt372.keys"
    keys.write_text(f"ek={DEFAULT_EK.hex()}\nak={DEFAULT_AK.hex()}\n")
    done = invoke(["relay", fresh_twin.url, "disconnect", "--keys-file", str(keys), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["output_state"] is False
    by_env = invoke(["relay", fresh_twin.url, "connect", "--json"],
                    env={"OPENAMR_KEYS_FILE": str(keys)})  # fmt: skip
    assert by_env.exit_code == 0, by_env.output
    assert json.loads(by_env.stdout)["control_state"] != "disconnected"


def test_a_password_from_the_environment_reads_as_the_reader(twin: Twin) -> None:
    done = invoke(["read", twin.url, "1.0.32.7.0.255", "--json"],
                  env={"OPENAMR_PASSWORD": "12345678"})  # fmt: skip
    assert done.exit_code == 0, done.output


def test_max_pdu_size_flag(twin: Twin) -> None:
    done = invoke(["read", twin.url, "1.0.1.8.0.255", "--max-pdu-size", "256", "--json"])
    assert done.exit_code == 0, done.output
    refused = invoke(["read", twin.url, "1.0.1.8.0.255", "--max-pdu-size", "5"])
    assert refused.exit_code == 2 and "--max-pdu-size" in refused.output
