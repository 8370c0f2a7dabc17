"""The LCD: what the MT372's display shows at an instant (datasheet: auto and manual
scroll, programmable data set, OBIS codes; status: L1 L2 L3, phase sequence,
current reversal, communication cursor, signal level; "FF" on an error).

Pages are the display list (the device profile's, by default the MT372's
:data:`openamr.meter.display.DISPLAY_LIST`; shared with the optical readout)
resolved against the device; entries the device lacks are skipped. Decisions ([I]):

* Auto scroll: page ``floor(t / period) mod pages`` of meter time ``t`` (period
  10 s by default), so the display is a pure function of time, whatever the steps.
* Manual scroll: a short press of the button shows the first page, each further
  press the next; 60 s after the last press the display returns to auto scroll.
  A long press while the contactor is ready for reconnection reconnects it
  (Disconnect control transition e) and does not scroll.
* "FF": a non-zero error register 0.0.97.97.0.255 lights FF and auto scroll stays
  on the F.F page (manual scroll still works).
* No voltage on any phase: the display is off (mode "off").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openamr.codec.obis import Obis
from openamr.cosem.classes.disconnect_control import ControlState
from openamr.devices.mt372 import objects as mt372
from openamr.meter.display import DISPLAY_LIST
from openamr.meter.metrology.instant import instantaneous
from openamr.meter.peripherals.agenda import present
from openamr.meter.peripherals.modem import Modem
from openamr.meter.peripherals.outputs import LoadControl, Output
from openamr.meter.peripherals.relays import Contactor
from openamr.meter.peripherals.tamper import Cover, Covers
from openamr.meter.readout import DeviceReadout, Reading
from openamr.meter.twin import Twin

ERROR_REGISTER = mt372.ERROR_REGISTER.obis
ACTIVE_TARIFF = mt372.ACTIVE_TARIFF.obis
ERROR_PAGE = "F.F"
PERIOD_S = 10
MANUAL_TIMEOUT_S = 60
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class LcdState:
    """The display at one instant (meter time)."""

    at: dt.datetime
    mode: str  # "auto", "manual" or "off"
    page: int  # index in the pages, -1 when off
    pages: int
    address: str  # the OBIS code shown, e.g. "1.8.0"
    value: str  # e.g. "001234.567"
    unit: str  # e.g. "kWh"
    phases: tuple[bool, bool, bool]  # L1 L2 L3 present
    sequence_ok: bool  # phase sequence L1 L2 L3
    reversal: bool  # current reversal on a phase
    communication: bool  # the communication cursor
    signal: int  # GSM segments 0..3
    registered: bool  # GSM registration
    ff: bool  # error register non-zero
    error: int  # the error register
    rate: int  # active tariff T1..T4
    contactor: str  # "connected", "disconnected", "ready_for_reconnection"
    outputs: tuple[bool, bool]  # R1, R2 closed
    covers_open: tuple[bool, bool]  # main, terminal
    led: str  # imp/kWh LED: "off", "steady", "pulsing"

    @property
    def text(self) -> str:
        """The digits line, e.g. ``1.8.0 001234.567 kWh``."""
        return " ".join(p for p in (self.address, self.value, self.unit) if p)


class Lcd:
    """The display and its button."""

    def __init__(
        self,
        twin: Twin,
        contactor: Contactor,
        outputs: LoadControl,
        covers: Covers,
        modem: Modem,
        period_s: int = PERIOD_S,
        manual_timeout_s: int = MANUAL_TIMEOUT_S,
        display_list: tuple[str, ...] = DISPLAY_LIST,
    ) -> None:
        if period_s <= 0 or manual_timeout_s <= 0:
            raise ValueError("the scroll period and the manual timeout are positive")
        self.twin, self.contactor, self.outputs = twin, contactor, outputs
        self.covers, self.modem = covers, modem
        self.period = dt.timedelta(seconds=period_s)
        self.timeout = dt.timedelta(seconds=manual_timeout_s)
        self.readout = DeviceReadout(twin.device, display_list)
        self._press: tuple[dt.datetime, int] | None = None  # last press, page shown

    def press_button(self, at: dt.datetime | None = None, long: bool = False) -> None:
        """The button, at ``at`` (meter time, None: now)."""
        when = present(self.twin, at)
        if long:
            if self.contactor.state is ControlState.READY_FOR_RECONNECTION:
                self.contactor.manual_reconnect(when)
            return
        page = self._manual_page(when)
        pages = max(1, len(self.readout.readout()))
        self._press = (when, 0 if page is None else (page + 1) % pages)

    def lcd_state(self, at: dt.datetime | None = None) -> LcdState:
        """What the LCD shows now (the twin brought up to date first)."""
        when = present(self.twin, at)
        pages = self.readout.readout()
        values = instantaneous(self.twin.metrology, self.twin.source.to_true(when))
        error = self._int(ERROR_REGISTER)
        powered = any(p.present for p in values.phases)
        mode, page = self._page(when, pages, error != 0)
        if not powered:
            mode, page = "off", -1
        shown = pages[page] if pages and page >= 0 else Reading("", "")
        state = self.modem.state_at(self.twin.source.to_true(when))
        return LcdState(
            at=when, mode=mode, page=page, pages=len(pages),
            address=shown.address, value=shown.value, unit=shown.unit,
            phases=(values.phases[0].present, values.phases[1].present, values.phases[2].present),
            sequence_ok=values.sequence_ok,
            reversal=any(p.reversed for p in values.phases),
            communication=self.modem.cursor(when),
            signal=state.bars, registered=state.registered,
            ff=error != 0, error=error, rate=self._int(ACTIVE_TARIFF),
            contactor=self.contactor.state.name.lower(),
            outputs=(self.outputs.closed(Output.R1), self.outputs.closed(Output.R2)),
            covers_open=(self.covers.open[Cover.MAIN], self.covers.open[Cover.TERMINAL]),
            led=values.led.value,
        )  # fmt: skip

    # -- inside ----------------------------------------------------------------------------

    def _manual_page(self, at: dt.datetime) -> int | None:
        if self._press is None:
            return None
        pressed, page = self._press
        return page if dt.timedelta(0) <= at - pressed < self.timeout else None

    def _page(self, at: dt.datetime, pages: list[Reading], ff: bool) -> tuple[str, int]:
        if not pages:
            return "auto", -1
        manual = self._manual_page(at)
        if manual is not None:
            return "manual", manual % len(pages)
        if ff:
            errors = [i for i, p in enumerate(pages) if p.address == ERROR_PAGE]
            if errors:
                return "auto", errors[0]
        return "auto", (at - _EPOCH) // self.period % len(pages)

    def _int(self, name: Obis) -> int:
        obj = self.twin.device.find(name)
        value = obj.get(2) if obj is not None else None
        return int(value) if isinstance(value, int) else 0
