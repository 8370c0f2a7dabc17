"""Firmware campaigns as the head-end runs them: stored (``campaigns``,
``campaign_meters``), their transfers and activations handed to the scheduler
through the :class:`~openamr.headend.runner.Runner` (the same global and per-cell
limits as a collection), and carried out by :class:`ClientFirmware` over
:mod:`openamr.client.firmware` (Image transfer, Blue Book 4.4.6).

What to do when is decided by :mod:`openamr.headend.campaign` from the rows and the
time. The state is in the database only: a head-end restarted mid-campaign reads
it back and goes on (a meter keeps the blocks it holds: the next transfer sends
only the missing ones).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select, update

from openamr.client.firmware import Progress
from openamr.errors import DlmsError
from openamr.headend import schema
from openamr.headend.campaign import (
    ACTIVATE,
    TRANSFER,
    CampaignError,
    CampaignSpec,
    Target,
    campaign_state,
    counts,
    expired,
    next_wake,
    steps,
)
from openamr.headend.collector import Outcome, classify
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Job
from openamr.headend.store import Store, StoreError
from openamr.headend.vault import VaultError


class FirmwareOps(Protocol):
    """How one meter's transfer (and, ``activate``, its activation) is done; the
    final image_transfer_status by name."""

    async def upgrade(
        self,
        meter: MeterRecord,
        image: bytes,
        identifier: bytes,
        activate: bool,
        progress: Progress,
    ) -> str: ...


class ClientFirmware:
    """Over the client, one association with the inventory's credentials."""

    def __init__(self, ondemand: OnDemand) -> None:
        self.ondemand = ondemand

    async def upgrade(
        self,
        meter: MeterRecord,
        image: bytes,
        identifier: bytes,
        activate: bool,
        progress: Progress,
    ) -> str:
        async with self.ondemand.session(meter) as client:
            done = await client.firmware_upgrade(
                image, identifier, progress=progress, activate=activate
            )
        return done.status.name.lower()


log = logging.getLogger(__name__)
MIN_TICK = 1.0  # s between two looks at the campaigns


def _cid(kind: str, campaign_id: str, serial: str) -> str:
    return f"{kind}:{campaign_id}:{serial}:{uuid.uuid4().hex[:8]}"


class Campaigns:
    """The campaigns of one store; ``runner`` and ``ops`` are needed to carry them
    out (``openamr headend serve``), not to start or look at one (the CLI)."""

    def __init__(
        self,
        store: Store,
        now: Callable[[], dt.datetime],
        runner: Runner | None = None,
        ops: FirmwareOps | None = None,
    ) -> None:
        self.store, self.now, self.runner, self.ops = store, now, runner, ops
        self._queued: dict[str, set[str]] = {}  # campaign id -> serials with a job
        self._rows_cache: dict[str, Any] = {}  # campaign id -> its row (with the image)
        self.changed = asyncio.Event()
        if runner is not None:
            runner.workers[TRANSFER] = self.work
            runner.workers[ACTIVATE] = self.work

    def _ts(self) -> int:
        return int(self.now().timestamp())

    # -- starting and looking ----------------------------------------------------------

    async def start(self, spec: CampaignSpec, image: bytes) -> str:
        """Store a campaign for the group's active meters; its id."""
        if not image:
            raise CampaignError("image: the file is empty")
        meters = await self.store.meters(group=spec.group)
        if not meters:
            raise CampaignError(
                f"group {spec.group!r} has no active meter; see 'openamr headend meters list'"
            )
        cid, now = str(uuid.uuid4()), self._ts()
        async with self.store.engine.begin() as conn:
            await conn.execute(
                schema.campaigns.insert().values(
                    id=cid,
                    identifier=spec.identifier,
                    image=image,
                    size=len(image),
                    group_name=spec.group,
                    window_start=spec.window_start,
                    window_end=spec.window_end,
                    activate_at=spec.activate_at,
                    state="scheduled",
                    created=now,
                    updated=now,
                )
            )
            await conn.execute(
                schema.campaign_meters.insert(),
                [
                    {"campaign_id": cid, "meter_id": m.id, "state": "pending", "updated": now}
                    for m in meters
                ],
            )
        self.changed.set()
        return cid

    async def _load(
        self, campaign_id: str | None = None, live: bool = False
    ) -> list[tuple[Any, list[Target]]]:
        c, cm, m = schema.campaigns, schema.campaign_meters, schema.meters
        query = select(c).order_by(c.c.created)
        if campaign_id is not None:
            query = query.where(c.c.id == campaign_id)
        if live:
            query = query.where(c.c.state != "done")
        out = []
        for row in await self.store._rows(query):
            found = await self.store._rows(
                select(cm, m.c.serial, m.c.cell)
                .join(m, m.c.id == cm.c.meter_id)
                .where(cm.c.campaign_id == row.id)
                .order_by(m.c.serial)
            )
            targets = [
                Target(
                    r.serial, r.meter_id, r.cell, r.state, r.attempts, r.blocks, r.held, r.reason
                )
                for r in found
            ]
            out.append((row, targets))
        return out

    @staticmethod
    def _spec(row: Any) -> CampaignSpec:
        return CampaignSpec(
            row.identifier, row.group_name, row.window_start, row.window_end, row.activate_at
        )

    async def status(self, campaign_id: str, meters: bool = True) -> dict[str, Any]:
        found = await self._load(campaign_id)
        if not found:
            raise StoreError(f"no campaign {campaign_id}; see 'openamr headend campaign list'")
        row, targets = found[0]
        out: dict[str, Any] = {
            "id": row.id,
            "identifier": row.identifier,
            "size": row.size,
            "group": row.group_name,
            "window": {"start": row.window_start, "end": row.window_end},
            "activate_at": row.activate_at,
            "state": row.state,
            "meters": len(targets),
            "counts": counts(targets),
            "updated": row.updated,
        }
        if meters:
            out["targets"] = [
                {
                    "serial": t.serial,
                    "state": t.state,
                    "attempts": t.attempts,
                    "blocks": t.blocks,
                    "held": t.held,
                    "reason": t.reason,
                }
                for t in targets
            ]
        return out

    async def list(self) -> list[dict[str, Any]]:
        rows = await self.store._rows(
            select(schema.campaigns.c.id).order_by(schema.campaigns.c.created)
        )
        return [await self.status(r.id, meters=False) for r in rows]

    # -- carrying them out -----------------------------------------------------------------

    async def _set(self, campaign_id: str, meter_id: int, **values: Any) -> None:
        cm = schema.campaign_meters
        async with self.store.engine.begin() as conn:
            await conn.execute(
                update(cm)
                .where(cm.c.campaign_id == campaign_id, cm.c.meter_id == meter_id)
                .values(updated=self._ts(), **values)
            )

    async def tick(self) -> float | None:
        """Expire, submit what is due, update each campaign's state; the next time
        something needs looking at."""
        assert self.runner is not None
        now, wake = self._ts(), None
        for row, targets in await self._load(live=True):
            spec = self._spec(row)
            queued = self._queued.setdefault(row.id, set())
            for serial, reason in expired(spec, targets, now):
                target = next(t for t in targets if t.serial == serial)
                await self._set(row.id, target.meter_id, state="failed", reason=reason)
                target.state, target.reason = "failed", reason
                queued.discard(serial)
            for step in steps(spec, targets, now, queued):
                meter = await self.store.meter(step.serial)
                await self.runner.schedule(
                    meter, step.kind, _cid(step.kind, row.id, step.serial), step.due, step.deadline
                )
                queued.add(step.serial)
            state = campaign_state(spec, targets, now)
            if state != row.state:
                c = schema.campaigns
                async with self.store.engine.begin() as conn:
                    await conn.execute(
                        update(c).where(c.c.id == row.id).values(state=state, updated=now)
                    )
            at = next_wake(spec, targets, now)
            if at is not None:
                wake = at if wake is None else min(wake, at)
        return wake

    async def _one(self, campaign_id: str, meter_id: int) -> tuple[Any, Target] | None:
        """A campaign's row (its image cached) and one of its meters."""
        c, cm, m = schema.campaigns, schema.campaign_meters, schema.meters
        rows = await self.store._rows(
            select(cm, m.c.serial, m.c.cell)
            .join(m, m.c.id == cm.c.meter_id)
            .where(cm.c.campaign_id == campaign_id, cm.c.meter_id == meter_id)
        )
        if campaign_id not in self._rows_cache:
            found = await self.store._rows(select(c).where(c.c.id == campaign_id))
            if found:
                self._rows_cache[campaign_id] = found[0]
        if not rows or campaign_id not in self._rows_cache:
            return None
        r = rows[0]
        return self._rows_cache[campaign_id], Target(
            r.serial, r.meter_id, r.cell, r.state, r.attempts, r.blocks, r.held, r.reason
        )

    async def work(self, meter: MeterRecord, job: Job) -> Outcome:
        """The runner's worker for a transfer or an activation."""
        assert self.ops is not None and meter.id is not None
        kind, campaign_id, _, _ = job.correlation_id.split(":")
        found = await self._one(campaign_id, meter.id)
        if found is None or found[1].state in ("activated", "failed"):
            return Outcome(True, "nothing left to do")
        row, target = found
        spec = self._spec(row)
        activate = kind == ACTIVATE or spec.activate_at is None
        progress: dict[str, int] = {"held": target.held, "blocks": target.blocks}

        def seen(held: int, blocks: int) -> None:
            progress.update(held=held, blocks=blocks)

        await self._set(
            campaign_id,
            meter.id,
            state="transferring" if kind == TRANSFER else "verified",
            attempts=target.attempts + 1,
        )
        try:
            status = await self.ops.upgrade(
                meter, bytes(row.image), row.identifier.encode(), activate, seen
            )
        except (DlmsError, VaultError, StoreError, OSError, TimeoutError) as e:
            reason, transient = classify(e)
            step = "transfer" if kind == TRANSFER else "activation"
            state = (
                "failed" if not transient else ("transferring" if kind == TRANSFER else "verified")
            )
            note = (
                reason
                if transient
                else (
                    f"{step}: {reason}; {progress['held']} of {progress['blocks']} blocks in the "
                    "meter; not activated: it runs the firmware it had"
                    if kind == TRANSFER
                    else f"{step}: {reason}; image verified, not activated"
                )
            )
            await self._set(campaign_id, meter.id, state=state, reason=note, **progress)
            if not transient:
                self._queued.get(campaign_id, set()).discard(meter.serial)
            self.changed.set()
            return Outcome(False, reason, transient)
        state = "activated" if activate else "verified"
        await self._set(campaign_id, meter.id, state=state, reason=status, **progress)
        self._queued.get(campaign_id, set()).discard(meter.serial)
        if state == "activated":
            await self.store.update_meter(meter.serial, self._ts(), firmware=row.identifier)
        self.changed.set()
        return Outcome(True)

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop``: at the next window edge, after any change, and at
        least every 30 s (a campaign started by the CLI is seen then)."""
        while not stop.is_set():
            try:
                wake = await self.tick()
            except Exception:  # the database went away: say so, look again later
                log.exception("firmware campaigns: tick failed; retrying in 30 s")
                wake = None
            timeout = 30.0 if wake is None else max(0.0, min(30.0, wake - self._ts()))
            self.changed.clear()
            waiters = [
                asyncio.ensure_future(self.changed.wait()),
                asyncio.ensure_future(stop.wait()),
            ]
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
            await asyncio.sleep(MIN_TICK)  # many jobs ending at once: one look at them
