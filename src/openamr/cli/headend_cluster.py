"""``openamr headend worker`` and ``openamr headend push-listener``: the head-end's
stateless processes of the scale-out (docs/SCALE.md), on a queue (NATS JetStream),
the database given to ``openamr headend --db``."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

import click

from openamr.cli.headend import Context, _open_queue, _run, _with_store, pass_context
from openamr.cli.headend_options import session_options

if TYPE_CHECKING:
    from openamr.headend.store import Store

_queue_option = click.option(
    "--queue", "queue_url", required=True, metavar="URL",
    default=lambda: os.environ.get("OPENAMR_QUEUE"),
    help="nats://HOST:PORT[?name=N] (or $OPENAMR_QUEUE).",
)  # fmt: skip


@click.command("worker")
@_queue_option
@session_options(retry_after=60.0)
@click.option(
    "--max-tries",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Sessions for one job before it is moved aside with its reason.",
)
@click.option(
    "--ack-wait",
    type=click.FloatRange(1),
    default=60.0,
    show_default=True,
    help="Seconds before the job of a silent (dead) worker is redelivered.",
)
@click.option(
    "--until-idle",
    type=click.FloatRange(0.1),
    default=None,
    help="Exit once no job came for this many seconds (default: run on).",
)
@pass_context
def worker_command(
    ctx: Context, /, queue_url: str, max_sessions: int, per_cell: int, timeout: float,
    retry_after: float, max_tries: int, ack_wait: float, until_idle: float | None,
) -> None:  # fmt: skip
    """A stateless collector: take due jobs from the queue, collect, store in --db.
    Run any number of them, on any machine; 'openamr headend serve --queue' plans."""
    from openamr.headend.collector import Collector, CollectPolicy
    from openamr.headend.service import utc_now
    from openamr.headend.worker import Worker, WorkerPolicy

    async def work(store: Store) -> None:
        queue = await _open_queue(queue_url, ack_wait=ack_wait, lease_s=ack_wait,
                                  max_tries=max_tries)  # fmt: skip
        try:
            collector = Collector(store, ctx.kek(), utc_now, CollectPolicy(timeout=timeout))
            policy = WorkerPolicy(max_sessions=max_sessions, per_cell=per_cell,
                                  retry_base=retry_after)  # fmt: skip
            worker = Worker(store, queue, collector, policy)
            click.echo(f"worker {worker.name}: taking jobs from {queue_url}, storing in "
                       f"{ctx.db}; Ctrl-C stops", err=True)  # fmt: skip
            try:
                await worker.run(asyncio.Event(), until_idle=until_idle)
            finally:
                s = worker.stats
                click.echo(f"worker {worker.name}: {s.done} done, {s.failed} failed, "
                           f"{s.retried} retried, {s.set_aside} set aside, {s.busy} busy",
                           err=True)  # fmt: skip
        finally:
            await queue.close()

    try:
        _run(lambda: _with_store(ctx, work))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@click.command("push-listener")
@_queue_option
@click.option("--listen", default="127.0.0.1:4061", show_default=True, metavar="HOST:PORT")
def push_listener_command(queue_url: str, listen: str) -> None:
    """A stateless push listener: every alarm call-back received is published to the
    queue's push stream ('openamr headend serve --queue' stores it). No database."""
    from openamr.headend.config import ConfigError, host_port
    from openamr.headend.pushes import PushForwarder
    from openamr.headend.service import utc_now

    try:
        host, port = host_port(listen, "--listen")
    except ConfigError as e:
        raise click.UsageError(str(e)) from None
    if port is None:
        raise click.UsageError("--listen HOST:PORT is required here")

    async def work() -> None:
        queue = await _open_queue(queue_url)
        forwarder = PushForwarder(queue, utc_now)
        try:
            _, bound = await forwarder.start(host, port)
            click.echo(f"push listener on {host}:{bound}, publishing to {queue_url}", err=True)
            await asyncio.Event().wait()
        finally:
            await forwarder.close()
            await queue.close()

    try:
        _run(work)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
