"""Every typed call of the client against the MT372 twin over real loopback
sockets, on the wrapper and on HDLC, for the three associations."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.initiate import Conformance
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.client.errors import MeterError, RefusedError
from openamr.client.meter import connect
from openamr.codec import OctetString, VisibleString
from openamr.codec.obis import Obis
from openamr.codec.types import Integer
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.access import AttributeAccess, MethodAccess
from openamr.cosem.classes.disconnect_control import ControlState
from openamr.meter.mt372 import EPOCH

from .conftest import CLIENTS, Twin

ALL = list(CLIENTS)
A_PLUS = "1.0.1.8.0.255"


@pytest.mark.parametrize("who", ALL)
async def test_get_and_get_many(twin: Twin, link: str, who: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        serial = await meter.get("0.0.96.1.0.255")
        name = await meter.get("0.0.42.0.0.255", class_id=1)
        many = await meter.get_many([("0.0.96.1.0.255", 2), A_PLUS, (A_PLUS, 3)])
        assert meter.supports(Conformance.MULTIPLE_REFERENCES)
    assert serial == VisibleString("12345678")
    assert name == OctetString(b"ISK0000012345678")
    a_plus = twin.app.device.find(Obis.parse(A_PLUS))
    assert many[0] == serial and many[1] == a_plus.value  # type: ignore[union-attr]
    assert many[2] == (Integer(0), 30)  # Wh


@pytest.mark.parametrize("who", ALL)
async def test_register_applies_scaler_and_unit(twin: Twin, link: str, who: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        energy = await meter.register(A_PLUS)
        if who != "public":
            volts = await meter.register("1.0.32.7.0.255")
            held: Any = twin.app.device.find(Obis.parse("1.0.32.7.0.255"))
            assert volts.raw == held.value and volts.unit is Unit.VOLT
            assert volts.value == pytest.approx(held.value / 10)  # scaler -1
            assert str(volts).endswith(" V")
    assert energy.unit is Unit.WATT_HOUR and energy.value == energy.raw and energy.value > 0


@pytest.mark.parametrize("who", ALL)
async def test_object_list_with_rights(twin: Twin, link: str, who: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        objects = {o.logical_name: o for o in await meter.object_list()}
    clock = objects[Obis.parse("0.0.1.0.0.255")]
    assert (clock.class_id, clock.version) == (8, 0)
    expected = {
        "public": AttributeAccess.READ_ONLY,
        "lls": AttributeAccess.READ_AND_WRITE,
        "hls": AttributeAccess.AUTHENTICATED_READ_AND_WRITE,
    }
    assert clock.attribute_access(2) is expected[who]
    assert clock.attribute_access(1) is AttributeAccess.READ_ONLY
    if who == "public":
        assert Obis.parse("1.0.99.1.0.255") not in objects
        assert len(objects) < 12
    else:
        relay = objects[Obis.parse("0.0.96.3.10.255")]
        method = MethodAccess.AUTHENTICATED_ACCESS if who == "hls" else MethodAccess.NO_ACCESS
        assert relay.class_id == 70 and relay.method_access(1) is method


@pytest.mark.parametrize("who", ALL)
async def test_clock_read(twin: Twin, link: str, who: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        now = await meter.clock()
    assert now == EPOCH and now.utcoffset() is not None


@pytest.mark.parametrize("who", ["lls", "hls"])
async def test_set_clock_and_sync(twin: Twin, link: str, who: str) -> None:
    target = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        await meter.set_clock(target)
        assert await meter.clock() == target
        near = await meter.sync_clock(target + dt.timedelta(seconds=5))
        assert near.offset == dt.timedelta(seconds=-5) and not near.adjusted
        later = target + dt.timedelta(minutes=3)
        far = await meter.sync_clock(later)
        assert far.offset == dt.timedelta(minutes=-3) and far.adjusted
        assert await meter.clock() == later


async def test_public_cannot_set_the_clock(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["public"]) as meter:
        with pytest.raises(RefusedError, match=r"set 8/0\.0\.1\.0\.0\.255/2: refused") as e:
            await meter.set_clock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
        assert e.value.result is DataAccessResult.READ_WRITE_DENIED
        assert e.value.meter == f"meter {twin.url(link)}"
        assert await meter.clock() == EPOCH  # the association survives a refusal


@pytest.mark.parametrize("who", ["lls", "hls"])
async def test_set_a_writable_attribute(twin: Twin, link: str, who: str) -> None:
    # the active tariff is an Unsigned Data object; the calendar class 20 is writable
    # for the LLS reader, everything for the management client
    calendar = CosemAttributeDescriptor(20, Obis.parse("0.0.13.0.0.255"), 2)
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        await meter.set(calendar, OctetString(b"SUMMER"))
        assert await meter.get(calendar) == OctetString(b"SUMMER")


async def test_relay_for_the_management_client(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        assert (await meter.relay_state()).output_state is True
        off = await meter.disconnect_relay()
        assert off.output_state is False and off.control_state is ControlState.DISCONNECTED
        again = await meter.disconnect_relay()  # satisfied: succeeds, changes nothing
        assert again == off
        ready = await meter.connect_relay()  # control mode 1: ready for reconnection
        assert ready.control_mode == 1
        assert ready.control_state is ControlState.READY_FOR_RECONNECTION
        assert ready.output_state is False


async def test_relay_methods_refused_to_the_reader(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["lls"]) as meter:
        state = await meter.relay_state()
        with pytest.raises(RefusedError, match=r"action 70/0\.0\.96\.3\.10\.255/1: refused") as e:
            await meter.disconnect_relay()
        assert e.value.result is ActionResult.READ_WRITE_DENIED
        assert await meter.relay_state() == state


async def test_generic_action(twin: Twin, link: str) -> None:
    """Profile generic method 1 (reset) empties the log-book; the return is None."""
    log = twin.app.device.find(Obis.parse("1.0.99.98.0.255"))
    before = len(log.rows)  # type: ignore[union-attr]
    log.append_row((bytes(12), 0x0010))  # type: ignore[union-attr]
    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        assert len(await meter.events()) == before + 1
        assert await meter.action("1.0.99.98.0.255", 1) is None
        assert await meter.events() == []


@pytest.mark.parametrize("who", ["lls", "hls"])
async def test_events_with_names(twin: Twin, link: str, who: str) -> None:
    log: Any = twin.app.device.find(Obis.parse("1.0.99.98.0.255"))
    stamp = twin.app.device.find(Obis.parse("0.0.1.0.0.255")).stamp()  # type: ignore[union-attr]
    log.append_row((stamp, 0x0080))
    log.append_row((stamp, 0x8010))
    log.append_row((stamp, 0x0030))
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        events = (await meter.events())[-3:]
    assert [e.name for e in events] == [
        "power failure", "meter cover opened", "billing reset, device clock changed"
    ]  # fmt: skip
    assert {e.time for e in events} == {EPOCH}


@pytest.mark.parametrize("who", ["lls", "hls"])
async def test_whole_profile_with_progress(twin: Twin, link: str, who: str) -> None:
    blocks: list[int] = []
    async with connect(twin.url(link), timeout=3, max_pdu_size=512, **CLIENTS[who]) as meter:
        lp = await meter.profile("1.0.99.1.0.255", progress=blocks.append)
    lp1: Any = twin.app.device.find(Obis.parse("1.0.99.1.0.255"))
    assert lp.rows == lp1.rows and len(lp.rows) == 192
    assert [c.logical_name for c in lp.columns][2] == Obis.parse(A_PLUS)
    assert blocks == list(range(1, len(blocks) + 1)) and len(blocks) >= 10  # 512-octet blocks
    assert lp.timestamps()[-1] == EPOCH


async def test_public_has_no_profile(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["public"]) as meter:
        with pytest.raises(RefusedError, match=re.escape("get 7/1.0.99.1.0.255/3")) as e:
            await meter.profile("1.0.99.1.0.255")
    assert e.value.result is not DataAccessResult.SUCCESS


async def test_trace_sees_every_apdu(twin: Twin, link: str) -> None:
    seen: list[tuple[str, bytes]] = []
    async with connect(twin.url(link), timeout=3, trace=lambda d, b: seen.append((d, b)),
                       **CLIENTS["public"]) as meter:  # fmt: skip
        await meter.get("0.0.96.1.0.255", class_id=1)
    assert [d for d, _ in seen] == ["tx", "rx"] * 3  # AARQ, GET, RLRQ
    assert seen[0][1][0] == 0x60 and seen[-1][1][0] == 0x63 and seen[2][1][0] == 0xC0


async def test_hls_reads_the_invocation_counter_first(twin: Twin, link: str) -> None:
    twin.app.outgoing.next()  # the server's counter has moved on
    before = twin.app.outgoing.value
    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        assert meter.server_invocation_counter == before
        assert meter.invocation_counter > before + 1  # started above it, then used
        await meter.get("0.0.96.1.0.255", class_id=1)
        assert (
            await meter.get(A_PLUS, class_id=3)
            == twin.app.device.find(  # type: ignore[union-attr]
                Obis.parse(A_PLUS)
            ).value
        )
    # a client that starts low without reading it is refused: the meter remembers the
    # last counter it accepted from this client under this key (issue 11, item 1)
    with pytest.raises(MeterError, match="association refused"):
        async with connect(twin.url(link), timeout=3, read_invocation_counter=False,
                           retries=0, **CLIENTS["hls"]):  # fmt: skip
            pass


async def test_counter_persisted_by_the_caller(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, invocation_counter=1000,
                       read_invocation_counter=False, **CLIENTS["hls"]) as meter:  # fmt: skip
        await meter.get("0.0.96.1.0.255", class_id=1)
        assert meter.invocation_counter >= 1002


async def test_connect_picks_the_client_the_cli_picks(twin: Twin, link: str) -> None:
    """auth="low" without client= is the reader (32), keys alone mean HLS client 1."""
    url = twin.url(link)
    async with connect(url, auth="low", password="12345678", environ={}, timeout=3) as meter:
        assert meter.client == 32
        assert (await meter.register("1.0.32.7.0.255")).unit is Unit.VOLT
    async with connect(url, keys=CLIENTS["hls"]["keys"], environ={}, timeout=3) as meter:
        assert meter.client == 1 and meter.negotiated is not None
    async with connect(url, environ={"OPENAMR_PASSWORD": "12345678"}, timeout=3) as meter:
        assert meter.client == 32


async def test_register_without_a_class_reads_no_object_list(twin: Twin, link: str) -> None:
    """The class is learned by asking (a few bytes), once per association; the
    object list (about 5 kB for client 32) is not read."""
    seen: list[tuple[str, int]] = []
    trace = lambda direction, apdu: seen.append((direction, len(apdu)))  # noqa: E731
    async with connect(twin.url(link), timeout=3, trace=trace, **CLIENTS["lls"]) as meter:
        seen.clear()
        voltage = await meter.register("1.0.32.7.0.255")
        first = sum(n for d, n in seen if d == "rx")
        for obis, cid in (("1.0.1.6.0.255", 4), ("1.0.1.4.0.255", 5), ("1.0.1.5.0.255", 3)):
            value = await meter.register(obis)
            assert value.logical_name == Obis.parse(obis) and meter.known_class(obis) == cid
        seen.clear()
        await meter.register("1.0.1.6.0.255")
        again = [d for d, _ in seen]
        with pytest.raises(MeterError, match="class 1 is not a register"):
            await meter.register("0.0.96.1.0.255")
    assert voltage.unit is Unit.VOLT
    assert first < 100, first
    assert again == ["tx", "rx"]  # known: one GET-with-list


@pytest.mark.parametrize("who", ["lls", "hls"])
async def test_a_demand_register_is_scaled_by_its_attribute_4(
    twin: Twin, link: str, who: str
) -> None:
    """Demand register (class 5) keeps scaler_unit in attribute 4 (Blue Book 4.3.4);
    attribute 3 is the last average value (issue 9: the client read attribute 3)."""
    demand: Any = twin.app.device.find(Obis.parse("1.0.1.4.0.255"))
    demand.scaler_unit = ScalerUnit(-1, Unit.WATT).to_data()  # 0.1 W, unlike attribute 3
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        average = await meter.register("1.0.1.4.0.255")
    assert average.unit is Unit.WATT and average.scaler_unit.scaler == -1
    assert average.raw == demand.current_average_value
    assert average.value == pytest.approx(demand.current_average_value / 10)
