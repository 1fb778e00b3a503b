"""A wearable's clock set back, told from a late message by the batches that follow it.

A batch that starts before its wearable's stream has got to is either late (a message sent
again after a reconnect, one overtaken by the next) or the first of a clock set back (a
reset, an NTP correction of minutes). The batch alone cannot say which; the ones after it
can. After a late message the stream goes on where it was; after a clock set back it goes
on from the earlier time, and never reaches the old end until that much time has passed:
every batch would be dropped as late meanwhile, and no fall detected. So such batches are
held while they continue one another; a batch that goes on with the stream makes them late
copies, dropped; once they make :data:`JUMP_CONFIRM_S` of a stream of their own, the clock
has jumped, and the stream starts again from the first of them, nothing lost.

Used by the fall detector (``FallEventDetector``) and by the edge's kept accelerometer
stream (``edge.accel``), so both follow the same clock.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")

# Held batches of a stream of their own this long are a clock set back. Longer than a
# message overtaken by its neighbour (up to 5 s apart) or a redelivered one or two; a
# clock set back by less heals by itself sooner (its batches reach the old end), having
# lost that much. A fall in the first seconds after a jump is decided this much later.
JUMP_CONFIRM_S = 5.0


class BackwardBatches(Generic[T]):
    """One wearable's batches from before its stream's end, while they continue each other."""

    def __init__(self) -> None:
        self.held: list[tuple[float, float, float, T]] = []  # (start, end, rate, batch)

    def hold(self, start: float, end: float, rate: float, batch: T, join_s: float) -> int:
        """Hold a batch that starts before the stream's end (``join_s``: how far its start
        may be from the previous held batch's end to continue it). Returns how many batches
        held before it turned out late: those it does not continue."""
        late = 0
        if self.held:
            _, last_end, last_rate, _ = self.held[-1]
            if rate != last_rate or abs(start - last_end) > join_s:
                late = self.drop()
        self.held.append((start, end, rate, batch))
        return late

    @property
    def jumped(self) -> bool:
        """Whether what is held is a stream of its own long enough to be a clock set back."""
        return bool(self.held) and self.held[-1][1] - self.held[0][0] >= JUMP_CONFIRM_S

    @property
    def start(self) -> float:
        return self.held[0][0]

    @property
    def batches(self) -> list[T]:
        """The held batches, in order."""
        return [batch for *_, batch in self.held]

    def take(self) -> list[T]:
        """The held batches, in order, to start the stream again from; none are kept."""
        batches, self.held = self.batches, []
        return batches

    def drop(self) -> int:
        """The stream went on where it was: what was held was late. How many were."""
        late, self.held = len(self.held), []
        return late
