"""Alarm call-backs as the head-end reads them, sans-IO: one wrapper payload in, an
:class:`Alarm` (who, when, which code) or a :class:`Refusal` (why not) out.

What arrives (Green Book 9.5; the MT372 pushes through Push setup 0.0.25.9.0.255,
Blue Book 4.4.8):

- DATA-NOTIFICATION [15], plain: the body is the push_object_list's values; the
  sender is the logical device name 0.0.42.0.0.255 it carries (the factory list:
  push setup LN, logical device name, clock, event code 0.0.96.11.0.255), the time
  is the notification's date-time (else the clock value), the code its last integer.
- EVENT-NOTIFICATION-Request [194], plain: an attribute value (for 0.0.96.11.0.255:2
  the event code); it names no sender, so it is taken only on a connection whose
  sender an earlier message identified.
- either of them in general-glo-ciphering [219] (Green Book 9.2.7.2.4): the system
  title it carries names the meter; the content must authenticate under the
  meter's global keys from the inventory, and its invocation counter must be above
  the last one accepted from that meter (a replay is refused; the stored counter is
  never lowered). general-ded-ciphering [220] needs a dedicated key, which exists
  only inside an association: it is refused as such.

A payload from no meter of the inventory, a tag that does not verify, a replayed
counter, a plain message from a meter whose policy requires ciphering: refused
with the reason (the listener logs it and keeps the last ones). Nothing raises on
peer input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from openamr.apdu.base import decode_apdu
from openamr.apdu.ciphered import GeneralDedCiphering, GeneralGloCiphering
from openamr.apdu.notification import DataNotification, EventNotificationRequest
from openamr.client.values import event_name
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.errors import DlmsError
from openamr.security.ciphering import decipher

EVENT_CODE = Obis(0, 0, 96, 11, 0, 255)
#: the log-book codes of the MT372 (docs/mt372.md) the rules know
POWER_FAILURE, POWER_RETURNED = 0x0080, 0x0040


@dataclass(frozen=True, slots=True)
class Sender:
    """What the listener knows of one meter of the inventory."""

    meter_id: int
    serial: str
    logical_device_name: bytes = b""
    system_title: bytes = b""
    ek: bytes | None = field(default=None, repr=False)
    ak: bytes | None = field(default=None, repr=False)
    require_ciphered: bool = False


@dataclass(frozen=True, slots=True)
class Alarm:
    meter_id: int
    serial: str
    ts: int  # the alarm's time (the meter's), UTC seconds
    code: int
    name: str
    payload: bytes
    received: int
    counter: int | None = None  # the invocation counter of a ciphered push


@dataclass(frozen=True, slots=True)
class Refusal:
    sender: str  # what the message claimed (a title, a name), or "?"
    reason: str
    received: int


class Directory:
    """The inventory's meters by system title and by logical device name, with the
    last accepted push counter of each (raised, never lowered)."""

    def __init__(self, senders: Iterable[Sender], counters: dict[int, int] | None = None) -> None:
        self.by_title: dict[bytes, Sender] = {}
        self.by_name: dict[bytes, Sender] = {}
        self.by_id: dict[int, Sender] = {}
        for s in senders:
            self.by_id[s.meter_id] = s
            if s.system_title:
                self.by_title[s.system_title] = s
            if s.logical_device_name:
                self.by_name[s.logical_device_name] = s
        self.counters: dict[int, int] = dict(counters or {})

    def __len__(self) -> int:
        return len(self.by_id)


def _timestamp(raw: bytes | None) -> int | None:
    if raw is None or len(raw) != CosemDateTime.SIZE:
        return None
    try:
        when = CosemDateTime.from_bytes(raw).to_datetime()
    except (DlmsError, ValueError):
        return None
    return int((when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp())


def _flatten(body: object) -> list[object]:
    return list(body) if isinstance(body, tuple | list) else [body]


class Reader:
    """Reads the payloads of one connection (``identified``: its sender, once known)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.identified: Sender | None = None

    def read(self, payload: bytes, received: int) -> Alarm | Refusal:
        try:
            apdu = decode_apdu(payload)
        except DlmsError as e:
            return Refusal("?", f"not an APDU: {e}", received)
        if isinstance(apdu, GeneralDedCiphering):
            title = apdu.system_title.hex().upper()
            return Refusal(title, "general-ded-ciphering: no dedicated key outside an association",
                           received)  # fmt: skip
        if isinstance(apdu, GeneralGloCiphering):
            return self._ciphered(apdu, payload, received)
        if isinstance(apdu, DataNotification | EventNotificationRequest):
            return self._plain(apdu, payload, received, None)
        return Refusal("?", f"{type(apdu).__name__} is not a notification", received)

    def _ciphered(
        self, apdu: GeneralGloCiphering, payload: bytes, received: int
    ) -> Alarm | Refusal:
        title = apdu.system_title.hex().upper()
        sender = self.directory.by_title.get(apdu.system_title)
        if sender is None:
            return Refusal(title, "system title of no meter in the inventory", received)
        if sender.ek is None or sender.ak is None:
            return Refusal(title, f"meter {sender.serial} has no keys in the inventory", received)
        last = self.directory.counters.get(sender.meter_id)
        if last is not None and apdu.invocation_counter <= last:
            return Refusal(title, f"replayed invocation counter {apdu.invocation_counter} "
                           f"(last accepted {last})", received)  # fmt: skip
        try:
            plain = decipher(payload, apdu.system_title, sender.ek, sender.ak)
            inner = decode_apdu(plain.apdu)
        except DlmsError as e:
            return Refusal(title, f"does not verify under meter {sender.serial}'s keys: {e}",
                           received)  # fmt: skip
        if not isinstance(inner, DataNotification | EventNotificationRequest):
            return Refusal(title, f"ciphers a {type(inner).__name__}, not a notification",
                           received)  # fmt: skip
        self.directory.counters[sender.meter_id] = plain.invocation_counter
        return self._plain(inner, payload, received, (sender, plain.invocation_counter))

    def _plain(
        self, apdu: DataNotification | EventNotificationRequest, payload: bytes, received: int,
        verified: tuple[Sender, int] | None,
    ) -> Alarm | Refusal:  # fmt: skip
        if isinstance(apdu, DataNotification):
            values = _flatten(apdu.notification_body)
            names = self.directory.by_name
            named = next((names[v] for v in values if isinstance(v, bytes) and v in names), None)
            claimed = next((v for v in values if isinstance(v, bytes) and len(v) != 6
                            and len(v) != CosemDateTime.SIZE), b"")  # fmt: skip
            ts = _timestamp(apdu.date_time)
            if ts is None:
                ts = next((t for v in values if isinstance(v, bytes)
                           and (t := _timestamp(v)) is not None), None)  # fmt: skip
            codes = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
            code = codes[-1] if codes else 0
        else:
            named, claimed = None, b""
            ts = _timestamp(apdu.time)
            value = apdu.attribute_value
            d = apdu.cosem_attribute_descriptor
            code = value if isinstance(value, int) and not isinstance(value, bool) else 0
            if (d.instance_id, d.attribute_id) != (EVENT_CODE, 2):
                code = 0
        if verified is not None:
            sender, counter = verified
            if named is not None and named is not sender:
                return Refusal(sender.serial, "names another meter than its system title",
                               received)  # fmt: skip
        else:
            counter = None
            sender_or_none = named or (self.identified if isinstance(apdu, EventNotificationRequest)
                                       else None)  # fmt: skip
            if sender_or_none is None:
                shown = claimed.decode("ascii", "replace") or "?"
                what = ("an EVENT-NOTIFICATION on a connection with no identified sender"
                        if isinstance(apdu, EventNotificationRequest)
                        else "a logical device name of no meter in the inventory")  # fmt: skip
                return Refusal(shown, what, received)
            sender = sender_or_none
            if sender.require_ciphered:
                return Refusal(sender.serial, "plain push from a meter that must cipher",
                               received)  # fmt: skip
        self.identified = sender
        ts = received if ts is None else ts
        name = event_name(code) if code else "push"
        return Alarm(sender.meter_id, sender.serial, ts, code, name, payload, received, counter)
