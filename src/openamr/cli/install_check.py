"""``openamr install-check URL``: the MT372 datasheet's "Fit and go" installation
procedure, as a hand-held unit runs it over DLMS (objects: docs/mt372.md).

1. meter ID: logical device name 0.0.42.0.0.255 and serial 0.0.96.1.0.255;
2. phase voltage presence L1-L3: 1.0.32/52/72.7.0.255 at least 80 % of 230 V;
3. phase sequence and 4. current reversal: no such state is an object, so the
   log-book 1.0.99.98.0.255 is read: a "phase sequence error" (0x8032) or a
   "current reversal begin" (0x802C+p) not followed by its end is still present;
5. GSM registration (GSM diagnostic 0.0.25.6.0.255 attribute 3: 1 home, 5 roaming)
   and signal level (attribute 6, cell_info's signal quality, 0-31 as +CSQ; below
   10, about -93 dBm, the datasheet says connect the external antenna);
6. clock within 10 s of this computer's, and valid; error register FF 0.0.97.97.0.255
   all zero.

Each step prints pass or FAIL and, for a failure, what to do; the exit status is 1
when any step fails. ``--skip NAME`` leaves out the steps whose name begins with NAME
(``--skip gsm``: a meter whose modem is not fitted yet, or a twin on a desk); they
print ``skip`` and do not count.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import click

from openamr.cli.options import MeterOptions, format_option, meter_options

NOMINAL_V, PRESENT = 230.0, 0.8
MIN_CSQ = 10
MAX_CLOCK_S = 10.0
PHASES = ("L1", "L2", "L3")


@dataclass(frozen=True)
class Step:
    name: str
    passed: bool
    found: str
    advice: str = ""


async def _value(meter: Any, class_id: int, obis: str, attribute: int = 2) -> Any:
    return await meter.get(obis, attribute, class_id=class_id)


async def _voltages(meter: Any) -> list[float]:
    out = []
    for c in (32, 52, 72):
        obis = f"1.0.{c}.7.0.255"
        raw = await _value(meter, 3, obis)
        scaler = (await _value(meter, 3, obis, 3))[0]
        out.append(float(raw) * 10.0**scaler)
    return out


def _text(value: object) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def _open_events(codes: list[int], begin: int, end: int) -> bool:
    state = False
    for code in codes:
        if code == begin:
            state = True
        elif code == end:
            state = False
    return state


async def check(meter: Any, now: dt.datetime) -> list[Step]:
    steps: list[Step] = []
    name = await _value(meter, 1, "0.0.42.0.0.255")
    serial = await _value(meter, 1, "0.0.96.1.0.255")
    steps.append(Step("meter ID", True, f"{_text(name)} (serial {_text(serial)})"))
    volts = await _voltages(meter)
    missing = [p for p, v in zip(PHASES, volts, strict=True) if v < PRESENT * NOMINAL_V]
    found = ", ".join(f"{p} {v:.1f} V" for p, v in zip(PHASES, volts, strict=True))
    steps.append(
        Step(
            "phase voltages L1-L3",
            not missing,
            found,
            f"no voltage on {', '.join(missing)}: check the phase wiring and fuses",
        )
    )
    codes = [e.code for e in await meter.events("1.0.99.98.0.255")]
    wrong_sequence = _open_events(codes, 0x8032, 0x8033)
    steps.append(
        Step(
            "phase sequence",
            not wrong_sequence,
            "error" if wrong_sequence else "L1-L2-L3 (RST)",
            "swap two phases at the terminals: the sequence must be RST",
        )
    )
    reversed_ = [p for n, p in enumerate(PHASES) if _open_events(codes, 0x802C + n, 0x802F + n)]
    steps.append(
        Step(
            "current reversal",
            not reversed_,
            f"reversed on {', '.join(reversed_)}" if reversed_ else "none",
            f"swap the current wires of {', '.join(reversed_)} (in and out)",
        )
    )
    status = int(await _value(meter, 47, "0.0.25.6.0.255", 3))
    registered = status in (1, 5)
    steps.append(
        Step(
            "GSM registration",
            registered,
            {1: "registered (home)", 5: "registered (roaming)"}.get(status, f"status {status}"),
            "not registered: check the SIM and the operator's coverage",
        )
    )
    csq = int((await _value(meter, 47, "0.0.25.6.0.255", 6))[2])
    level = f"+CSQ {csq} ({-113 + 2 * csq} dBm)" if csq <= 31 else "unknown"
    weak = "signal too weak: connect the external antenna"
    steps.append(Step("GSM signal", MIN_CSQ <= csq <= 31, level, weak))
    when = await meter.clock()
    off = (when - now).total_seconds() if when.tzinfo else None
    ok = off is not None and abs(off) <= MAX_CLOCK_S
    steps.append(
        Step(
            "clock",
            ok,
            f"{when.isoformat()} ({off:+.1f} s)"
            if off is not None
            else f"{when.isoformat()} (no offset)",
            "set it: openamr clock URL --sync (with the management client)",
        )
    )
    ff = int(await _value(meter, 1, "0.0.97.97.0.255"))
    steps.append(
        Step(
            "error register FF",
            ff == 0,
            f"0x{ff:08x}",
            "the meter reports an error (docs/mt372.md lists the bits): "
            "replace the meter if it persists",
        )
    )
    return steps


def skipped(step: Step, skip: tuple[str, ...]) -> bool:
    return any(step.name.lower().startswith(name.lower()) for name in skip)


@click.command("install-check")
@meter_options
@click.option("--skip", multiple=True, metavar="NAME",
              help="Leave out the steps whose name begins with NAME, e.g. --skip gsm.")  # fmt: skip
@format_option("json")
def install_check_command(url: MeterOptions, skip: tuple[str, ...], fmt: str) -> None:
    """The datasheet's "Fit and go" installation check, step by step."""

    async def go() -> list[Step]:
        async with url.connect() as meter:
            return await check(meter, dt.datetime.now(dt.UTC))

    steps = url.run(go)
    counted = [s for s in steps if not skipped(s, skip)]
    if fmt == "json":
        rows = [s.__dict__ | {"advice": "" if s.passed else s.advice,
                              "skipped": skipped(s, skip)} for s in steps]  # fmt: skip
        click.echo(json.dumps(rows))
    else:
        for s in steps:
            verdict = "skip" if skipped(s, skip) else "pass" if s.passed else "FAIL"
            line = f"{verdict:<4}  {s.name:<22} {s.found}"
            click.echo(f"{line}\n      -> {s.advice}" if verdict == "FAIL" else line)
        bad = sum(not s.passed for s in counted)
        click.echo("installation OK" if not bad else f"{bad} step(s) failed")
    if any(not s.passed for s in counted):
        raise SystemExit(1)
