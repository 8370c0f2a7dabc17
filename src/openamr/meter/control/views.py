"""The twin's state as plain JSON values, for the control endpoint's ``GET /state``
(sans-IO: the adapter only writes them).

Everything is read from the engine after a refresh (``app.refresh()``): the clock
(meter time, its local time and true time), the registers (Wh, exact, not wrapped at
2^32 as the DLMS registers are), the instantaneous values, the supply as the meter
sees it, demand, the active rate, the disconnector, the last log-book entries, the
injected disturbances and load changes still to come, the peripherals (covers,
R1/R2, S0 inputs, load limit) and what the LCD shows (None without peripherals).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.cosem.classes.disconnect_control import DisconnectControl
from openamr.errors import DecodeError
from openamr.gsm.sim import Sim
from openamr.meter.control.schema import Controlled, Json
from openamr.meter.events import describe
from openamr.meter.metrology import instantaneous, supply_state
from openamr.meter.metrology.instant import PhaseValues
from openamr.meter.metrology.model import Disturbance, LoadStep, instant, seconds
from openamr.meter.peripherals import Cover, Output, Peripherals, describe_peripheral
from openamr.meter.snapshot import snapshot
from openamr.meter.twin import Twin

DISCONNECTOR = Obis.parse("0.0.96.3.10.255")
LAST_EVENTS = 10


def state(m: Controlled, last_events: int = LAST_EVENTS) -> Json:
    """The meter's state at the instant the twin has reached."""
    twin = m.twin
    s = snapshot(twin)
    return {
        "clock": clock(twin),
        "registers": registers(twin),
        "rate": s.rate,
        "billing_counter": s.billing_counter,
        "demand_w": {
            "current_average": round(s.current_average_w, 1),
            "last_average": round(s.last_average_w, 1),
        },
        "instantaneous": instantaneous_values(twin),
        "supply": supply(twin),
        "relay": relay(twin),
        "injected": injected(twin),
        "peripherals": peripherals(m.peripherals),
        "lcd": lcd(m.peripherals),
        "events": events(twin, last_events),
    }


def clock(twin: Twin) -> Json:
    s = snapshot(twin)
    zone = twin.objects.clock.zone(s.meter_t)
    return {
        "meter_time": s.meter_t.astimezone(zone).isoformat(),
        "meter_time_utc": s.meter_t.astimezone(dt.UTC).isoformat(),
        "true_time": s.true_t.astimezone(dt.UTC).isoformat(),
        "offset_s": s.offset.total_seconds(),
    }


def registers(twin: Twin) -> Json:
    def quantity(total: int, rate: Callable[[int], int]) -> Json:
        return {"total": total, **{f"T{r}": rate(r) for r in range(1, 5)}}

    s = snapshot(twin)
    a_plus, a_minus = s.a_plus, s.a_minus
    return {
        "unit": "Wh",
        "A+": quantity(a_plus.total, a_plus.rate),
        "A-": quantity(a_minus.total, a_minus.rate),
        "|A|": a_plus.total + a_minus.total,
    }


def _phase(p: PhaseValues) -> Json:
    return {
        "voltage_v": round(p.voltage_v, 1),
        "current_a": p.current_a,
        "power_w": p.power_w,
        "power_factor": p.power_factor,
        "present": p.present,
        "reversed": p.reversed,
    }


def instantaneous_values(twin: Twin) -> Json:
    v = instantaneous(twin.metrology, twin.true_t)
    return {
        "import_w": v.import_w,
        "export_w": v.export_w,
        "power_factor": v.power_factor,
        "frequency_hz": round(v.frequency_hz, 2),
        "phases": {f"L{i}": _phase(p) for i, p in enumerate(v.phases, start=1)},
        "sequence_ok": v.sequence_ok,
        "led": v.led.value,
    }


def supply(twin: Twin) -> Json:
    s = supply_state(twin.metrology, twin.true_t)
    return {
        "powered": s.powered,
        "voltage": {f"L{i}": v.value for i, v in enumerate(s.voltage, start=1)},
        "sequence_error": s.sequence_error,
    }


def relay(twin: Twin) -> Json | None:
    d = twin.device.find(DISCONNECTOR)
    if not isinstance(d, DisconnectControl):
        return None
    return {
        "connected": bool(d.get_output_state()),
        "control_state": d.state.name.lower(),
        "control_mode": d.mode,
    }


def disturbance(d: Disturbance) -> Json:
    return {
        "kind": d.kind.value,
        "phase": None if d.phase is None else int(d.phase),
        "level": d.level,
        "start": instant(d.start).isoformat(),
        "end": instant(d.end).isoformat(),
    }


def load_step(step: LoadStep) -> Json:
    return {"start": instant(step.start).isoformat(), "level_w": step.level_w, "scale": step.scale}


def injected(twin: Twin) -> Json:
    """Disturbances not over yet, and the load changes in force or to come."""
    now = seconds(twin.true_t)
    steps = sorted(twin.metrology.steps, key=lambda s: s.start)
    past = [s for s in steps if s.start <= now]
    return {
        "disturbances": [disturbance(d) for d in twin.metrology.disturbances if d.end > now],
        "load": [load_step(s) for s in past[-1:] + [s for s in steps if s.start > now]],
    }


def peripherals(p: Peripherals | None) -> Json | None:
    if p is None:
        return None
    inputs = p.inputs
    return {
        "contactor": p.contactor.state.name.lower(),
        "covers_open": {cover.value: p.covers.open[cover] for cover in Cover},
        "outputs_closed": {str(o.name): p.outputs.closed(o) for o in (Output.R1, Output.R2)},
        "inputs": {
            f"P{n}": {"litres": float(inputs.litres(n)), "pulses_per_m3": inputs.constant(n)}
            for n in (1, 2)
        },
        "load_limit_w": p.limiter.threshold,
        "gsm": gsm(p),
    }


def card_json(sim: Sim | None) -> Json | None:
    return None if sim is None else {"iccid": sim.iccid, "imsi": sim.imsi, "msisdn": sim.msisdn}


def gsm(p: Peripherals) -> Json:
    """The modem as the network sees it now."""
    m, now = p.modem.gsm, p.modem.now()
    address = m.address if m.gprs_attached(now) else None
    return {
        "sim": card_json(m.sim), "status": m.status.name.lower(), "registered": m.registered,
        "signal_csq": m.signal_csq if m.registered else 99, "bars": m.bars,
        "cell": p.modem.cell_id, "gsm_mode": int(m.gsm_mode), "in_call": bool(m.cs_attachment()),
        "gprs_attached": address is not None,
        "address": None if address is None else f"{address[0]}:{address[1]}",
    }  # fmt: skip


def lcd(p: Peripherals | None) -> Json | None:
    """What the LCD shows at the twin's present (its fields, and the digits line)."""
    if p is None:
        return None
    shown = p.lcd_state()
    out: Json = {f.name: getattr(shown, f.name) for f in dataclasses.fields(shown)}
    out["at"] = shown.at.isoformat()
    out["text"] = shown.text
    return out


def events(twin: Twin, last: int | None = None) -> list[Json]:
    """The log-book's entries, oldest first (the last ``last`` of them)."""
    rows = list(twin.objects.event_log.rows)
    return [event(row) for row in (rows[-last:] if last else rows)]


def event(row: tuple[object, ...]) -> Json:
    stamp, code = row[0], row[1]
    assert isinstance(code, int)
    name = describe_peripheral(code) or describe(code)
    return {"time": _time(stamp), "code": code, "hex": f"{code:#06x}", "name": name}


def _time(stamp: object) -> str | None:
    if not isinstance(stamp, bytes):
        return None
    try:
        return CosemDateTime.from_bytes(stamp).to_datetime().isoformat()
    except (DecodeError, ValueError):
        return None
