"""The flags every meter command shares, and running a command's coroutine.

``--client N --auth none|low|high --password P``, the suite 0 keys (``--ek``,
``--ak``, ``--kek``, ``--system-title``, ``--keys-file``; else ``OPENAMR_EK``,
``OPENAMR_AK``, ``OPENAMR_KEK``, ``OPENAMR_PASSWORD``, ``OPENAMR_SYSTEM_TITLE``,
``OPENAMR_KEYS_FILE`` as :mod:`openamr.client.credentials` reads them),
``--timeout`` and ``--retries``. Keys and passwords never appear in any output:
errors name the flag, never its value.

Without ``--auth`` the mechanism follows the flags given on the command line:
``high`` with ``--ek``/``--ak``, ``low`` with ``--password``, else ``none``.
Without ``--client`` the client follows the mechanism, as on the MT372: 16 for
``none`` (the public client), 32 for ``low``, 1 for ``high``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from openamr.cli.advice import explain
from openamr.client.meter import Meter, connect
from openamr.client.url import MeterUrl, UrlError, parse_url
from openamr.errors import DlmsError
from openamr.security.keys import KeySet

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

#: The client SAP used when --client is not given, by mechanism (the MT372's).
DEFAULT_CLIENT = {"none": 16, "low": 32, "high": 1}
_FLAGS = ("client", "auth", "password", "ek", "ak", "kek", "system_title", "keys_file")


@dataclass(frozen=True)
class MeterOptions:
    """Where the meter is and how to associate; secrets hidden from the repr."""

    url: MeterUrl
    client: int
    auth: str
    password: str | None = field(default=None, repr=False)
    keys: KeySet | None = None
    system_title: bytes | None = None
    keys_file: str | None = None
    timeout: float = 10.0
    retries: int = 2

    def connect(self) -> AbstractAsyncContextManager[Meter]:
        return connect(
            self.url, self.client, self.auth, password=self.password, keys=self.keys,
            system_title=self.system_title, keys_file=self.keys_file,
            timeout=self.timeout, retries=self.retries,
        )  # fmt: skip

    @property
    def authenticated(self) -> bool:
        """Whether the association's requests are authenticated (HLS, ciphered)."""
        return self.auth == "high"


def _hex(flag: str, text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise click.BadParameter("not hex (the value is not shown)", param_hint=flag) from None


def _keys(ek: str | None, ak: str | None, kek: str | None) -> KeySet | None:
    if ek is None and ak is None:
        if kek is not None:
            raise click.UsageError("--kek needs --ek and --ak")
        return None
    if ek is None or ak is None:
        raise click.UsageError("give both --ek and --ak (or neither, to use a keys file)")
    try:
        return KeySet(_hex("--ek", ek) or b"", _hex("--ak", ak) or b"", _hex("--kek", kek))
    except DlmsError as e:
        raise click.UsageError(f"keys: {e}") from None


def build_options(url: str, timeout: float, retries: int, **flags: Any) -> MeterOptions:
    """The MeterOptions of a command line (click's parsed values)."""
    try:
        parsed = parse_url(url)
    except UrlError as e:
        raise click.BadParameter(str(e), param_hint="URL") from None
    keys = _keys(flags["ek"], flags["ak"], flags["kek"])
    auth = flags["auth"] or ("high" if keys else "low" if flags["password"] else "none")
    client = flags["client"] if flags["client"] is not None else DEFAULT_CLIENT[auth]
    return MeterOptions(
        parsed, client, auth, flags["password"], keys,
        _hex("--system-title", flags["system_title"]), flags["keys_file"], timeout, retries,
    )  # fmt: skip


_OPTIONS = (
    click.option("--client", type=click.IntRange(1, 0x7F), default=None,
                 help="Client SAP (default: 16 for none, 32 for low, 1 for high)."),
    click.option("--auth", type=click.Choice(["none", "low", "high"]), default=None,
                 help="none, low (LLS password) or high (HLS-GMAC, suite 0, ciphered)."),
    click.option("--password", default=None, metavar="P",
                 help="LLS password (or $OPENAMR_PASSWORD, or the keys file)."),
    click.option("--ek", default=None, metavar="HEX",
                 help="Global encryption key (or $OPENAMR_EK)."),
    click.option("--ak", default=None, metavar="HEX", help="Authentication key (or $OPENAMR_AK)."),
    click.option("--kek", default=None, metavar="HEX", help="Master key, KEK (or $OPENAMR_KEK)."),
    click.option("--system-title", default=None, metavar="HEX",
                 help="This client's system title, 8 bytes (default 4F414D0000000001)."),
    click.option("--keys-file", type=click.Path(dir_okay=False), default=None,
                 help="JSON or key=value file with ek, ak, kek, password, system_title "
                      "(or $OPENAMR_KEYS_FILE)."),
    click.option("--timeout", type=click.FloatRange(0.1, 600), default=10.0, show_default=True,
                 help="Seconds to wait for each answer."),
    click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True,
                 help="Resends of a read after a lost connection."),
)  # fmt: skip


def meter_options(command: F) -> F:
    """Add the common flags; the command receives ``url`` as a :class:`MeterOptions`."""

    @functools.wraps(command)
    def wrapper(*args: Any, url: str, timeout: float, retries: int, **kwargs: Any) -> Any:
        flags = {name: kwargs.pop(name) for name in _FLAGS}
        options = build_options(url, timeout, retries, **flags)
        return command(*args, url=options, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    result: F = click.argument("url")(decorated)
    return result


def run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine; every error becomes a message with advice and a
    non-zero exit (no stack trace)."""
    try:
        return asyncio.run(make())
    except (DlmsError, ValueError, OSError) as e:
        raise click.ClickException(explain(e)) from None


def format_option(*formats: str) -> Callable[[F], F]:
    """``--json`` (and ``--csv`` when listed) as one ``fmt`` parameter: table by default."""

    def decorate(command: F) -> F:
        decorated: Any = command
        for name in reversed(formats):
            decorated = click.option(
                f"--{name}", "fmt", flag_value=name, help=f"Print {name.upper()} for scripts."
            )(decorated)
        table = click.option("--table", "fmt", flag_value="table", default=True, hidden=True)
        result: F = table(decorated)
        return result

    return decorate
