"""The twin is wired in plain sight (issue 9, section 2; STYLE.md "Wire in plain
sight"): no code of ``openamr.meter`` installs a hook in another object after that
object is built, and the assembled meter's parts reach each other through what their
constructors were given."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from openamr.codec.types import LongUnsigned
from openamr.cosem import SUCCESS
from openamr.cosem.classes.script_table import ScriptTable
from openamr.devices.mt372.events import EventCode
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372
from openamr.meter.peripherals.push import PushPort
from openamr.meter.state import StateStore
from openamr.meter.twin import TwinPort

METER = Path(__file__).parents[2] / "src" / "openamr" / "meter"
#: The twin's lists of collaborators: only the assembly, which owns them, fills them.
HOOK_LISTS = {"components", "checkpoints", "refresh_hooks"}


def _callable_ref(node: ast.expr, functions: set[str]) -> bool:
    """A lambda, or a function or bound method of this module passed as a value."""
    if isinstance(node, ast.Lambda):
        return True
    if isinstance(node, ast.Name):
        return node.id in functions
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and node.attr in functions
    )


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def hooks_installed(source: str) -> list[str]:
    """``x.attr = <callable>`` on another object than ``self``, and ``x.<hook
    list>.append/extend/insert(...)`` or an append of a callable to another object's
    list: the statements that patch a collaborator in after construction."""
    tree = ast.parse(source)
    functions = {
        n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for target in targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                for elt in elts:
                    if (
                        isinstance(elt, ast.Attribute)
                        and not _is_self(elt.value)
                        and any(_callable_ref(v, functions) for v in values)
                    ):
                        found.append(ast.unparse(node))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend", "insert")
            and isinstance(node.func.value, ast.Attribute)
            and not _is_self(node.func.value.value)
            and (
                node.func.value.attr in HOOK_LISTS
                or any(_callable_ref(a, functions) for a in node.args)
            )
        ):
            found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize(
    "source",
    [
        "clock.set_now = self.set_time\ndef set_time(): pass",
        "self.objects.end_of_billing.executor = self._run\ndef _run(): pass",
        "twin.components.append(peripherals)",
        "self.twin.checkpoints.append(self.commit)\ndef commit(): pass",
        "app.refresh = lambda: None",
        "self.app.refresh_hooks.extend(hooks)",
    ],
)
def test_the_check_finds_the_hooks_it_is_about(source: str) -> None:
    assert hooks_installed(source)


def test_the_check_leaves_state_and_own_attributes_alone() -> None:
    source = "self.set_now = set_now\nengine.rate = state.rate\ncomponents.append(p)\n"
    assert hooks_installed(source) == []


def test_no_module_of_the_meter_installs_a_hook_after_construction() -> None:
    found = {
        (str(path.relative_to(METER)), statement)
        for path in sorted(METER.rglob("*.py"))
        for statement in hooks_installed(path.read_text())
    }
    assert found == set()


def test_the_assembled_meter_reaches_its_parts_through_its_constructors() -> None:
    base = SteppedTime(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    meter = build_mt372(time_base=base, state=StateStore.memory())
    twin, persistence = meter.twin, meter.persistence
    assert persistence is not None
    assert twin.components == [meter.peripherals]
    assert twin.checkpoints == [persistence.commit]
    clock, script = twin.objects.clock, twin.objects.end_of_billing
    assert isinstance(script, ScriptTable)
    port = clock.set_now.__self__  # type: ignore[attr-defined]
    assert isinstance(port, TwinPort) and script.executor == port.run_script
    with pytest.raises(RuntimeError, match="bound already"):
        port.bind(twin)
    # a clock set through the object is the twin's (logged, flagged, committed)
    commits = persistence.commits
    clock.set_now(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))
    assert twin.objects.event_log.rows[-1][1] == EventCode.CLOCK_CHANGED
    assert persistence.commits > commits
    # the end of billing script runs the twin's end of billing
    counter = twin.billing.counter
    assert script.execute(LongUnsigned(1)) == SUCCESS
    assert twin.billing.counter == counter + 1
    # the Push setup's push method is the alarm push's
    setup = meter.peripherals.push.setup
    assert setup.sender is not None
    assert isinstance(setup.sender.__self__, PushPort)  # type: ignore[attr-defined]
    meter.peripherals.push.drain()
    assert setup.sender(setup.request()) and len(meter.peripherals.push.drain()) == 1


def test_a_port_not_bound_says_so() -> None:
    with pytest.raises(RuntimeError, match="not built yet"):
        TwinPort().set_time(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
