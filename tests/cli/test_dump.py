"""``openamr dump``: every readable attribute of every object, to JSON whose
A-XDR hex decodes back to the values."""

from __future__ import annotations

import json
from pathlib import Path

from openamr.cli.output import jsonable
from openamr.codec import decode
from tests.cli.conftest import LLS, Twin, invoke


def test_dump_to_file(twin: Twin, tmp_path: Path) -> None:
    out = tmp_path / "mt372.json"
    result = invoke(["dump", twin.url, *LLS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["format"] == "openamr-dump/1"
    assert document["client"] == 32 and document["auth"] == "low"
    objects = {o["obis"]: o for o in document["objects"]}
    listed = json.loads(invoke(["objects", twin.url, *LLS, "--json"]).stdout)
    assert list(objects) == [o["obis"] for o in listed]
    read = refused = 0
    for obj in document["objects"]:
        for attribute in obj["attributes"]:
            if "axdr" in attribute:
                value = decode(bytes.fromhex(attribute["axdr"]))
                assert jsonable(value) == attribute["value"], (obj["obis"], attribute["index"])
                read += 1
            refused += "error" in attribute
    assert f"{len(objects)} objects, {read} attributes read, {refused} refused" in result.stderr
    assert read > 250
    secret = next(a for a in objects["0.0.40.0.2.255"]["attributes"] if a["index"] == 7)
    # the LLS secret is never read out, and advertised so (the reader may not write it)
    assert secret["access"] == "no_access" and "value" not in secret
    energy = next(a for a in objects["1.0.1.8.0.255"]["attributes"] if a["index"] == 2)
    reading = json.loads(invoke(["read", twin.url, *LLS, "1.0.1.8.0.255", "--json"]).stdout)
    assert energy["value"] == reading[0]["raw"]
    buffer = next(a for a in objects["1.0.99.1.0.255"]["attributes"] if a["index"] == 2)
    assert len(buffer["value"]) > 100


def test_dump_public_to_stdout(twin: Twin) -> None:
    result = invoke(["dump", twin.url])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["objects"]) == 8
    for obj in document["objects"]:
        for a in obj["attributes"]:
            assert "value" in a or a["name"] == "secret", (obj["obis"], a)


def test_dump_without_buffers(twin: Twin) -> None:
    result = invoke(["dump", twin.url, *LLS, "--no-buffers"])
    assert result.exit_code == 0, result.output
    objects = {o["obis"]: o for o in json.loads(result.stdout)["objects"]}
    profile = {a["index"]: a for a in objects["1.0.99.1.0.255"]["attributes"]}
    assert "value" not in profile[2] and "error" not in profile[2]
    assert "value" in profile[3]  # the capture objects are still read


def test_dump_cannot_write(twin: Twin, tmp_path: Path) -> None:
    result = invoke(["dump", twin.url, "-o", str(tmp_path / "no" / "such" / "dir.json")])
    assert result.exit_code == 1 and "cannot write" in result.output
