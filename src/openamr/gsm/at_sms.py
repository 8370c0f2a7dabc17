"""SMS from the head-end's AT modem (:class:`~openamr.gsm.at.AtModem`), sans-IO:
``AT+CMGS`` in both message formats of 3GPP TS 27.005 (§3.2.3 ``+CMGF``):

* text mode (``AT+CMGF=1``, §3.5.1): ``AT+CMGS="<da>"``, the prompt ``> ``, the text
  (160 characters at most), Ctrl-Z sends it, ESC cancels;
* PDU mode (``AT+CMGF=0``, the default, §3.5.1 and §4.3): ``AT+CMGS=<length>``, the
  prompt, the PDU in hex (the SMSC field and an SMS-SUBMIT TPDU of ``<length>``
  octets, :mod:`openamr.gsm.pdu`), Ctrl-Z sends it; a PDU that does not decode is
  refused with ``+CMS ERROR: 304`` (invalid PDU mode parameter, §3.2.5).

Either way the answer is ``+CMGS: <mr>`` then OK; an unknown recipient ``+CMS ERROR:
500``, no network ``+CMS ERROR: 331``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openamr.gsm.at_state import ModemEvent, State
from openamr.gsm.network import SmsState
from openamr.gsm.pdu import PduError, decode_submit
from openamr.gsm.v250 import CTRL_Z, ESC, Result

if TYPE_CHECKING:
    from openamr.gsm.at import AtModem

TEXT_MAX = 160  # characters of a text-mode message (GSM 7 bit, one SMS)
PDU_MAX = 2 * (12 + 164)  # hex digits: an SMSC field and the longest SMS-SUBMIT


def start(modem: AtModem, recipient: str = "", length: int = 0) -> None:
    """AT+CMGS: the prompt; in text mode the text for ``recipient`` follows, in PDU
    mode a PDU whose TPDU is ``length`` octets."""
    modem.sms_to, modem.sms_length, modem.line = recipient, length, bytearray()
    modem.state = State.SMS_PDU if modem.settings.cmgf == 0 else State.SMS_TEXT
    modem.out += b"\r\n> "


def sms_char(modem: AtModem, char: bytes, now: float, events: list[ModemEvent]) -> None:
    """One character after the prompt."""
    if char == CTRL_Z:
        body, modem.line = modem.line.decode("latin-1"), bytearray()
        pdu, modem.state = modem.state is State.SMS_PDU, State.COMMAND
        if pdu:
            _send_pdu(modem, body, now)
        else:
            _send(modem, modem.sms_to, body, now)
    elif char == ESC:  # abort, nothing sent (TS 27.005 §3.5.1)
        modem.line = bytearray()
        modem.state = State.COMMAND
        modem.result(Result.OK)
    else:
        if modem.settings.echo:
            modem.out += char
        if char[0] == modem.settings.s[5]:
            del modem.line[-1:]
        elif modem.state is State.SMS_PDU:
            if char not in b"\r\n " and len(modem.line) < PDU_MAX:
                modem.line += char
        elif len(modem.line) < TEXT_MAX:
            modem.line += char


def _send_pdu(modem: AtModem, hex_text: str, now: float) -> None:
    try:
        submit = decode_submit(hex_text, modem.sms_length)
    except PduError:
        modem.error(304, sms=True)  # invalid PDU mode parameter
        return
    _send(modem, submit.destination, submit.text, now)


def _send(modem: AtModem, recipient: str, text: str, now: float) -> None:
    if modem.identity.registered not in (1, 5):
        modem.error(331, sms=True)  # no network service
        return
    sms = modem.network.send_sms(modem.identity.msisdn, recipient, text, now)
    if sms.state is SmsState.FAILED:
        modem.error(500, sms=True)  # unknown error: no such subscriber
        return
    modem.sms_reference = sms.reference
    modem.info(f"+CMGS: {modem.sms_reference}")
    modem.result(Result.OK)
