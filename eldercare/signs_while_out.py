"""What a recorded home's sensors did while nobody was there: its signs while she was out.

Real sensors are not silent in an empty home: a PIR fires by itself every hour, a contact
flaps for an evening. A collapsed resident leaves the home as still as an absent one, so
the same signs would come during a collapse's silence, and each may look like her moving.
``eldercare eval homes --signs-while-out`` plays them into every injected collapse: the
readings from inside the home's labelled outings (``margin_s`` after she left and before
she came back, so that her own comings and goings are not among them), laid end to end,
from a random point of that timeline on.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from contracts.reading import Reading

MARGIN_S = 600.0  # her own leaving and coming back: the door, the hall, the coat


@dataclass(frozen=True)
class SignsWhileOut:
    """The readings of the inside of a home's outings on one timeline from 0 to
    ``length_s`` (each outing's inside follows the previous one's)."""

    offsets: tuple[float, ...]
    readings: tuple[Reading, ...]
    length_s: float

    @classmethod
    def of(
        cls,
        readings: Sequence[Reading],
        outings: Iterable[tuple[float, float]],
        margin_s: float = MARGIN_S,
    ) -> SignsWhileOut:
        epochs = [r.epoch for r in readings]
        offsets: list[float] = []
        kept: list[Reading] = []
        length = 0.0
        for start, end in sorted(outings):
            inside_from, inside_to = start + margin_s, end - margin_s
            if inside_to <= inside_from:
                continue
            first = bisect.bisect_right(epochs, inside_from)
            last = bisect.bisect_left(epochs, inside_to)
            for reading in readings[first:last]:
                offsets.append(length + reading.epoch - inside_from)
                kept.append(reading)
            length += inside_to - inside_from
        return cls(tuple(offsets), tuple(kept), length)

    def during(self, moment: float, duration_s: float, rng: random.Random) -> list[Reading]:
        """The signs of ``duration_s`` of empty home from a random point on (going round
        the timeline where it is shorter), as if they came from ``moment`` on."""
        if self.length_s <= 0 or not self.readings:
            return []
        shifted: list[Reading] = []
        start = rng.uniform(0, self.length_s)
        played = 0.0
        while played < duration_s:
            span = min(duration_s - played, self.length_s - start)
            first = bisect.bisect_left(self.offsets, start)
            last = bisect.bisect_left(self.offsets, start + span)
            for offset, reading in zip(
                self.offsets[first:last], self.readings[first:last], strict=True
            ):
                at = moment + played + offset - start
                # Validated anew, not model_copy: that would keep the cached epoch.
                shifted.append(Reading.model_validate({**reading.model_dump(), "ts": at}))
            played += span
            start = 0.0
        return shifted
