"""Adding one register to the meter is adding one declaration (issue 9): built into a
profile, it is served, the associations see it as declared, the client names it, the
LCD and readout show it and the reference table lists it. In the repository that one
declaration goes in src/openamr/devices/mt372/objects.py (its OBJECTS tuple)."""

from __future__ import annotations

from openamr.cli.names import column_name, object_name
from openamr.codec.obis import Obis
from openamr.codec.types import DoubleLongUnsigned
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.access import AttributeAccess
from openamr.devices.docs import render
from openamr.devices.mt372.objects import MEASURED, MT372
from openamr.devices.profile import ObjectDecl
from openamr.meter.mt372 import build_mt372
from openamr.meter.readout import DeviceReadout

REACTIVE = Obis.parse("1.0.3.8.0.255")
#: Reactive energy import, total: a register the MT372 profile does not have.
EXTRA = ObjectDecl(
    REACTIVE, 3, 0, "reactive energy R+ total", MEASURED, DoubleLongUnsigned(42),
    ScalerUnit(0, Unit.VAR_HOUR), display=((23, "3.8.0"),),
)  # fmt: skip
VARIANT = MT372.with_objects(EXTRA)


def test_the_new_register_is_served_with_its_value_and_unit() -> None:
    app = build_mt372(profile=VARIANT).app
    assert [o.logical_name for o in app.device][-1] == REACTIVE
    view = app.configs[32].open_handler(False)
    assert view.get(3, REACTIVE, 2) == 42  # type: ignore[attr-defined]
    assert view.get(3, REACTIVE, 3) == ScalerUnit(0, Unit.VAR_HOUR).to_data()  # type: ignore[attr-defined]


def test_the_associations_see_it_as_declared() -> None:
    app = build_mt372(profile=VARIANT).app
    seen = {}
    for client in (16, 32, 1):
        view = app.configs[client].open_handler(True)
        seen[client] = {o.logical_name: a for o, a in view.visible()}  # type: ignore[attr-defined]
    assert REACTIVE not in seen[16]
    assert seen[32][REACTIVE].attribute(2) is AttributeAccess.READ_ONLY
    assert seen[1][REACTIVE].attribute(2) is AttributeAccess.AUTHENTICATED_READ_ONLY
    assert build_mt372().app.device.find(REACTIVE) is None  # the MT372 itself is unchanged


def test_the_client_names_it_and_the_docs_list_it() -> None:
    assert object_name(REACTIVE, VARIANT) == "reactive energy R+ total"
    assert column_name(3, REACTIVE, 2, VARIANT) == "reactive energy R+ total"
    assert object_name(REACTIVE) == ""  # not an MT372 object
    row = "| `1.0.3.8.0.255` | Register (3) v0 | reactive energy R+ total | - | r | auth r | r |"
    assert row in render(VARIANT) and row not in render(MT372)


def test_the_lcd_and_the_readout_show_it() -> None:
    assert VARIANT.display_list()[-2:] == ("3.8.0", "F.F")
    app = build_mt372(profile=VARIANT).app
    readings = {r.address: r for r in DeviceReadout(app.device, VARIANT.display_list()).readout()}
    assert (readings["3.8.0"].value, readings["3.8.0"].unit) == ("000000.042", "kVArh")


def test_the_twins_own_lcd_and_optical_readout_show_it() -> None:
    """The twin built from the variant scrolls it on its LCD and reads it out on its
    optical port (both from the profile's display list, not the MT372's)."""
    meter = build_mt372(profile=VARIANT)
    assert meter.app.display_list == VARIANT.display_list()
    pages = [r.address for r in meter.peripherals.lcd.readout.readout()]
    assert "3.8.0" in pages and pages[-1] == "F.F"
    assert "3.8.0" not in [r.address for r in build_mt372().peripherals.lcd.readout.readout()]
