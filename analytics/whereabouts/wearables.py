"""What the resident's wearables say: walking, putting one on, moving, pressing SOS.

Wearables only say that she moves (steps continue outdoors), never where she is.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from contracts.reading import Reading

from .settings import WhereaboutsSettings
from .signals import changed
from .state import Stateful

if TYPE_CHECKING:
    from .doorway import Doorway


class Wearables(Stateful):
    FIELDS = ("steps", "worn", "steps_total", "last_wearable", "wearable_seen", "steps_seen")

    def __init__(self, settings: WhereaboutsSettings):
        self.settings = settings
        # per device: last value and its time (a late reading never overwrites newer)
        self.steps: dict[str, list[Any]] = {}
        self.worn: dict[str, list[Any]] = {}
        self.steps_total = 0.0  # steps counted as walking since monitoring began
        self.last_wearable: float | None = None  # last wearable activity
        self.wearable_seen: float | None = None  # last reading of any kind from a wearable
        self.steps_seen: float | None = None  # last step count reported (risen or not)
        self.counted_from: float | None = None  # the step count just handled covers from

    def seen(self, ts: float) -> None:
        self.wearable_seen = max(self.wearable_seen or ts, ts)

    def moved(self, ts: float) -> None:
        self.last_wearable = max(self.last_wearable or ts, ts)

    def wearing(self, now: float, within_s: float = 15 * 60) -> bool:
        """A wearable is on the resident and reporting: its steps can be trusted."""
        if self.wearable_seen is None or now - self.wearable_seen > within_s:
            return False
        return not self.worn or any(value is not False for value, _ in self.worn.values())

    def classify(self, reading: Reading, doorway: Doorway) -> tuple[str, str] | None:
        """The activity a wearable's reading shows, if any."""
        metric, value, ts = reading.metric, reading.value, reading.epoch
        if metric == "steps":
            return self._steps(reading.device, float(value), ts, doorway)
        if metric == "worn":
            if changed(self.worn, reading.device, value, ts, first=False) and value is True:
                return "wearable", "put on the wearable"
            return None
        if metric == "accel":
            return self._accel(reading)
        return None

    def _steps(
        self, device: str, count: float, ts: float, doorway: Doorway
    ) -> tuple[str, str] | None:
        self.steps_seen = max(self.steps_seen or ts, ts)
        seen = self.steps.get(device)
        if seen is None or count < seen[0]:
            if seen is None or ts >= seen[1]:
                self.steps[device] = [count, ts]  # first count, or reset at midnight
            return None
        if ts < seen[1]:
            return None  # late: the newer count already stands
        increase = count - seen[0]
        doorway.count_steps(increase, self.steps_total, lambda: self.wearing(ts))
        if increase < self.settings.min_steps:
            return None  # let small increments add up
        self.counted_from = seen[1]
        self.steps[device] = [count, ts]
        self.steps_total += increase
        return "wearable", f"walked {increase:.0f} steps"

    def _accel(self, reading: Reading) -> tuple[str, str] | None:
        threshold = self.settings.accel_movement_g
        ts = reading.epoch
        if threshold is None:
            return None
        if self.last_wearable is not None and ts - self.last_wearable < 60:
            return None  # moving a minute ago: no need to look (keeps this cheap)
        samples = reading.value if reading.is_batch else (reading.value,)
        magnitudes = [math.sqrt(x * x + y * y + z * z) for x, y, z in samples]
        if len(magnitudes) < 2 or max(magnitudes) - min(magnitudes) < threshold:
            return None
        return "wearable", "moved (wearable)"
