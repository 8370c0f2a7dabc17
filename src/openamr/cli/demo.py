"""``openamr demo`` (``make run``): the AMR system on its embedded defaults, nothing to
install: a fleet of MT372 twins (``openamr fleet serve``) and the head-end collecting
them (``openamr headend serve``: SQLite, the in-process queue), each in a process of
its own, with the fleet's commissioning file imported into the head-end first.

What it does, in order, in ``--dir`` (created; kept between runs):

1. a key-encryption key (``kek.hex``, 0600, made once) and the fleet's TOML file;
2. the commissioning file (``commissioning.json``, docs/commissioning.md), imported
   into the head-end's database (``headend.db``);
3. the fleet, pushing its alarms to the head-end's listener;
4. the head-end, its daily window opening now (the meters are collected within the
   first ``--spread`` seconds, so they appear one by one), then every
   ``--every`` seconds an on-demand collection of each meter so that the readings
   keep filling in;

then it prints the pages' addresses (127.0.0.1 only) and waits. Ctrl-C (or SIGTERM)
stops both servers and waits for them; a server that stops by itself stops the other.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import click

READY_S = 120.0
PYTHON_CLI = [sys.executable, "-c", "from openamr.cli.main import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kek(directory: Path) -> Path:
    path = directory / "kek.hex"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(16) + "\n")
    return path


def _fleet_toml(meters: int, first: str, port: int) -> str:
    return (
        f"[fleet]\nmeters = {meters}\nhistory_days = 7\n\n"
        f'[addresses]\nfirst = "{first}"\nport = {port}\n\n'
        "[network]\nmeters_per_cell = 25\nmeters_per_group = 10\n"
    )


class Child:
    """A server process whose output is copied to ours, each line prefixed; ``ready``
    once a line says ``word`` (``heard``: that line)."""

    def __init__(self, name: str, argv: list[str], word: str) -> None:
        self.name, self.word = name, word
        self.heard: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)  # fmt: skip
        assert self.proc.stdout is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.heard.append(line.rstrip())
            if self.word in line:
                self.ready.set()
            elif self.ready.is_set():
                click.echo(f"  [{self.name}] {line.rstrip()}", err=True)
        self.ready.set()

    def wait_ready(self) -> None:
        if not self.ready.wait(READY_S) or self.proc.poll() is not None:
            said = "\n".join(self.heard[-10:])
            raise click.ClickException(f"the {self.name} did not start:\n{said}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _collect_all(api: str, serials: list[str]) -> None:
    """On-demand collections of every meter (the head-end queues them, within its
    concurrency limits)."""
    for serial in serials:
        request = urllib.request.Request(
            f"{api}/meters/{serial}/jobs", data=b'{"kind": "collect"}', method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except (urllib.error.URLError, OSError):
            return  # the head-end is stopping


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="openamr-demo",
              show_default=True, help="Where the demo keeps its files (kept between "
              "runs).")  # fmt: skip
@click.option("--meters", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--api-port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="The head-end's page and API (0: any free port).")  # fmt: skip
@click.option("--fleet-port", type=click.IntRange(0, 65535), default=4060, show_default=True,
              help="The fleet's page and control endpoint (0: any free port).")  # fmt: skip
@click.option("--listen-port", type=click.IntRange(0, 65535), default=4061, show_default=True,
              help="The head-end's alarm listener (0: any free port).")  # fmt: skip
@click.option("--first-address", default="127.1.0.1", show_default=True,
              help="Meter i listens at this loopback address + i.")  # fmt: skip
@click.option("--meter-port", type=click.IntRange(1, 65535), default=4059, show_default=True)
@click.option("--spread", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds over which the first collection of the meters is spread.")  # fmt: skip
@click.option("--every", type=click.FloatRange(0), default=900.0, show_default=True,
              help="Seconds between on-demand collections of every meter (0: none).")  # fmt: skip
@click.option("--no-faults", is_flag=True, help="A fleet that never misbehaves.")
def demo_command(directory: str, meters: int, api_port: int, fleet_port: int, listen_port: int,
                 first_address: str, meter_port: int, spread: float, every: float,
                 no_faults: bool) -> None:  # fmt: skip
    """The AMR system: a fleet of MT372 twins and the head-end collecting them, with
    both web pages. Ctrl-C stops everything."""
    import asyncio

    from openamr.fleet.commissioning import parse_kek, to_json
    from openamr.fleet.config import ConfigError, check, load
    from openamr.headend.inventory import import_file
    from openamr.headend.store import Store, StoreError
    from openamr.headend.vault import load_kek

    home = Path(directory)
    home.mkdir(parents=True, exist_ok=True)
    kek_file = _kek(home)
    toml = home / "fleet.toml"
    toml.write_text(_fleet_toml(meters, first_address, meter_port))
    try:
        cfg = load(str(toml))
        check(cfg)
    except ConfigError as e:
        raise click.ClickException(f"{e}; choose another --first-address") from None
    commissioning = home / "commissioning.json"
    commissioning.write_text(to_json(cfg, parse_kek(kek_file.read_text())))
    db = f"sqlite:///{home / 'headend.db'}"

    async def load_inventory() -> int:
        store = await Store.open(db)
        try:
            report = await import_file(store, commissioning, load_kek(str(kek_file)),
                                       int(time.time()))  # fmt: skip
            return report.total
        finally:
            await store.close()

    try:
        imported = asyncio.run(load_inventory())
    except (StoreError, ValueError, OSError) as e:
        raise click.ClickException(str(e)) from None
    ports = [p or _free_port() for p in (api_port, fleet_port, listen_port)]
    api_port, fleet_port, listen_port = ports
    now = dt.datetime.now(dt.UTC)
    fleet_argv = [*PYTHON_CLI, "fleet", "serve", "--config", str(toml),
                  "--state", str(home / "fleet.state"), "--control-port", str(fleet_port),
                  "--push-to", f"127.0.0.1:{listen_port}",
                  *(["--no-faults"] if no_faults else [])]  # fmt: skip
    fleet = Child("fleet", fleet_argv, "control endpoint on")
    children = [fleet]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        fleet.wait_ready()
        headend = Child("head-end", [*PYTHON_CLI, "headend", "--db", db, "--kek-file",
                                     str(kek_file), "serve", "--window-start",
                                     now.strftime("%H:%M"), "--window-hours", "23.9",
                                     "--spread-hours", f"{spread / 3600:.4f}",
                                     "--listen", f"127.0.0.1:{listen_port}",
                                     "--api", f"127.0.0.1:{api_port}"], "API on")  # fmt: skip
        children.append(headend)
        headend.wait_ready()
        api = f"http://127.0.0.1:{api_port}"
        click.echo(
            f"\nopenamr demo: {imported} MT372 twins and the head-end collecting them "
            f"(files in {home}/)\n"
            f"  head-end page   {api}/\n"
            f"  fleet page      http://127.0.0.1:{fleet_port}/ui/\n"
            f"  API             {api}/docs\n"
            "The meters are collected over the next minute; press an inject button "
            "on the fleet page to see its alarm arrive. Ctrl-C stops everything.\n"
        )
        serials = list(cfg.serials) if every else []
        due = time.monotonic() + max(every, spread + 30)
        while not stop.wait(1.0):
            if any(c.proc.poll() is not None for c in children):
                click.echo("a server stopped; stopping the other", err=True)
                break
            if every and time.monotonic() >= due:
                due = time.monotonic() + every
                threading.Thread(target=_collect_all, args=(api, serials), daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            child.stop()
    click.echo("stopped", err=True)
