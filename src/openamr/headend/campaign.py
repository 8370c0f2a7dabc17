"""Firmware campaigns, sans-IO: one image for a group of meters, in a time window,
activated at once or at a time (Image transfer, class 18, Blue Book 4.4.6; the
procedure of 4.4.6.4 is the client's, :mod:`openamr.client.firmware`).

A meter of a campaign goes through these states (``campaign_meters.state``)::

    pending --transfer--> transferring --verified--> verified --activate--> activated
       |                      |    ^ transient failure: retried             |
       |                      |    | (the meter keeps the blocks it holds)  |
       +----------------------+----+--> failed  <---------------------------+
              permanent failure, or the window (or the activation's) ended

- *transfer* (a job of kind ``firmware``): image_transfer_initiate, the blocks the
  meter lacks, verify, image_to_activate_info; with no activation time it also
  activates (then the meter goes straight to ``activated``).
- *activate* (kind ``firmware_activate``) at ``activate_at``: the same call again
  (the meter holds every block, so none is sent; verified again), then
  image_activate; it may run until the activation deadline, ``activate_at`` plus
  the window's length.
- A meter that fails is left in a known state: ``failed`` with the step, the
  meter's answer and how many blocks it holds; it was not activated, so it runs
  the firmware it had (Blue Book 4.4.6.4: an image is only run once activated).

Everything here is decided from the stored rows and the time given; the asyncio
service (:mod:`openamr.headend.campaign_service`) stores, submits and runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

STATES = ("pending", "transferring", "verified", "activated", "failed")
TERMINAL = frozenset({"activated", "failed"})
TRANSFER, ACTIVATE = "firmware", "firmware_activate"


class CampaignError(ValueError):
    """A campaign that cannot be started as given; the message says what to change."""


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """What an operator asks for: times are UTC seconds."""

    identifier: str
    group: str
    window_start: int
    window_end: int
    activate_at: int | None = None  # None: activate as soon as verified

    def __post_init__(self) -> None:
        if not self.identifier or len(self.identifier.encode()) > 128:
            raise CampaignError("identifier: give the image's name, 1 to 128 bytes")
        if self.window_end <= self.window_start:
            raise CampaignError("window: its end must come after its start")
        if self.activate_at is not None and self.activate_at < self.window_start:
            raise CampaignError("activate_at: give a time at or after the window's start")

    @property
    def activation_deadline(self) -> int:
        at = self.window_end if self.activate_at is None else self.activate_at
        return max(at, self.window_end) + (self.window_end - self.window_start)


@dataclass(slots=True)
class Target:
    """One meter of a campaign, as stored."""

    serial: str
    meter_id: int
    cell: int | None
    state: str = "pending"
    attempts: int = 0
    blocks: int = 0
    held: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """A job to hand to the scheduler."""

    serial: str
    kind: str  # TRANSFER or ACTIVATE
    due: float
    deadline: float


def steps(
    spec: CampaignSpec, targets: Iterable[Target], now: float, queued: set[str]
) -> list[Step]:
    """The jobs due now or later for meters without one (``queued``: their serials)."""
    out = []
    for t in targets:
        if t.serial in queued or t.state in TERMINAL:
            continue
        if t.state in ("pending", "transferring") and now < spec.window_end:
            out.append(Step(t.serial, TRANSFER, max(now, spec.window_start), spec.window_end))
        elif (
            t.state == "verified"
            and spec.activate_at is not None
            and now < spec.activation_deadline
        ):
            due = max(now, spec.activate_at)
            out.append(Step(t.serial, ACTIVATE, due, spec.activation_deadline))
    return out


def expired(spec: CampaignSpec, targets: Iterable[Target], now: float) -> list[tuple[str, str]]:
    """(serial, reason) of meters whose time ran out: they become ``failed``."""
    out = []
    for t in targets:
        held = f"{t.held} of {t.blocks} blocks in the meter" if t.blocks else "no block sent"
        last = f" (last: {t.reason})" if t.reason else ""
        if t.state in ("pending", "transferring") and now >= spec.window_end:
            out.append(
                (
                    t.serial,
                    f"window ended before the transfer completed{last}; {held}; "
                    "not activated: it runs its old firmware",
                )
            )
        elif t.state == "verified" and now >= spec.activation_deadline:
            out.append(
                (
                    t.serial,
                    f"activation not confirmed by its deadline{last}; image "
                    "verified in the meter, not activated",
                )
            )
    return out


def next_wake(spec: CampaignSpec, targets: Iterable[Target], now: float) -> float | None:
    """When this campaign next needs looking at (a window opens or ends)."""
    live = [t for t in targets if t.state not in TERMINAL]
    if not live:
        return None
    times = [spec.window_start, spec.window_end, spec.activation_deadline]
    if spec.activate_at is not None:
        times.append(spec.activate_at)
    later = [x for x in times if x > now]
    return min(later) if later else now


def counts(targets: Iterable[Target]) -> dict[str, int]:
    """Meters per state, every state named (zero included)."""
    found = Counter(t.state for t in targets)
    return {s: found.get(s, 0) for s in STATES}


def campaign_state(spec: CampaignSpec, targets: list[Target], now: float) -> str:
    """``scheduled`` (before the window), ``running``, or ``done`` (every meter
    activated or failed)."""
    if (targets and all(t.state in TERMINAL for t in targets)) or not targets:
        return "done"
    return "scheduled" if now < spec.window_start else "running"
