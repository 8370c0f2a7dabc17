"""The head-end's configuration file (TOML, ``openamr headend serve --config
headend.toml``): the database URL, the listener and API addresses, the API's
bearer tokens (hashed), the daily schedule, the limits and the clock policy.
Every key is optional; docs/headend-config.md shows them all with their defaults.

A key this module does not know is refused with the keys it does know: a typo
must not silently leave a default in force. Nothing here opens a socket or a
database; :func:`parse` takes the text.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openamr.headend.collector import CollectPolicy
from openamr.headend.counters import DEFAULT_COUNTER_ALERT
from openamr.headend.scheduler import Policy
from openamr.headend.vee import Rules

TOKEN_PREFIX = "sha256:"
SECTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "database": {"url": str},
    "listener": {"listen": str},
    "api": {"listen": str, "tokens": list},
    "schedule": {"window_start": str, "window_hours": (int, float), "spread_hours": (int, float)},
    "limits": {
        "max_sessions": int,
        "per_cell": int,
        "retry_base_s": (int, float),
        "retry_max_s": (int, float),
        "on_demand_deadline_s": (int, float),
        "timeout_s": (int, float),
    },
    "clock": {"threshold_s": (int, float), "max_shift_s": (int, float)},
    "security": {"counter_alert": int, "kek_file": str},
    "vee": {"after_collection": bool},
    "mqtt": {"url": str},
}


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the key and what to do."""


@dataclass(frozen=True, slots=True)
class HeadendConfig:
    database_url: str | None = None
    listen: tuple[str, int | None] = ("127.0.0.1", 4061)
    api: tuple[str, int | None] = ("127.0.0.1", 8080)
    tokens: frozenset[str] = field(default_factory=frozenset)  # "sha256:<hex>" each
    policy: Policy = field(default_factory=Policy)
    collect: CollectPolicy = field(default_factory=CollectPolicy)
    counter_alert: int = DEFAULT_COUNTER_ALERT
    kek_file: str | None = None
    mqtt_url: str | None = None  # publish what is stored (docs/mqtt.md)


def host_port(text: str, where: str) -> tuple[str, int | None]:
    """``HOST:PORT`` or ``off`` (port None)."""
    if text == "off":
        return "127.0.0.1", None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"{where} {text!r}: give HOST:PORT, e.g. 127.0.0.1:4061, or off")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_hash(token: str) -> str:
    """What the configuration keeps of a bearer token."""
    return TOKEN_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, hashes: frozenset[str]) -> bool:
    wanted = token_hash(token)
    return any(hmac.compare_digest(wanted, h) for h in hashes)


def load(path: str | Path) -> HeadendConfig:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({e})") from None
    return parse(text, str(path))


def parse(text: str, name: str = "headend.toml") -> HeadendConfig:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{name}: not valid TOML ({e}); see docs/headend-config.md") from None
    for section, table in doc.items():
        _check(name, section, table)
    get = _getter(doc)
    hours, minutes = _window_start(name, str(get("schedule", "window_start", "01:00")))
    defaults, clock = Policy(), CollectPolicy()
    try:
        policy = Policy(
            window_start=hours * 3600.0 + minutes * 60.0,
            window_length=float(get("schedule", "window_hours", 4)) * 3600,
            spread=float(get("schedule", "spread_hours", 1)) * 3600,
            retry_base=float(get("limits", "retry_base_s", defaults.retry_base)),
            retry_max=float(get("limits", "retry_max_s", defaults.retry_max)),
            max_sessions=int(get("limits", "max_sessions", defaults.max_sessions)),
            per_cell=int(get("limits", "per_cell", defaults.per_cell)),
            on_demand_deadline=float(
                get("limits", "on_demand_deadline_s", defaults.on_demand_deadline)
            ),
        )
    except ValueError as e:
        raise ConfigError(f"{name}: [schedule] or [limits]: {e}") from None
    counter_alert = int(get("security", "counter_alert", DEFAULT_COUNTER_ALERT))
    if not 0 < counter_alert <= 0xFFFFFFFF:
        raise ConfigError(f"{name}: [security] counter_alert: between 1 and 4294967295")
    collect = CollectPolicy(
        threshold=float(get("clock", "threshold_s", clock.threshold)),
        max_shift=float(get("clock", "max_shift_s", clock.max_shift)),
        timeout=float(get("limits", "timeout_s", clock.timeout)),
        counter_alert=counter_alert,
        vee=Rules() if get("vee", "after_collection", True) else None,
    )
    if collect.threshold < 0 or collect.max_shift < 0:
        raise ConfigError(f"{name}: [clock] threshold_s and max_shift_s: 0 or more seconds")
    url = get("database", "url", None)
    kek_file = get("security", "kek_file", None)
    mqtt = get("mqtt", "url", None)
    return HeadendConfig(
        database_url=None if url is None else str(url),
        listen=host_port(
            str(get("listener", "listen", "127.0.0.1:4061")), f"{name}: [listener] listen"
        ),
        api=host_port(str(get("api", "listen", "127.0.0.1:8080")), f"{name}: [api] listen"),
        tokens=_tokens(name, get("api", "tokens", [])),
        policy=policy,
        collect=collect,
        counter_alert=counter_alert,
        kek_file=None if kek_file is None else str(kek_file),
        mqtt_url=None if mqtt is None else str(mqtt),
    )


def _check(name: str, section: str, table: Any) -> None:
    known = SECTIONS.get(section)
    if known is None:
        raise ConfigError(
            f"{name}: unknown section [{section}]; the sections are "
            f"{', '.join(f'[{s}]' for s in SECTIONS)}"
        )
    if not isinstance(table, Mapping):
        raise ConfigError(f"{name}: {section} must be a table: write [{section}] on its own line")
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"{name}: [{section}] unknown key {key!r}; known keys: "
                f"{', '.join(known)}. Correct or remove it"
            )
        kinds = known[key]
        if (isinstance(value, bool) and kinds is not bool) or not isinstance(value, kinds):
            names = (
                kinds.__name__
                if isinstance(kinds, type)
                else " or ".join(k.__name__ for k in kinds)
            )
            want = {
                "str": "a string in quotes",
                "int": "a whole number",
                "float": "a number",
                "list": "a list [...]",
                "bool": "true or false",
            }
            raise ConfigError(
                f"{name}: [{section}] {key} = {value!r}: give "
                f"{' or '.join(want.get(n, n) for n in names.split(' or '))}"
            )


def _getter(doc: dict[str, Any]) -> Any:
    def get(section: str, key: str, default: Any) -> Any:
        return doc.get(section, {}).get(key, default)

    return get


def _window_start(name: str, text: str) -> tuple[int, int]:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ConfigError(f"{name}: [schedule] window_start {text!r}: give HH:MM (UTC)")
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 23 or minutes > 59:
        raise ConfigError(f"{name}: [schedule] window_start {text!r}: give HH:MM (UTC)")
    return hours, minutes


def _tokens(name: str, values: list[Any]) -> frozenset[str]:
    out = set()
    for v in values:
        text = str(v)
        if not text.startswith(TOKEN_PREFIX) or len(text) != len(TOKEN_PREFIX) + 64:
            raise ConfigError(
                f"{name}: [api] tokens: an entry is not a token hash (sha256:...); "
                "keep only hashes there ('openamr headend token' makes one)"
            )
        out.add(text.lower())
    return frozenset(out)
