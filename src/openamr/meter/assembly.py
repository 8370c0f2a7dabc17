"""One assembled meter: the application the adapters serve, the engine behind it and
its collaborators, each built with what it needs (ARCHITECTURE.md "Wired in plain
sight"). :func:`openamr.meter.mt372.build_mt372` returns one::

    meter = build_mt372("12345678", time_base=clock)
    meter.app           ServerApplication: device, associations, counter, refresh
    meter.twin          the engine (metrology, tariff, profiles, log-book)
    meter.peripherals   relays, limiter, inputs, covers, modem, push, LCD
    meter.persistence   the non-volatile memory (None without a state store)
    meter.keys          the suite 0 keys of the ciphered associations
    meter.optical_password  the optical port's P1 password

``app.refresh`` is :meth:`TwinMeter.refresh`: before a request is answered the engine
comes up to now and the modem notes the activity (the LCD's communication cursor).

No part is patched after it is built (STYLE.md "Wire in plain sight";
``tests/meter/test_wiring.py`` checks it). The engine and its parts need each other,
and ``build_mt372`` resolves that in plain sight, in this order::

    port, push_port = TwinPort(), PushPort()   forward references, built first
    objects(set_now=port.set_time,             the clock object, the end of billing
            run_script=port.run_script,        script and the Push setup call the
            push_sender=push_port.push)        twin and its alarm push through them
    twin = Twin(..., port, components, checkpoints)      binds the port, once
    components.append(Peripherals(twin, push_port, ...)) built on the twin; binds
    checkpoints.append(persistence.commit)               Persistence(store, twin, ...)

``components`` and ``checkpoints`` are the assembly's own lists, given to the twin's
constructor and filled before its first advance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openamr.meter.application import ServerApplication
from openamr.meter.keys import MeterKeyStore
from openamr.meter.peripherals import Peripherals
from openamr.meter.persistence import Persistence
from openamr.meter.twin import Twin


@dataclass(frozen=True, slots=True)
class Engine:
    """The parts that live in time: the twin and its peripherals."""

    twin: Twin
    peripherals: Peripherals

    def refresh(self) -> None:
        """Bring the meter up to now before a request is answered."""
        self.twin.advance()
        self.peripherals.modem.activity()


@dataclass(frozen=True, slots=True)
class TwinMeter:
    """An MT372 twin, assembled; see the module docstring."""

    serial: str
    app: ServerApplication
    engine: Engine
    keys: MeterKeyStore
    persistence: Persistence | None = None
    #: the optical port's programming password (IEC 62056-21 P1)
    optical_password: str = field(default="", repr=False)

    @property
    def twin(self) -> Twin:
        return self.engine.twin

    @property
    def peripherals(self) -> Peripherals:
        return self.engine.peripherals

    def refresh(self) -> None:
        self.engine.refresh()


__all__ = ["Engine", "TwinMeter"]
