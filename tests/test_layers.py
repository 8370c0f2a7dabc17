"""The import-layer contract of ARCHITECTURE.md, checked on the source itself.

Imports only go down, and nothing below the I/O layers does I/O or reads the wall
clock (the sans-IO rule).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "openamr"

# layer -> the layers it may import (besides itself and the root modules below).
ALLOWED: dict[str, set[str]] = {
    "codec": set(),
    "apdu": {"codec"},
    "security": {"codec", "apdu"},
    "link": {"codec"},
    "association": {"codec", "apdu", "security"},
    "cosem": {"codec", "apdu", "association"},
    "meter": {"codec", "apdu", "security", "association", "cosem"},
    "aio": {"codec", "apdu", "security", "link", "association", "cosem", "meter"},
    "client": {"codec", "apdu", "security", "link", "association", "cosem", "aio"},
    "headend": {"codec", "apdu", "security", "link", "association", "cosem", "aio", "client"},
    "cli": {
        "codec", "apdu", "security", "link", "association", "cosem", "meter", "aio",
        "client", "headend",
    },
}  # fmt: skip
ROOT_MODULES = {"errors", "__init__"}  # importable from every layer
SANS_IO = {"codec", "apdu", "security", "link", "association", "cosem", "meter"}
FORBIDDEN_MODULES = {"asyncio", "socket", "serial", "selectors", "threading"}
FORBIDDEN_CALLS = {("time", "time"), ("datetime", "now"), ("os", "urandom"), ("time", "sleep")}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


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
    [p for p in _modules() if _layer(p) in SANS_IO],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_sans_io(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    for lineno, name in _imports(tree):
        assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name}:{lineno}: imports {name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            owner = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            assert (owner, node.func.attr) not in FORBIDDEN_CALLS, (
                f"{path.name}:{node.lineno}: {owner}.{node.func.attr}() is wall clock or "
                "randomness; take it as an argument"
            )
