"""What a vitals detector must know of each bracelet: is it on the wrist, and is she at rest
(no walking counted for a while)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.reading import Reading

# Bracelets count steps every minute to every 15 minutes.
LONGEST_STEPS_INTERVAL_S = 15 * 60


class Bracelets:
    """What each wearable says about itself: on the wrist or not, and its step count."""

    def __init__(self) -> None:
        # device -> [worn_ts, worn, steps_ts, steps, moved_ts]
        self.devices: dict[str, list[Any]] = {}

    def _device(self, device: str) -> list[Any]:
        return self.devices.setdefault(device, [None, True, None, None, None])

    def note_worn(self, reading: Reading) -> None:
        state = self._device(reading.device)
        ts = reading.epoch
        if state[0] is None or ts >= state[0]:
            state[0], state[1] = ts, reading.value

    def worn(self, device: str, ts: float) -> bool:
        """Worn unless the device said it was taken off before ``ts`` (no word = worn)."""
        state = self.devices.get(device)
        return state is None or state[1] or state[0] is None or ts < state[0]

    def note_steps(
        self, reading: Reading, walking_steps_per_min: float
    ) -> tuple[float, float] | None:
        """Take in a step count; returns (after, until] when it shows the resident moving.

        A few steps a minute are arm movements at the table or a shuffle to the next room,
        not effort that raises the heart rate; counts arrive every few minutes, so the
        movement happened somewhere in the interval since the previous one.
        """
        state = self._device(reading.device)
        ts, steps = reading.epoch, float(reading.value)
        previous_ts, previous = state[2], state[3]
        if previous_ts is not None and ts <= previous_ts:
            return None  # late or repeated: says nothing about now
        state[2], state[3] = ts, steps
        if previous_ts is None:
            return None
        # A lower count is the midnight reset (steps are counted since midnight).
        taken = steps - previous if steps >= previous else steps
        # After a long silence (bracelet off, out of range) the steps may all be recent:
        # spread them over no more than a usual reporting interval.
        minutes = min(ts - previous_ts, LONGEST_STEPS_INTERVAL_S) / 60
        if taken <= walking_steps_per_min * minutes:
            return None
        state[4] = ts
        return previous_ts, ts

    def at_rest(self, device: str, ts: float, rest_s: float) -> bool:
        """No walking counted in the last ``rest_s``. A bracelet that never reports steps
        cannot show activity, so its wearer counts as at rest."""
        state = self.devices.get(device)
        moved = state[4] if state else None
        return moved is None or ts - moved >= rest_s

    def state_dict(self) -> dict[str, list[Any]]:
        return {device: list(state) for device, state in self.devices.items()}

    def load_state(self, state: Mapping[str, list[Any]]) -> None:
        self.devices = {device: list(values) for device, values in state.items()}
