"""The one queue interface, on both implementations (in process always; NATS
JetStream on 127.0.0.1:4222 when it answers, under a stream name of this test's
own): priorities, explicit acks, redelivery after the ack wait and after a nak's
delay, leases that exclude and expire, tries counted, dead letters with a reason."""

from __future__ import annotations

import asyncio

import pytest

from openamr.headend.queue import QueueError, open_queue
from openamr.headend.queue.base import (
    JobMessage,
    PushMessage,
    QueueSettings,
    cell_slots,
    job_subject,
    retry_delay,
)
from tests.headend.queues import open_test_queue

FAST = QueueSettings(ack_wait=0.5, lease_s=0.5, max_tries=3, busy_delay=0.1)


def job(cid: str, priority: int = 1, cell: int | None = 7) -> JobMessage:
    return JobMessage(cid, f"serial-{cid}", cell, priority, 0.0, 4e9)


@pytest.fixture(params=["memory", "nats"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_on_demand_first_ack_and_redelivery(kind: str) -> None:
    async with open_test_queue(kind, FAST) as q:
        await q.publish_jobs([job("s1"), job("s2"), job("d1", priority=0)])
        first = await q.take_jobs(10, 2.0)
        got = [JobMessage.decode(d.data).correlation_id for d in first]
        assert got[0] == "d1" and sorted(got) == ["d1", "s1", "s2"]
        assert all(d.delivered == 1 for d in first)
        for d in first:
            if JobMessage.decode(d.data).correlation_id != "s2":
                await d.ack()
        assert await q.take_jobs(10, 0.3) == []  # s2 is in flight
        await asyncio.sleep(0.7)  # its consumer went quiet past the ack wait
        again = await q.take_jobs(10, 2.0)
        assert [JobMessage.decode(d.data).correlation_id for d in again] == ["s2"]
        assert again[0].delivered == 2
        await again[0].nak(0.4)
        assert await q.take_jobs(10, 0.1) == []  # not before its delay
        later = await q.take_jobs(10, 2.0)
        assert [d.delivered for d in later] == [3]
        await later[0].ack()
        await asyncio.sleep(0.6)
        assert await q.take_jobs(10, 0.3) == []  # acked: never again


async def test_in_progress_holds_a_delivery(kind: str) -> None:
    async with open_test_queue(kind, FAST) as q:
        await q.publish_jobs([job("long")])
        (d,) = await q.take_jobs(1, 2.0)
        for _ in range(4):  # 0.8 s of work, past the 0.5 s ack wait
            await asyncio.sleep(0.2)
            await d.in_progress()
        assert await q.take_jobs(1, 0.2) == []
        await d.ack()


async def test_leases_exclude_and_expire(kind: str) -> None:
    async with open_test_queue(kind, FAST) as q:
        slots = cell_slots(7, 2)
        assert [await q.lease(k, "w1") for k in slots] == [True, True]
        assert not await q.lease(slots[0], "w2")  # the cell is full
        assert await q.renew(slots[0], "w1") and not await q.renew(slots[0], "w2")
        await q.release(slots[0], "w1")
        assert await q.lease(slots[0], "w2")
        await asyncio.sleep(0.7)  # w1 died holding slots[1]: it expires
        assert await q.lease(slots[1], "w3")


async def test_tries_and_dead_letters(kind: str) -> None:
    async with open_test_queue(kind, FAST) as q:
        assert await q.tries("collect-x") == (0, "")
        assert await q.add_try("collect-x", "started") == 1
        assert await q.add_try("collect-x", "started") == 2
        await q.note_reason("collect-x", "store away", uncount=True)
        assert await q.tries("collect-x") == (1, "store away")
        await q.publish_jobs([job("poison")])
        (d,) = await q.take_jobs(1, 2.0)
        await q.set_aside(d, "3 tries without success; the last: connection refused", 3)
        (dead,) = await q.dead_letters()
        assert JobMessage.decode(dead.data).correlation_id == "poison"
        assert (dead.reason, dead.tries) == ("3 tries without success; the last: connection "
                                             "refused", 3)  # fmt: skip
        assert await q.take_jobs(1, 0.3) == []


async def test_push_stream(kind: str) -> None:
    async with open_test_queue(kind, FAST) as q:
        await q.publish_push(PushMessage("c1", "('127.0.0.1', 5)", 1_800_000_000, b"\x0f\x00"))
        (d,) = await q.take_pushes(10, 2.0)
        push = PushMessage.decode(d.data)
        assert (push.connection, push.received, push.payload) == ("c1", 1_800_000_000, b"\x0f\x00")
        await d.ack()


def test_messages_and_subjects() -> None:
    j = job("a", cell=None)
    assert JobMessage.decode(j.encode()) == j
    assert job_subject("openamr", j) == "openamr.jobs.1.none"
    assert job_subject("openamr", job("b", 0, 1001)) == "openamr.jobs.0.1001"
    with pytest.raises(ValueError, match="not a job message"):
        JobMessage.decode(b"\xff garbage")
    with pytest.raises(ValueError, match="not a push message"):
        PushMessage.decode(b"{}")
    assert retry_delay(10, 100, 1, 0.0) == 5.0 and retry_delay(10, 100, 9, 0.999) < 100


async def test_bad_queue_urls_say_what_to_do() -> None:
    with pytest.raises(QueueError, match="memory:// or nats://"):
        await open_queue("amqp://x")
    with pytest.raises(QueueError, match="name=LETTERS_DIGITS"):
        await open_queue("nats://127.0.0.1:1?name=a.b")
    with pytest.raises(QueueError, match="cannot reach NATS"):
        await open_queue("nats://127.0.0.1:9")  # nothing listens on the discard port
