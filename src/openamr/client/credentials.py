"""The client's secrets: the LLS password, the suite 0 keys and the client's system
title, from arguments, a keys file or the environment (in that order of precedence,
field by field).

Keys file: JSON or ``key=value`` lines (``#`` starts a comment), the same names
either way, case-insensitive; keys and the system title in hex (spaces allowed)::

    {"ek": "000102030405060708090A0B0C0D0E0F",      # ek=000102...0F
     "ak": "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF",      # ak=D0D1...DF
     "kek": "...", "password": "12345678",          # kek=... / password=12345678
     "system_title": "4F414D0000000001"}            # system_title=4F414D0000000001

Environment variables: ``OPENAMR_EK``, ``OPENAMR_AK``, ``OPENAMR_KEK``,
``OPENAMR_PASSWORD``, ``OPENAMR_SYSTEM_TITLE``, and ``OPENAMR_KEYS_FILE`` naming a
keys file. Secrets never appear in a repr or an error message: errors name the
source and the field ("keys file k.json: ek is not hex").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from openamr.client.errors import CredentialsError
from openamr.codec.record import record
from openamr.errors import SecurityError
from openamr.security.keys import KeySet, check_system_title

if TYPE_CHECKING:
    from pathlib import Path  # json and pathlib load with a keys file only

FIELDS = ("ek", "ak", "kek", "password", "system_title")
ENV_PREFIX = "OPENAMR_"
#: The client's system title when none is given: "OAM" (openamr) and 00 00 00 00 01.
DEFAULT_SYSTEM_TITLE = bytes.fromhex("4F 41 4D 00 00 00 00 01")


@record
class Secrets:
    """What a client may need to associate; the repr shows which parts are present."""

    password: bytes | None = field(default=None, repr=False)
    keys: KeySet | None = None  # KeySet's own repr hides the keys
    system_title: bytes = DEFAULT_SYSTEM_TITLE

    def __repr__(self) -> str:
        password = "None" if self.password is None else "<hidden>"
        title = self.system_title.hex()
        return f"Secrets(password={password}, keys={self.keys!r}, system_title={title})"

    @property
    def auth(self) -> str:
        """The mechanism these secrets call for when none is named, wherever they came
        from (flags, a keys file, the environment): ``high`` with keys, ``low`` with a
        password, else ``none``."""
        return "high" if self.keys is not None else "low" if self.password is not None else "none"


def read_keys_file(path: str | Path) -> dict[str, str]:
    """The fields of a keys file (JSON or key=value), names lower-cased."""
    import json

    where = f"keys file {path}"
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise CredentialsError(f"{where}: cannot read it ({e.strerror})") from None
    if text.lstrip()[:1] in ("{", "["):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as e:
            raise CredentialsError(f"{where}: not valid JSON (line {e.lineno})") from None
        if not isinstance(raw, dict):
            raise CredentialsError(f"{where}: a JSON object is expected")
        return _known(where, {str(k).lower(): str(v) for k, v in raw.items()})
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise CredentialsError(f"{where}: line {number} is not key=value")
        found[name.strip().lower()] = value.strip()
    return _known(where, found)


def _known(where: str, found: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(found) - set(FIELDS))
    if unknown:
        raise CredentialsError(f"{where}: unknown field(s) {', '.join(unknown)}; use {FIELDS}")
    return found


def _from_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {f: environ[ENV_PREFIX + f.upper()] for f in FIELDS if ENV_PREFIX + f.upper() in environ}


def _hex(where: str, name: str, text: str) -> bytes:
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise CredentialsError(f"{where}: {name} is not hex") from None


def load_secrets(
    *,
    password: bytes | str | None = None,
    keys: KeySet | None = None,
    system_title: bytes | None = None,
    keys_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Secrets:
    """Merge the arguments over the keys file over the environment."""
    env = dict(os.environ if environ is None else environ)
    layers: list[tuple[str, dict[str, str]]] = [("environment", _from_env(env))]
    path = keys_file or env.get(ENV_PREFIX + "KEYS_FILE")
    if path:
        layers.append((f"keys file {path}", read_keys_file(path)))
    merged: dict[str, tuple[str, str]] = {}
    for where, values in layers:
        merged.update({k: (where, v) for k, v in values.items()})
    if isinstance(password, str):
        password = password.encode()
    if password is None and "password" in merged:
        password = merged["password"][1].encode()
    if keys is None:
        keys = _keys(merged)
    if system_title is None and "system_title" in merged:
        where, text = merged["system_title"]
        system_title = _hex(where, "system_title", text)
    title = DEFAULT_SYSTEM_TITLE if system_title is None else system_title
    try:
        check_system_title(title, "client system title")
    except SecurityError as e:
        raise CredentialsError(str(e)) from None
    return Secrets(password, keys, title)


def _keys(merged: dict[str, tuple[str, str]]) -> KeySet | None:
    if "ek" not in merged and "ak" not in merged:
        return None
    for needed in ("ek", "ak"):
        if needed not in merged:
            other = "ak" if needed == "ek" else "ek"
            raise CredentialsError(f"{merged[other][0]}: {other} given without {needed}")
    parts = {k: _hex(*merged[k][:1], k, merged[k][1]) for k in ("ek", "ak", "kek") if k in merged}
    try:
        return KeySet(parts["ek"], parts["ak"], parts.get("kek"))
    except SecurityError as e:
        raise CredentialsError(f"{merged['ek'][0]}: {e}") from None


__all__ = ["DEFAULT_SYSTEM_TITLE", "Secrets", "load_secrets", "read_keys_file"]
