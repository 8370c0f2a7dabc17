"""``openamr read URL OBIS[:ATTR]...``: attributes of several objects in one
association, registers with their scaler applied and their unit.

Classes come from the association's object list. The values and the scalers of
the registers (Register, Extended register: attribute 3; Demand register:
attribute 4; :mod:`openamr.cosem.scaling`) are read together, with GET-with-list
when the meter negotiated it.
An attribute the meter refuses is shown as refused; the command then exits 1.
"""

from __future__ import annotations

from enum import IntEnum

import click

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.results import DataAccessResult
from openamr.cli.advice import explain
from openamr.cli.names import attribute_name
from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import jsonable, scaled, table, text, write_csv, write_json
from openamr.cli.render import JsonValue
from openamr.client.errors import NOT_LISTED, MeterError, refusal_words
from openamr.client.meter import Meter
from openamr.client.values import scaler_of
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.types import Data
from openamr.codec.units import ScalerUnit
from openamr.cosem.classes.association_ln import AssociationStatus
from openamr.cosem.classes.disconnect_control import ControlState
from openamr.cosem.classes.image_transfer import ImageTransferStatus
from openamr.cosem.scaling import scaler_attribute, scaling

#: (class_id, attribute) of an enum -> its values' names (shown beside the number)
ENUMS: dict[tuple[int, int], type[IntEnum]] = {
    (15, 8): AssociationStatus,
    (18, 6): ImageTransferStatus,
    (70, 3): ControlState,
}


def parse_spec(spec: str) -> tuple[Obis, int]:
    """``"1.0.1.8.0.255"`` -> (OBIS, 2); ``"1.0.1.8.0.255:3"`` -> (OBIS, 3)."""
    name, attribute = spec, 2
    head, sep, tail = spec.rpartition(":")
    if sep and tail.isdigit() and "." in head:
        name, attribute = head, int(tail)
    try:
        return Obis.parse(name), attribute
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="OBIS") from None


@record
class Reading:
    """One attribute read: its value (scaled when the object has a scaler), or why not."""

    obis: Obis
    attribute: int
    class_id: int | None
    raw: Data = None
    scaler_unit: ScalerUnit | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        return attribute_name(self.class_id, self.attribute) if self.class_id else ""

    @property
    def unit(self) -> str:
        return self.scaler_unit.unit.symbol if self.scaler_unit else ""

    def number(self) -> bool:
        return isinstance(self.raw, int | float) and not isinstance(self.raw, bool)

    @property
    def text(self) -> str:
        if self.error is not None:
            return self.error
        if self.scaler_unit is not None and isinstance(self.raw, int) and self.number():
            return scaled(int(self.raw), self.scaler_unit.scaler)
        if self.scaler_unit is not None and self.number():
            return repr(float(self.scaler_unit.apply(self.raw)))  # type: ignore[arg-type]
        scaler = scaling(self.class_id or 0)
        if scaler and self.attribute == scaler.scaler_unit:
            scaler_unit = scaler_of(self.raw)
            return str(scaler_unit) if scaler_unit else text(self.raw)
        named = ENUMS.get((self.class_id or 0, self.attribute))
        if named is not None and isinstance(self.raw, int) and self.raw in named._value2member_map_:
            return f"{self.raw} ({named(self.raw).name.lower().replace('_', ' ')})"
        return text(self.raw)

    def to_json(self) -> dict[str, JsonValue]:
        value: JsonValue = jsonable(self.raw)
        if self.scaler_unit is not None and self.number():
            value = self.scaler_unit.apply(self.raw)  # type: ignore[arg-type]
        doc: dict[str, JsonValue] = {
            "obis": str(self.obis), "attribute": self.attribute, "name": self.name,
            "class_id": self.class_id, "value": value, "unit": self.unit or None,
        }  # fmt: skip
        if self.scaler_unit is not None:
            doc["scaler"], doc["raw"] = self.scaler_unit.scaler, jsonable(self.raw)
        if self.error is not None:
            doc["error"] = self.error
        return doc


def _refusal(result: DataAccessResult) -> str:
    return refusal_words(result)


async def read_attributes(meter: Meter, wanted: list[tuple[Obis, int]]) -> list[Reading]:
    """Read ``wanted`` (with the scalers they need) in as few requests as allowed."""
    classes = {o.logical_name: o.class_id for o in await meter.object_list()}
    descs: list[CosemAttributeDescriptor] = []
    for obis, attribute in wanted:
        if obis in classes:
            descs.append(CosemAttributeDescriptor(classes[obis], obis, attribute))
            scaler = scaler_attribute(classes[obis], attribute)
            if scaler is not None:
                descs.append(CosemAttributeDescriptor(classes[obis], obis, scaler))
    unique = list(dict.fromkeys(descs))
    results = dict(zip(unique, await meter.get_many(unique), strict=True)) if unique else {}
    return [_reading(obis, attribute, classes.get(obis), results) for obis, attribute in wanted]


def _reading(
    obis: Obis,
    attribute: int,
    class_id: int | None,
    results: dict[CosemAttributeDescriptor, Data | DataAccessResult],
) -> Reading:
    if class_id is None:
        return Reading(obis, attribute, None, error=NOT_LISTED)
    result = results[CosemAttributeDescriptor(class_id, obis, attribute)]
    if isinstance(result, DataAccessResult):
        return Reading(obis, attribute, class_id, error=_refusal(result))
    scaler = scaler_attribute(class_id, attribute)
    scaler_unit = None
    if scaler is not None:
        scaler_unit = scaler_of(results.get(CosemAttributeDescriptor(class_id, obis, scaler)))
    return Reading(obis, attribute, class_id, result, scaler_unit)


def show(readings: list[Reading], fmt: str) -> None:
    if fmt == "json":
        write_json([r.to_json() for r in readings])
    elif fmt == "csv":
        rows = [[str(r.obis), r.attribute, r.name, r.text, r.unit] for r in readings]
        write_csv(("obis", "attribute", "name", "value", "unit"), rows)
    else:
        cells = [[str(r.obis), f"{r.attribute} {r.name}", r.text, r.unit] for r in readings]
        table(None, ("OBIS", "attribute", "value", "unit"), cells)


def check(readings: list[Reading]) -> None:
    """Exit 1 (after the output) when an attribute could not be read."""
    failed = [r for r in readings if r.error is not None]
    if failed:
        first = failed[0]
        reason = explain(MeterError("", f"{first.obis}:{first.attribute}", first.error or ""))
        raise click.ClickException(
            f"{len(failed)} of {len(readings)} not read; {reason.removeprefix(': ')}"
        )


@click.command("read")
@meter_options
@click.argument("objects", nargs=-1, required=True, metavar="OBIS[:ATTR]...")
@format_option("json", "csv")
def read_command(url: MeterOptions, objects: tuple[str, ...], fmt: str) -> None:
    """Read attributes by OBIS: values scaled, with units.

    OBIS:ATTR names an attribute (default 2, the value), e.g.

    \b
      openamr read tcp://10.0.0.5:4059 1.0.1.8.0.255 0.0.1.0.0.255 1.0.1.8.0.255:3
    """
    wanted = [parse_spec(spec) for spec in objects]

    async def go() -> list[Reading]:
        async with url.connect() as meter:
            return await read_attributes(meter, wanted)

    readings = url.run(go)
    show(readings, fmt)
    check(readings)


__all__ = ["Reading", "parse_spec", "read_attributes", "read_command"]
