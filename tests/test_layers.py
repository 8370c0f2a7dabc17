"""The import-layer contract of ARCHITECTURE.md, checked on the source itself.

Imports only go down, and nothing below the I/O layers does I/O or reads the wall
clock (the sans-IO rule). The client side (client/, headend/) never reaches the meter
side (meter/, fleet/): not directly, not through a meter-side adapter of aio/, and
importing every module of openamr.client loads no module of openamr.meter.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "openamr"

# layer -> the layers it may import (besides itself and the root modules below), in the
# order of ARCHITECTURE.md, bottom up: the stack; cosem/; devices/ (the MT372 declared
# once, as data); gsm/ (the simulated GSM network and modems, shared by both sides);
# then the two sides, which share the stack, cosem/, devices/ and the
# adapters but never each other: the meter side (meter/, its adapters in aio/, fleet/)
# and the client side (client/, headend/); cli/ on top of both.
STACK = {"codec", "apdu", "security", "link", "association"}
ALLOWED: dict[str, set[str]] = {
    "codec": set(),
    "apdu": {"codec"},
    "security": {"codec", "apdu"},
    "link": {"codec"},
    "association": {"codec", "apdu", "security"},
    "cosem": {"codec", "apdu", "association"},
    "devices": {"codec", "apdu", "association", "cosem"},
    "gsm": {"codec", "cosem"},
    "meter": {"codec", "apdu", "security", "association", "cosem", "devices", "gsm"},
    "aio": STACK | {"cosem", "devices", "gsm", "meter"},
    "fleet": STACK | {"cosem", "devices", "gsm", "meter", "aio"},
    "client": STACK | {"cosem", "devices", "gsm", "aio"},
    "headend": STACK | {"cosem", "devices", "gsm", "aio", "client"},
    "cli": STACK | {"cosem", "devices", "gsm", "meter", "aio", "fleet", "client", "headend"},
}
ROOT_MODULES = {"errors", "lazy", "__init__"}  # importable from every layer
SANS_IO = {
    "codec", "apdu", "security", "link", "association", "cosem", "devices", "gsm", "meter",
    "fleet",
}  # fmt: skip
#: The fleet's thin asyncio adapter: the one module of a sans-IO layer that does I/O.
IO_MODULES = {"fleet/serve.py"}
#: Sans-IO cores inside an I/O layer: the head-end's VEE, export writers and rates.
SANS_IO_MODULES = {
    "headend/vee.py", "headend/exports/__init__.py", "headend/exports/csv.py",
    "headend/exports/cim.py", "headend/exports/mscons.py", "headend/tariff.py",
    "headend/tariff_split.py",
}  # fmt: skip
FORBIDDEN_MODULES = {"asyncio", "socket", "serial", "selectors", "threading"}
FORBIDDEN_CALLS = {("time", "time"), ("datetime", "now"), ("os", "urandom"), ("time", "sleep")}
#: The meter side: the client side never imports these, not even through an adapter.
METER_SIDE = {"meter", "fleet"}
CLIENT_SIDE = {"client", "headend"}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    return rel[0] if len(rel) > 1 else Path(rel[0]).stem


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_go_down(path: Path) -> None:
    layer = _layer(path)
    if layer in ROOT_MODULES or layer == "py":
        return
    assert layer in ALLOWED, f"{layer}/ is not a layer of ARCHITECTURE.md; add it to ALLOWED"
    tree = ast.parse(path.read_text(), str(path))
    for lineno, name in _imports(tree):
        parts = name.split(".")
        if parts[0] != "openamr" or len(parts) < 2:
            continue
        target = parts[1]
        ok = target in ROOT_MODULES or target == layer or target in ALLOWED[layer]
        assert ok, f"{path.name}:{lineno}: {layer}/ must not import {name}"


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in _modules()
        if (_layer(p) in SANS_IO and str(p.relative_to(SRC)) not in IO_MODULES)
        or str(p.relative_to(SRC)) in SANS_IO_MODULES
    ],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_sans_io(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    for lineno, name in _imports(tree):
        assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name}:{lineno}: imports {name}"
        assert name.split(".")[0] not in {"sqlalchemy", "aiomqtt", "fastapi"}, (
            f"{path.name}:{lineno}: imports {name}, an I/O library"
        )
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            owner = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            assert (owner, node.func.attr) not in FORBIDDEN_CALLS, (
                f"{path.name}:{node.lineno}: {owner}.{node.func.attr}() is wall clock or "
                "randomness; take it as an argument"
            )


def _side(name: str) -> str:
    """The layer of an imported module name (``openamr.meter.twin`` -> ``meter``)."""
    parts = name.split(".")
    return parts[1] if parts[0] == "openamr" and len(parts) > 1 else ""


@functools.cache
def _meter_side_adapters() -> frozenset[str]:
    """The adapter modules (aio/) that import the meter side, directly or through
    another adapter module."""
    imports = {
        _module_name(p): {n for _, n in _imports(ast.parse(p.read_text(), str(p)))}
        for p in _modules()
        if _layer(p) == "aio"
    }
    meter_side = {m for m, names in imports.items() if any(_side(n) in METER_SIDE for n in names)}
    grew = True
    while grew:
        more = {m for m, names in imports.items() if names & meter_side} - meter_side
        meter_side |= more
        grew = bool(more)
    return frozenset(meter_side)


def test_the_meter_side_adapters_are_found() -> None:
    found = _meter_side_adapters()
    assert "openamr.aio.dlms_server" in found  # serves a ServerApplication
    assert "openamr.aio.lines" not in found  # the line drivers of both sides
    assert "openamr.aio.hhu" not in found  # the hand-held unit's side


@pytest.mark.parametrize(
    "path",
    [p for p in _modules() if _layer(p) in CLIENT_SIDE],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_the_client_side_uses_no_meter_side_adapter(path: Path) -> None:
    meter_side = _meter_side_adapters()
    for lineno, name in _imports(ast.parse(path.read_text(), str(path))):
        assert name not in meter_side, f"{path.name}:{lineno}: {name} is a meter-side adapter"


def test_importing_the_client_loads_no_meter_module() -> None:
    """Every module of openamr.client imported in a fresh interpreter: not one module
    of the meter side is loaded (the client never imports the twin)."""
    code = (
        "import importlib, pkgutil, sys, openamr.client\n"
        "for m in pkgutil.walk_packages(openamr.client.__path__, 'openamr.client.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert "openamr.client.meter" in out  # the walk did import the client
    loaded = [m for m in out if _side(m) in METER_SIDE]
    assert loaded == [], f"importing openamr.client loads the meter side: {loaded}"
