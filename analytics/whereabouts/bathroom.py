"""In the bathroom: a bathroom radar's presence from its start to its end; without a
radar, bathroom/toilet door passages toggle in and out, a bathroom motion sensor puts the
resident in; fixed-sensor activity elsewhere ends a stay. Steps never do: a wrist band
counts washing hands as steps, and sitting down elsewhere adds hardly any."""

from __future__ import annotations

from typing import Any

from .settings import Observation, WhereaboutsSettings
from .state import Stateful


class Bathroom(Stateful):
    FIELDS = ("bath", "bath_ended_at", "bath_inferred_end")

    def __init__(self, settings: WhereaboutsSettings, kinds: dict[str, str], has_radar: bool):
        self.settings = settings
        self._kind = kinds
        self.has_radar = has_radar
        self.bath: dict[str, Any] | None = None  # since, via, device, last
        self.bath_ended_at: float | None = None
        self.bath_inferred_end = False  # that end was activity elsewhere, not a door

    def activity(self, ts: float, device: str, klass: str, passage: bool) -> list[Observation]:
        if klass == "bathroom":
            self._inside(ts, device)
            return []
        if klass == "bathroom_door":
            return self._door(ts, device, passage)
        if self.bath is None or klass in ("inside", "wearable"):
            # Steps are not a sign of leaving: a wrist band counts washing hands as steps,
            # and sitting down elsewhere adds hardly any.
            return []
        # fixed-sensor activity elsewhere (another room, the front door)
        if ts > self.bath["last"] + self.settings.door_grace_s:
            return self._end(ts, clean=False)
        return []

    def exit(self, ts: float) -> list[Observation]:
        """The bathroom radar no longer sees anyone."""
        if self.bath is not None and self.bath["via"] == "radar" and ts >= self.bath["since"]:
            return self._end(ts, clean=True)
        return []

    def _inside(self, ts: float, device: str) -> None:
        bath = self.bath
        via = "radar" if self._kind[device] == "fall_radar" else "motion"
        if via != "radar" and self.has_radar:
            return  # the radar knows better than a motion sensor
        if bath is None:
            self.bath = {"since": ts, "via": via, "device": device, "last": ts}
            return
        bath["last"] = max(bath["last"], ts)
        if via == "radar" and bath["via"] != "radar":
            bath.update(via="radar", device=device)

    def _door(self, ts: float, device: str, passage: bool) -> list[Observation]:
        bath = self.bath
        if self.has_radar:
            return []  # the radar knows better than the door
        if not passage:
            if bath is not None:
                bath["last"] = max(bath["last"], ts)
            return []  # the same passage (open, step through, close)
        if bath is not None:
            return self._end(ts, clean=True)
        ended = self.bath_ended_at
        if (
            self.bath_inferred_end
            and ended is not None
            and ts - ended <= self.settings.door_grace_s
        ):
            # Activity elsewhere just before (a PIR seeing her on the way out): this
            # passage is her leaving, not going in again.
            self.bath_inferred_end = False
            return []
        self.bath = {"since": ts, "via": "door", "device": device, "last": ts}
        return []

    def _end(self, ts: float, *, clean: bool) -> list[Observation]:
        bath, self.bath = self.bath, None
        assert bath is not None
        self.bath_ended_at = ts
        self.bath_inferred_end = not clean
        return [Observation("bathroom", bath["since"], ts, clean=clean)]
