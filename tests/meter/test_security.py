"""The MT372's memory of invocation counters and its LLS guard (issue 11, items 1, 3
and 7; Green Book 9.2.7.2.4 and 9.2.2.2.2), in memory against the twin's objects."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, Aarq, AcseRequirements, AssociationResult
from openamr.apdu.action import ActionRequestNormal, ActionResponseNormal
from openamr.apdu.descriptors import CosemMethodDescriptor
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.apdu.results import ActionResult
from openamr.association.server_association import ServerAssociation, State
from openamr.cli.state_files import counters_path
from openamr.codec.obis import Obis
from openamr.codec.types import Long
from openamr.meter.application import ServerApplication
from openamr.meter.assembly import TwinMeter
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK, Credentials
from openamr.meter.events import EventCode
from openamr.meter.mt372 import build_mt372
from openamr.meter.state import StateStore
from openamr.security import hls
from openamr.security.ciphering import CipheringSession
from openamr.security.control_byte import SecurityControl
from openamr.security.counters import OutgoingCounter
from openamr.security.keys import KeySet, SecurityContext
from openamr.security.lls import LockoutPolicy

TITLE = bytes.fromhex("4F50454E414D5201")
METER_TITLE = Credentials().system_title
SHIFT_TIME = CosemMethodDescriptor(8, Obis.parse("0.0.1.0.0.255"), 6)


def association(app: ServerApplication, client: int = 1) -> ServerAssociation:
    return ServerAssociation(app.configs, client, os.urandom, app.outgoing, app.received)


def associate_hls(server: ServerAssociation, start: int) -> tuple[CipheringSession, bytes | None]:
    """Associate (AARQ + pass 3) from IC ``start``; the session and the pass 4 reply
    (None when the AARQ was refused)."""
    policy = SecurityControl(authentication=True, encryption=True)
    keys = SecurityContext(KeySet(DEFAULT_EK, DEFAULT_AK), TITLE, METER_TITLE)
    s = CipheringSession(keys, policy, OutgoingCounter(start))
    initiate = InitiateRequest(proposed_conformance=Conformance.GET | Conformance.ACTION)
    aarq = Aarq(
        application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        calling_ap_title=TITLE,
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=b"CtoS-challenge!!",
        user_information=s.encipher(initiate.to_bytes()),
    )
    answer = server.receive(aarq.to_bytes())
    assert answer is not None
    aare = decode_apdu(answer)
    assert isinstance(aare, Aare)
    if aare.result is not AssociationResult.ACCEPTED:
        return s, None
    assert aare.responding_authentication_value is not None
    f = hls_reply(aare.responding_authentication_value, s.outgoing.value + 1)
    method = CosemMethodDescriptor(15, Obis.parse("0.0.40.0.0.255"), 1)
    reply = server.receive(s.encipher(ActionRequestNormal(method, f).to_bytes()))
    assert server.state is State.ASSOCIATED
    return s, reply


def hls_reply(stoc: bytes, ic: int) -> bytes:
    return hls.client_reply(stoc, TITLE, ic, DEFAULT_EK, DEFAULT_AK)


def meter_time(meter: TwinMeter) -> dt.datetime:
    return meter.twin.source.now()


def test_a_captured_clock_shift_is_not_replayed_in_a_new_association() -> None:
    """Item 1: ACTION shift_time +600 s at IC 1004, replayed after a new association
    whose client starts low (refused at once) and one that starts high."""
    meter = build_mt372()
    app = meter.app
    first = association(app)
    s, _ = associate_hls(first, 1002)  # AARQ 1002, pass 3 1003
    captured = s.encipher(ActionRequestNormal(SHIFT_TIME, Long(600)).to_bytes())
    assert s.outgoing.value == 1005
    before = meter_time(meter)
    answer = first.receive(captured)
    assert answer is not None
    done = decode_apdu(s.decipher(answer).apdu)
    assert isinstance(done, ActionResponseNormal)
    assert done.single_response.result is ActionResult.SUCCESS
    shifted = meter_time(meter)
    assert shifted - before >= dt.timedelta(seconds=600)
    low, _ = associate_hls(association(app), 1)
    assert low.outgoing.value == 2  # its AARQ was refused: IC 1 is below 1004
    second = association(app)
    associate_hls(second, 2000)
    replayed = second.receive(captured)
    assert replayed is not None and isinstance(decode_apdu(replayed), ExceptionResponse)
    assert meter_time(meter) - shifted < dt.timedelta(seconds=600)


def test_without_a_state_file_the_counter_store_keeps_the_meter_from_reusing_an_ic(
    tmp_path: Path,
) -> None:
    """Item 3: two runs on the same keys; the second's first ciphered answer is above
    every IC of the first (it started at 1 each time before)."""
    path = tmp_path / "counters.sqlite"
    used: list[list[int]] = []
    for _run in range(2):
        store = StateStore.open(path)
        app = build_mt372(counters=store).app
        server = association(app)
        s, reply = associate_hls(server, 1 + 100 * len(used))
        assert reply is not None
        ics = [s.decipher(reply).invocation_counter]
        used.append([*ics, app.outgoing.value - 1])
        store.close()
    assert min(used[1]) > max(used[0])


def test_the_counter_store_lives_in_the_state_directory(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert (
        counters_path(METER_TITLE) == tmp_path / "openamr" / f"counters-{METER_TITLE.hex()}.sqlite"
    )


def lls(password: bytes) -> bytes:
    return Aarq(
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.LLS,
        calling_authentication_value=password,
        user_information=InitiateRequest(proposed_conformance=Conformance.GET).to_bytes(),
    ).to_bytes()


def test_an_lls_lockout_is_in_the_log_book() -> None:
    """Item 7: the meter's guard is shared by every connection and logs 0x8036."""
    meter = build_mt372(lockout=LockoutPolicy(free_failures=1, lockout_failures=3, lockout=60))
    app = meter.app
    log = meter.twin.objects.event_log
    before = len(log.rows)
    for i in range(3):  # each attempt on a new connection
        answer = association(app, 32).receive(lls(b"wrong"), now=10.0 * i)
        assert answer is not None
    codes = [row[1] for row in log.rows[before:]]
    assert codes == [EventCode.ASSOCIATION_FAILED]
    refused = decode_apdu(association(app, 32).receive(lls(b"12345678"), now=30.0) or b"")
    assert isinstance(refused, Aare) and refused.result is AssociationResult.REJECTED_TRANSIENT


def hls_attempt(server: ServerAssociation, start: int, now: float, good: bool) -> str:
    """One HLS association attempt at ``now`` from IC ``start``: "refused" (the AARQ),
    "failed" (pass 3 not accepted) or "associated"."""
    policy = SecurityControl(authentication=True, encryption=True)
    keys = SecurityContext(KeySet(DEFAULT_EK, DEFAULT_AK), TITLE, METER_TITLE)
    s = CipheringSession(keys, policy, OutgoingCounter(start))
    aarq = Aarq(
        application_context_name=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        calling_ap_title=TITLE,
        sender_acse_requirements=AcseRequirements.AUTHENTICATION,
        mechanism_name=MechanismName.HLS_GMAC,
        calling_authentication_value=b"CtoS-challenge!!",
        user_information=s.encipher(
            InitiateRequest(proposed_conformance=Conformance.GET).to_bytes()
        ),
    )
    aare = decode_apdu(server.receive(aarq.to_bytes(), now=now) or b"")
    assert isinstance(aare, Aare)
    if aare.result is not AssociationResult.ACCEPTED:
        return "refused"
    assert aare.responding_authentication_value is not None
    f = hls_reply(aare.responding_authentication_value, s.outgoing.value + 1)
    if not good:
        f = bytes([f[0]]) + bytes(b ^ 0x55 for b in f[1:])  # a wrong f(StoC), same shape
    method = CosemMethodDescriptor(15, Obis.parse("0.0.40.0.0.255"), 1)
    server.receive(s.encipher(ActionRequestNormal(method, f).to_bytes()), now=now)
    return "associated" if server.state is State.ASSOCIATED else "failed"


def test_wrong_hls_pass_3_answers_are_slowed_then_locked_out_and_logged() -> None:
    """A wrong f(StoC) in reply_to_HLS_authentication (Green Book 9.2.7.4, pass 3)
    counts as a wrong password: free failures, then a delay, then a lockout that the
    log-book records (0x8036); LLS keeps its own count; a good pass 3 after the window
    associates and resets the count."""
    policy = LockoutPolicy(free_failures=1, first_delay=5.0, lockout_failures=3, lockout=60)
    meter = build_mt372(lockout=policy)
    app = meter.app
    log = meter.twin.objects.event_log
    before = len(log.rows)
    assert hls_attempt(association(app), 100, now=0.0, good=False) == "failed"  # free
    assert hls_attempt(association(app), 200, now=0.0, good=False) == "failed"  # delay 5 s
    assert hls_attempt(association(app), 300, now=1.0, good=True) == "refused"  # too soon
    assert hls_attempt(association(app), 400, now=6.0, good=False) == "failed"  # lockout
    assert [row[1] for row in log.rows[before:]] == [EventCode.ASSOCIATION_FAILED]
    assert hls_attempt(association(app), 500, now=50.0, good=True) == "refused"
    lls_answer = decode_apdu(association(app, 32).receive(lls(b"12345678"), now=50.0) or b"")
    assert isinstance(lls_answer, Aare) and lls_answer.result is AssociationResult.ACCEPTED
    assert hls_attempt(association(app), 600, now=67.0, good=True) == "associated"
    assert app.configs[1].guard is not None and app.configs[1].guard.failures == 0
