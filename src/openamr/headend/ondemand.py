"""On-demand work, answered asynchronously with a correlation id (as the big
head-ends do): the request is recorded and returns at once; the work is a job of
the scheduler (given a :class:`~openamr.headend.runner.Runner`: ahead of the
scheduled work, within the same global and per-cell limits; without one, a task
of the event loop under ``max_sessions``); its state is in the ``jobs`` table
(queued, running, done, failed, with the reason) and its result in
``job_results`` (JSON, by correlation id): both outlive the process.

Reads (``read``, ``get``, ``profile``, ``ping``, ``objects``) that fail for a
transient reason are retried until the on-demand deadline; writes, actions and
commands are not (a write may have landed before the connection was lost).

Operations (Green Book 9.3 services through :func:`openamr.client.connect`, one
association each, with the meter's credentials from the inventory; the invocation
counters seen are stored and never lowered, as in a collection):

- ``read``: one attribute (``obis``, ``attribute``, ``class_id``); ``profile``: a
  Profile generic by range (``obis``, ``start``, ``end`` UTC seconds);
- ``get`` / ``set`` / ``action``: any attribute or method (``set`` takes a typed
  value, :func:`typed_value`);
- ``ping``: associate and read the clock (the round trip in ms);
- ``objects``: the association's object list;
- commands with confirmation (the ``commands`` table, states queued -> sent ->
  confirmed or failed, with history): ``disconnect`` and ``reconnect`` (Disconnect
  control 0.0.96.3.10.255, class 70), ``load_limit`` (Limiter 0.0.17.0.0.255,
  class 71, threshold_normal, attribute 4): each written, read back and compared.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from openamr import codec
from openamr.apdu.results import DataAccessResult
from openamr.client.meter import Meter, connect
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.errors import DlmsError
from openamr.headend import schema
from openamr.headend.collector import Outcome, classify
from openamr.headend.commands import PROGRAMMING, TARGETS, ProgrammingError, same
from openamr.headend.counters import DEFAULT_COUNTER_ALERT, counter_alerts
from openamr.headend.model import JobRow, MeterRecord
from openamr.headend.scheduler import Job
from openamr.headend.store import Store
from openamr.headend.vault import Kek, VaultError

if TYPE_CHECKING:
    from openamr.headend.runner import Runner
from openamr.security.keys import KeySet

LIMITER = "0.0.17.0.0.255"
OPERATIONS = ("read", "profile", "get", "set", "action", "ping", "objects")
RETRIED = frozenset({"read", "profile", "get", "ping", "objects"})
COMMANDS = ("disconnect", "reconnect", "load_limit", *PROGRAMMING)
TYPES: dict[str, type] = {
    "boolean": bool,
    "integer": codec.Integer,
    "long": codec.Long,
    "double-long": codec.DoubleLong,
    "unsigned": codec.Unsigned,
    "long-unsigned": codec.LongUnsigned,
    "double-long-unsigned": codec.DoubleLongUnsigned,
    "long64": codec.Long64,
    "long64-unsigned": codec.Long64Unsigned,
    "enum": codec.Enum,
    "octet-string": codec.OctetString,
    "visible-string": codec.VisibleString,
    "float64": codec.Float64,
}
Json = Any


class RequestError(ValueError):
    """A request that cannot be done as given; the message says which field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def jsonable(value: Any) -> Json:
    """A value read from a meter as JSON (date-times ISO 8601, octets hex)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        if len(value) == CosemDateTime.SIZE:
            try:
                when = CosemDateTime.from_bytes(value).to_datetime()
                return when.isoformat()
            except (DlmsError, ValueError):
                pass
        return value.hex()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, DataAccessResult):
        return {"error": value.name.lower()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "values") and not isinstance(value, dict):
        return jsonable(list(value.values))
    return str(value)


def typed_value(spec: Any) -> Any:
    """``{"type": "long-unsigned", "value": 5}`` as a DLMS value (octet-string: hex)."""
    if not isinstance(spec, dict) or "type" not in spec or "value" not in spec:
        raise RequestError("value", 'give {"type": ..., "value": ...}')
    kind = TYPES.get(str(spec["type"]))
    if kind is None:
        raise RequestError("value.type", f"one of {', '.join(TYPES)}")
    try:
        if kind is codec.OctetString:
            return codec.OctetString(bytes.fromhex(str(spec["value"])))
        return kind(spec["value"])
    except (ValueError, TypeError, OverflowError) as e:
        raise RequestError("value.value", f"not a {spec['type']}: {e}") from None


def obis_of(params: dict[str, Any], name: str = "obis") -> Obis:
    try:
        return Obis.parse(str(params[name]))
    except KeyError:
        raise RequestError(name, "required, e.g. 1.0.1.8.0.255") from None
    except (ValueError, DlmsError):
        raise RequestError(
            name, f"{params[name]!r} is not an OBIS code like 1.0.1.8.0.255"
        ) from None


def check(kind: str, params: dict[str, Any]) -> None:
    """Refuse a request before it is queued (the API answers 422 with the field)."""
    if kind not in OPERATIONS + COMMANDS:
        raise RequestError("kind", f"one of {', '.join(OPERATIONS + COMMANDS)}")
    if kind in ("read", "profile", "get", "set", "action"):
        obis_of(params)
    if kind == "set":
        typed_value(params.get("value"))
    if kind in TARGETS:
        try:
            TARGETS[kind][2](params)
        except ProgrammingError as e:
            raise RequestError(f"params.{e.field}", str(e).split(": ", 1)[1]) from None
    if kind == "load_limit" and not isinstance(params.get("threshold"), int | float):
        raise RequestError("threshold", "required: the limiter's threshold_normal, a number")
    for name in ("attribute", "method", "class_id", "start", "end"):
        if name in params and not isinstance(params[name], int):
            raise RequestError(name, "an integer")


class OnDemand:
    """Runs on-demand work; ``now`` is the reference clock (aware, UTC)."""

    def __init__(
        self,
        store: Store,
        kek: Kek | None,
        now: Callable[[], dt.datetime],
        max_sessions: int = 16,
        timeout: float = 10.0,
        runner: Runner | None = None,
        counter_alert: int = DEFAULT_COUNTER_ALERT,
    ) -> None:
        self.store, self.kek, self.now, self.timeout = store, kek, now, timeout
        self.counter_alert = counter_alert
        self.runner = runner
        self._limit = asyncio.Semaphore(max_sessions)
        self._tasks: set[asyncio.Task[None]] = set()
        self._params: dict[str, dict[str, Any]] = {}  # queued in the runner, by id
        if runner is not None:
            for kind in OPERATIONS + COMMANDS:
                runner.workers[kind] = self._work

    def _ts(self) -> int:
        return int(self.now().timestamp())

    async def submit(self, meter: MeterRecord, kind: str, params: dict[str, Any]) -> str:
        """Queue ``kind`` for ``meter``; its correlation id, at once."""
        check(kind, params)
        assert meter.id is not None
        cid = str(uuid.uuid4())
        if kind in COMMANDS:
            await self.store.add_command(meter.id, kind, params, self._ts(), cid)
        if self.runner is not None:
            self._params[cid] = params
            await self.runner.on_demand(meter, kind, cid)
            await self.runner.flush()
            return cid
        await self._state(cid, meter.id, kind, "queued", 0)
        task = asyncio.create_task(self._run(cid, meter, kind, params))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return cid

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _state(
        self, cid: str, meter_id: int, kind: str, state: str, attempts: int, reason: str = ""
    ) -> None:
        now = self._ts()
        await self.store.put_jobs(
            [JobRow(cid, meter_id, kind, 0, state, now, now, attempts, reason, now)]
        )

    async def _run(self, cid: str, meter: MeterRecord, kind: str, params: dict[str, Any]) -> None:
        """Without a runner: one attempt, under this object's own limit."""
        assert meter.id is not None
        async with self._limit:
            await self._state(cid, meter.id, kind, "running", 1)
            outcome = await self._execute(cid, meter, kind, params)
            await self._state(cid, meter.id, kind, "done" if outcome.ok else "failed", 1,
                              outcome.reason)  # fmt: skip

    async def _work(self, meter: MeterRecord, job: Job) -> Outcome:
        """The runner's worker: one attempt of a queued request."""
        params = self._params.get(job.correlation_id)
        if params is None:  # queued by a head-end that stopped: its parameters are gone
            return Outcome(False, "the head-end stopped before this ran; submit it again")
        outcome = await self._execute(job.correlation_id, meter, job.kind, params)
        if outcome.ok or not outcome.transient:
            self._params.pop(job.correlation_id, None)
        return outcome

    async def _execute(
        self, cid: str, meter: MeterRecord, kind: str, params: dict[str, Any]
    ) -> Outcome:
        try:
            async with self.session(meter) as client:
                if kind in COMMANDS:
                    result = await self._command(cid, client, kind, params)
                else:
                    result = await self._operation(client, kind, params)
        except (DlmsError, VaultError, OSError, TimeoutError, RequestError) as e:
            reason, transient = classify(e)
            transient = transient and kind in RETRIED
            await self.keep(cid, {"error": reason})  # a retry that succeeds replaces it
            if kind in COMMANDS:
                await self.store.set_command_state(cid, "failed", self._ts(), reason)
            return Outcome(False, reason, transient)
        await self.keep(cid, result)
        failed = isinstance(result, dict) and result.get("confirmed") is False
        return Outcome(not failed, "read back differs" if failed else "")

    async def abandon_leftovers(self) -> int:
        """At start: on-demand work a stopped head-end left queued or running (its
        parameters were in that process) is failed with what to do; how many."""
        j, c = schema.jobs, schema.commands
        kinds = (*OPERATIONS, *COMMANDS, "rotate_keys")
        reason = "the head-end stopped before this ran; submit it again"
        left = await self.store._rows(
            select(j.c.correlation_id, j.c.kind).where(
                j.c.state.in_(("queued", "running")), j.c.kind.in_(kinds)
            )
        )
        now = self._ts()
        async with self.store.engine.begin() as conn:
            await conn.execute(
                update(j)
                .where(j.c.correlation_id.in_([r.correlation_id for r in left]))
                .values(state="failed", reason=reason, updated=now)
            )
        for row in left:
            command = await self.store._rows(
                select(c.c.state).where(c.c.correlation_id == row.correlation_id)
            )
            if command and command[0].state in ("queued", "sent"):
                await self.store.set_command_state(row.correlation_id, "failed", now, reason)
        return len(left)

    async def keep(self, cid: str, result: Json) -> None:
        """Store a result (JSON) by correlation id, replacing an earlier one."""
        t = schema.job_results
        statement = self.store._insert(t).values(
            correlation_id=cid, result=json.dumps(result), updated=self._ts()
        )
        statement = statement.on_conflict_do_update(
            index_elements=[t.c.correlation_id],
            set_={"result": statement.excluded.result, "updated": statement.excluded.updated},
        )
        async with self.store.engine.begin() as conn:
            await conn.execute(statement)

    async def result(self, cid: str) -> Json | None:
        """A stored result, or None while there is none."""
        t = schema.job_results
        rows = await self.store._rows(select(t.c.result).where(t.c.correlation_id == cid))
        return json.loads(rows[0].result) if rows else None

    async def _program(self, cid: str, client: Meter, kind: str, params: dict[str, Any]) -> Json:
        obis, class_id, build = TARGETS[kind]
        values = build(params)
        attributes = [a for a, _ in values]
        await self.store.set_command_state(
            cid, "sent", self._ts(), f"{obis} (class {class_id}) attributes {attributes}"
        )
        for attribute, value in values:
            await client.set(obis, value, attribute, class_id=class_id)
        differ = [a for a, v in values
                  if not same(v, await client.get(obis, a, class_id=class_id))]  # fmt: skip
        note = f"read back {attributes}: " + (f"attributes {differ} differ" if differ else "equal")
        result = {"object": str(obis), "written": attributes, "differ": differ}
        await self.store.set_command_state(cid, "failed" if differ else "confirmed", self._ts(),
                                           note, json.dumps(result))  # fmt: skip
        return result | {"confirmed": not differ}

    @asynccontextmanager
    async def session(self, meter: MeterRecord) -> AsyncIterator[Meter]:
        """One association with the inventory's credentials; counters stored after."""
        assert meter.id is not None
        secrets = await self.store.secrets_of(meter.id, self.kek)
        keys = None if secrets.ek is None or secrets.ak is None else KeySet(secrets.ek, secrets.ak)
        last = await self.store.counter(meter.id, "client")
        async with connect(
            meter.url,
            meter.client,
            meter.auth,
            password=secrets.password,
            keys=keys,
            environ={},
            timeout=self.timeout,
            invocation_counter=None if last is None else last + 1,
        ) as client:
            try:
                yield client
            finally:
                now = self._ts()
                seen = {"client": client.invocation_counter - 1}
                if client.server_invocation_counter is not None:
                    seen["server"] = client.server_invocation_counter
                for key, value in seen.items():
                    await self.store.raise_counter(meter.id, key, value, now)
                await counter_alerts(
                    self.store, meter.serial, meter.id, seen, now, self.counter_alert
                )

    async def _operation(self, client: Meter, kind: str, params: dict[str, Any]) -> Json:
        class_id = params.get("class_id")
        if kind == "ping":
            started = time.perf_counter()
            clock = await client.clock()
            return {
                "clock": clock.isoformat(),
                "ms": round((time.perf_counter() - started) * 1e3, 1),
            }
        if kind == "objects":
            return [
                {"class_id": o.class_id, "version": o.version, "obis": str(o.logical_name)}
                for o in await client.object_list()
            ]
        obis = obis_of(params)
        if kind in ("read", "get"):
            value = await client.get(obis, int(params.get("attribute", 2)), class_id=class_id)
            return {
                "obis": str(obis),
                "attribute": params.get("attribute", 2),
                "value": jsonable(value),
            }
        if kind == "profile":
            start, end = params.get("start"), params.get("end")
            profile = await client.profile(
                obis,
                start=None if start is None else dt.datetime.fromtimestamp(start, dt.UTC),
                end=None if end is None else dt.datetime.fromtimestamp(end, dt.UTC),
            )
            columns = [f"{c.logical_name}:{c.attribute_index}" for c in profile.columns]
            return {"columns": columns, "rows": [jsonable(list(r)) for r in profile.rows]}
        if kind == "set":
            attribute = int(params.get("attribute", 2))
            await client.set(obis, typed_value(params["value"]), attribute, class_id=class_id)
            return {"obis": str(obis), "attribute": attribute, "written": True}
        method = int(params.get("method", 1))
        parameter = typed_value(params["parameter"]) if "parameter" in params else codec.Integer(0)
        answer = await client.action(obis, method, parameter, class_id=class_id)
        return {"obis": str(obis), "method": method, "value": jsonable(answer)}

    async def _command(self, cid: str, client: Meter, kind: str, params: dict[str, Any]) -> Json:
        """Write, read back, compare; every step in the command's history."""
        if kind in TARGETS:
            return await self._program(cid, client, kind, params)
        sent = self._ts()
        wanted: object
        got: object
        if kind in ("disconnect", "reconnect"):
            connect_it = kind == "reconnect"
            await self.store.set_command_state(cid, "sent", sent, f"{kind} (class 70)")
            if connect_it:
                await client.connect_relay()
            else:
                await client.disconnect_relay()
            state = await client.relay_state()
            control = state.control_state.name.lower()
            # a remote reconnect may leave the contactor ready for reconnection (the
            # control mode): the customer's button then closes it; both are accepted
            accepted = ("connected", "ready_for_reconnection") if connect_it else ("disconnected",)
            wanted, got = True, control in accepted
            result = {"output_state": state.output_state, "control_state": control}
        else:
            current = await client.get(LIMITER, 4, class_id=71)
            kind_of = (
                type(current) if isinstance(current, int | float) else codec.DoubleLongUnsigned
            )
            wanted = kind_of(params["threshold"])
            await self.store.set_command_state(
                cid, "sent", sent, f"threshold_normal {current!r} -> {wanted!r}"
            )
            await client.set(LIMITER, wanted, 4, class_id=71)
            got = await client.get(LIMITER, 4, class_id=71)
            result = {"threshold_normal": jsonable(got), "previous": jsonable(current)}
        confirmed = got == wanted
        note = f"read back {got!r}" + ("" if confirmed else f", expected {wanted!r}")
        await self.store.set_command_state(
            cid, "confirmed" if confirmed else "failed", self._ts(), note, json.dumps(result)
        )
        return result | {"confirmed": confirmed}
