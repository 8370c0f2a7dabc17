"""The push listener over real sockets: a real MT372 twin pushes its alarms (plain, as
it does) to the head-end's listener; ciphered pushes (general-glo-ciphering of the
twin's own notification under its keys), forged and replayed ones, unknown senders."""

from __future__ import annotations

import asyncio
import datetime as dt

from openamr.aio.push import PushDelivery
from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.notification import EventNotificationRequest
from openamr.codec import Enum, LongUnsigned, OctetString, Structure
from openamr.codec.obis import Obis
from openamr.headend.alarms import POWER_FAILURE, POWER_RETURNED, Alarm
from openamr.headend.listener import AlarmListener
from openamr.headend.model import MeterRecord
from openamr.headend.store import Store
from openamr.headend.vault import MeterSecrets
from openamr.link.wrapper import encode_wrapper
from openamr.meter.associations import Credentials
from openamr.meter.clock import SteppedTime
from openamr.meter.metrology.model import Disturbance, DisturbanceKind
from openamr.meter.mt372 import build_mt372
from openamr.security.ciphering import encipher
from openamr.security.control_byte import SecurityControl
from tests.headend.conftest import KEK

SERIAL = "55550001"
START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
CREDENTIALS = Credentials()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def add_twin_meter(store: Store) -> int:
    keys = CREDENTIALS.keys
    record = MeterRecord(
        SERIAL, "tcp://127.0.0.1:1", logical_device_name=f"ISK{SERIAL:0>13}",
        system_title=CREDENTIALS.system_title.hex().upper(),
        secrets=MeterSecrets(ek=keys.ek, ak=keys.ak),
    )  # fmt: skip
    return await store.put_meter(record, KEK, 0)


async def send(port: int, *payloads: bytes) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"".join(encode_wrapper(1, 1, p) for p in payloads))
    await writer.drain()
    writer.close()
    await writer.wait_closed()


class Reactions:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int, str]] = []

    async def __call__(self, alarm: Alarm, rule: str) -> None:
        self.seen.append((alarm.serial, alarm.code, rule))


async def start_listener(store: Store) -> tuple[AlarmListener, int, Reactions]:
    reactions = Reactions()
    listener = AlarmListener(store, KEK, utc_now, reactions)
    _, port = await listener.start("127.0.0.1", 0)
    return listener, port, reactions


async def twin_power_failure(port: int) -> list[bytes]:
    """A twin pushes a power failure and its return to ``port``; their APDUs."""
    time = SteppedTime(START)
    meter = build_mt372(SERIAL, time_base=time)
    app = meter.app
    push = meter.peripherals.push
    delivery = PushDelivery(app.logical_address, repetition_delay=0.05)
    push.send = delivery
    setup = app.device.find(Obis.parse("0.0.25.9.0.255"))
    assert setup is not None
    where = Structure((Enum(0), OctetString(f"127.0.0.1:{port}".encode()), Enum(0)))
    assert setup.set(3, where).name == "SUCCESS"
    start = int(START.timestamp()) + 10
    meter.twin.inject(Disturbance(start, start + 120, None, DisturbanceKind.POWER_FAILURE, 0.0))
    time.step(300)
    meter.refresh()
    await asyncio.wait_for(delivery.wait(), 10)
    assert delivery.delivered == 2
    return [m.apdu for m in push.drain()]


async def test_a_twin_s_power_failure_and_return_are_stored_once_and_the_return_reacts(
    store: Store,
) -> None:
    meter_id = await add_twin_meter(store)
    listener, port, reactions = await start_listener(store)
    try:
        apdus = await twin_power_failure(port)
        await listener.drain()
        await send(port, *apdus)  # the same pushes again (a retry): stored once
        await asyncio.sleep(0.1)
        await listener.drain()
    finally:
        await listener.close()
    alarms = await stored_alarms(store)
    assert [(a[0], a[2]) for a in alarms] == [(meter_id, POWER_FAILURE), (meter_id, POWER_RETURNED)]
    assert alarms[1][1] - alarms[0][1] == 120  # the meter's own time stamps
    assert reactions.seen == [(SERIAL, POWER_RETURNED, "collect")]
    assert (listener.stats.stored, listener.stats.duplicates, listener.stats.refused) == (2, 2, 0)


async def stored_alarms(store: Store) -> list[tuple[int, int, int]]:
    from sqlalchemy import select

    from openamr.headend import schema

    t = schema.alarms
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(t.c.meter_id, t.c.ts, t.c.code).order_by(t.c.ts))).all()
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


def cipher(apdu: bytes, counter: int) -> bytes:
    keys = CREDENTIALS.keys
    control = SecurityControl(authentication=True, encryption=True)
    return encipher(apdu, control, CREDENTIALS.system_title, counter, keys.ek, keys.ak,
                    general=True)  # fmt: skip


async def test_ciphered_pushes_verify_and_forged_or_replayed_ones_are_refused(
    store: Store,
) -> None:
    meter_id = await add_twin_meter(store)
    probe = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    sink = probe.sockets[0].getsockname()[1]
    failure, back = await twin_power_failure(sink)  # the twin's own notifications
    probe.close()
    listener, port, reactions = await start_listener(store)
    try:
        good = cipher(failure, 7)
        forged = bytearray(cipher(back, 8))
        forged[-1] ^= 1  # the GMAC tag no longer verifies
        await send(port, good, good, bytes(forged), cipher(back, 6))  # replay, forged, lower
        await asyncio.sleep(0.1)
        await listener.drain()
        assert await store.counter(meter_id, "push") == 7
        await send(port, cipher(back, 9))
        await asyncio.sleep(0.1)
        await listener.drain()
    finally:
        await listener.close()
    codes = [a[2] for a in await stored_alarms(store)]
    assert codes == [POWER_FAILURE, POWER_RETURNED]
    reasons = [r.reason for r in listener.refusals]
    assert len(reasons) == 3
    assert "replayed invocation counter 7" in reasons[0]
    assert "does not verify" in reasons[1]
    assert "replayed invocation counter 6" in reasons[2]
    assert await store.counter(meter_id, "push") == 9
    assert reactions.seen == [(SERIAL, POWER_RETURNED, "collect")]


async def test_unknown_senders_are_refused_and_an_identified_connection_takes_events(
    sqlite_store: Store,
) -> None:
    store = sqlite_store
    await add_twin_meter(store)
    listener, port, _ = await start_listener(store)
    stranger = Structure((OctetString(b"\x00\x00\x19\x09\x00\xff"),
                          OctetString(b"ISK0000099999999"), LongUnsigned(0x8010)))  # fmt: skip
    from openamr.apdu.notification import DataNotification

    unknown = DataNotification(stranger).to_bytes()
    event = EventNotificationRequest(
        CosemAttributeDescriptor(1, Obis.parse("0.0.96.11.0.255"), 2), LongUnsigned(0x8011),
        bytes.fromhex("07EA0302FF0C000000000000"),
    ).to_bytes()  # fmt: skip
    try:
        await send(port, unknown, event)  # nobody identified this connection
        ours = DataNotification(Structure((OctetString(f"ISK{SERIAL:0>13}".encode()),
                                           LongUnsigned(0x8010)))).to_bytes()  # fmt: skip
        await send(port, ours, event)  # now the event comes from a known meter
        await asyncio.sleep(0.1)
        await listener.drain()
    finally:
        await listener.close()
    assert [r.sender for r in listener.refusals] == ["ISK0000099999999", "?"]
    assert "no identified sender" in listener.refusals[1].reason
    assert sorted(a[2] for a in await stored_alarms(store)) == [0x8010, 0x8011]
