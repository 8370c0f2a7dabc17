"""The twin publishes instantaneous values with the scalers the device profile declares
(issue 9: ``Twin.publish`` multiplied by 10, 100 and 1000 whatever the declaration)."""

from __future__ import annotations

import pytest

from openamr.codec.types import DoubleLongUnsigned
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.classes.register import Register
from openamr.devices.mt372 import objects as mt372
from openamr.devices.mt372.objects import MT372
from openamr.devices.profile import DeviceProfile, ObjectDecl
from openamr.meter.application import ServerApplication
from openamr.meter.mt372 import build_mt372

#: Other scalers than the MT372's: 10 mV, mA (in a wider type), W in tens, power
#: factor in 1e-4, mHz (in a wider type).
FINER = {
    **{d.obis: ScalerUnit(-2, Unit.VOLT) for d in mt372.VOLTAGE},
    **{d.obis: ScalerUnit(-3, Unit.AMPERE) for d in mt372.CURRENT},
    mt372.POWER_IMPORT.obis: ScalerUnit(1, Unit.WATT),
    mt372.POWER_FACTOR.obis: ScalerUnit(-4, Unit.COUNT),
    mt372.FREQUENCY.obis: ScalerUnit(-3, Unit.HERTZ),
}
WIDER = {*(d.obis for d in mt372.CURRENT), mt372.FREQUENCY.obis}
INSTANTANEOUS = (*mt372.VOLTAGE, *mt372.CURRENT, mt372.POWER_IMPORT, mt372.POWER_FACTOR,
                 mt372.FREQUENCY)  # fmt: skip


def _rescaled(decl: ObjectDecl) -> ObjectDecl:
    if decl.obis not in FINER:
        return decl
    value = DoubleLongUnsigned(0) if decl.obis in WIDER else decl.value
    return decl._replace(unit=FINER[decl.obis], value=value)


def value(app: ServerApplication, decl: ObjectDecl) -> float:
    """The register's value in its unit: raw * 10**scaler."""
    register = app.device.find(decl.obis)
    assert isinstance(register, Register) and isinstance(register.value, int)
    return float(ScalerUnit.from_data(register.scaler_unit).apply(register.value))


@pytest.mark.parametrize("decl", INSTANTANEOUS, ids=lambda d: d.name)
def test_the_same_grid_reads_the_same_whatever_the_declared_scaler(decl: ObjectDecl) -> None:
    finer = DeviceProfile(MT372.model, MT372.offered, map(_rescaled, MT372.objects))
    usual, fine = build_mt372(history_days=1).app, build_mt372(history_days=1, profile=finer).app
    assert decl.unit is not None
    coarse_step = 10.0 ** max(decl.unit.scaler, FINER[decl.obis].scaler)
    assert value(fine, decl) == pytest.approx(value(usual, decl), abs=coarse_step)
    assert value(usual, decl) != 0 or decl in mt372.CURRENT
    fine_register, usual_register = fine.device.find(decl.obis), usual.device.find(decl.obis)
    assert isinstance(fine_register, Register) and isinstance(usual_register, Register)
    assert type(fine_register.value) is type(_rescaled(decl).value)  # the declared type
    if value(usual, decl) != 0:
        assert fine_register.value != usual_register.value  # the raw values differ


@pytest.mark.parametrize(
    "decl", [mt372.A_PLUS[0], mt372.CURRENT_DEMAND, mt372.MAXIMUM_DEMAND[2], mt372.P1],
    ids=lambda d: d.name,
)  # fmt: skip
def test_a_counted_register_declared_with_another_scaler_is_refused(decl: ObjectDecl) -> None:
    """Energy (Wh), demand (W) and volumes (litres) are counted, not scaled: a profile
    declaring them otherwise is refused at start instead of published wrong."""
    assert decl.unit is not None
    other = decl._replace(unit=ScalerUnit(decl.unit.scaler + 1, decl.unit.unit))
    profile = DeviceProfile(
        MT372.model, MT372.offered, (other if d.obis == decl.obis else d for d in MT372.objects)
    )
    with pytest.raises(ValueError, match="counts it in whole units"):
        build_mt372(profile=profile)
