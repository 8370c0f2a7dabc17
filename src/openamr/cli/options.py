"""The flags every meter command shares, and running a command's coroutine.

``--client N --auth none|low|high --password P``, the suite 0 keys (``--ek``,
``--ak``, ``--kek``, ``--system-title``, ``--keys-file``; else ``OPENAMR_EK``,
``OPENAMR_AK``, ``OPENAMR_KEK``, ``OPENAMR_PASSWORD``, ``OPENAMR_SYSTEM_TITLE``,
``OPENAMR_KEYS_FILE`` as :mod:`openamr.client.credentials` reads them),
``--timeout`` (seconds of silence: each frame restarts it, so a long answer on a
slow line is not cut short), ``--retries`` and ``--max-pdu-size``. Keys and
passwords never appear in any output: errors name the flag, never its value.

Without ``--auth`` the mechanism follows the secrets, wherever they come from
(flags, ``--keys-file``, the environment): ``high`` with keys, ``low`` with a
password, else ``none``. Without ``--client`` the client follows the mechanism,
as on the MT372: 16 for ``none`` (the public client), 32 for ``low``, 1 for
``high``. The Python API's :func:`~openamr.client.meter.connect` decides the same
way, from the same table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import field
from typing import Any, TypeVar

import click

from openamr.cli.advice import explain
from openamr.client.credentials import Secrets, load_secrets
from openamr.client.errors import CredentialsError
from openamr.client.meter import DEFAULT_CLIENT, Meter, connect
from openamr.client.sockets import BLOCKING_SCHEMES, open_blocking, run_blocking
from openamr.client.url import MeterUrl, UrlError, parse_url
from openamr.codec.record import record
from openamr.errors import DlmsError
from openamr.security.keys import KeySet

T = TypeVar("T")
#: The client's max receive PDU size (Green Book 9.3.3: at least 12; the u16 maximum).
MIN_PDU_SIZE, MAX_PDU_SIZE = 12, 0xFFFF
F = TypeVar("F", bound=Callable[..., Any])

_FLAGS = ("client", "auth", "password", "ek", "ak", "kek", "system_title", "keys_file")


@record
class MeterOptions:
    """Where the meter is and how to associate; secrets hidden from the repr."""

    url: MeterUrl
    client: int
    auth: str
    #: flags over the keys file over the environment, merged once (Secrets hides them)
    secrets: Secrets = field(default_factory=Secrets)
    timeout: float = 10.0
    retries: int = 2
    max_pdu_size: int = MAX_PDU_SIZE

    def connect(self) -> AbstractAsyncContextManager[Meter]:
        """The meter, ``tcp://`` over a blocking socket (:func:`open_blocking`): a
        command talks to one meter, with or without an event loop around it."""
        s = self.secrets
        return connect(
            self.url, self.client, self.auth, password=s.password, keys=s.keys,
            system_title=s.system_title, environ={}, timeout=self.timeout,
            retries=self.retries, max_pdu_size=self.max_pdu_size,
            open_transport=open_blocking,
        )  # fmt: skip

    def run(self, make: Callable[[], Coroutine[Any, Any, T]], *, loop: bool = False) -> T:
        """:func:`run` a command's coroutine that talks to this meter: without an
        event loop over ``tcp://`` (its socket blocks), unless ``loop`` (the command
        awaits timers of its own); on asyncio for the other schemes."""
        return run(make, blocking=not loop and self.url.scheme in BLOCKING_SCHEMES)

    @property
    def authenticated(self) -> bool:
        """Whether the association's requests are authenticated (HLS, ciphered)."""
        return self.auth == "high"


def hex_flag(flag: str, text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise click.BadParameter("not hex (the value is not shown)", param_hint=flag) from None


def keys_flags(ek: str | None, ak: str | None, kek: str | None) -> KeySet | None:
    if ek is None and ak is None:
        if kek is not None:
            raise click.UsageError("--kek needs --ek and --ak")
        return None
    if ek is None or ak is None:
        raise click.UsageError("give both --ek and --ak (or neither, to use a keys file)")
    try:
        return KeySet(
            hex_flag("--ek", ek) or b"", hex_flag("--ak", ak) or b"", hex_flag("--kek", kek)
        )
    except DlmsError as e:
        raise click.UsageError(f"keys: {e}") from None


def build_options(
    url: str,
    timeout: float,
    retries: int,
    max_pdu_size: int = MAX_PDU_SIZE,
    environ: Mapping[str, str] | None = None,
    **flags: Any,
) -> MeterOptions:
    """The MeterOptions of a command line (click's parsed values), the secrets merged
    from the flags, the keys file and ``environ`` (default: the process's)."""
    try:
        parsed = parse_url(url)
    except UrlError as e:
        raise click.BadParameter(str(e), param_hint="URL") from None
    try:
        secrets = load_secrets(
            password=flags["password"], keys=keys_flags(flags["ek"], flags["ak"], flags["kek"]),
            system_title=hex_flag("--system-title", flags["system_title"]),
            keys_file=flags["keys_file"], environ=environ,
        )  # fmt: skip
    except CredentialsError as e:
        raise click.UsageError(str(e)) from None
    auth = flags["auth"] or secrets.auth
    client = flags["client"] if flags["client"] is not None else DEFAULT_CLIENT[auth]
    return MeterOptions(parsed, client, auth, secrets, timeout, retries, max_pdu_size)


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
                 help="Seconds of silence before giving up (each frame restarts it)."),
    click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True,
                 help="Resends of a read after a lost connection."),
    click.option("--max-pdu-size", type=click.IntRange(MIN_PDU_SIZE, MAX_PDU_SIZE),
                 default=MAX_PDU_SIZE, show_default=True, metavar="BYTES",
                 help="Largest APDU this client receives; longer answers come in blocks."),
)  # fmt: skip


def meter_options(command: F) -> F:
    """Add the common flags; the command receives ``url`` as a :class:`MeterOptions`."""

    @functools.wraps(command)
    def wrapper(
        *args: Any, url: str, timeout: float, retries: int, max_pdu_size: int, **kwargs: Any
    ) -> Any:
        flags = {name: kwargs.pop(name) for name in _FLAGS}
        options = build_options(url, timeout, retries, max_pdu_size, **flags)
        return command(*args, url=options, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    result: F = click.argument("url")(decorated)
    return result


def run(make: Callable[[], Coroutine[Any, Any, T]], *, blocking: bool = False) -> T:
    """Run a command's coroutine, ``blocking``: to its end without an event loop
    (:func:`~openamr.client.sockets.run_blocking`), else on asyncio
    (:func:`run_on_asyncio`); every error becomes a message with advice and a
    non-zero exit (no stack trace)."""
    try:
        return run_blocking(make()) if blocking else run_on_asyncio(make)
    except (DlmsError, ValueError, OSError) as e:
        raise click.ClickException(explain(e)) from None


def run_on_asyncio(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run`` of the coroutine (asyncio is imported for it only).

    The result is handed over in a box, not as the task's result: on leaving,
    ``asyncio.run`` looks up its SIGINT handler with ``signal.getsignal``, whose
    failed ``Handlers(handler)`` builds a ``repr`` of the handler and so of the
    finished main task with its result, which for a profile is the repr of every
    row (a third of the read's CPU for 17,520 rows; CPython 3.11)."""
    import asyncio

    box: list[T] = []

    async def main() -> None:
        box.append(await make())

    asyncio.run(main())
    return box[0]


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
