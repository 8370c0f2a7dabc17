"""Security setup (class 64, version 1): policy, system titles, key transfer."""

from __future__ import annotations

import pytest

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import decode, encode
from openamr.codec.types import Array, Data, Enum, Integer, OctetString, Structure
from openamr.cosem.classes.security_setup import (
    KeyId,
    MemoryKeyStore,
    SecurityPolicy,
    SecuritySetup,
)
from openamr.security import keywrap
from tests.cosem.declared import check_declaration
from tests.vector_files import Vectors

SECURITY = Vectors("security")

P = SecurityPolicy
GUEK = bytes.fromhex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f")
KEK = bytes.fromhex("d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df")
NEW = bytes.fromhex("a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af")
TITLE = bytes.fromhex("4d 4d 4d 00 00 bc 61 4e")  # Green Book example client title


def make(policy: SecurityPolicy = P.NOTHING) -> tuple[SecuritySetup, MemoryKeyStore]:
    store = MemoryKeyStore({KeyId.MASTER_KEY: KEK, KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY: GUEK})
    obj = SecuritySetup("0.0.43.0.1.255", store, keywrap.unwrap, policy)
    return obj, store


def key_data(*pairs: tuple[int, bytes]) -> Data:
    """The key_transfer parameter, as it arrives from the wire."""
    array = Array(Structure((Enum(k), OctetString(w))) for k, w in pairs)
    return decode(encode(array))


def test_declaration() -> None:
    obj, _ = make()
    assert (obj.CLASS_ID, obj.VERSION) == (64, 1)
    assert [m.index for m in obj.methods()] == list(range(1, 9))
    check_declaration(obj)
    assert obj.get(5) == OctetString(b"ISK" + bytes(5))
    assert obj.get(6) == Array()


@pytest.mark.parametrize(
    "v", SECURITY.fields("rfc3394-*.hex") + SECURITY.fields("gurux-keywrap-*.hex")
)
def test_key_transfer_of_standard_wrapped_keys(v: dict[str, bytes]) -> None:
    store = MemoryKeyStore({KeyId.MASTER_KEY: v["kek"]})
    obj = SecuritySetup("0.0.43.0.1.255", store, keywrap.unwrap)
    params = key_data((KeyId.AUTHENTICATION_KEY, v["wrapped"]))
    assert obj.action(2, params) == (ActionResult.SUCCESS, None)
    assert store.keys[KeyId.AUTHENTICATION_KEY] == v["key"]


def test_key_transfer_of_several_keys_built_by_the_client_side() -> None:
    obj, store = make()
    params = keywrap.key_transfer_data(
        KEK,
        [(keywrap.KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, NEW), (keywrap.KeyId.MASTER_KEY, GUEK)],
    )
    assert obj.action(2, decode(encode(params)))[0] is ActionResult.SUCCESS
    assert store.keys[KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY] == NEW
    assert store.keys[KeyId.MASTER_KEY] == GUEK  # the new KEK unwraps the next transfer
    wrapped = keywrap.wrap(GUEK, KEK)
    assert obj.action(2, key_data((KeyId.AUTHENTICATION_KEY, wrapped)))[0] is (ActionResult.SUCCESS)
    assert store.keys[KeyId.AUTHENTICATION_KEY] == KEK


def test_one_bad_key_installs_none() -> None:
    obj, store = make()
    good = keywrap.wrap(KEK, NEW)
    tampered = bytearray(keywrap.wrap(KEK, NEW))
    tampered[5] ^= 0x40
    params = key_data(
        (KeyId.AUTHENTICATION_KEY, good), (KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, bytes(tampered))
    )
    result = obj.action(2, params)
    assert result == (ActionResult.OTHER_REASON, None)
    assert store.keys == {KeyId.MASTER_KEY: KEK, KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY: GUEK}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(key_data(), id="no-key"),
        pytest.param(key_data((4, bytes(24))), id="unknown-key-id"),
        pytest.param(key_data((2, bytes(16))), id="not-wrapped"),
        pytest.param(key_data((2, keywrap.wrap(GUEK, NEW))), id="wrong-kek"),
        pytest.param(
            key_data((2, keywrap.wrap(KEK, NEW)), (2, keywrap.wrap(KEK, NEW))), id="twice"
        ),
    ],
)
def test_key_transfer_refusals(params: Data) -> None:
    obj, store = make()
    assert obj.action(2, params) == (ActionResult.OTHER_REASON, None)
    assert set(store.keys) == {KeyId.MASTER_KEY, KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY}


def test_key_transfer_type_checks() -> None:
    obj, _ = make()
    assert obj.action(2, OctetString(bytes(24)))[0] is ActionResult.TYPE_UNMATCHED
    bad = Array([Structure((Integer(2), OctetString(bytes(24))))])
    assert obj.action(2, bad)[0] is ActionResult.TYPE_UNMATCHED


def test_no_master_key_no_transfer() -> None:
    store = MemoryKeyStore({})
    obj = SecuritySetup("0.0.43.0.1.255", store, keywrap.unwrap)
    assert obj.action(2, key_data((2, keywrap.wrap(KEK, NEW))))[0] is ActionResult.OTHER_REASON


def test_keys_never_shown() -> None:
    obj, store = make()
    for text in (repr(obj), repr(store), str(store)):
        assert GUEK.hex() not in text.lower() and KEK.hex() not in text.lower()
        assert repr(GUEK) not in text and repr(KEK) not in text
    assert "MASTER_KEY" in repr(store)


def test_security_activate_only_strengthens() -> None:
    obj, _ = make(P.AUTHENTICATED_REQUEST)
    stronger = P.AUTHENTICATED_REQUEST | P.ENCRYPTED_REQUEST | P.ENCRYPTED_RESPONSE
    assert obj.action(1, Enum(stronger)) == (ActionResult.SUCCESS, None)
    assert obj.get(2) == Enum(stronger)
    assert obj.action(1, Enum(P.ENCRYPTED_REQUEST))[0] is ActionResult.OTHER_REASON  # weaker
    assert obj.action(1, Enum(stronger | P.DIGITALLY_SIGNED_REQUEST))[0] is (
        ActionResult.OTHER_REASON  # suite 0 cannot sign
    )
    assert obj.action(1, Enum(stronger | 0x01))[0] is ActionResult.OTHER_REASON  # reserved
    assert obj.get(2) == Enum(stronger)
    assert obj.action(1, Integer(4))[0] is ActionResult.TYPE_UNMATCHED
    assert obj.set(2, Enum(0)) is DataAccessResult.READ_WRITE_DENIED


def test_attributes() -> None:
    obj, _ = make()
    assert obj.set(4, OctetString(TITLE)) is DataAccessResult.SUCCESS
    assert obj.get(4) == OctetString(TITLE)
    assert obj.set(4, OctetString(TITLE[:7])) is DataAccessResult.TYPE_UNMATCHED
    assert obj.set(3, Enum(1)) is DataAccessResult.OTHER_REASON  # only suite 0
    assert obj.set(5, OctetString(TITLE)) is DataAccessResult.READ_WRITE_DENIED


@pytest.mark.parametrize("index", [3, 4, 5, 6, 7, 8])
def test_public_key_methods_answer_other_reason(index: int) -> None:
    obj, _ = make()
    method = obj.method(index)
    assert method is not None and method.type is not None
    samples: dict[int, Data] = {1: Array(), 2: Structure(()), 9: OctetString(b""), 22: Enum(0)}
    value = samples[method.type]
    assert obj.action(index, value) == (ActionResult.OTHER_REASON, None)


def test_key_ids_agree_with_the_security_layer() -> None:
    assert {k.name: int(k) for k in KeyId} == {k.name: int(k) for k in keywrap.KeyId}


@pytest.mark.parametrize("v", SECURITY.fields("gurux-keywrap-*.hex"))
def test_key_transfer_built_by_gurux(v: dict[str, bytes]) -> None:
    """gurux's client wraps the key itself (its own AES and RFC 3394 code)."""
    from gurux_dlms.objects import GXDLMSSecuritySetup
    from gurux_dlms.objects.enums import GlobalKeyType

    from tests.cosem.gurux_oracle import gurux_action, gurux_client

    store = MemoryKeyStore({KeyId.MASTER_KEY: v["kek"]})
    obj = SecuritySetup("0.0.43.0.1.255", store, keywrap.unwrap)
    theirs = GXDLMSSecuritySetup("0.0.43.0.1.255")
    pairs = [(GlobalKeyType.UNICAST_ENCRYPTION, v["key"]), (GlobalKeyType.AUTHENTICATION, NEW)]
    request = gurux_action(theirs.globalKeyTransfer(gurux_client(), v["kek"], pairs)[0])
    assert request.cosem_method_descriptor.method_id == 2
    params = request.method_invocation_parameters
    assert obj.action(2, params) == (ActionResult.SUCCESS, None)  # type: ignore[arg-type]
    assert store.keys[KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY] == v["key"]
    assert store.keys[KeyId.AUTHENTICATION_KEY] == NEW


def test_gurux_reads_our_attributes() -> None:
    from gurux_dlms.objects import GXDLMSSecuritySetup

    from tests.cosem.gurux_oracle import gurux_parse

    obj, _ = make(P.AUTHENTICATED_REQUEST | P.ENCRYPTED_REQUEST)
    obj.set(4, OctetString(TITLE))
    theirs = gurux_parse(obj, GXDLMSSecuritySetup())
    assert int(theirs.securityPolicy) == 0x0C
    assert int(theirs.securitySuite) == 0
    assert bytes(theirs.clientSystemTitle) == TITLE
    assert bytes(theirs.serverSystemTitle) == b"ISK" + bytes(5)
    assert list(theirs.certificates) == []
