"""The head-end's modem driver: a CSD data call through a GSM modem (a modem pool's
line, or the virtual one of ``openamr gsm modem``), for the ``csd://`` transport.

The dialogue (ITU-T V.250; 3GPP TS 27.007; result codes read by
:class:`openamr.gsm.v250.ReplyReader`)::

    ATZ            OK                 defaults (echo on: the echo is skipped)
    ATE0V1         OK                 no echo, verbose result codes
    AT+CPIN?       +CPIN: READY  OK   the SIM needs no PIN
    AT+CREG?       +CREG: 0,1    OK   registered (1 home, 5 roaming)
    AT+CSQ         +CSQ: 20,99   OK   the signal, for the record
    ATD<msisdn>    CONNECT 9600       the meter answered: HDLC from here on
    ...            (HDLC frames)
    guard, +++, guard   OK            back to command mode, the call still up
    ATH            OK                 hung up

Every failure is a :class:`ModemError` whose message says what happened and what to
do; ``BUSY``, ``NO ANSWER`` and ``NO CARRIER`` are told apart.
"""

from __future__ import annotations

import asyncio
import contextlib

from openamr.gsm.v250 import Reply, ReplyReader, Result

GUARD_S = 1.0  # S12's default, 50 x 20 ms (V.250 §6.3)
COMMAND_S = 5.0  # the longest a plain command may take
DIAL_S = 90.0  # ATD: set-up, rings (S7 is 60 s on the modem), the carrier handshake

ADVICE = {
    Result.BUSY: "the meter's line is busy (BUSY): it is in another call, or it refused "
    "the call as a wake-up call; try again in a few minutes",
    Result.NO_ANSWER: "the meter did not answer (NO ANSWER): put this modem's number on the "
    "meter's auto answer whitelist (class 28) and call inside its listening window",
    Result.NO_CARRIER: "no connection (NO CARRIER): the number is not reachable (no SIM, no "
    "coverage, a weak signal, or not a subscriber); check the MSISDN and the meter's signal",
    Result.NO_DIALTONE: "the modem has no network (NO DIALTONE); check its antenna and SIM",
    Result.ERROR: "the modem refused the dial command (ERROR); check the number",
}


class ModemError(Exception):
    """The modem or the call failed; the message says what to do."""


class ModemDriver:
    """AT commands on an open byte stream to the modem."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.signal: int | None = None

    async def command(self, line: str, timeout: float = COMMAND_S, prompt: bool = False) -> Reply:
        """Send one command line; its reply (ModemError: none in ``timeout`` s)."""
        self.writer.write(line.encode("ascii") + b"\r")
        return await self.reply(line, timeout, prompt)

    async def reply(self, what: str, timeout: float, prompt: bool = False) -> Reply:
        reader = ReplyReader(prompt=prompt)
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout
        while True:
            try:
                data = await asyncio.wait_for(self.reader.read(4096), until - loop.time())
            except TimeoutError:
                raise ModemError(
                    f"the modem did not answer {what!r} within {timeout:g} s; is it a modem "
                    "(check the address, the port, the baud rate)?"
                ) from None
            if not data:
                raise ModemError(f"the modem closed the line during {what!r}")
            reply = reader.feed(data)
            if reply is not None:
                return reply

    async def init(self) -> None:
        """Reset, no echo, and check the SIM and the registration."""
        for line in ("ATZ", "ATE0V1"):
            reply = await self.command(line)
            if reply.result is not Result.OK:
                raise ModemError(f"the modem answered {line} with {_said(reply)}; is it a modem?")
        pin = await self.command("AT+CPIN?")
        if "+CPIN: READY" not in pin.lines:
            state = ", ".join(pin.lines) or _said(pin)
            raise ModemError(f"the modem's SIM is not ready ({state}); enter its PIN or insert it")
        creg = await self.command("AT+CREG?")
        stat = next((p.split(",")[-1].strip() for p in creg.lines if p.startswith("+CREG:")), "")
        if stat not in ("1", "5"):
            raise ModemError(
                f"the modem is not registered on the network (+CREG stat {stat or '?'}); "
                "check its antenna, its SIM and the coverage"
            )
        csq = await self.command("AT+CSQ")
        for line in csq.lines:
            if line.startswith("+CSQ:"):
                with contextlib.suppress(ValueError):
                    self.signal = int(line[5:].split(",")[0])

    async def dial(self, number: str, timeout: float = DIAL_S) -> bytes:
        """ATD: the bytes that came after CONNECT (the first of the data)."""
        reply = await self.command(f"ATD{number}", timeout)
        if reply.result is Result.CONNECT:
            return reply.rest
        advice = ADVICE.get(reply.result) if reply.result else None
        raise ModemError(f"dialling {number}: {advice or _said(reply)}")

    async def send_sms(self, number: str, text: str) -> None:
        """A text-mode SMS (TS 27.005 §3.5.1): the meter's wake-up."""
        await self.command("AT+CMGF=1")
        prompt = await self.command(f'AT+CMGS="{number}"', prompt=True)
        if prompt.detail != "prompt":
            raise ModemError(f"the modem refused an SMS to {number} ({_said(prompt)})")
        self.writer.write(text.encode("latin-1") + b"\x1a")
        sent = await self.reply("the SMS text", 60.0)
        if sent.result is not Result.OK:
            raise ModemError(
                f"the SMS to {number} was not sent ({_said(sent)}); check the number and "
                "the modem's signal"
            )

    async def hang_up(self) -> None:
        """Guard time, +++, guard time, ATH (V.250 §6.3); quietly, at the end. A meter
        that hung up after the DISC already said NO CARRIER: nothing to do then."""
        seen = await self._drain(GUARD_S * 1.1)
        if b"NO CARRIER" in seen:
            return
        self.writer.write(b"+++")
        with contextlib.suppress(ModemError):
            escaped = await self.reply("+++", GUARD_S * 2 + COMMAND_S)
            if escaped.result is Result.OK:
                await self.command("ATH")

    async def _drain(self, seconds: float) -> bytes:
        """What the modem sends in the next ``seconds`` (the guard time before +++)."""
        loop = asyncio.get_running_loop()
        until, seen = loop.time() + seconds, bytearray()
        while (left := until - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(self.reader.read(4096), left)
            except TimeoutError:
                break
            if not data:
                break
            seen += data
            if b"NO CARRIER" in seen:
                break
        return bytes(seen)


def _said(reply: Reply) -> str:
    if reply.result is None:
        return reply.error
    return reply.result.text
