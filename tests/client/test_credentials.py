"""Secrets from arguments, a keys file (JSON or key=value) and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr.client.credentials import DEFAULT_SYSTEM_TITLE, load_secrets
from openamr.client.errors import CredentialsError
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK, DEFAULT_KEK
from openamr.security.keys import KeySet

EK, AK = DEFAULT_EK.hex(), DEFAULT_AK.hex()


def test_json_keys_file(tmp_path: Path) -> None:
    f = tmp_path / "keys.json"
    f.write_text(f'{{"ek": "{EK}", "AK": "{AK}", "kek": "{DEFAULT_KEK.hex()}", '
                 '"password": "12345678", "system_title": "4D 4D 4D 00 00 00 00 01"}')  # fmt: skip
    s = load_secrets(keys_file=f, environ={})
    assert s.keys == KeySet(DEFAULT_EK, DEFAULT_AK, DEFAULT_KEK)
    assert s.password == b"12345678" and s.system_title == bytes.fromhex("4D4D4D0000000001")


def test_key_value_file_with_comments(tmp_path: Path) -> None:
    f = tmp_path / "meter.keys"
    f.write_text(f"# management keys\nek = {EK}\nak={AK}  # GAK\n\n")
    s = load_secrets(keys_file=f, environ={})
    assert s.keys == KeySet(DEFAULT_EK, DEFAULT_AK) and s.password is None
    assert s.system_title == DEFAULT_SYSTEM_TITLE


def test_environment_and_precedence(tmp_path: Path) -> None:
    f = tmp_path / "k"
    f.write_text("password=from-file\n")
    env = {"OPENAMR_EK": EK, "OPENAMR_AK": AK, "OPENAMR_PASSWORD": "from-env",
           "OPENAMR_KEYS_FILE": str(f)}  # fmt: skip
    assert load_secrets(environ=env).password == b"from-file"  # the file beats the environment
    assert load_secrets(environ=env, password="arg").password == b"arg"  # arguments beat both
    assert load_secrets(environ=env).keys == KeySet(DEFAULT_EK, DEFAULT_AK)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"ek={EK}\n", "ek given without ak"),
        (f"ek={EK}\nak=zz{AK[2:]}\n", "ak is not hex"),
        (f"ek={EK}\nak={AK[:-2]}\n", "ek must be 16 bytes, got 15|must be 16 bytes"),
        ("colour=blue\n", "unknown field"),
        ("just a line\n", "line 1 is not key=value"),
        ("system_title=0102\n", "system title must be 8 bytes"),
        ('["ek"]', "a JSON object is expected"),
        ('{"ek": ', "not valid JSON"),
    ],
)
def test_bad_files_name_the_field_not_the_secret(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad"
    f.write_text(text)
    with pytest.raises(CredentialsError, match=message) as e:
        load_secrets(keys_file=f, environ={})
    assert EK not in str(e.value) and AK[2:] not in str(e.value)


def test_missing_file() -> None:
    with pytest.raises(CredentialsError, match="keys file /nonexistent/k: cannot read it"):
        load_secrets(keys_file="/nonexistent/k", environ={})


def test_repr_shows_presence_only() -> None:
    s = load_secrets(password="sekrit", keys=KeySet(DEFAULT_EK, DEFAULT_AK), environ={})
    text = repr(s)
    assert "sekrit" not in text and EK not in text.lower() and "<hidden>" in text
