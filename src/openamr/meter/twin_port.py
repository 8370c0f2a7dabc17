"""What the twin offers the parts built around it (issue 4): the :class:`Component`
protocol of the peripherals that live in time beside the engine, and the
:class:`TwinPort`, the forward reference through which the objects built before the
twin (the clock object, the end of billing script) reach it.

Wiring (STYLE.md "Wire in plain sight"): the clock object and the end of billing
script are built before the twin, so they are built with a :class:`TwinPort` that
the twin's constructor binds once (:mod:`openamr.meter.assembly`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from openamr.cosem.classes.script_table import ActionSpecification

if TYPE_CHECKING:
    from openamr.meter.twin import Twin

#: What happens at a boundary of an advance, given its instant (meter time).
Action = Callable[[dt.datetime], None]


class Component(Protocol):
    """A part of the meter that lives in time beside the engine (relays, limiter,
    impulse inputs, tamper switches, display, modem, push). Components add their own
    boundaries to each advance and publish their state into the objects; they log
    with :meth:`Twin.log` and flag the load profile with :meth:`Twin.flag`."""

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> Iterable[tuple[dt.datetime, Action]]:
        """What happens in (m0, m1] of meter time, as (instant, action)."""
        ...

    def publish(self, twin: Twin) -> None:
        """The component's state into its COSEM objects (after each advance)."""
        ...


class TwinPort:
    """The twin, for the objects built before it (a forward reference, bound once by
    :class:`Twin`'s constructor): the clock object is built with :meth:`set_time` as
    its setter and the end of billing script with :meth:`run_script` as its executor,
    so a DLMS clock set and an executed script go through the engine; the lazily
    published registers are built with :meth:`publish_pending`."""

    def __init__(self) -> None:
        self._twin: Twin | None = None

    def bind(self, twin: Twin) -> None:
        if self._twin is not None:
            raise RuntimeError("a TwinPort serves one twin, and it is bound already")
        self._twin = twin

    def _bound(self) -> Twin:
        if self._twin is None:
            raise RuntimeError("the twin is not built yet: build Twin with this port")
        return self._twin

    def set_time(self, when: dt.datetime) -> None:
        self._bound().set_time(when)

    def run_script(self, action: ActionSpecification) -> bool:
        return self._bound().run_script_action(action)

    def publish_pending(self) -> None:
        """The twin's due values into their objects (none is due before it is built):
        what a :class:`~openamr.meter.twin_objects.LiveRegister` calls when read."""
        if self._twin is not None:
            self._twin.publish_pending()


__all__ = ["Action", "Component", "TwinPort"]
