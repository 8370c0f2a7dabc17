"""Options the collecting commands of ``openamr headend`` share: VEE after each
collection, and MQTT publishing of what is stored (docs/vee.md, docs/mqtt.md)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from openamr.headend.store import Store

T = TypeVar("T")
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
