"""The peripherals survive a restart (openamr.meter.persistence): contactor, outputs,
exact volumes, covers, push counter; a replayed Mx372 write does not move them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openamr.association.handler import ServiceHandler
from openamr.codec.obis import Obis
from openamr.codec.types import DoubleLongUnsigned, Integer, Unsigned
from openamr.cosem.classes.disconnect_control import ControlState
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.assembly import TwinMeter
from openamr.meter.clock import SteppedTime
from openamr.meter.metrology.instant import instantaneous
from openamr.meter.mt372 import build_mt372
from openamr.meter.peripherals import Cover, Output, PeripheralEvent, Peripherals
from openamr.meter.state import StateStore

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
MX_STATE, MX_MODE = Obis.parse("0.0.128.30.21.255"), Obis.parse("0.0.128.30.22.255")
DC, LOG = Obis.parse("0.0.96.3.10.255"), Obis.parse("1.0.99.98.0.255")


def open_twin(store: StateStore, base: SteppedTime) -> tuple[TwinMeter, Peripherals]:
    meter = build_mt372("20261234", time_base=base, state=store)
    return meter, meter.peripherals


def manager(twin: TwinMeter) -> ServiceHandler:
    return twin.app.configs[1].open_handler(True)


def codes(twin: TwinMeter) -> list[int]:
    log = twin.twin.device.find(LOG)
    assert isinstance(log, ProfileGeneric)
    return [int(r[1]) for r in log.rows]


def power(twin: TwinMeter) -> float:
    return instantaneous(twin.twin.metrology, twin.twin.true_t).import_w


def test_the_peripherals_come_back_as_they_were(tmp_path: Path) -> None:
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin, p = open_twin(store, base)
    assert manager(twin).set(1, MX_STATE, 2, Unsigned(0)).name == "SUCCESS"  # disconnect
    p.pulses(1, 7)
    assert manager(twin).set(3, Obis.parse("0.0.128.40.2.255"), 2, DoubleLongUnsigned(3)).name \
        == "SUCCESS"  # fmt: skip
    p.pulses(2, 1)  # 333 1/3 litres
    p.outputs.switch(Output.R2, True)
    p.open_cover("main")
    base.step(120)
    twin.twin.advance()
    before = codes(twin)
    store.close()

    again = StateStore.open(path)
    restored, q = open_twin(again, SteppedTime(base.current))
    assert q.contactor.state is ControlState.DISCONNECTED
    assert power(restored) == 0
    assert q.inputs.litres(2) * 3 == 1000 and q.inputs.litres(1) == 7
    assert q.outputs.closed(Output.R2) and q.covers.open[Cover.MAIN]
    assert codes(restored) == before  # nothing logged twice
    q.pulses(2, 2)
    assert manager(restored).get(3, Obis.parse("7.0.3.0.0.255"), 2) == DoubleLongUnsigned(1000)
    q.contactor.remote_reconnect()
    q.press_button(long=True)
    assert q.contactor.connected
    assert power(restored) > 0  # the model again, not the contactor's 0 W
    again.close()


def test_a_replayed_disconnect_write_does_not_open_a_reconnected_contactor(
    tmp_path: Path,
) -> None:
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin, p = open_twin(store, base)
    assert manager(twin).set(1, MX_MODE, 2, Unsigned(4)).name == "SUCCESS"
    assert manager(twin).set(1, MX_STATE, 2, Unsigned(0)).name == "SUCCESS"
    base.step(60)
    twin.twin.advance()
    assert manager(twin).action(70, DC, 2, Integer(0))[0].name == "SUCCESS"  # not a SET
    base.step(60)
    twin.twin.advance()
    assert p.contactor.connected and power(twin) > 0
    expected = power(twin)
    store.close()

    again = StateStore.open(path)
    restored, q = open_twin(again, SteppedTime(base.current))
    assert q.contactor.connected and q.contactor.control.mode == 4
    assert power(restored) == expected
    assert codes(restored).count(PeripheralEvent.CONTACTOR_DISCONNECTED) == 1
    again.close()
