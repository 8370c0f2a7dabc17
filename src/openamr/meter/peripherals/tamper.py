"""Tamper switches: the main cover and the terminal cover.

Opening a cover is logged with its time stamp, 0x8010 (meter cover) or 0x8011
(terminal cover), MT372.md section 3; closing it is not (the MT372 list has no
code for it) but the LCD shows the cover open until it closes. With a push
destination the opening is pushed (:mod:`openamr.meter.peripherals.push`).
"""

from __future__ import annotations

import datetime as dt
import enum

from openamr.meter.events import EventCode
from openamr.meter.peripherals.agenda import Agenda, run_at
from openamr.meter.twin import Action, Twin


class Cover(enum.StrEnum):
    MAIN = "main"
    TERMINAL = "terminal"


OPENED = {Cover.MAIN: EventCode.METER_COVER_OPENED, Cover.TERMINAL: EventCode.TERMINAL_COVER_OPENED}


class Covers:
    """The two cover switches."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.agenda = Agenda()
        self.open: dict[Cover, bool] = dict.fromkeys(Cover, False)

    def open_cover(self, which: Cover | str, at: dt.datetime | None = None) -> None:
        """``which`` cover ("main" or "terminal") opens at ``at`` (meter time, None: now)."""
        cover = Cover(which)
        run_at(self.twin, self.agenda, at, lambda t: self._opened(cover, t))

    def close_cover(self, which: Cover | str, at: dt.datetime | None = None) -> None:
        cover = Cover(which)
        run_at(self.twin, self.agenda, at, lambda _: self.open.__setitem__(cover, False))

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> list[tuple[dt.datetime, Action]]:
        return self.agenda.due(m0, m1)

    def publish(self, twin: Twin) -> None:
        """Nothing to copy: the log-book has the events, the LCD reads :attr:`open`."""

    def _opened(self, cover: Cover, at: dt.datetime) -> None:
        if not self.open[cover]:  # a switch that is already open does not fire again
            self.open[cover] = True
            self.twin.log(at, OPENED[cover])
