"""The reference table of a device profile, generated (``docs/objects.md``): objects
with their class, name, access per client, scaler and unit, initial value and display
code; the log-book's event codes; the profiles' row layouts.

The file is generated from the profile and nothing else, and a test regenerates it and
compares (tests/devices/test_docs.py), so that it cannot drift from the code. This
module only renders (it is sans-IO); :mod:`openamr.cli.docs` writes the file::

    python -m openamr.cli.docs            # rewrites docs/objects.md
    python -m openamr.cli.docs --check    # exit 1 when the file is stale
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openamr.codec.types import Data
from openamr.codec.units import ScalerUnit
from openamr.cosem.names import class_name
from openamr.devices.mt372.events import EventCode
from openamr.devices.mt372.objects import MT372
from openamr.devices.profile import DeviceProfile, ObjectDecl


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    return [_row(headers), _row("---" for _ in headers), *(_row(r) for r in rows)]


def unit_text(unit: ScalerUnit | None) -> str:
    """``"0.1 V"`` for scaler -1 and volts, ``"Wh"`` for scaler 0."""
    if unit is None:
        return ""
    symbol = unit.unit.symbol
    if unit.scaler == 0:
        return symbol or "count"
    factor = format(10.0**unit.scaler, "g") if unit.scaler < 0 else str(10**unit.scaler)
    return f"{factor} {symbol}".strip()


def value_text(value: Data) -> str:
    """An initial value, short: numbers as numbers, printable octets as text."""
    if value is None:
        return "(meter)"
    if isinstance(value, bytes):
        text = value.decode("latin-1")
        return f'"{text}"' if text.isprintable() else value.hex(" ")
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (int, float)):
        return str(value if isinstance(value, bool) else int(value))
    return type(value).__name__


def _object_row(decl: ObjectDecl, clients: Sequence[int]) -> list[object]:
    display = ", ".join(code for _, code in decl.display)
    cls = f"{class_name(decl.class_id)} ({decl.class_id}) v{decl.version}"
    rights = [decl.right(client) for client in clients]
    return [f"`{decl.obis}`", cls, decl.name, *rights, unit_text(decl.unit),
            value_text(decl.value), display]  # fmt: skip


def _layouts(profile: DeviceProfile) -> list[str]:
    lines: list[str] = []
    for decl in profile.objects:
        if decl.layout is None:
            continue
        period = f"every {decl.period} s" if decl.period else "on demand or on event"
        lines += ["", f"### `{decl.obis}` {decl.name}", "",
                  f"{len(decl.layout.columns)} columns, {decl.layout.entries} entries, "
                  f"captured {period}.", ""]  # fmt: skip
        rows = []
        for n, c in enumerate(decl.layout.columns):
            captured = profile.find(c.obis)
            name = captured.name if captured is not None else ""
            size = f"({c.size})" if c.size else ""
            rows.append([n, f"`{c.obis}`", c.class_id, c.attribute, name,
                         f"{c.tag.name.lower().replace('_', '-')}{size}"])  # fmt: skip
        lines += _table(("#", "object", "class", "attribute", "name", "type"), rows)
    return lines


def render(profile: DeviceProfile = MT372) -> str:
    """The reference document of ``profile``, as Markdown."""
    clients = profile.clients
    offered = (f"client {c.sap} ({c.mechanism})" for c in profile.offered)
    headers = ("OBIS", "class", "name", *offered, "unit", "initial value", "display")
    lines = [
        f"# {profile.model}: objects, access, units, events",
        "",
        "Generated from the device profile (`openamr.devices`) by "
        "`python -m openamr.cli.docs`; do not edit by hand (a test compares).",
        "",
        "Access per client association (with its authentication mechanism: `none`, `lls` "
        "password, `hls-gmac` ciphered): `-` not visible, `r` read, `rw` read, write and "
        "invoke, `auth` only with authenticated (ciphered) APDUs. `(meter)`: the value is "
        "set up by the meter (clock, calendar, keys, ...). Display: the code the LCD and "
        "the IEC 62056-21 readout print.",
        "",
        f"## Objects ({len(profile.objects)})",
        "",
        *_table(headers, (_object_row(d, clients) for d in profile.objects)),
        "",
        "## Display list (LCD auto scroll, IEC 62056-21 readout)",
        "",
        " ".join(f"`{code}`" for code in profile.display_list()),
        "",
        "## Log-book event codes",
        "",
        "Codes below 0x8000 are bit flags and may be combined.",
        "",
        *_table(("code", "event"), ((f"`{c:#06x}`", c.words) for c in EventCode)),
        "",
        "## Profile layouts",
        *_layouts(profile),
    ]
    return "\n".join(lines) + "\n"
