"""The twin's own answers about its associations, over real associations in memory
(ClientAssociation against the twin's ServerAssociation): Association LN status and
xDLMS context while associated (Blue Book 4.4.3 attributes 5 and 8), and an object
list that advertises exactly what GET, SET and ACTION enforce, for every attribute
and method of every object in every association the twin offers."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest

from openamr.apdu.initiate import Conformance
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.association.client import Associated, ClientAssociation, ClientSettings
from openamr.association.client import attribute as attr
from openamr.association.client import method as meth
from openamr.association.server_association import ServerAssociation
from openamr.codec.obis import Obis
from openamr.codec.types import BitString, Data, Tag
from openamr.cosem.access import AttributeAccess, MethodAccess
from openamr.meter.assembly import TwinMeter
from openamr.meter.associations import Credentials
from openamr.meter.mt372 import build_mt372
from openamr.security.keys import SecurityContext

CURRENT = "0.0.40.0.0.255"
CLIENT_TITLE = bytes.fromhex("4D4D4D0000000001")


def counting() -> Callable[[int], bytes]:
    c = itertools.count(1)
    return lambda n: bytes((next(c) * 31 + i) % 256 for i in range(n))


def settings_for(meter: TwinMeter, sap: int) -> ClientSettings:
    """What a client needs for the association the twin offers to ``sap``."""
    config, credentials = meter.app.configs[sap], Credentials()
    if config.mechanism is MechanismName.HLS_GMAC:
        return ClientSettings(
            context=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
            mechanism=MechanismName.HLS_GMAC,
            security=SecurityContext(credentials.keys, CLIENT_TITLE),
            max_receive_pdu_size=0x0800,
        )
    if config.mechanism is MechanismName.LLS:
        return ClientSettings(mechanism=MechanismName.LLS, password=credentials.password)
    return ClientSettings(max_receive_pdu_size=0x0800)


@dataclass
class Link:
    client: ClientAssociation
    server: ServerAssociation

    def __call__(self, data: bytes) -> bytes:
        answer = self.server.receive(data)
        assert answer is not None
        return answer

    def get(self, class_id: int, name: str | Obis, index: int) -> Data | DataAccessResult:
        return self.client.get(attr(class_id, name, index)).run(self)

    def set(self, class_id: int, name: str | Obis, index: int, value: Data) -> DataAccessResult:
        return self.client.set(attr(class_id, name, index), value).run(self)

    def action(self, class_id: int, name: str | Obis, index: int, value: Data) -> ActionResult:
        return self.client.action(meth(class_id, name, index), value).run(self).result


def associate(meter: TwinMeter, sap: int) -> tuple[Link, Associated]:
    server = ServerAssociation(meter.app.configs, sap, counting(), meter.app.outgoing)
    link = Link(ClientAssociation(settings_for(meter, sap), counting()), server)
    associated = link.client.associate().run(link)
    assert isinstance(associated, Associated)
    return link, associated


SAPS = sorted(build_mt372().app.configs)


def test_the_walk_covers_the_clients_of_the_field() -> None:
    assert {16, 32, 1} <= set(SAPS)


@pytest.mark.parametrize("sap", SAPS)
def test_association_status_and_context_while_associated(sap: int) -> None:
    meter = build_mt372()
    link, associated = associate(meter, sap)
    assert link.get(15, CURRENT, 8) == 2  # associated
    context = link.get(15, CURRENT, 5)
    assert isinstance(context, tuple) and len(context) == 6
    conformance, server_max, client_max, version, qos, cyphering = context
    negotiated = int(associated.conformance).to_bytes(3, "big")
    assert conformance == BitString(negotiated, 24)
    assert server_max == associated.server_max_receive_pdu_size == 0x0400
    assert client_max == link.client.settings.max_receive_pdu_size
    assert (version, qos, cyphering) == (6, 0, b"")
    assert Conformance.GET & associated.conformance


def _rights(element: Data) -> Iterator[tuple[str, int, int]]:
    assert isinstance(element, tuple)
    _, _, _, rights = element
    assert isinstance(rights, tuple)
    attributes, methods = rights
    assert isinstance(attributes, Sequence) and isinstance(methods, Sequence)
    for a in attributes:
        assert isinstance(a, tuple)
        yield "attribute", int(a[0]), int(a[1])  # type: ignore[call-overload]
    for m in methods:
        yield "method", int(m[0]), int(m[1])  # type: ignore[call-overload]


def _wrong_type(tag: Tag) -> Data:
    """A value that is surely not of type ``tag``: refused by the type check, after
    the rights check, so that writing it changes nothing."""
    return True if tag is Tag.NULL_DATA else None


@pytest.mark.parametrize("sap", SAPS)
def test_the_object_list_advertises_exactly_what_is_enforced(sap: int) -> None:
    meter = build_mt372()
    link, _ = associate(meter, sap)
    listed = link.get(15, CURRENT, 2)
    assert isinstance(listed, list) and listed
    seen: set[Obis] = set()
    mismatches: list[str] = []
    for element in listed:
        assert isinstance(element, tuple)
        class_id, name = int(element[0]), Obis.from_bytes(element[2])  # type: ignore[arg-type, call-overload]
        seen.add(name)
        obj = meter.app.device.find(name)
        assert obj is not None and class_id == obj.CLASS_ID
        for kind, index, mode in _rights(element):
            where = f"client {sap}: {name} ({class_id}) {kind} {index}"
            if kind == "method":
                spec = obj.method(index)
                assert spec is not None, where
                invoke = MethodAccess(mode).can_invoke(True)
                parameters = _wrong_type(spec.type) if spec.type is not None else None
                result = link.action(class_id, name, index, parameters)
                if invoke == (result is ActionResult.READ_WRITE_DENIED):
                    mismatches.append(
                        f"{where}: advertised {MethodAccess(mode).name}, {result.name}"
                    )
                continue
            spec_a = obj.attribute(index)
            assert spec_a is not None, where
            access = AttributeAccess(mode)
            value = link.get(class_id, name, index)
            denied = value is DataAccessResult.READ_WRITE_DENIED
            if access.can_read(True) == denied:
                mismatches.append(f"{where}: advertised {access.name}, GET {value!r:.40}")
            if spec_a.type is not None:
                probe = _wrong_type(spec_a.type)
            elif not denied and not isinstance(value, DataAccessResult):
                probe = value  # written back as read
            else:
                probe = None
            written = link.set(class_id, name, index, probe)
            if access.can_write(True) == (written is DataAccessResult.READ_WRITE_DENIED):
                mismatches.append(f"{where}: advertised {access.name}, SET {written.name}")
    assert mismatches == []
    for obj in meter.app.device:
        if obj.logical_name not in seen:
            got = link.get(obj.CLASS_ID, obj.logical_name, 1)
            assert got is DataAccessResult.OBJECT_UNDEFINED, f"{obj.logical_name} is not listed"
