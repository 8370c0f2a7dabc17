"""The head-end's TOML configuration: every key read, a wrong key or type refused
with what to do; the sample in docs/headend-config.md parses; ``serve --config``
with a bad file exits with the message, no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli.main import cli
from openamr.headend.config import ConfigError, parse, token_hash, token_matches

DOCS = Path(__file__).parents[2] / "docs" / "headend-config.md"
FULL = f"""
[database]
url = "postgresql://amr@db.example/amr"
[listener]
listen = "0.0.0.0:4061"
[api]
listen = "10.0.0.5:8443"
tokens = ["{token_hash("s3cret")}"]
[schedule]
window_start = "02:30"
window_hours = 3
spread_hours = 0.5
[limits]
max_sessions = 200
per_cell = 4
retry_base_s = 30
retry_max_s = 600
on_demand_deadline_s = 120
timeout_s = 20
[clock]
threshold_s = 5
max_shift_s = 60
[security]
counter_alert = 4000000000
kek_file = "/etc/openamr/kek"
"""


def test_every_key_is_read() -> None:
    c = parse(FULL)
    assert c.database_url == "postgresql://amr@db.example/amr"
    assert c.listen == ("0.0.0.0", 4061) and c.api == ("10.0.0.5", 8443)
    assert token_matches("s3cret", c.tokens) and not token_matches("other", c.tokens)
    p = c.policy
    assert (p.window_start, p.window_length, p.spread) == (9000, 10800, 1800)
    assert (p.max_sessions, p.per_cell, p.retry_base, p.retry_max) == (200, 4, 30, 600)
    assert p.on_demand_deadline == 120
    assert (c.collect.threshold, c.collect.max_shift, c.collect.timeout) == (5, 60, 20)
    assert c.counter_alert == c.collect.counter_alert == 4_000_000_000
    assert c.kek_file == "/etc/openamr/kek"


def test_the_documented_sample_parses() -> None:
    sample = re.search(r"```toml\n(.*?)```", DOCS.read_text(), re.S)
    assert sample is not None
    c = parse(sample.group(1))
    assert c.api == ("127.0.0.1", 8080) and c.policy.per_cell == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[limits]\nmax_sesions = 3", "[limits] unknown key 'max_sesions'; known keys: "),
        ("[limit]\nper_cell = 3", "unknown section [limit]; the sections are [database]"),
        ("[limits]\nper_cell = '3'", "[limits] per_cell = '3': give a whole number"),
        ("[limits]\nper_cell = 0", "max_sessions and per_cell must be at least 1"),
        ("[schedule]\nwindow_start = '25:00'", "window_start '25:00': give HH:MM (UTC)"),
        ("[schedule]\nspread_hours = 9", "spread must be between 0 and the window's length"),
        ("[api]\nlisten = '8080'", "[api] listen '8080': give HOST:PORT"),
        ("[api]\ntokens = ['plain-token']", "is not a token hash"),
        ("[security]\ncounter_alert = 0", "counter_alert: between 1 and 4294967295"),
        ("[clock\n", "not valid TOML"),
        ("database = 3", "database must be a table"),
    ],
)
def test_a_bad_file_says_what_to_do(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text, "h.toml")
    assert message in str(info.value) and str(info.value).startswith("h.toml: ")
    assert "plain-token" not in str(info.value)  # a token given by mistake is not echoed


def test_serve_with_a_bad_config_exits_with_the_message(tmp_path: Path) -> None:
    path = tmp_path / "headend.toml"
    path.write_text("[limits]\nper_cel = 2\n")
    result = CliRunner().invoke(cli, ["headend", "serve", "--config", str(path)])
    assert result.exit_code == 1 and result.exception is not None
    assert "unknown key 'per_cel'" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["headend", "serve", "--config", str(tmp_path / "no")])
    assert result.exit_code == 1 and "cannot read it" in result.output


def test_a_token_and_its_hash() -> None:
    import json

    result = CliRunner().invoke(cli, ["headend", "token", "--json"])
    made = json.loads(result.output)
    assert made["hash"] == token_hash(made["token"]) and len(made["token"]) >= 40
    text = CliRunner().invoke(cli, ["headend", "token"]).output
    assert 'config line: [api] tokens = ["sha256:' in text


def test_vee_and_mqtt_keys() -> None:
    from openamr.headend.config import parse

    config = parse('[vee]\nafter_collection = false\n[mqtt]\nurl = "mqtt://127.0.0.1/x"\n')
    assert config.collect.vee is None and config.mqtt_url == "mqtt://127.0.0.1/x"
    assert parse("").collect.vee is not None and parse("").mqtt_url is None
    with pytest.raises(ConfigError, match="true or false"):
        parse("[vee]\nafter_collection = 1\n")
