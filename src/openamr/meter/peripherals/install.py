"""All peripherals of one twin, as one twin component (see the package docstring)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction

from openamr.gsm.sim import Sim
from openamr.meter.display import DISPLAY_LIST
from openamr.meter.peripherals.agenda import present
from openamr.meter.peripherals.inputs import ImpulseInputs
from openamr.meter.peripherals.lcd import PERIOD_S, Lcd, LcdState
from openamr.meter.peripherals.limiter import LoadLimiter
from openamr.meter.peripherals.modem import SEEDED, Modem, ModemSite
from openamr.meter.peripherals.outputs import LoadControl, Output
from openamr.meter.peripherals.push import AlarmPush, PushPort, Sender
from openamr.meter.peripherals.relays import Contactor
from openamr.meter.peripherals.tamper import Cover, Covers
from openamr.meter.twin import Action, Twin


class Peripherals:
    """Relays, limiter, inputs, covers, modem, push and LCD of one twin (``push_port``:
    the forward reference the Push setup object was built with)."""

    def __init__(
        self,
        twin: Twin,
        push_port: PushPort,
        send: Sender | None = None,
        lcd_period_s: int = PERIOD_S,
        site: ModemSite = SEEDED,
        display_list: tuple[str, ...] = DISPLAY_LIST,
    ):
        self.twin = twin
        self.contactor = Contactor(twin)
        self.limiter = LoadLimiter(twin, self.contactor)
        self.outputs = LoadControl(twin)
        self.inputs = ImpulseInputs(twin)
        self.covers = Covers(twin)
        self.modem = Modem(twin, site)
        self.push = AlarmPush(twin, push_port, send)
        self.lcd = Lcd(twin, self.contactor, self.outputs, self.covers, self.modem, lcd_period_s,
                       display_list=display_list)  # fmt: skip
        #: push last: it reads the log-book the others wrote in the same advance
        self.parts = (self.contactor, self.limiter, self.outputs, self.inputs, self.covers,
                      self.modem, self.push)  # fmt: skip

    # -- the control endpoint's verbs -------------------------------------------------------

    def open_cover(self, which: Cover | str, at: dt.datetime | None = None) -> None:
        self.covers.open_cover(which, at)

    def close_cover(self, which: Cover | str, at: dt.datetime | None = None) -> None:
        self.covers.close_cover(which, at)

    def pulses(self, input_number: int, count: int, at: dt.datetime | None = None) -> None:
        self.inputs.pulses(input_number, count, at)

    def alarm_input(self, at: dt.datetime | None = None) -> None:
        self.inputs.alarm_input(at)

    def set_load_limit(self, watts: int, at: dt.datetime | None = None) -> None:
        self.limiter.set_load_limit(watts, at)

    def press_button(self, at: dt.datetime | None = None, long: bool = False) -> None:
        self.lcd.press_button(at, long)

    def lcd_state(self, at: dt.datetime | None = None) -> LcdState:
        return self.lcd.lcd_state(at)

    def remove_sim(self) -> Sim | None:
        """The SIM card is pulled out now (logs 0x8050); the card it was."""
        present(self.twin, None)
        return self.modem.remove_sim()

    def insert_sim(self, sim: Sim) -> Sim | None:
        """A SIM card goes in now (logs 0x8051; a hot swap logs 0x8050 first): the
        modem registers with its identity after its search; the card it replaced."""
        present(self.twin, None)
        return self.modem.insert_sim(sim)

    # -- persistence (openamr.meter.persistence.Persistent) ---------------------------------

    state_key = "peripherals"

    def save_state(self) -> dict[str, object]:
        """What the meter keeps over a power failure: the contactor, the outputs, the
        exact volumes, the covers, the push counter, the SIM card in the modem. The
        LCD, the modem's state and pending scheduled actions are volatile."""
        return {
            "contactor": self.contactor.save_state(),
            "outputs": int(self.outputs.state),
            "litres": {
                str(n): [v.numerator, v.denominator] for n, v in self.inputs.volumes.items()
            },
            "covers": [c.value for c, is_open in self.covers.open.items() if is_open],
            "invoke": self.push.invoke,
            "sim": self.modem.save_state(),
        }

    def load_state(self, saved: object) -> None:
        if not isinstance(saved, dict):
            return
        contactor = saved.get("contactor")
        if isinstance(contactor, dict):
            self.contactor.load_state(contactor)
        self.outputs.state = Output(int(saved.get("outputs", 0)))
        litres = saved.get("litres")
        if isinstance(litres, dict):
            self.inputs.restore({int(n): Fraction(a, b) for n, (a, b) in litres.items()})
        covers = saved.get("covers", [])
        for cover in Cover:
            self.covers.open[cover] = isinstance(covers, list) and cover.value in covers
        self.push.invoke = int(saved.get("invoke", 0))
        self.modem.load_state(saved.get("sim"))

    # -- component -----------------------------------------------------------------------

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> Iterable[tuple[dt.datetime, Action]]:
        for part in self.parts:
            yield from part.boundaries(twin, m0, m1)

    def publish(self, twin: Twin) -> None:
        for part in self.parts:
            part.publish(twin)
