"""``night_wandering``: out through the front door in her night and not back in.

Her night is the one learned from when she goes to rest and gets up (the config's night
until then, analytics.whereabouts.day), ending by the earliest she has got up recently:
a late riser who is up early some days and goes straight out is not wandering at an hour
she has been up at. While the routine is being learned, its first ``learning_trim_s`` do
not count (a late evening out is not wandering).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.home import HomeConfig

from ..context import HomeContext
from ..events import Event
from ..whereabouts import Whereabouts
from .base import HOUR, MINUTE, ActivityDetector, minutes


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NightWanderingSettings:
    # After the front door is used at night, no sign of the resident back inside
    # (indoor activity after the door closed) for this long: critical.
    window_s: float = Field(default=15 * MINUTE, gt=0)
    # When the resident wears a reporting wearable, its steps say who went out: a step
    # count since the door with fewer than this many means she is not walking away (a
    # helper leaving while she is in bed): not raised unless she starts. After someone
    # came in (a guest), a departure is raised only on such steps counted wholly after
    # the door, since it is most likely the guest leaving.
    min_steps: float = Field(default=20, ge=0)
    learning_trim_s: float = Field(default=2 * HOUR, ge=0)
    # The window stays within these whatever the feedback.
    floor_s: float = Field(default=10 * MINUTE, gt=0)
    ceiling_s: float = Field(default=45 * MINUTE, gt=0)


class NightWanderingDetector(ActivityDetector):
    """``night_wandering``: out through the front door at night and not back in.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "front", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:front"},
    ...                 {"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]})
    >>> monitor = HomeMonitor(home, detectors=[NightWanderingDetector])
    >>> r = lambda m, dev, metric, v: Reading(ts=2 * 3600 + m * 60, home="h1", device=dev,
    ...                                       metric=metric, value=v)
    >>> _ = monitor.feed(r(0, "front", "contact", "open"))
    >>> _ = monitor.feed(r(0.2, "front", "contact", "closed"))
    >>> [(e.state, e.severity, e.evidence["door_opened"]) for e in monitor.advance(3 * 3600)]
    [('raised', 'critical', '02:00')]
    >>> _ = monitor.feed(r(70, "front", "contact", "open"))
    >>> [(e.state, e.evidence["back_at"]) for e in monitor.feed(r(72, "pir", "motion", True))]
    [('cleared', '03:10')]
    """

    name = "night_wandering"

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        # At a care home leaving at night is through the unit door: left_unit_at_night.
        return config.place is None

    kind = "night_wandering"
    kinds = ("night_wandering",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = home.settings(self.name, NightWanderingSettings)
        self.raised_for: float | None = None  # the departure the event is about
        self.raised_at: float | None = None

    def check(self, upto: float) -> list[Event]:
        w = self.where
        away = w.doorway.away()
        if self.condition.is_open:
            if away is not None:
                return []
            assert self.raised_at is not None
            back = max(w.doorway.home_at or upto, self.raised_at)
            evidence = {
                "summary": f"back inside at {self._local(back)}",
                "back_at": self._local(back),
            }
            return self._emit(self.condition.end(back, evidence))
        if away is None:
            return []
        opened, last_door = away
        if self.announced_away(opened) is not None:
            return []  # the door used while she is away as announced: her family, a neighbour
        s = self.settings
        trim = s.learning_trim_s if w.learning(opened) else 0.0
        if self.raised_for == opened or not w.day.in_night(opened, trim, until_earliest_wake=True):
            return []
        window = self.adjusted(s.window_s, s.floor_s, s.ceiling_s)
        deadline = last_door + window
        if deadline > upto:
            return []
        steps = w.doorway.steps_since_door(w.wearables.steps_total)
        guest = (
            w.doorway.guest_leaving
            if w.doorway.location == "out"
            else bool((w.doorway.pending or {}).get("guest"))
        )
        if guest and w.wearables.wearing(upto):
            # Someone came in earlier: the door may be them leaving. Raised only once
            # she is seen walking in step counts wholly after the door.
            walked = w.doorway.walked_since_door(w.wearables.steps_total)
            if walked is None or walked < s.min_steps:
                return []
            deadline = max(deadline, min(upto, w.wearables.steps_seen or upto))
        elif w.wearables.wearing(upto) and steps < s.min_steps:
            if w.wearables.steps_seen is not None and w.wearables.steps_seen > last_door:
                return []  # she is not walking: someone else went out; keep watching
        elif w.wearables.steps_seen is not None and steps >= s.min_steps:
            deadline = max(deadline, min(upto, w.wearables.steps_seen))  # the steps it waited for
        self.raised_for, self.raised_at = opened, deadline
        return self._emit(self._raise(opened, last_door, deadline, steps, window))

    def _raise(
        self, opened: float, last_door: float, deadline: float, steps: float, window: float
    ) -> Event | None:
        start, end, learned = self.where.day.night(until_earliest_wake=True)
        clock = self.where.clock
        night = f"{clock.clock_text(start)}-{clock.clock_text(end)}"
        basis = self.basis(
            deadline,
            "her night, learned" if learned else "the home's night",
            conservative=self.where.learning(opened),
        )
        has_wearable = bool(self.home.devices_with(kinds=("bracelet", "fall_pendant")))
        walking = f"; {steps:.0f} steps since" if has_wearable else ""
        evidence = {
            "summary": (
                f"front door used at {self._local(opened)} during the night ({night}, "
                f"{basis}), no sign of the resident back inside for "
                f"{minutes(deadline - last_door)} min{walking}"
            ),
            "door_opened": self._local(opened),
            "door_last_used": self._local(last_door),
            "window_min": minutes(window),
            "steps_since_door": round(steps) if has_wearable else None,
            "night": night,
            "baseline": basis,
        }
        return self.condition.hold(deadline, "critical", evidence, started=opened)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "raised_for": self.raised_for, "raised_at": self.raised_at}

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.raised_for, self.raised_at = state["raised_for"], state["raised_at"]
