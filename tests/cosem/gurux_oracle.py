"""gurux-dlms as an oracle for the interface classes (test only).

``gurux_parse`` feeds what our object answers to a GET into gurux's own object of
the same class (``setValue``), so a test can compare the fields gurux understood;
``gurux_action`` takes the ACTION-Request that gurux's client builds for a method and
returns the method's parameter as our codec decodes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from openamr.apdu.action import ActionRequestNormal
from openamr.apdu.base import decode_apdu
from openamr.codec import encode
from openamr.codec.types import Data
from openamr.cosem import CosemObject

gurux = pytest.importorskip("gurux_dlms")
gx_common = pytest.importorskip("gurux_dlms.internal._GXCommon")
gx_info = pytest.importorskip("gurux_dlms.internal._GXDataInfo")
gx_enums = pytest.importorskip("gurux_dlms.enums")

WRAPPER_HEADER = 8


def gurux_value(value: Data) -> Any:
    settings = gurux.GXDLMSSettings(False, None)
    buffer = gurux.GXByteBuffer(encode(value))
    return gx_common._GXCommon.getData(settings, buffer, gx_info._GXDataInfo())


def gurux_parse(ours: CosemObject, theirs: Any) -> Any:
    """Every attribute of ``ours`` (but the logical name) read into gurux's ``theirs``."""
    settings = gurux.GXDLMSSettings(False, None)
    theirs.version = ours.VERSION
    for attribute in ours.attributes()[1:]:
        event = gurux.ValueEventArgs(settings, theirs, attribute.index)
        event.value = gurux_value(ours.get(attribute.index))
        theirs.setValue(settings, event)
    return theirs


def gurux_client() -> Any:
    auth = gx_enums.Authentication.NONE
    return gurux.GXDLMSClient(True, 1, 1, auth, None, gx_enums.InterfaceType.WRAPPER)


def gurux_action(frame: bytes | bytearray) -> ActionRequestNormal:
    """The ACTION-Request-Normal inside one wrapper frame gurux built."""
    apdu = decode_apdu(bytes(frame[WRAPPER_HEADER:]))
    assert isinstance(apdu, ActionRequestNormal)
    return apdu
