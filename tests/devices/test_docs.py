"""docs/objects.md is generated from the device profile and cannot drift from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr.cli.docs import main
from openamr.codec.types import OctetString, Unsigned
from openamr.codec.units import ScalerUnit, Unit
from openamr.devices.docs import render, unit_text, value_text
from openamr.devices.mt372.objects import MT372

DOCS = Path(__file__).resolve().parents[2] / "docs" / "objects.md"


def test_the_reference_table_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(MT372), (
        "docs/objects.md is stale: run python -m openamr.cli.docs"
    )


def test_every_object_has_its_row_with_access_per_client() -> None:
    text = render(MT372)
    assert "| client 16 (none) | client 32 (lls) | client 1 (hls-gmac) | client 100 (lls) |" in text
    for decl in MT372.objects:
        assert f"| `{decl.obis}` |" in text
    assert (
        "| `1.0.1.8.0.255` | Register (3) v0 | A+ total | r | r | auth r | r | Wh | 0 | 1.8.0 |"
        in text
    )
    assert "| `0x8042` | contactor ready for reconnection |" in text


def test_the_command_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "docs" / "objects.md"
    assert main(["--check"], path) == 1  # missing: stale
    assert main([], path) == 0 and path.read_text(encoding="utf-8") == render()
    assert main(["--check"], path) == 0
    path.write_text("edited by hand\n", encoding="utf-8")
    assert main(["--check"], path) == 1
    assert "python -m openamr.cli.docs" in capsys.readouterr().err


def test_units_and_values_print_short() -> None:
    assert unit_text(ScalerUnit(-1, Unit.VOLT)) == "0.1 V"
    assert unit_text(ScalerUnit(0, Unit.WATT_HOUR)) == "Wh"
    assert unit_text(ScalerUnit(3, Unit.WATT_HOUR)) == "1000 Wh"
    assert unit_text(ScalerUnit(-3, Unit.COUNT)) == "0.001"
    assert value_text(OctetString(b"MT372")) == '"MT372"' and value_text(Unsigned(7)) == "7"
    assert value_text(OctetString(bytes([0xFF, 0]))) == "ff 00" and value_text(None) == "(meter)"
