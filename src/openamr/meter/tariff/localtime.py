"""The meter's local time, as the tariff engines see it.

Calendars, schedules and billing dates are written in the meter's local wall-clock
time (Blue Book 4.5.5: day schedules and season starts are local times); energy
flows in instants. This module joins the two without reading any clock:

* :class:`LocalTime` is the one thing the engines need from the meter's Clock
  (class 8, :mod:`openamr.cosem.classes.clock`): ``zone(instant)``, the local zone
  in force at an aware instant. A Clock object satisfies it as is.
* :func:`zone_pieces` cuts an interval of instants into pieces of constant UTC
  offset. Within a piece local time is ``instant + offset``, a straight line, so a
  local breakpoint maps to exactly one instant: ``local - offset``.
* :func:`local_occurrences` maps local times that happen *once* (an end of billing,
  a passive calendar activation) to instants: a local time skipped by the spring
  jump happens at the jump; one repeated by the autumn fall-back happens at its
  first occurrence only.

Assumption: the UTC offset changes at most once in any 24 hours (true of every
daylight saving rule in use); the change is found by bisection to the microsecond.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

DAY = dt.timedelta(days=1)
_MICRO = dt.timedelta(microseconds=1)


class LocalTime(Protocol):
    """The meter's local time rules (the Clock object, class 8, has this method)."""

    def zone(self, instant: dt.datetime) -> dt.tzinfo:
        """The local zone in force at ``instant`` (aware)."""
        ...


@dataclass(frozen=True, slots=True)
class FixedOffset:
    """Local time rules with one constant offset (UTC, or a meter without DST)."""

    offset: dt.timedelta = dt.timedelta(0)

    def zone(self, instant: dt.datetime) -> dt.tzinfo:
        return dt.timezone(self.offset)


UTC_RULES = FixedOffset()


@dataclass(frozen=True, slots=True)
class ZonePiece:
    """Instants ``[start, end)`` over which local time is ``instant + offset``."""

    start: dt.datetime
    end: dt.datetime
    offset: dt.timedelta

    @property
    def local_start(self) -> dt.datetime:
        return naive_local(self.start, self.offset)

    @property
    def local_end(self) -> dt.datetime:
        return naive_local(self.end, self.offset)

    def instant(self, local: dt.datetime) -> dt.datetime:
        """The instant at which this piece shows the naive local time ``local``."""
        return (local - self.offset).replace(tzinfo=dt.UTC)


def naive_local(instant: dt.datetime, offset: dt.timedelta) -> dt.datetime:
    return (instant.astimezone(dt.UTC) + offset).replace(tzinfo=None)


def offset_at(rules: LocalTime, instant: dt.datetime) -> dt.timedelta:
    if isinstance(rules, CachedLocalTime):  # its spans hold the offset itself
        return rules.offset(instant)
    off = rules.zone(instant).utcoffset(instant)
    if off is None:
        raise ValueError("the local zone must have a UTC offset")
    return off


def local(rules: LocalTime, instant: dt.datetime) -> dt.datetime:
    """The naive local wall-clock time the meter shows at ``instant``."""
    return naive_local(instant, offset_at(rules, instant))


def _check_aware(*instants: dt.datetime) -> None:
    for t in instants:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"instants must be timezone-aware, got {t!r}")


def _first_change(
    rules: LocalTime, lo: dt.datetime, hi: dt.datetime, base: dt.timedelta
) -> dt.datetime:
    """The first instant in ``(lo, hi]`` whose offset is not ``base`` (``lo``'s;
    ``hi``'s differs)."""
    while hi - lo > _MICRO:
        mid = lo + (hi - lo) // 2
        if offset_at(rules, mid) == base:
            lo = mid
        else:
            hi = mid
    return hi


def zone_pieces(rules: LocalTime, t0: dt.datetime, t1: dt.datetime) -> list[ZonePiece]:
    """``[t0, t1)`` cut where the UTC offset changes (instants in UTC); cached local
    time rules remember the last few answers (an advance asks the same ones for its
    timeline, its rates and each billing schedule)."""
    if isinstance(rules, CachedLocalTime):
        return rules.pieces(t0, t1)
    return _zone_pieces(rules, t0, t1)


def _zone_pieces(rules: LocalTime, t0: dt.datetime, t1: dt.datetime) -> list[ZonePiece]:
    _check_aware(t0, t1)
    start, t1 = t0.astimezone(dt.UTC), t1.astimezone(dt.UTC)
    pieces: list[ZonePiece] = []
    chunk, offset = start, offset_at(rules, start)
    current = offset  # the offset of the piece that begins at ``start``
    while chunk < t1:
        end = min(chunk + DAY, t1)
        last = offset_at(rules, end - _MICRO)
        if last != offset:
            change = _first_change(rules, chunk, end - _MICRO, offset)
            pieces.append(ZonePiece(start, change, current))
            start, current = change, last
        chunk, offset = end, last
    if start < t1 or not pieces:
        pieces.append(ZonePiece(start, t1, current))
    return pieces


class CachedLocalTime:
    """Local time rules that remember spans of constant offset, so that a twin
    stepping through time asks its Clock about once per step. What is remembered is
    forgotten when the rules change: by :meth:`invalidate` (a clock set), and by
    itself when the rules' ``rules_version()`` changes (a client writes the Clock's
    time_zone or daylight saving attributes, Blue Book 4.5.1).

    A span grows from ``hi`` to ``x`` when both show the same offset and lie at
    most a day apart: by the one-change-per-day assumption nothing changed
    between them."""

    SPANS = 4
    PIECES = 3  # zone_pieces answers remembered (an advance asks three)

    def __init__(self, rules: LocalTime) -> None:
        self.rules = rules
        self._spans: list[_Span] = []
        self._pieces: dict[tuple[dt.datetime, dt.datetime], tuple[ZonePiece, ...]] = {}
        #: the rules' own attributes, when they say them (the Clock's rules_version):
        #: a change of any (a client's SET) forgets what was remembered
        self._version_of: Callable[[], tuple[object, ...]] | None = getattr(
            rules, "rules_version", None
        )
        self._version = None if self._version_of is None else self._version_of()

    def invalidate(self) -> None:
        self._spans.clear()
        self._pieces.clear()

    def _check_version(self) -> None:
        if self._version_of is not None:
            version = self._version_of()
            if version != self._version:
                self._version = version
                self.invalidate()

    def zone(self, instant: dt.datetime) -> dt.tzinfo:
        return dt.timezone(self.offset(instant))

    def offset(self, instant: dt.datetime) -> dt.timedelta:
        """The UTC offset in force at ``instant`` (aware): ``zone(instant)``'s."""
        self._check_version()
        return self._offset(instant.astimezone(dt.UTC))

    def pieces(self, t0: dt.datetime, t1: dt.datetime) -> list[ZonePiece]:
        """:func:`zone_pieces` of these rules, remembered (the same rules, the same cut)."""
        self._check_version()
        key = (t0, t1)
        found = self._pieces.get(key)
        if found is None:
            if len(self._pieces) >= self.PIECES:
                del self._pieces[next(iter(self._pieces))]
            found = self._pieces[key] = tuple(_zone_pieces(self, t0, t1))
        return list(found)

    def _offset(self, x: dt.datetime) -> dt.timedelta:
        for span in self._spans:
            if span.lo <= x <= span.hi:
                return span.offset
        off = offset_at(self.rules, x)
        for span in self._spans:
            if span.offset == off and span.hi < x <= span.hi + DAY:
                span.hi = x
                return off
            if span.offset == off and span.lo - DAY <= x < span.lo:
                span.lo = x
                return off
        self._spans.insert(0, _Span(x, x, off))
        del self._spans[self.SPANS :]
        return off


@dataclass(slots=True)
class _Span:
    """Instants ``[lo, hi]`` known to share one offset."""

    lo: dt.datetime
    hi: dt.datetime
    offset: dt.timedelta


#: Local times (naive) in ``[lo, hi)``, sorted.
LocalEnumerator = Callable[[dt.datetime, dt.datetime], Iterable[dt.datetime]]


def local_occurrences(
    rules: LocalTime, t0: dt.datetime, t1: dt.datetime, enumerate_local: LocalEnumerator
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """(instant, local time) of each once-only local time in instants ``(t0, t1]``.

    A skipped local time (spring jump) happens at the jump; a repeated one
    (autumn fall-back) at its first occurrence. ``enumerate_local(lo, hi)`` yields
    the naive local times of interest in ``[lo, hi)``.
    """
    _check_aware(t0, t1)
    start, stop = t0 + _MICRO, t1 + _MICRO  # (t0, t1] as [t0 + 1 us, t1 + 1 us)
    # local times below the mark have shown already (in the last day up to t0)
    mark = max(p.local_end for p in zone_pieces(rules, start - DAY, start))
    for piece in zone_pieces(rules, start, stop):
        hi = piece.local_end
        for when in enumerate_local(mark, hi):
            yield max(piece.start, piece.instant(when)), when
        mark = max(mark, hi)
