"""Options the collecting commands of ``openamr headend`` share: the session limits
(``collect``, ``worker``, ``serve``), VEE after each collection, and MQTT
publishing of what is stored (docs/vee.md, docs/mqtt.md)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from openamr.headend.store import Store

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
MAX_SESSIONS_OPTION = click.option(
    "--max-sessions", type=click.IntRange(1, 10000), default=64, show_default=True,
    help="Sessions at once (in this process).",
)  # fmt: skip
PER_CELL_OPTION = click.option(
    "--per-cell", type=click.IntRange(1, 1000), default=8, show_default=True,
    help="Sessions at once in one GSM cell (over all workers).",
)  # fmt: skip
TIMEOUT_OPTION = click.option(
    "--timeout", type=click.FloatRange(0.1, 600), default=10.0, show_default=True,
    help="Seconds to wait for each answer of a meter.",
)  # fmt: skip


def session_options(retry_after: float) -> Callable[[F], F]:
    """--max-sessions, --per-cell, --timeout and --retry-after (its default differs:
    an interactive ``collect`` retries sooner than a ``worker``)."""
    retry = click.option(
        "--retry-after", type=click.FloatRange(0.1), default=retry_after, show_default=True,
        help="Seconds before a transient failure's first retry (doubling after each).",
    )  # fmt: skip

    def apply(f: F) -> F:
        for option in (retry, TIMEOUT_OPTION, PER_CELL_OPTION, MAX_SESSIONS_OPTION):
            f = option(f)
        return f

    return apply


MQTT_OPTION = click.option(
    "--mqtt", default=lambda: os.environ.get("OPENAMR_MQTT") or None, metavar="URL",
    help="Publish what is stored: mqtt://HOST[:PORT][/PREFIX] (or $OPENAMR_MQTT).",
)  # fmt: skip
VEE_OPTION = click.option(
    "--vee/--no-vee", default=True, show_default=True,
    help="Run VEE on each meter's new profile after its collection.",
)  # fmt: skip


async def with_mqtt(store: Store, url: str | None, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work()`` with an MQTT publisher observing the store (when ``url``)."""
    if url is None:
        return await work()
    from openamr.headend.mqtt import MqttPublisher

    publisher = MqttPublisher(url, store)
    await publisher.start()
    try:
        return await work()
    finally:
        if not await publisher.flush(10):
            click.echo(f"MQTT: {len(publisher._queue)} messages not published "
                       f"(is the broker at {url} up?)", err=True)  # fmt: skip
        await publisher.close(0)


def mqtt_checked(url: str | None) -> str | None:
    if url is None:
        return None
    from openamr.headend.mqtt import MqttError, parse_url

    try:
        parse_url(url)
    except MqttError as e:
        raise click.UsageError(str(e)) from None
    return url
