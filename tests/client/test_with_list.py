"""Get-Request-With-List (Green Book 9.3.4): up to 32 attributes a request, and a
meter that refuses a list is read one attribute a request, with the same results."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.results import DataAccessResult
from openamr.client.meter import LIST_CHUNK, connect
from openamr.codec.obis import Obis
from tests.client.conftest import CLIENTS, Twin
from tests.client.list_refusing import REFUSALS, ListRefusingProxy

#: 29 attributes, one of them not on the meter (a refusal in the list, not of it)
REGISTERS = [Obis.parse(f"1.0.{c}.8.{t}.255") for c in (1, 2) for t in range(5)]
WANTED = [
    CosemAttributeDescriptor(8, Obis.parse("0.0.1.0.0.255"), 3),
    *(CosemAttributeDescriptor(3, o, a) for o in REGISTERS for a in (2, 3)),
    CosemAttributeDescriptor(3, Obis.parse("1.0.1.8.9.255"), 2),
    CosemAttributeDescriptor(7, Obis.parse("1.0.99.1.0.255"), 4),
    CosemAttributeDescriptor(7, Obis.parse("1.0.99.1.0.255"), 3),
    *(CosemAttributeDescriptor(1, Obis.parse("0.0.96.1.0.255"), 2) for _ in range(5)),
]


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def read(url: str, trace: list[bytes] | None = None) -> tuple[list[object], bool]:
    def sent(direction: str, apdu: bytes) -> None:
        if trace is not None and direction == "tx":
            trace.append(apdu)

    async with connect(url, timeout=5, trace=sent, **CLIENTS["lls"]) as meter:
        return list(await meter.get_many(WANTED)), meter.with_list


@pytest.fixture(params=sorted(REFUSALS))
async def refusing(request: pytest.FixtureRequest, twin: Twin) -> AsyncIterator[ListRefusingProxy]:
    proxy = ListRefusingProxy(("127.0.0.1", port_of(twin.url("wrapper"))), 4, request.param)
    await proxy.start()
    yield proxy
    await proxy.close()


async def test_up_to_32_attributes_go_in_one_request(twin: Twin) -> None:
    assert len(WANTED) == 29 <= LIST_CHUNK == 32
    sent: list[bytes] = []
    results, with_list = await read(twin.url("wrapper"), sent)
    gets = [a for a in sent if a[0] == 0xC0]
    assert [a[:2] for a in gets] == [b"\xc0\x03"] and gets[0][3] == 29 and with_list
    assert results[21] is DataAccessResult.OBJECT_UNDEFINED  # refused alone, in the list
    assert sum(isinstance(r, DataAccessResult) for r in results) == 1


async def test_a_meter_that_refuses_the_list_is_read_one_attribute_a_request(
    twin: Twin, refusing: ListRefusingProxy
) -> None:
    direct, _ = await read(twin.url("wrapper"))
    assert refusing.server is not None
    sent: list[bytes] = []
    results, with_list = await read(f"tcp://127.0.0.1:{refusing.server.sockets[0].getsockname()[1]}",
                                    sent)  # fmt: skip
    assert results == direct  # the same values, refusals and all
    assert refusing.refused == 1 and not with_list  # refused once, then not asked again
    assert sum(a[:2] == b"\xc0\x01" for a in sent) == len(WANTED)  # Get-Request-Normal each
