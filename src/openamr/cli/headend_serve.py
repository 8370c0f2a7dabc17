"""``openamr headend serve`` and ``openamr headend token``: the running head-end
(collection in its window, the alarm listener, the API; docs/headend.md,
docs/headend-config.md) and the API's bearer tokens."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click

from openamr.cli.headend import Context, _gsm_options, _open_queue, _run, _with_store
from openamr.cli.headend_options import (
    MAX_SESSIONS_OPTION,
    MQTT_OPTION,
    PER_CELL_OPTION,
    mqtt_checked,
    with_mqtt,
)
from openamr.cli.options import format_option

if TYPE_CHECKING:
    from openamr.headend.store import Store


@click.command("serve")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML configuration (docs/headend-config.md); options given here win.",
)
@click.option(
    "--window-start",
    default="01:00",
    show_default=True,
    metavar="HH:MM",
    help="Start of the daily collection window, UTC.",
)
@click.option("--window-hours", type=click.FloatRange(0.1, 24), default=4.0, show_default=True)
@click.option(
    "--spread-hours",
    type=click.FloatRange(0, 24),
    default=1.0,
    show_default=True,
    help="Starts are drawn at random in this part of the window.",
)
@MAX_SESSIONS_OPTION
@PER_CELL_OPTION
@click.option("--listen", default="127.0.0.1:4061", show_default=True, metavar="HOST:PORT",
              help="The push listener (alarm call-backs); 'off' for none.")  # fmt: skip
@click.option("--api", "api_at", default="127.0.0.1:8080", show_default=True,
              metavar="HOST:PORT", help="REST API (docs at /docs); 'off' for none.")  # fmt: skip
@click.option(
    "--queue",
    "queue_url",
    default=None,
    metavar="URL",
    help="nats://HOST:PORT[?name=N]: publish due work there for "
    "'openamr headend worker' processes (default: collect in this process).",
)
@click.option("--collectors", type=click.IntRange(0, 64), default=0, show_default=True,
              help="With --queue: workers in this process too.")  # fmt: skip
@_gsm_options
@MQTT_OPTION
@click.pass_context
def serve_command(click_ctx: click.Context, /, config_file: str | None, **options: Any) -> None:
    """Collect every active meter daily in its window, take alarm call-backs and
    serve the API, until interrupted (Ctrl-C)."""
    from dataclasses import replace

    from openamr.headend.config import ConfigError, HeadendConfig, host_port, load
    from openamr.headend.scheduler import Policy
    from openamr.headend.server import Endpoints, Running, serve_all

    ctx: Context = click_ctx.obj
    try:
        config = HeadendConfig() if config_file is None else load(config_file)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None

    def given(name: str) -> bool:
        return click_ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE

    def given_db() -> bool:
        parent = click_ctx.parent
        source = None if parent is None else parent.get_parameter_source("db")
        return source is not None and source is not click.core.ParameterSource.DEFAULT

    try:
        listen = host_port(options["listen"], "--listen") if given("listen") else config.listen
        api = host_port(options["api_at"], "--api") if given("api_at") else config.api
        p = config.policy
        if given("window_start"):
            hours, minutes = (int(x) for x in options["window_start"].split(":"))
            p = replace(p, window_start=hours * 3600.0 + minutes * 60.0)
        for flag, attr, scale in (("window_hours", "window_length", 3600),
                                  ("spread_hours", "spread", 3600),
                                  ("max_sessions", "max_sessions", 1),
                                  ("per_cell", "per_cell", 1)):  # fmt: skip
            if given(flag):
                p = replace(p, **{attr: type(getattr(p, attr))(options[flag] * scale)})
        policy = Policy(**{f: getattr(p, f) for f in Policy.__dataclass_fields__})
    except (ConfigError, ValueError) as e:
        message = f"--window-start HH:MM and --spread-hours <= --window-hours ({e})"
        raise click.UsageError(str(e) if isinstance(e, ConfigError) else message) from None
    if config.database_url is not None and not given_db():
        ctx = Context(config.database_url, ctx.kek_file)
    if config.kek_file is not None and ctx.kek_file is None:
        ctx = Context(ctx.db, config.kek_file)
    endpoints = Endpoints(*listen, *api)
    mqtt = mqtt_checked(options["mqtt"] or config.mqtt_url)
    collect = config.collect
    if options["modem"] or options["lookup"]:  # --inbound: in work()
        from openamr.headend.paths import GsmPolicy

        collect = replace(collect, gsm=GsmPolicy(options["modem"], options["lookup"]))
    start = f"{int(policy.window_start // 3600):02d}:{int(policy.window_start % 3600 // 60):02d}"

    async def work(store: Store) -> None:
        click.echo(f"openamr headend: collecting daily at {start} UTC for "
                   f"{policy.window_length / 3600:g} h, database {ctx.db}; Ctrl-C stops",
                   err=True)  # fmt: skip

        def started(running: Running) -> None:
            if running.listen_port is not None:
                click.echo(f"alarm listener on {endpoints.listen_host}:{running.listen_port}",
                           err=True)  # fmt: skip
            if running.api_port is not None:
                click.echo(f"API on http://{endpoints.api_host}:{running.api_port}/docs" + (
                    " (bearer tokens required)" if config.tokens else ""), err=True)  # fmt: skip

        queue_url, collectors = options["queue_url"], options["collectors"]
        if queue_url is not None and options["inbound"]:
            raise click.UsageError("--inbound takes the meters' calls in one head-end: not "
                                   "with --queue (collectors elsewhere)")  # fmt: skip
        if queue_url is None:
            from openamr.headend.collector import Collector
            from openamr.headend.inbound import open_inbound
            from openamr.headend.service import utc_now

            unasked = Collector(store, ctx.kek(), utc_now, collect).collect  # a meter calls in
            async with open_inbound(store, options["inbound"], collect.gsm, unasked) as gsm:
                await with_mqtt(store, mqtt, lambda: serve_all(
                    store, ctx.kek(), policy, replace(collect, gsm=gsm), asyncio.Event(),
                    endpoints, started=started, tokens=config.tokens))  # fmt: skip
            return
        from openamr.headend.cluster import serve_cluster
        from openamr.headend.worker import WorkerPolicy

        queue = await _open_queue(queue_url)
        try:
            click.echo(f"publishing due work to {queue_url}; {collectors} collectors here",
                       err=True)  # fmt: skip
            workers = WorkerPolicy(max_sessions=policy.max_sessions, per_cell=policy.per_cell)
            await serve_cluster(
                store, ctx.kek(), queue, policy, asyncio.Event(), collectors=collectors,
                worker_policy=workers,
                endpoints=endpoints, started=started,  # type: ignore[arg-type]
            )  # fmt: skip
        finally:
            await queue.close()

    try:
        _run(lambda: _with_store(ctx, work))
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@click.command("token")
@format_option("json")
def token_command(fmt: str) -> None:
    """Make a bearer token for the API: give the token to the client, put its hash
    in [api] tokens of the config (the head-end keeps only hashes)."""
    import secrets

    from openamr.cli.output import write_json
    from openamr.headend.config import token_hash

    token = secrets.token_urlsafe(32)
    if fmt == "json":
        write_json({"token": token, "hash": token_hash(token)})
        return
    click.echo(f"token (give it to the API's client, shown once): {token}")
    click.echo(f'config line: [api] tokens = ["{token_hash(token)}"]')
