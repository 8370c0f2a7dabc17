"""Importing the commissioning file (JSON and CSV, by the agreed text) and a plain CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr.headend.commissioning import CommissioningError, read_inventory_file
from openamr.headend.inventory import import_file
from openamr.headend.store import Store
from openamr.headend.vault import Kek, MeterSecrets, VaultError, load_kek
from tests.headend.commissioning_files import entry, write_csv, write_json

KEK_BYTES = bytes.fromhex("0f0e0d0c0b0a09080706050403020100")
EK, AK = bytes(range(16)), bytes(range(16, 32))


def rows() -> list[dict[str, object]]:
    return [entry(KEK_BYTES, "10000001", "tcp://127.0.0.1:4059", EK, AK),
            entry(KEK_BYTES, "10000002", "hdlc+tcp://127.0.0.1:5000?physical=17", AK, EK,
                  b"secret-2", cell=4, auth="low", client=32)]  # fmt: skip


@pytest.mark.parametrize("writer", [write_json, write_csv], ids=["json", "csv"])
def test_reads_the_agreed_format(tmp_path: Path, writer: object) -> None:
    path = writer(tmp_path / "fleet.x", KEK_BYTES, rows())  # type: ignore[operator]
    first, second = read_inventory_file(path, Kek(KEK_BYTES))
    assert (first.serial, first.url, first.client, first.auth, first.cell) == (
        "10000001", "tcp://127.0.0.1:4059", 1, "high", 3)  # fmt: skip
    assert first.secrets == MeterSecrets(b"12345678", EK, AK)
    assert (first.group, first.logical_device_name, first.system_title) == (
        "feeder-03", "ISK1030010000001", "49534b0000bc614e")  # fmt: skip
    assert (first.msisdn, first.iccid, first.imsi, first.firmware) == (
        "+38640000001", "8938600000000000001", "293400000000001", "MT372-1004")  # fmt: skip
    assert (second.client, second.auth, second.cell) == (32, "low", 4)
    assert second.secrets == MeterSecrets(b"secret-2", AK, EK)


@pytest.mark.parametrize("writer", [write_json, write_csv], ids=["json", "csv"])
async def test_wrong_kek_refused_before_anything_stored(
    tmp_path: Path, writer: object, sqlite_store: Store
) -> None:
    path = writer(tmp_path / "fleet.x", KEK_BYTES, rows())  # type: ignore[operator]
    wrong = Kek(bytes(16))
    with pytest.raises(CommissioningError, match=f"but the KEK given is {wrong.kek_id}"):
        await import_file(sqlite_store, path, wrong, now=1)
    with pytest.raises(CommissioningError, match="pass --kek-file"):
        await import_file(sqlite_store, path, None, now=1)
    assert await sqlite_store.count("meters") == 0


async def test_import_then_reimport_updates(tmp_path: Path, sqlite_store: Store) -> None:
    path = write_json(tmp_path / "fleet.json", KEK_BYTES, rows())
    kek = Kek(KEK_BYTES)
    report = await import_file(sqlite_store, path, kek, now=1)
    assert (report.added, report.updated) == (2, 0)
    report = await import_file(sqlite_store, path, kek, now=2)
    assert (report.added, report.updated) == (0, 2)
    (m,) = await sqlite_store.meters(serial="10000002")
    assert m.id is not None
    assert await sqlite_store.secrets_of(m.id, kek) == MeterSecrets(b"secret-2", AK, EK)


def test_a_wrapped_secret_that_does_not_unwrap(tmp_path: Path) -> None:
    bad = rows()
    bad[1]["ek"] = "00" * 24
    path = write_json(tmp_path / "fleet.json", KEK_BYTES, bad)
    with pytest.raises(CommissioningError, match=r"meter 2: ek: does not unwrap"):
        read_inventory_file(path, Kek(KEK_BYTES))


def test_plain_csv(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text(
        "serial,url,client,auth,password,ek,ak,cell,group,tariff_group\n"
        f"20000001,tcp://127.0.0.1:4059,1,high,,{EK.hex()},{AK.hex()},9,north,T2\n"
        "20000002,tcp://127.0.0.1:4060,32,low,pw,,,,north,\n"
    )
    one, two = read_inventory_file(path, None)
    assert one.secrets == MeterSecrets(None, EK, AK) and one.tariff_group == "T2"
    assert two.secrets == MeterSecrets(b"pw") and two.cell is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("serial,addr\n1,x\n", "unknown: addr"),
        ("serial,url,ek\n1,tcp://h:1,zz\n", "line 2: ek must be hex"),
        ("serial,url\n1,nowhere\n", "line 2: url 'nowhere'"),
        ("serial,url,auth\n1,tcp://h:1,gmac\n", "line 2: auth 'gmac'"),
        ('{"format": "other"}', "not an openamr-commissioning/1 file"),
        ("# openamr-commissioning/2 kek_id=1\n", "line 1 must be"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "f"
    path.write_text(text)
    with pytest.raises(CommissioningError, match=message):
        read_inventory_file(path, Kek(KEK_BYTES))


def test_kek_sources(tmp_path: Path) -> None:
    f = tmp_path / "kek.hex"
    f.write_text(KEK_BYTES.hex() + "\n")
    assert load_kek(f, {}).kek_id == Kek(KEK_BYTES).kek_id
    assert load_kek(None, {"OPENAMR_KEK": KEK_BYTES.hex()}).kek_id == Kek(KEK_BYTES).kek_id
    assert KEK_BYTES.hex() not in repr(load_kek(f, {}))
    with pytest.raises(VaultError, match="pass --kek-file"):
        load_kek(None, {})
    with pytest.raises(VaultError, match="16 or 32"):
        load_kek(None, {"OPENAMR_KEK": "0011"})
    with pytest.raises(VaultError, match="not hex"):
        load_kek(None, {"OPENAMR_KEK": "xyz"})


@pytest.mark.parametrize("encoding", ["json", "csv"])
async def test_imports_what_the_fleet_exports(
    tmp_path: Path, encoding: str, sqlite_store: Store
) -> None:
    """The fleet's writer (openamr.fleet.commissioning) against this reader."""
    from openamr.fleet import commissioning
    from openamr.fleet.config import FleetConfig

    config = FleetConfig(serials=("10000001", "10000002", "10000003"))
    kek = bytes(range(32))
    text = (commissioning.to_json if encoding == "json" else commissioning.to_csv)(config, kek)
    path = tmp_path / f"fleet.{encoding}"
    path.write_text(text)
    written = list(commissioning.records(config, kek))
    report = await import_file(sqlite_store, path, Kek(kek), now=1)
    assert (report.added, report.updated) == (3, 0)
    for record in written:
        (m,) = await sqlite_store.meters(serial=str(record["serial"]))
        assert (m.url, m.client, m.auth, m.cell, m.group) == (
            record["url"], int(record["client"]), record["auth"], int(record["cell"]),
            record["group"])  # fmt: skip
        assert m.id is not None
        got = await sqlite_store.secrets_of(m.id, Kek(kek))
        assert got.ek == Kek(kek).unwrap(str(record["ek"]), "ek") and got.ek is not None
    with pytest.raises(CommissioningError, match="but the KEK given is"):
        read_inventory_file(path, Kek(bytes(32)))


@pytest.mark.parametrize(
    ("later", "ok"),
    [
        ((), True),
        (("mk",), True),
        (("mk", "path"), True),
        (("tariff_group",), False),
        (("mk", "mk"), False),
    ],
)
def test_a_commissioning_csv_header_may_add_mk_after_the_fields(
    tmp_path: Path, later: tuple[str, ...], ok: bool
) -> None:
    """An older file (no ``mk``) and the fleet's (``mk`` last) are read; other columns not."""
    from tests.headend.commissioning_files import FIELDS, wrap

    path = write_csv(tmp_path / "f.csv", KEK_BYTES, rows())
    head, header, *body = path.read_text().splitlines()
    assert header == ",".join(FIELDS)
    mk = bytes(range(50, 66))
    extra = {"mk": wrap(KEK_BYTES, mk), "path": "tcp", "tariff_group": "T1"}
    lines = [head, ",".join((*FIELDS, *later))]
    lines += [",".join((row, *(extra[f] for f in later))) for row in body]
    path.write_text("\n".join(lines) + "\n")
    if not ok:
        with pytest.raises(CommissioningError, match="line 2 must be the header"):
            read_inventory_file(path, Kek(KEK_BYTES))
        return
    first, _ = read_inventory_file(path, Kek(KEK_BYTES))
    assert (first.secrets.ek, first.secrets.mk) == (EK, mk if "mk" in later else None)
