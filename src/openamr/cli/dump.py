"""``openamr dump URL [-o FILE]``: everything this client may read, to JSON: every
object of the association's object list and every readable attribute, a template
of a real meter.

Each attribute carries its value as JSON (octet-strings in hex, date-times in ISO
8601) and, exactly, its A-XDR encoding in hex (``openamr decode`` shows it as a
tree); an attribute the meter refuses carries ``error`` instead::

    {"format": "openamr-dump/1", "meter": "tcp://...", "client": 32, "auth": "low",
     "read_at": "2026-...", "objects": [{"obis": "1.0.1.8.0.255", "class_id": 3,
       "class": "Register", "version": 0,
       "attributes": [{"index": 2, "name": "value", "access": "read_only",
                       "value": 40278, "axdr": "06 00 00 9d 56"}, ...],
       "methods": [{"index": 1, "name": "reset", "access": "no_access"}]}, ...]}
"""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path

import click

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.results import DataAccessResult
from openamr.cli.clock import system_now
from openamr.cli.names import attribute_name
from openamr.cli.objects import to_json
from openamr.cli.options import MeterOptions, meter_options
from openamr.cli.output import iso, jsonable, progress
from openamr.cli.render import JsonValue
from openamr.client.meter import Meter
from openamr.client.values import ObjectInfo
from openamr.codec import encode
from openamr.codec.types import Data
from openamr.errors import EncodeError

FORMAT = "openamr-dump/1"
BUFFER = (7, 2)  # Profile generic buffer


def readable(o: ObjectInfo, authenticated: bool, buffers: bool) -> list[int]:
    return [a.index for a in o.attributes if a.access.can_read(authenticated)
            and (buffers or (o.class_id, a.index) != BUFFER)]  # fmt: skip


def attribute_entry(
    o: ObjectInfo, index: int, result: Data | DataAccessResult
) -> dict[str, JsonValue]:
    entry: dict[str, JsonValue] = {"index": index, "name": attribute_name(o.class_id, index),
                                   "access": o.attribute_access(index).name.lower()}  # fmt: skip
    if isinstance(result, DataAccessResult):
        entry["error"] = result.name.lower()
        return entry
    entry["value"] = jsonable(result)
    with suppress(EncodeError):
        entry["axdr"] = encode(result).hex(" ")
    return entry


async def dump_object(meter: Meter, o: ObjectInfo, indexes: list[int]) -> dict[str, JsonValue]:
    doc = to_json(o)
    descs = [CosemAttributeDescriptor(o.class_id, o.logical_name, i) for i in indexes]
    results = await meter.get_many(descs) if descs else []
    read = {i: attribute_entry(o, i, r) for i, r in zip(indexes, results, strict=True)}
    attributes: list[JsonValue] = []
    for right in o.attributes:
        default: JsonValue = {"index": right.index, "name": attribute_name(o.class_id, right.index),
                              "access": right.access.name.lower()}  # fmt: skip
        attributes.append(read.get(right.index, default))
    doc["attributes"] = attributes
    return doc


async def dump(meter: Meter, options: MeterOptions, buffers: bool) -> dict[str, JsonValue]:
    objects = await meter.object_list()
    dumped: list[JsonValue] = []
    with progress("reading objects") as update:
        update(0, len(objects))
        for n, o in enumerate(objects, 1):
            dumped.append(await dump_object(meter, o, readable(o, options.authenticated, buffers)))
            update(n, len(objects))
    return {
        "format": FORMAT, "meter": str(options.url), "client": options.client,
        "auth": options.auth, "read_at": iso(system_now()), "objects": dumped,
    }  # fmt: skip


def counts(doc: dict[str, JsonValue]) -> tuple[int, int, int]:
    """(objects, attributes read, attributes refused)."""
    objects = doc["objects"]
    assert isinstance(objects, list)
    entries = [a for o in objects if isinstance(o, dict) and isinstance(o["attributes"], list)
               for a in o["attributes"] if isinstance(a, dict)]  # fmt: skip
    return len(objects), sum("value" in a for a in entries), sum("error" in a for a in entries)


@click.command("dump")
@meter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON to FILE (default: standard output).")  # fmt: skip
@click.option("--no-buffers", is_flag=True, help="Skip the profiles' buffers (faster).")
def dump_command(url: MeterOptions, output: Path | None, no_buffers: bool) -> None:
    """Read every readable attribute of every object to JSON.

    \b
      openamr dump tcp://10.0.0.5:4059 --password 12345678 -o meter.json
    """

    async def go() -> dict[str, JsonValue]:
        async with url.connect() as meter:
            return await dump(meter, url, not no_buffers)

    doc = url.run(go)
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror}") from None
    objects, read, refused = counts(doc)
    click.echo(f"{objects} objects, {read} attributes read, {refused} refused: {output}", err=True)
