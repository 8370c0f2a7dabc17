"""What a meter's modem does with an incoming call, sans-IO (issue 16; docs/gsm-meter.md
"Who may call"), from Auto answer (class 28, Blue Book 4.7.4: ``mode``,
``listening_window``, ``number_of_rings``, ``list_of_allowed_callers``) and the Mx372
call restriction over Auto connect's destinations (class 29, 4.7.5).

Decisions ([I], the MT372's own rules are not public), drawn as a table::

    incoming call from       registered, no call     -> outcome
    -------------------      --------------------       ---------------------------
    not on the whitelist     any                        NO_ANSWER (rings forever)
    whitelisted, CSD         in the window: rings_in    ANSWER after that many rings
                             outside: rings_out         (0 rings: NO_ANSWER)
    whitelisted, wake-up     any                        REJECT after one ring (the
                                                        caller sees BUSY), WakeUp
    anyone                   in a call / busy fault     REJECT at once (BUSY)
    anyone                   no SIM, not registered,    UNREACHABLE (NO CARRIER)
                             signal < MIN_CALL_CSQ

An empty whitelist (no allowed caller, no flagged destination) admits everyone as a
normal CSD call (Blue Book: the list restricts when it is not empty). Auto answer
mode 3 (no modem) answers nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from openamr.cosem.classes.auto_answer import AutoAnswerMode, CallType
from openamr.gsm.modem_types import (
    RING_S,
    AutoAnswerSettings,
    AutoConnectSettings,
    CallOffer,
    CallOutcome,
    WakeUp,
)
from openamr.gsm.sim import normalise_number

#: (when, source, caller) -> the wake-up, or None when the mode ignores it
Wake = Callable[[float, str, str], "WakeUp | None"]


def caller_type(aa: AutoAnswerSettings, ac: AutoConnectSettings, caller: str) -> CallType | None:
    """How a caller is treated: None if not on the whitelist."""
    number = normalise_number(caller)
    allowed = {normalise_number(c): t for c, t in aa.allowed_callers}
    for i, destination in enumerate(ac.destinations):
        if ac.csd_flags >> i & 1:
            allowed.setdefault(normalise_number(destination), CallType.NORMAL_CSD)
    if not allowed:
        return CallType.NORMAL_CSD
    return allowed.get(number)


def offer(
    aa: AutoAnswerSettings, ac: AutoConnectSettings, caller: str, now: float, *,
    unreachable: str, busy: bool, wake: Wake,
) -> CallOffer:  # fmt: skip
    """The outcome of a call ringing at ``now`` (the table above); ``unreachable``:
    why the modem cannot take calls ("" if it can), ``busy``: the line is taken."""
    if unreachable:
        return CallOffer(CallOutcome.UNREACHABLE, unreachable)
    if busy:
        return CallOffer(CallOutcome.REJECT, "the line is busy", reject_at=now)
    if aa.mode == AutoAnswerMode.NO_MODEM:
        return CallOffer(CallOutcome.NO_ANSWER, "auto answer mode 3: no modem answers")
    kind = caller_type(aa, ac, caller)
    if kind is None:
        return CallOffer(CallOutcome.NO_ANSWER, f"{caller} is not on the whitelist")
    if kind is CallType.WAKE_UP:
        woken = wake(now + RING_S, "call", caller)
        reason = "wake-up call: rejected after one ring" + ("" if woken else ", ignored")
        return CallOffer(CallOutcome.REJECT, reason, 1, None, now + RING_S, kind, woken)
    inside = aa.in_window(now)
    rings = aa.rings_in_window if inside else aa.rings_out_of_window
    if rings == 0:
        where = "inside" if inside else "outside"
        return CallOffer(CallOutcome.NO_ANSWER, f"0 rings {where} the listening window")
    answer_at = now + rings * RING_S
    return CallOffer(CallOutcome.ANSWER, f"answered after {rings} rings", rings, answer_at,
                     call_type=kind)  # fmt: skip
