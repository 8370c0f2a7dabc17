"""The fleet's commissioning file carries each meter's path and MSISDN, and the
head-end's import sets them (issue 16; docs/commissioning.md): the round trip, in
both encodings, over a fleet with meters on all three paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr.fleet import commissioning
from openamr.fleet.config import FleetConfig, Network
from openamr.fleet.identity import identity
from openamr.headend.inventory import import_file
from openamr.headend.store import Store
from openamr.headend.vault import Kek

KEK = bytes(range(32))


@pytest.mark.parametrize("encoding", ["json", "csv"])
async def test_each_meters_path_and_number_survive_the_round_trip(
    tmp_path: Path, encoding: str, sqlite_store: Store
) -> None:
    config = FleetConfig(serials=tuple(str(10000001 + i) for i in range(30)),
                         network=Network(csd=0.3, wakeup=0.3))  # fmt: skip
    expected = {identity(config, i).serial: identity(config, i) for i in range(config.size)}
    assert {m.reach for m in expected.values()} == {"tcp", "csd", "wakeup"}
    text = (commissioning.to_json if encoding == "json" else commissioning.to_csv)(config, KEK)
    path = tmp_path / f"fleet.{encoding}"
    path.write_text(text)
    report = await import_file(sqlite_store, path, Kek(KEK), now=1)
    assert report.added == 30
    for m in await sqlite_store.meters():
        want = expected[m.serial]
        assert (m.path, m.msisdn) == (want.reach, want.msisdn)


async def test_a_file_without_paths_still_imports_as_tcp(
    tmp_path: Path, sqlite_store: Store
) -> None:
    config = FleetConfig(serials=("10000001", "10000002"), network=Network(csd=1.0))
    lines = commissioning.to_csv(config, KEK).split("\n")
    old = [lines[0]] + [line.rpartition(",")[0] for line in lines[1:] if line]  # no path column
    assert old[1].endswith(",mk")
    path = tmp_path / "old.csv"
    path.write_text("\n".join(old) + "\n")
    await import_file(sqlite_store, path, Kek(KEK), now=1)
    assert {m.path for m in await sqlite_store.meters()} == {"tcp"}
