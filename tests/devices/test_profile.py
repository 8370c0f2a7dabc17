"""The MT372 declared once (issue 9): what the twin serves, who may see it, what the
LCD shows and what the client calls it all come from the device profile."""

from __future__ import annotations

import pytest

from openamr.client.values import event_name as client_event_name
from openamr.codec.obis import Obis
from openamr.cosem.classes.register import Register
from openamr.cosem.scaling import scaler_attribute, scaling
from openamr.devices.mt372 import EventCode, event_name
from openamr.devices.mt372 import objects as mt372
from openamr.devices.mt372.objects import MT372
from openamr.devices.profile import Client, DeviceProfile, ObjectDecl, access
from openamr.meter.application import ServerApplication
from openamr.meter.associations import RIGHTS
from openamr.meter.mt372 import build_mt372
from openamr.meter.readout import DeviceReadout


@pytest.fixture(scope="module")
def app() -> ServerApplication:
    return build_mt372().app


def test_the_twin_serves_the_declared_objects_in_their_order(app: ServerApplication) -> None:
    served = [(o.logical_name, o.CLASS_ID, o.VERSION) for o in app.device]
    assert served == [(d.obis, d.class_id, d.version) for d in MT372.objects]


def test_registers_hold_their_declared_values_and_units(app: ServerApplication) -> None:
    fresh = build_mt372(history_days=0).app
    for decl in MT372.objects:
        obj = fresh.device.find(decl.obis)
        assert obj is not None
        if decl.unit is not None:
            assert obj.get(scaler_attribute(decl.class_id) or 0) == decl.unit.to_data(), decl
    static = (mt372.FIRMWARE_ID, mt372.CONFIGURATION_COUNTER, mt372.GSM_MODE, mt372.CSD_FLAGS,
              *mt372.IMPULSE_CONSTANTS)  # fmt: skip
    for decl in static:  # the values nothing in the engine drives
        obj = fresh.device.find(decl.obis)
        assert obj is not None and obj.get(2) == decl.value, decl


@pytest.mark.parametrize("client", MT372.clients)
def test_each_association_sees_what_the_profile_grants(app: ServerApplication, client: int) -> None:
    view = app.configs[client].open_handler(True)
    granted = {d.obis: RIGHTS[d.right(client)] for d in MT372.objects if d.right(client) != "-"}
    assert {o.logical_name: a for o, a in view.visible()} == granted  # type: ignore[attr-defined]


def test_the_display_list_is_the_declared_lcd_order(app: ServerApplication) -> None:
    readout = [r.address for r in DeviceReadout(app.device).readout()]
    assert readout == list(MT372.display_list())
    assert readout[:4] == ["C.1.0", "0.2.0", "0.9.1", "0.9.2"] and readout[-1] == "F.F"


def test_every_code_the_twin_logs_has_one_name_on_both_sides() -> None:
    assert len({int(c) for c in EventCode}) == 51  # 19 published, 32 of the project
    for code in EventCode:
        assert code.words and not code.words.startswith("event 0x")
        assert client_event_name(code) == event_name(code) == code.words


def test_the_scaler_attribute_comes_from_the_class_declarations() -> None:
    assert [scaler_attribute(c) for c in (1, 3, 4, 5, 7)] == [None, 3, 3, 4, None]
    assert scaler_attribute(5, 3) == 4 and scaler_attribute(3, 3) is None
    demand = scaling(5)
    assert demand is not None and demand.scaled == {2, 3}


def test_a_profile_refuses_a_second_declaration_of_one_object() -> None:
    twice = mt372.A_PLUS[0]._replace(name="again")
    with pytest.raises(ValueError, match="declared twice"):
        MT372.with_objects(twice)
    with pytest.raises(ValueError, match="one right"):
        access(MT372.clients, "r", "r")
    stranger = ObjectDecl(Obis.parse("1.0.3.8.0.255"), 3, 0, "x", ((200, "r"),))
    with pytest.raises(ValueError, match="unknown client"):
        MT372.with_objects(stranger)


def test_the_engine_drives_the_declared_objects() -> None:
    meter = build_mt372()
    register = meter.app.device.find(mt372.A_PLUS[0].obis)
    assert isinstance(register, Register) and meter.twin.objects.a_plus[0] is register


def test_a_declaration_of_another_class_is_refused() -> None:
    """The engine's handles check the class the profile declares: an A+ total
    declared as Data cannot be driven as a Register."""
    wrong = mt372.A_PLUS[0]._replace(class_id=1)
    profile = DeviceProfile(
        MT372.model, MT372.offered, (wrong if d.obis == wrong.obis else d for d in MT372.objects)
    )
    with pytest.raises(LookupError, match=r"Register 1\.0\.1\.8\.0\.255"):
        build_mt372(profile=profile)
    with pytest.raises(ValueError, match="declared class 3 version 5"):
        build_mt372(profile=MT372.with_objects(
            ObjectDecl(Obis.parse("1.0.3.8.0.255"), 3, 5, "x", mt372.MEASURED)
        ))  # fmt: skip


def test_the_declared_rights_are_the_decisions_of_mt372_md_section_5() -> None:
    """16: read-only, a small set; 32: reads all, programs the clock, calendar, special
    days and billing date; 1: everything ciphered, but never writes what is measured."""
    public = {str(d.obis) for d in MT372.objects if d.right(16) != "-"}
    assert public == {
        "0.0.1.0.0.255", "0.0.42.0.0.255", "0.0.96.1.0.255", "1.0.0.2.0.255",
        "1.0.1.8.0.255", "1.0.2.8.0.255", "0.0.40.0.1.255", "0.0.43.1.0.255",
    }  # fmt: skip
    assert {d.right(16) for d in MT372.objects} == {"-", "r"}
    writable = {d.class_id for d in MT372.objects if d.right(32) == "rw"}
    assert writable == {8, 11, 20, 22}  # clock, special days, calendar, schedule
    assert all(d.right(32) != "-" for d in MT372.objects)
    measured = [d for d in MT372.objects if d.class_id in (3, 4, 5) and d.obis.a in (1, 7, 8)]
    assert measured and all(d.right(1) == "auth r" for d in measured)
    assert {d.right(1) for d in MT372.objects} == {"auth r", "auth rw"}
    assert all(d.right(100) == d.right(32) for d in MT372.objects)  # the head-end as 32


def test_each_client_needs_a_mechanism_and_an_association_object() -> None:
    assert [(c.sap, c.mechanism) for c in MT372.offered] == [
        (16, "none"), (32, "lls"), (1, "hls-gmac"), (100, "lls")
    ]  # fmt: skip
    assert MT372.client_of(Obis.parse("0.0.40.0.2.255")).sap == 32
    no_object = Client(101, "lls", Obis.parse("0.0.40.0.5.255"))
    with pytest.raises(ValueError, match="Association LN object"):
        DeviceProfile(MT372.model, (*MT372.offered, no_object), MT372.objects)
    odd = Client(101, "kerberos", mt372.ASSOCIATIONS[1].obis)
    with pytest.raises(ValueError, match="mechanism"):
        DeviceProfile(MT372.model, (*MT372.offered, odd), MT372.objects)
