"""`openamr meter serve` options that shape the twin: the load model is chosen."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from openamr.cli.main import cli
from openamr.meter.metrology.load import seeded_load
from openamr.meter.metrology.model import ProfileKind
from openamr.meter.mt372 import build_mt372, seed_of


def test_the_chosen_load_reaches_the_twin() -> None:
    load = seeded_load(seed_of("7"), ProfileKind.COMMERCIAL, True, 1)
    assert (load.kind, load.connection) == (ProfileKind.COMMERCIAL, 1) and load.pv_peak_w > 0
    meter = build_mt372("7", load=load)
    assert meter.twin.metrology.model.load == load


def test_the_options_are_offered_and_checked() -> None:
    runner = CliRunner()
    help_text = runner.invoke(cli, ["meter", "serve", "--help"]).output
    for option in ("--load", "--pv / --no-pv", "--phases", "residential|commercial|industrial"):
        assert option in help_text
    refused = runner.invoke(cli, ["meter", "serve", "--phases", "4"])
    assert refused.exit_code == 2 and "--phases" in refused.output


def test_a_busy_port_says_which_option_to_change() -> None:
    runner = CliRunner()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        dlms = runner.invoke(cli, ["meter", "serve", "--port", str(port)])
        assert dlms.exit_code == 1 and "Traceback" not in dlms.output
        assert f"cannot listen on 127.0.0.1:{port}: " in dlms.output
        assert "choose another --port" in dlms.output
        control = runner.invoke(cli, ["meter", "serve", "--port", "0", "--control-port", str(port)])
        assert control.exit_code == 1
        assert f"127.0.0.1:{port} for the control endpoint" in control.output
        assert "choose another --control-port" in control.output
