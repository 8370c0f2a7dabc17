"""The MT372's peripherals as twin components (issue 4, "Relays, inputs, tamper";
the LCD and modem of MT372.md section 1): the R3/R4 contactor and the limiter, the
R1/R2 load-control outputs, the S0 inputs P1/P2 and the alarm input P3, the cover
switches, the GSM modem, the alarm push and the LCD.

Everything runs on the twin's time (sans-IO: no clock is read). Each part is a
:class:`~openamr.meter.twin.Component`; :class:`Peripherals` builds them all as
one, the twin's component in the assembly (:func:`openamr.meter.mt372.build_mt372`;
the assembled :class:`openamr.meter.assembly.TwinMeter` holds them). ``at`` is always
*meter time* (aware); None means the twin's now (brought up to date first). An
instant before the twin's present raises ValueError (the past is not rewritten); a
later one is kept and applied when the twin's advance reaches it.

The control endpoint's verbs (on :class:`Peripherals`)::

    open_cover(which, at=None)        "main" | "terminal": logs 0x8010 / 0x8011
    close_cover(which, at=None)
    pulses(input, count, at=None)     P1 (1) water 8.0.1.0.0.255, P2 (2) gas 7.0.3.0.0.255
    alarm_input(at=None)              P3: logs 0x8034
    set_load_limit(watts, at=None)    the limiter's normal threshold (0: off)
    press_button(at=None, long=False) manual scroll; long: reconnect when ready
    lcd_state(at=None) -> LcdState    what the LCD shows (a frozen dataclass)
    remove_sim() / insert_sim(sim)    SIM hot swap, now: logs 0x8050 / 0x8051

and on its parts::

    contactor   remote_disconnect / remote_reconnect / manual_reconnect(at=None),
                state, connected, load_step(step) (customer load changes: held
                while the contactor is open, restored when it closes)
    limiter     set_load_limit(watts, at), set_durations(over_s, under_s),
                code_red(start, duration_s, watts), threshold
    outputs     switch(Output.R1 | Output.R2, closed, at=None), run_script(1..4, at),
                closed(output), state
    inputs      pulses, alarm_input, constant(input), litres(input)
    covers      open_cover, close_cover, open[Cover]
    modem       state_at(true_time) -> ModemState, activity(), cursor(at), now(),
                gsm: the openamr.gsm MeterModem a simulated network talks to
    push        drain() -> [PushMessage], outbox, alarms (log-book codes pushed)

Objects (decisions marked in each module):

==================  ======  ==========================================================
0.0.96.3.10.255     70      Disconnect control: the contactor (relays)
0.0.128.30.21.255   1       Mx372 disconnector state view: write 1 connect, 0 disconnect
0.0.128.30.22.255   1       Mx372 control mode view
0.0.10.0.106.255    --      disconnect scripts named by the limiter's actions (1, 2)
0.0.17.0.0.255      71      Limiter on 1.0.1.7.0.255, evaluated every minute (limiter)
0.0.128.61.1.255    1       contract power limit = threshold_normal
0.0.128.62.1-3.255  1       code red start, duration, limit = the emergency profile
0.0.96.3.1.255      1       R1 (bit 0), R2 (bit 1) state; a write commands both (outputs)
0.0.10.0.103.255    9       set output signals: 1 R1 on, 2 R1 off, 3 R2 on, 4 R2 off;
                            the activity calendar's actions on this script switch them
8.0.1.0.0.255       3       P1 water volume, litres (inputs)
7.0.3.0.0.255       3       P2 gas volume, litres
0.0.128.40.1/2.255  3       P1 / P2 impulse constants, pulses per m3 (default 1000)
0.0.25.6.0.255      47      GSM diagnostic, from the modem model (modem)
0.0.128.20.10.255   1       Mx372 GSM mode: the modem's; writing 0 wakes it (modem)
0.0.96.12.6.255     1       MSISDN; 0.0.128.20.30/31.255 ICCID, IMSI of the card
0.0.2.1/2.0.255     29/28   Auto connect / answer, read by the modem (modem_settings)
0.0.25.9.0.255      40      Push setup: alarm pushes as DATA-NOTIFICATION (push)
==================  ======  ==========================================================

Log-book codes of the contactor and limiter: :mod:`.codes` (0x8040-0x8046).
"""

from __future__ import annotations

from openamr.meter.peripherals.codes import PeripheralEvent, describe_peripheral
from openamr.meter.peripherals.install import Peripherals
from openamr.meter.peripherals.lcd import LcdState
from openamr.meter.peripherals.modem import ModemSite, ModemState, Reach
from openamr.meter.peripherals.outputs import Output
from openamr.meter.peripherals.push import PushMessage
from openamr.meter.peripherals.tamper import Cover

__all__ = [
    "Cover",
    "LcdState",
    "ModemSite",
    "ModemState",
    "Output",
    "Peripherals",
    "PeripheralEvent",
    "PushMessage",
    "Reach",
    "describe_peripheral",
]
