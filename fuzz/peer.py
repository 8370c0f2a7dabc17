"""The attacking peer: one TCP connection to the twin that brings an association to
a chosen state with valid APDUs, then sends fuzzed inputs, then half-closes and
reads to the end. Every answer is counted by kind.

States (Green Book 9.4 association states, by client)::

    idle            nothing sent (no association; HDLC: link set up)
    public          client 16 associated (no security)
    lls             client 32 associated (LLS)
    hls-pending     client 1, AARQ accepted, HLS pass 3 not yet done
    hls             client 1 associated, ciphered (the fuzzed APDUs are ciphered
                    properly half of the time, so that they reach the decoders)

A batch ends with the client's FIN: the twin must process everything, then close.
``deadline`` seconds without a byte and without the close is a hang.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from fuzz.mutate import mutate
from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, Aarq, AcseRequirements
from openamr.apdu.action import ActionRequestNormal
from openamr.apdu.descriptors import CosemMethodDescriptor
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.codec.obis import Obis
from openamr.errors import DlmsError
from openamr.link.hdlc.address import Address, mt372_server
from openamr.link.hdlc.frame import Control, Frame, FrameSplitter, InvalidFrame, Kind
from openamr.link.hdlc.params import HdlcParameters
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK, DEFAULT_PASSWORD, Credentials
from openamr.security import hls
from openamr.security.ciphering import CipheringSession
from openamr.security.control_byte import SecurityControl
from openamr.security.counters import OutgoingCounter
from openamr.security.keys import KeySet, SecurityContext

STATES = ("idle", "public", "lls", "hls-pending", "hls")
CLIENT_OF = {"idle": 16, "public": 16, "lls": 32, "hls-pending": 1, "hls": 1}
LLC = bytes.fromhex("e6 e6 00")
ANSWER_NAMES = {
    0x61: "AARE", 0x63: "RLRE", 0xC4: "get-response", 0xC5: "set-response",
    0xC7: "action-response", 0xD8: "exception-response", 0x0E: "confirmed-service-error",
    0xCC: "glo-get-response", 0xCD: "glo-set-response", 0xCF: "glo-action-response",
}  # fmt: skip
CONFORMANCE = (
    Conformance.GET | Conformance.SET | Conformance.ACTION | Conformance.SELECTIVE_ACCESS
    | Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | Conformance.BLOCK_TRANSFER_WITH_ACTION | Conformance.MULTIPLE_REFERENCES
)  # fmt: skip
PASS3 = CosemMethodDescriptor(15, Obis.parse("0.0.40.0.0.255"), 1)
PROTECTION = SecurityControl(authentication=True, encryption=True)


class Hang(Exception):
    """The twin did not answer or close in time."""


@dataclass
class Tally:
    """What a run did: inputs sent, answers by kind, batches, hangs, crash lines."""

    inputs: int = 0
    batches: int = 0
    hangs: int = 0
    closed_early: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    by_state: Counter[str] = field(default_factory=Counter)
    hangs_where: list[str] = field(default_factory=list)  # transport/state, connection
    slowest: float = 0.0  # the longest FIN-to-close of a batch, seconds
    slowest_where: str = ""

    def add(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.batches += other.batches
        self.hangs += other.hangs
        self.closed_early += other.closed_early
        self.answers.update(other.answers)
        self.by_state.update(other.by_state)
        self.hangs_where += other.hangs_where
        if other.slowest > self.slowest:
            self.slowest, self.slowest_where = other.slowest, other.slowest_where


def apdu_name(apdu: bytes) -> str:
    return ANSWER_NAMES.get(apdu[0], "other APDU") if apdu else "empty"


class Peer:
    """One connection of the campaign (see the module docstring)."""

    def __init__(self, transport: str, port: int, rng: random.Random, title: bytes) -> None:
        self.transport, self.port, self.rng, self.title = transport, port, rng, title
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.session: CipheringSession | None = None
        self.client = 16
        self.answers: Counter[str] = Counter()
        self._buffer = b""
        self._splitter = FrameSplitter()
        self._ns = self._nr = 0
        self._segmented = False  # the last I frame said more segments follow
        self._server: Address = mt372_server()
        self.sent: list[bytes] = []  # what the batch wrote after the set-up (a transcript)
        self.drained = 0.0  # seconds from the FIN to the twin's close

    # -- framing ---------------------------------------------------------------------

    def wrap(self, apdu: bytes) -> bytes:
        """One valid frame carrying ``apdu`` from the state's client."""
        if self.transport == "wrapper":
            return struct.pack(">HHHH", 1, self.client, 1, len(apdu)) + apdu
        control = Control(Kind.I, True, ns=self._ns, nr=self._nr)
        self._ns = (self._ns + 1) % 8
        info = (LLC + apdu)[:128]  # the max information field the twin negotiates
        return Frame(self._server, Address.client(self.client), control, info).encode()

    def padded(self, frame: bytes) -> bytes:
        """A mutated frame, completed to the length its header claims (so that the
        twin does not wait for bytes that never come: then the next input counts)."""
        if self.transport == "wrapper" and len(frame) >= 8:
            claimed = 8 + struct.unpack(">H", frame[6:8])[0]
            return frame + bytes(max(0, claimed - len(frame)))
        if frame[:1] == b"\x7e" and len(frame) >= 3:
            claimed = 2 + (int.from_bytes(frame[1:3], "big") & 0x07FF)
            return frame + b"\x7e" * max(0, claimed - len(frame))
        return frame

    async def _read_answers(self, timeout: float) -> list[bytes] | None:
        """The APDUs (wrapper) or frames' APDUs (HDLC, b"" for a frame without one) of
        the next read; None at the end of the stream."""
        assert self.reader is not None
        data = await asyncio.wait_for(self.reader.read(65536), timeout)
        if not data:
            return None
        if self.transport == "wrapper":
            self._buffer += data
            out = []
            while len(self._buffer) >= 8:
                size = struct.unpack(">H", self._buffer[6:8])[0]
                if len(self._buffer) < 8 + size:
                    break
                out.append(self._buffer[8 : 8 + size])
                self._buffer = self._buffer[8 + size :]
            for apdu in out:
                self.answers[apdu_name(apdu)] += 1
            return out
        frames = []
        for frame in self._splitter.feed(data):
            if isinstance(frame, InvalidFrame):
                self.answers["invalid frame"] += 1
                continue
            if frame.kind is Kind.I:
                self._nr = (frame.control.ns + 1) % 8
                info = frame.information[3:]
                name = "I (a later segment)" if self._segmented else f"I {apdu_name(info)}"
                self.answers[name] += 1
                self._segmented = frame.segmented
            else:
                self.answers[frame.kind.value] += 1
            frames.append(frame.information[3:] if frame.kind is Kind.I else b"")
        return frames

    async def request(self, frame: bytes, timeout: float = 5.0) -> bytes:
        """Send a valid frame and wait for the first answer carrying an APDU."""
        assert self.writer is not None
        self.writer.write(frame)
        while True:
            answers = await self._read_answers(timeout)
            if answers is None:
                raise ConnectionError("the twin closed the connection during the set-up")
            for apdu in answers:
                if apdu:
                    return apdu

    # -- set-up ------------------------------------------------------------------------

    async def open(self, state: str) -> None:
        self.client = CLIENT_OF[state]
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        if self.transport == "hdlc":
            await self._snrm()
        if state == "idle":
            return
        aarq = self._aarq(state)
        aare = decode_apdu(await self.request(self.wrap(aarq)))
        if not isinstance(aare, Aare) or aare.result != 0:
            raise ConnectionError(f"the twin refused the set-up AARQ of {state}: {aare}")
        if state == "hls":
            stoc = aare.responding_authentication_value or b""
            assert self.session is not None
            f = hls.client_reply(stoc, self.title, self.session.outgoing.value, DEFAULT_EK,
                                 DEFAULT_AK)  # fmt: skip
            reply = self.session.encipher(ActionRequestNormal(PASS3, f).to_bytes())
            await self.request(self.wrap(reply))

    async def _snrm(self) -> None:
        assert self.writer is not None
        params = HdlcParameters(max_info_tx=2030, max_info_rx=2030).encode()
        snrm = Frame(self._server, Address.client(self.client), Control(Kind.SNRM, True),
                     params)  # fmt: skip
        self.writer.write(snrm.encode())
        while not self.answers["UA"]:
            if await self._read_answers(5.0) is None:
                raise ConnectionError("no UA to SNRM")
        self._ns = self._nr = 0

    def _aarq(self, state: str) -> bytes:
        initiate = InitiateRequest(proposed_conformance=CONFORMANCE).to_bytes()
        if state in ("public", "idle"):
            return Aarq(user_information=initiate).to_bytes()
        if state == "lls":
            return Aarq(
                sender_acse_requirements=AcseRequirements.AUTHENTICATION,
                mechanism_name=MechanismName.LLS,
                calling_authentication_value=DEFAULT_PASSWORD,
                user_information=initiate,
            ).to_bytes()
        keys = SecurityContext(KeySet(DEFAULT_EK, DEFAULT_AK), self.title,
                               Credentials().system_title)  # fmt: skip
        self.session = CipheringSession(keys, PROTECTION, OutgoingCounter(1))
        return Aarq(
            application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
            calling_ap_title=self.title,
            sender_acse_requirements=AcseRequirements.AUTHENTICATION,
            mechanism_name=MechanismName.HLS_GMAC,
            calling_authentication_value=self.rng.randbytes(16),
            user_information=self.session.encipher(initiate),
        ).to_bytes()

    # -- the batch -----------------------------------------------------------------------

    def fuzzed_apdu(self, corpus: Sequence[bytes]) -> bytes:
        """A mutated APDU; in a ciphered association, ciphered properly half the time."""
        apdu = mutate(self.rng, self.rng.choice(corpus), corpus)
        if self.session is not None and apdu and self.rng.random() < 0.5:
            try:
                return self.session.encipher(apdu)
            except DlmsError:
                return apdu  # a tag with no ciphered form: goes plain
        return apdu

    async def batch(self, corpus: Sequence[bytes], count: int, deadline: float) -> int:
        """Send ``count`` inputs (the last one a mutated whole frame), half-close, read to
        the end; the inputs sent. Raises Hang."""
        assert self.writer is not None
        sent = 1
        for _ in range(count - 1):
            self._send(self.wrap(self.fuzzed_apdu(corpus)))
            sent += 1
            if self.transport == "hdlc" and not await self._settle():
                break  # the link is down (FRMR, DM): the rest would only be refused
        whole = self.wrap(self.rng.choice(corpus))
        self._send(self.padded(mutate(self.rng, whole, corpus)))
        await self.finish(deadline)
        return sent

    def _send(self, data: bytes) -> None:
        assert self.writer is not None
        self.sent.append(data)
        self.writer.write(data)

    async def replay(self, inputs: Sequence[bytes], deadline: float) -> None:
        """Send a transcript's inputs (after :meth:`open`), then finish as a batch does."""
        for data in inputs:
            self._send(data)
            if self.transport == "hdlc":
                await self._settle()
        await self.finish(deadline)

    async def finish(self, deadline: float) -> None:
        """Half-close and read to the end; the time it took is ``drained``."""
        assert self.writer is not None
        self.writer.write_eof()
        began = asyncio.get_running_loop().time()
        try:
            await self._drain_to_end(deadline)
        finally:
            self.drained = asyncio.get_running_loop().time() - began

    async def _settle(self) -> bool:
        """HDLC has a window of one: wait for the answer to an I frame (not long: an
        unconfirmed request has none). False once the link is down."""
        down = self.answers["FRMR"] + self.answers["DM"]
        try:
            await self._read_answers(0.2)
        except TimeoutError:
            self.answers["(none within 0.2 s)"] += 1
        return self.answers["FRMR"] + self.answers["DM"] == down

    async def _drain_to_end(self, deadline: float) -> None:
        """Read until the twin closes; a hang is ``deadline`` seconds without a byte
        (a twin slow under load still answers, and is not hung)."""
        while True:
            try:
                if await self._read_answers(deadline) is None:
                    return
            except TimeoutError:
                raise Hang(f"nothing for {deadline} s and no close") from None
            except ConnectionError:
                return

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
