"""Sustained runs of abnormal readings, and the recovery that clears them (the rules are in
the package's docstring)."""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

# Bounds memory if a device reports far faster than once a minute (one every 5 s for 30 min).
MAX_WINDOW_READINGS = 360

Entry = tuple[float, float, int]  # (ts, value, flags)


@dataclass(frozen=True)
class Sustain:
    """What makes a run of flagged readings "sustained"."""

    min_span_s: float  # from the first flagged reading to the newest reading
    min_readings: int  # flagged readings, at least
    fraction: float  # of all readings since the first flagged one
    max_gap_s: float  # a longer hole in the data ends the run: it is not evidence


@dataclass(frozen=True)
class Episode:
    start: float  # the first flagged reading: when the condition began
    readings: int
    flagged: int


class Window:
    """The readings of the last ``window_s`` seconds in time order, counting each flag.

    The window is only the look-back; whether a flag is sustained is judged over the run
    since its first flagged reading, so the rule reads the same whether a bracelet
    reports every minute or every ten.
    """

    def __init__(self, window_s: float, flags: Iterable[int]):
        self.window_s = window_s
        self.entries: deque[Entry] = deque()
        self.counts = dict.fromkeys(flags, 0)

    @property
    def newest(self) -> float | None:
        return self.entries[-1][0] if self.entries else None

    def add(self, ts: float, value: float, flags: int) -> bool:
        """Add a reading; False when it was a repeat or too late to matter."""
        entries = self.entries
        entry = (ts, value, flags)
        if not entries or ts > entries[-1][0]:
            entries.append(entry)
        else:
            if ts <= entries[-1][0] - self.window_s:
                return False
            at = bisect_left(entries, ts, key=itemgetter(0))
            if entries[at][0] == ts:
                return False  # the same reading delivered twice
            entries.insert(at, entry)
        self._count(flags, 1)
        horizon = entries[-1][0] - self.window_s
        while entries[0][0] <= horizon or len(entries) > MAX_WINDOW_READINGS:
            self._count(entries.popleft()[2], -1)
        return True

    def _count(self, flags: int, step: int) -> None:
        for flag in self.counts:
            if flags & flag:
                self.counts[flag] += step

    def unflag(self, after: float, until: float, mask: int) -> None:
        """Take ``mask`` off the readings in (after, until]: news that came late."""
        entries = self.entries
        for i in range(len(entries) - 1, -1, -1):
            ts, value, flags = entries[i]
            if ts <= after:
                break
            if ts <= until and flags & mask:
                self._count(flags & mask, -1)
                entries[i] = (ts, value, flags & ~mask)

    def episode(self, flag: int, rule: Sustain) -> Episode | None:
        """The longest sustained run of ``flag`` reaching the newest reading, if any."""
        if self.counts[flag] < rule.min_readings:
            return None  # the common case: nothing to look at
        newest = previous = self.entries[-1][0]
        flagged = 0
        found = None
        # Walk back from now: every flagged reading is a candidate start.
        for readings, (ts, _, flags) in enumerate(reversed(self.entries), start=1):
            if previous - ts > rule.max_gap_s:
                break
            previous = ts
            if flags & flag:
                flagged += 1
                if (
                    newest - ts >= rule.min_span_s
                    and flagged >= rule.min_readings
                    and flagged >= rule.fraction * readings
                ):
                    found = Episode(ts, readings, flagged)
        return found

    def drop_before(self, ts: float) -> None:
        while self.entries and self.entries[0][0] < ts:
            self._count(self.entries.popleft()[2], -1)

    def median(self, since: float) -> float:
        values = [value for ts, value, _ in self.entries if ts >= since]
        return statistics.median(values) if values else float("nan")

    def state_dict(self) -> list[list[float]]:
        return [list(entry) for entry in self.entries]

    def load_state(self, entries: list[list[float]]) -> None:
        self.entries = deque((float(ts), float(value), int(flags)) for ts, value, flags in entries)
        self.counts = dict.fromkeys(self.counts, 0)
        for entry in self.entries:
            self._count(entry[2], 1)


class Recovery:
    """A run of consecutive in-range readings; an abnormal reading or a gap restarts it."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.last: float | None = None
        self.readings = 0

    def add(self, ts: float, in_range: bool, max_gap_s: float) -> None:
        if not in_range:
            # A late abnormal reading from before the run began does not contradict it.
            if self.since is None or ts >= self.since:
                self.reset()
            return
        if self.since is None or self.last is None or ts - self.last > max_gap_s:
            self.since, self.last, self.readings = ts, ts, 0
        self.since, self.last = min(self.since, ts), max(self.last, ts)
        self.readings += 1

    def lasted(self, seconds: float, readings: int) -> bool:
        if self.since is None or self.last is None:
            return False
        return self.readings >= readings and self.last - self.since >= seconds

    def reset(self) -> None:
        self.since, self.last, self.readings = None, None, 0

    def state_dict(self) -> list[Any]:
        return [self.since, self.last, self.readings]

    def load_state(self, state: list[Any]) -> None:
        self.since, self.last, self.readings = state


def minutes(seconds: float) -> float:
    return round(seconds / 60, 1)
