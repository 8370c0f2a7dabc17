"""``openamr relay URL connect|disconnect|state``: the supply disconnector
(Disconnect control 0.0.96.3.10.255, Blue Book 4.5.8): remote_reconnect (method
2), remote_disconnect (method 1), and the state they lead to (attributes 2
output_state, 3 control_state, 4 control_mode).

On the MT372 switching needs the management client (``--auth high --client 1``).
"""

from __future__ import annotations

import click

from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import pairs, write_json
from openamr.client.device import RelayState
from openamr.client.meter import Meter

_HINTS = {"ready_for_reconnection": " (the customer reconnects at the meter)"}


async def relay(meter: Meter, action: str) -> RelayState:
    if action == "connect":
        return await meter.connect_relay()
    if action == "disconnect":
        return await meter.disconnect_relay()
    return await meter.relay_state()


def show(state: RelayState, fmt: str) -> None:
    control = state.control_state.name.lower()
    if fmt == "json":
        write_json({"output_state": state.output_state, "control_state": control,
                    "control_mode": state.control_mode})  # fmt: skip
        return
    pairs(None, [
        ("supply", "connected" if state.output_state else "disconnected"),
        ("control state", control.replace("_", " ") + _HINTS.get(control, "")),
        ("control mode", str(state.control_mode)),
    ])  # fmt: skip


@click.command("relay")
@meter_options
@click.argument("action", type=click.Choice(["connect", "disconnect", "state"]))
@format_option("json")
def relay_command(url: MeterOptions, action: str, fmt: str) -> None:
    """Connect or disconnect the supply, or show its state.

    On the MT372 switching needs --auth high (client 1) with the keys."""

    async def go() -> RelayState:
        async with url.connect() as meter:
            return await relay(meter, action)

    show(url.run(go), fmt)
