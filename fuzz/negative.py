"""Negative cases, by name, in the spirit of the DLMS UA conformance test plans
(HDLC, application layer, symmetric security): each one sends what a conforming
server must refuse, and checks the refusal it gives. The names are ours, grouped as
the plans group them; they are not the plans' own test identifiers.

Each case runs on its own connection to a twin, over the wrapper (application layer,
security) or HDLC (link layer).
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fuzz.peer import Peer
from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, Aarq, Rlre, Rlrq
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.mechanism import ApplicationContextName
from openamr.apdu.results import ServiceError
from openamr.link.hdlc.address import Address
from openamr.link.hdlc.frame import Control, Frame, Kind

GET = bytes.fromhex("c0 01 c1 00 03 01 00 01 08 00 ff 02 00")
LAST_IC = bytes.fromhex(
    "c8 1e 30 ff ff ff ff f8 44 bc 6d fc 1c b0 40 fe 2f 9a 31 6f d0 5c ea 70 a8 8e d9 f0 03"
    " 08 07 76"
)


@dataclass(frozen=True)
class Case:
    name: str
    transport: str
    check: Callable[[Peer], Awaitable[str | None]]  # None: passed, else what went wrong
    title: bytes | None = None  # the client system title (default: one per case)


async def _ask(peer: Peer, apdu: bytes) -> object:
    return decode_apdu(await peer.request(peer.wrap(apdu)))


async def appl_service_before_association(peer: Peer) -> str | None:
    answer = await _ask(peer, GET)
    return None if isinstance(answer, ExceptionResponse) else f"answered {answer!r}"


async def appl_unknown_context(peer: Peer) -> str | None:
    aarq = Aarq(application_context_name=ApplicationContextName.SHORT_NAME)
    answer = await _ask(peer, aarq.to_bytes())
    ok = isinstance(answer, Aare) and answer.result != 0
    return None if ok else f"answered {answer!r}"


async def appl_unknown_tag(peer: Peer) -> str | None:
    answer = await _ask(peer, bytes.fromhex("ee 01 02 03"))
    return None if isinstance(answer, ExceptionResponse) else f"answered {answer!r}"


async def sec_replayed_counter(peer: Peer) -> str | None:
    assert peer.session is not None
    request = peer.session.encipher(GET)
    await peer.request(peer.wrap(request))
    answer = await _ask(peer, request)
    ok = (
        isinstance(answer, ExceptionResponse)
        and answer.service_error is ServiceError.INVOCATION_COUNTER_ERROR
    )
    return None if ok else f"answered {answer!r}"


async def sec_wrong_tag(peer: Peer) -> str | None:
    assert peer.session is not None
    request = bytearray(peer.session.encipher(GET))
    request[-1] ^= 0x01
    answer = await _ask(peer, bytes(request))
    ok = isinstance(answer, ExceptionResponse) and answer.service_error in (
        ServiceError.DECIPHERING_ERROR,
    )
    return None if ok else f"answered {answer!r}"


async def sec_plain_in_ciphered(peer: Peer) -> str | None:
    answer = await _ask(peer, GET)
    return None if isinstance(answer, ExceptionResponse) else f"answered {answer!r}"


async def sec_plain_release(peer: Peer) -> str | None:
    answer = await _ask(peer, Rlrq().to_bytes())
    ok = isinstance(answer, Rlre) and answer.reason == 1  # not-finished
    return None if ok else f"answered {answer!r}"


async def sec_end_of_counter_space(peer: Peer) -> str | None:
    first = await peer.request(peer.wrap(LAST_IC))
    if first[:1] != b"\xcc":  # glo-get-response: the first one is served
        return f"the first one was answered {first.hex(' ')}"
    answer = await _ask(peer, LAST_IC)
    ok = (
        isinstance(answer, ExceptionResponse)
        and answer.service_error is ServiceError.DECIPHERING_ERROR
    )
    return None if ok else f"answered {answer!r}"


async def hdlc_unknown_control(peer: Peer) -> str | None:
    frame = Frame(peer._server, Address.client(16), Control(Kind.UNKNOWN, True, raw=0xFF))
    assert peer.writer is not None
    peer.writer.write(frame.encode())
    await asyncio.wait_for(_until(peer, "FRMR"), 3)
    return None


async def hdlc_bad_fcs_ignored(peer: Peer) -> str | None:
    before = sum(n for k, n in peer.answers.items() if k.startswith("I "))
    frame = bytearray(peer.wrap(GET))
    frame[-2] ^= 0xFF  # the FCS
    assert peer.writer is not None
    peer.writer.write(bytes(frame))
    rr = Frame(peer._server, Address.client(16), Control(Kind.RR, True, nr=peer._nr))
    peer.writer.write(rr.encode())  # the link is still up and answers a poll
    await asyncio.wait_for(_until(peer, "RR"), 3)
    after = sum(n for k, n in peer.answers.items() if k.startswith("I "))
    return None if after == before else "answered the damaged frame"


async def _until(peer: Peer, kind: str) -> None:
    while not peer.answers[kind]:
        if await peer._read_answers(3) is None:
            raise ConnectionError(f"closed before {kind}")


CASES = (
    ("idle", Case("APPL: xDLMS request before any association", "wrapper",
                  appl_service_before_association)),
    ("idle", Case("APPL: AARQ with an application context not offered", "wrapper",
                  appl_unknown_context)),
    ("idle", Case("APPL: APDU with an unknown tag", "wrapper", appl_unknown_tag)),
    ("hls", Case("SEC: replayed invocation counter", "wrapper", sec_replayed_counter)),
    ("hls", Case("SEC: authentication tag does not verify", "wrapper", sec_wrong_tag)),
    ("hls", Case("SEC: plain request in a ciphered association", "wrapper",
                 sec_plain_in_ciphered)),
    ("hls", Case("SEC: plain RLRQ in a ciphered association", "wrapper", sec_plain_release)),
    ("hls", Case("SEC: the last invocation counter, twice (issue 11's bytes)", "wrapper",
                 sec_end_of_counter_space, bytes.fromhex("4F50454E414D5201"))),
    ("public", Case("HDLC: frame with an unknown control field", "hdlc", hdlc_unknown_control)),
    ("public", Case("HDLC: I frame with a bad FCS is ignored", "hdlc", hdlc_bad_fcs_ignored)),
)  # fmt: skip


async def run_cases(ports: dict[str, int]) -> list[tuple[str, str | None]]:
    """Every case whose transport is served; (name, None) for a pass."""
    results: list[tuple[str, str | None]] = []
    for index, (state, case) in enumerate(CASES):
        if case.transport not in ports:
            continue
        title = case.title or b"NEG" + struct.pack(">BI", 0, index)
        peer = Peer(case.transport, ports[case.transport], random.Random(index), title)
        try:
            await peer.open(state)
            results.append((case.name, await case.check(peer)))
        except (ConnectionError, TimeoutError, OSError) as e:
            results.append((case.name, f"{type(e).__name__}: {e}"))
        finally:
            peer.close()
    return results
