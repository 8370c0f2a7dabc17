"""``openamr objects URL``: the association's object list (Association LN
attribute 2, Blue Book 4.4.3): each object's class and version, OBIS code, and
the access this client has to each attribute and method, and the object's name
where the MT372's device profile declares it.

Access in the table: ``r``, ``w``, ``rw``, ``x`` (method), ``auth`` when the
request must be authenticated (ciphered), ``-`` none.
"""

from __future__ import annotations

import click

from openamr.cli.names import (
    ATTRIBUTE_ACCESS,
    METHOD_ACCESS,
    attribute_name,
    class_name,
    method_name,
)
from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import table, write_csv, write_json
from openamr.cli.render import JsonValue
from openamr.client.values import ObjectInfo


def _attributes(o: ObjectInfo) -> list[tuple[int, str, str]]:
    return [(a.index, attribute_name(o.class_id, a.index), ATTRIBUTE_ACCESS[a.access])
            for a in o.attributes]  # fmt: skip


def _methods(o: ObjectInfo) -> list[tuple[int, str, str]]:
    return [(m.index, method_name(o.class_id, m.index), METHOD_ACCESS[m.access])
            for m in o.methods]  # fmt: skip


def to_json(o: ObjectInfo) -> dict[str, JsonValue]:
    attributes: list[JsonValue] = [
        {"index": a.index, "name": attribute_name(o.class_id, a.index),
         "access": a.access.name.lower(), "selectors": list(a.selectors)}
        for a in o.attributes
    ]  # fmt: skip
    methods: list[JsonValue] = [
        {
            "index": m.index,
            "name": method_name(o.class_id, m.index),
            "access": m.access.name.lower(),
        }
        for m in o.methods
    ]
    return {
        "obis": str(o.logical_name), "name": o.name or None,
        "class_id": o.class_id, "class": class_name(o.class_id),
        "version": o.version, "attributes": attributes, "methods": methods,
    }  # fmt: skip


def _titled(o: ObjectInfo) -> str:
    """The OBIS code, and the object's name below it when the device declares one."""
    return f"{o.logical_name}\n{o.name}" if o.name else str(o.logical_name)


def _cell(items: list[tuple[int, str, str]], separator: str = ", ") -> str:
    return separator.join(f"{i} {name} {access}" for i, name, access in items)


def show(objects: list[ObjectInfo], fmt: str) -> None:
    if fmt == "json":
        write_json([to_json(o) for o in objects])
        return
    if fmt == "csv":
        rows = [[str(o.logical_name), o.class_id, class_name(o.class_id), o.version,
                 _cell(_attributes(o)), _cell(_methods(o)), o.name]
                for o in objects]  # fmt: skip
        header = ("obis", "class_id", "class", "version", "attributes", "methods", "name")
        write_csv(header, rows)
        return
    rows_text = [
        [_titled(o), f"{class_name(o.class_id)} ({o.class_id}) v{o.version}",
         _cell(_attributes(o), "\n"), _cell(_methods(o), "\n")]
        for o in objects
    ]  # fmt: skip
    table(f"{len(objects)} objects", ("OBIS", "class", "attributes", "methods"), rows_text)


@click.command("objects")
@meter_options
@format_option("json", "csv")
def objects_command(url: MeterOptions, fmt: str) -> None:
    """List the objects this client sees: classes, access rights."""

    async def go() -> list[ObjectInfo]:
        async with url.connect() as meter:
            return await meter.object_list()

    show(url.run(go), fmt)
