"""Negative cases, by name, from the DLMS UA conformance test plans (HDLC, application
layer, symmetric security): each one sends what a conforming server must refuse, and
checks the refusal it gives.

Where the plans' identifiers are public, a case carries them: the DLMS UA's list of
the tests its conformance test tool implements (dlms.com, "Conformance test plans":
test groups ``HDLC_1`` .. and ``Appl_01`` .., each with numbered subtests), and
``HDLC_FRAME_N7`` (HCS field check) of the HDLC abstract test suite of Yellow Book
edition 6.1 as quoted in a public Gurux forum thread. The test plans themselves
(and the symmetric-security suite) are for DLMS UA members: a case named "ours" has
no public identifier, and says so (RELIABILITY.md).

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
from openamr.apdu.acse import Aare, Aarq, AcseRequirements, AcseServiceUser, Rlre, Rlrq
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
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


async def appl_get_unsupported_tag(peer: Peer) -> str | None:
    """A GetRequest whose CHOICE tag is not one of GetRequest's (0x07)."""
    await _associate_public(peer)
    answer = await _ask(peer, bytes.fromhex("c0 07") + GET[2:])
    return None if isinstance(answer, ExceptionResponse) else f"answered {answer!r}"


async def appl_get_truncated(peer: Peer) -> str | None:
    """A GetRequest without the instance id's end and the attribute number."""
    await _associate_public(peer)
    answer = await _ask(peer, GET[:8])
    return None if isinstance(answer, ExceptionResponse) else f"answered {answer!r}"


async def _associate_public(peer: Peer) -> None:
    initiate = InitiateRequest(proposed_conformance=Conformance.GET)
    aarq = Aarq(user_information=initiate.to_bytes())
    aare = await _ask(peer, aarq.to_bytes())
    if not isinstance(aare, Aare) or aare.result != 0:
        raise ConnectionError(f"the public AARQ was refused: {aare!r}")


def _lls_aarq(password: bytes, mechanism: MechanismName = MechanismName.LLS) -> bytes:
    return Aarq(
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=mechanism,
        calling_authentication_value=password,
        user_information=InitiateRequest(proposed_conformance=Conformance.GET).to_bytes(),
    ).to_bytes()


async def appl_wrong_password(peer: Peer) -> str | None:
    peer.client = 32  # the LLS association
    answer = await _ask(peer, _lls_aarq(b"wrong-pw"))
    ok = (
        isinstance(answer, Aare)
        and answer.result != 0
        and answer.result_source_diagnostic is AcseServiceUser.AUTHENTICATION_FAILURE
    )
    return None if ok else f"answered {answer!r}"


async def appl_wrong_mechanism(peer: Peer) -> str | None:
    peer.client = 32
    answer = await _ask(peer, _lls_aarq(b"12345678", MechanismName.HLS_GMAC))
    ok = isinstance(answer, Aare) and answer.result != 0
    return None if ok else f"answered {answer!r}"


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
    return await _damaged_frame_ignored(peer, -2)  # the FCS, before the closing flag


async def hdlc_bad_hcs_discarded(peer: Peer) -> str | None:
    return await _damaged_frame_ignored(peer, 3 + len(peer._server.encode()) + 2)  # the HCS


async def _damaged_frame_ignored(peer: Peer, at: int) -> str | None:
    """An I frame with the octet at ``at`` damaged gets no answer, and the link is
    still up: it answers a poll."""
    before = sum(n for k, n in peer.answers.items() if k.startswith("I "))
    frame = bytearray(peer.wrap(GET))
    frame[at] ^= 0xFF
    assert peer.writer is not None
    peer.writer.write(bytes(frame))
    rr = Frame(peer._server, Address.client(16), Control(Kind.RR, True, nr=peer._nr))
    peer.writer.write(rr.encode())
    await asyncio.wait_for(_until(peer, "RR"), 3)
    after = sum(n for k, n in peer.answers.items() if k.startswith("I "))
    return None if after == before else "answered the damaged frame"


async def _until(peer: Peer, kind: str) -> None:
    while not peer.answers[kind]:
        if await peer._read_answers(3) is None:
            raise ConnectionError(f"closed before {kind}")


CASES = (
    ("idle", Case("Appl_14 idle state: an xDLMS request before any association", "wrapper",
                  appl_service_before_association)),
    ("idle", Case("Appl_02 Subtest_1: AARQ with the wrong application context", "wrapper",
                  appl_unknown_context)),
    ("idle", Case("Appl_04 Subtest_5: associate using the wrong mechanism", "wrapper",
                  appl_wrong_mechanism)),
    ("idle", Case("Appl_04 Subtest_6: associate using the wrong password", "wrapper",
                  appl_wrong_password)),
    ("idle", Case("Appl_16 Subtest_1: GetRequest with an unsupported tag number", "wrapper",
                  appl_get_unsupported_tag)),
    ("idle", Case("Appl_16 Subtest_2: GetRequest truncated (no attribute number)", "wrapper",
                  appl_get_truncated)),
    ("idle", Case("APPL (ours): an APDU with an unknown tag", "wrapper", appl_unknown_tag)),
    ("hls", Case("SEC (ours): replayed invocation counter", "wrapper", sec_replayed_counter)),
    ("hls", Case("SEC (ours): authentication tag does not verify", "wrapper", sec_wrong_tag)),
    ("hls", Case("SEC (ours): plain request in a ciphered association", "wrapper",
                 sec_plain_in_ciphered)),
    ("hls", Case("SEC (ours): plain RLRQ in a ciphered association", "wrapper",
                 sec_plain_release)),
    ("hls", Case("SEC (ours): the last invocation counter, twice (issue 11's bytes)", "wrapper",
                 sec_end_of_counter_space, bytes.fromhex("4F50454E414D5201"))),
    ("public", Case("HDLC_1 Subtest_9: unknown command identifier in the control field",
                    "hdlc", hdlc_unknown_control)),
    ("public", Case("HDLC_FRAME_N7: HCS field check (a bad HCS is discarded)", "hdlc",
                    hdlc_bad_hcs_discarded)),
    ("public", Case("HDLC (ours): an I frame with a bad FCS is ignored", "hdlc",
                    hdlc_bad_fcs_ignored)),
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
