"""Activity and routine: silence, not getting up, wandering at night, long bathroom stays,
not coming home.

Each detector keeps its own analytics.whereabouts.Whereabouts (what the sensors say about
where the resident is) and the analytics.routine baseline it needs (what is usual for
this resident), so each is a self-contained, serialisable detector like the others.
Thresholds come from the home config, ``thresholds.<detector name>``; the whereabouts
rules from ``thresholds.whereabouts`` (shared, so the five detectors agree).

Division of labour, so one incident is one alert:

- ``no_activity``: at home, up for the day, not in the bathroom, not at night;
- ``not_up``: at home, morning, not yet up for the day;
- ``long_bathroom_stay``: in the bathroom, day or night;
- ``night_wandering``: left through the front door at night;
- ``not_returned_home``: left in the day (or evening) and not back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any, ClassVar

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from .condition import Condition
from .context import HomeContext
from .detector import Detector
from .events import Event
from .routine import GapBaseline, RecentValues, clamp
from .whereabouts import SETTINGS_NAME, Observation, Whereabouts, WhereaboutsSettings

HOUR = 3600.0
MINUTE = 60.0


def _hours(seconds: float) -> float:
    return round(seconds / HOUR, 1)


def _minutes(seconds: float) -> int:
    return round(seconds / MINUTE)


class _RoutineDetector(Detector):
    """Shared plumbing: whereabouts in event time, learning, one condition."""

    kind: ClassVar[str]

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.where = Whereabouts(home, home.settings(SETTINGS_NAME, WhereaboutsSettings))
        self.condition = Condition(home.home, self.kind, self.name)
        self.now: float | None = None

    def feed(self, reading: Reading) -> list[Event]:
        ts = reading.epoch
        events = self.advance(ts)
        self._learn(self.where.observe(reading))
        events += self._check(ts if self.now is None else max(self.now, ts))
        return events

    def advance(self, now: float) -> list[Event]:
        if self.now is not None and now <= self.now:
            return []
        if self.where.period is None:
            self.where.start(now)
        events: list[Event] = []
        # Decide up to each transition in the state that held until it (a deadline at
        # 21:40 is still met when the night begins at 22:30 and nothing came in between).
        while (t := self.where.next_transition()) is not None and t <= now:
            events += self._check(t)
            self._learn(self.where.step(t))
            events += self._check(t)
        self.where.tick(now)
        events += self._check(now)
        self.now = now
        return events

    def _learn(self, observations: list[Observation]) -> None:
        for observation in observations:
            self.learn(observation)

    def learn(self, observation: Observation) -> None:
        """Take what the baseline needs from a finished observation."""

    def _check(self, upto: float) -> list[Event]:
        """Raise, escalate or clear as of ``upto`` (events at the time it happened)."""
        return []

    def _emit(self, event: Event | None) -> list[Event]:
        return [event] if event is not None else []

    def _local(self, ts: float, reference: float | None = None) -> str:
        return self.where.local_clock(ts, reference)

    def _wearable(self) -> dict[str, Any]:
        """What the wearable says, for evidence: a missing bracelet explains silence."""
        wearables = self.home.devices_with(kinds=("bracelet", "fall_pendant"))
        if not wearables:
            return {"wearable": "none"}
        worn = [self.where.worn[d] for d in sorted(wearables) if d in self.where.worn]
        if worn and all(value is False for value, _ in worn):
            since = max(ts for _, ts in worn)
            return {"wearable": f"not worn since {self._local(since, self.now)}"}
        seen = self.where.wearable_seen
        if seen is None:
            return {"wearable": "nothing heard from it"}
        if self.now is not None and not self.where.wearing(self.now):
            return {"wearable": f"silent since {self._local(seen, self.now)}"}
        return {"wearable": "worn and reporting"}

    def state_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "where": self.where.state_dict(),
            "condition": self.condition.state_dict(),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.now = state["now"]
        self.where.load_state(state["where"])
        self.condition.load_state(state["condition"])


# ------------------------------------------------------------------- no_activity


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NoActivitySettings:
    # Until an hour of the day has min_days of history: this long without activity.
    default_threshold_s: float = Field(default=3 * HOUR, gt=0)
    # Learned: clamp(factor x usual longest gap around this hour, lower_s, upper_s), the
    # usual being the `quantile` over the last learn_days days of each day's longest gap.
    factor: float = Field(default=1.5, gt=0)
    lower_s: float = Field(default=2 * HOUR, gt=0)
    upper_s: float = Field(default=5 * HOUR, gt=0)
    quantile: float = Field(default=0.9, gt=0, le=1)
    learn_days: int = Field(default=14, ge=1)
    min_days: int = Field(default=5, ge=1)
    # Critical once the silence reaches this multiple of the threshold.
    critical_factor: float = Field(default=2.0, ge=1)


class NoActivityDetector(_RoutineDetector):
    """``no_activity``: at home and up, nothing moving for longer than usual at this hour.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]}))
    >>> detector = NoActivityDetector(home)
    >>> motion = lambda h: Reading(ts=h * 3600, home="h1", device="pir", metric="motion",
    ...                            value=True)
    >>> _ = detector.feed(motion(7)) + detector.feed(motion(9))
    >>> [(e.state, e.severity, e.ts / 3600) for e in detector.advance(13 * 3600)]
    [('raised', 'major', 12.0)]
    >>> detector.condition.open and detector.advance(15 * 3600)[0].severity
    'critical'
    >>> [(e.state, e.ts / 3600) for e in detector.feed(motion(15.5))]
    [('cleared', 15.5)]
    """

    name = "no_activity"
    kind = "no_activity"
    kinds = ("no_activity",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, NoActivitySettings)
        self.gaps = GapBaseline(home, days=self.settings.learn_days)
        s = self.settings
        self._shortest = min(s.default_threshold_s, s.lower_s)
        self._cache: tuple[Any, Any] | None = None
        self.gap_from: float | None = None  # the silence the open event is about
        self.threshold: float | None = None
        self.night_at: float | None = None  # the night start after that silence

    def learn(self, observation: Observation) -> None:
        if observation.kind != "gap":
            return
        if self.gap_from is not None and observation.start == self.gap_from:
            return  # the incident itself is not a usual gap
        self.gaps.record(observation.start, observation.end, counted_from=observation.counted_from)

    def threshold_at(self, hour: int) -> tuple[float, float | None, int]:
        """(threshold, usual longest gap or None while learning, days of history)."""
        s = self.settings
        usual, days = self.gaps.usual(hour, min_days=s.min_days, q=s.quantile)
        if usual is None:
            return s.default_threshold_s, None, days
        return clamp(s.factor * usual, s.lower_s, s.upper_s), usual, days

    def _deadline(self, last: float) -> tuple[float, float, float | None, int] | None:
        """The first moment the silence since ``last`` exceeds the threshold of the hour
        it is in, during this period's day; None when the night comes first."""
        key = (last, self.gaps.version, self.where.period)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        result = None
        end = self.where.next_night
        t = max(last, self.where.night_end)
        while t < end:
            _, hour_end, _, hour = self.gaps.bucket_of(t)
            threshold, usual, days = self.threshold_at(hour)
            candidate = max(t, last + threshold)
            if candidate < min(hour_end, end):
                result = (candidate, threshold, usual, days)
                break
            t = hour_end
        self._cache = (key, result)
        return result

    def _check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            assert self.gap_from is not None and self.threshold is not None
            if w.last is not None and w.last[0] > self.gap_from:
                evidence = {
                    "summary": f"activity again at {self._local(w.last[0])}: {w.last[2]}",
                    "activity_at": self._local(w.last[0]),
                    "activity": w.last[2],
                    "inactive_h": _hours(w.last[0] - self.gap_from),
                }
                self.gap_from = self.threshold = self.night_at = None
                return self._emit(self.condition.end(w.last[0], evidence))
            critical_at = self.gap_from + self.settings.critical_factor * self.threshold
            open_ = self.condition.open
            if open_ and open_.severity != "critical" and critical_at <= upto:
                if self.night_at is not None and critical_at >= self.night_at:
                    return []  # night came first: silence in bed is not news
                return self._emit(
                    self.condition.hold(critical_at, "critical", self._evidence(critical_at))
                )
            return []
        if not w.at_home or w.up_since is None or w.bath is not None or w.last_home is None:
            return []
        last = w.last_home
        if upto - last < self._shortest:
            return []
        found = self._deadline(last)
        if found is None or found[0] > upto:
            return []
        deadline, threshold, _, _ = found
        self.gap_from, self.threshold, self.night_at = last, threshold, w.next_night
        return self._emit(
            self.condition.hold(deadline, "major", self._evidence(deadline), started=last)
        )

    def _evidence(self, ts: float) -> dict[str, Any]:
        assert self.gap_from is not None and self.threshold is not None
        _, _, _, hour = self.gaps.bucket_of(ts)
        threshold, usual, days = self.threshold_at(hour)
        threshold = self.threshold
        w = self.where
        last = w.describe_last(ts)
        basis = (
            f"learned over {days} days"
            if usual is not None
            else f"default while learning ({days} of {self.settings.min_days} days)"
        )
        usual_text = f"{_hours(usual)} h" if usual is not None else "not known yet"
        inactive = ts - self.gap_from
        return {
            "summary": (
                f"no activity for {_hours(inactive)} h, last activity {last}; usual longest gap "
                f"around this hour {usual_text}; threshold {_hours(threshold)} h"
            ),
            "last_activity": self._local(self.gap_from, ts),
            "last_activity_what": w.last[2] if w.last else None,
            "last_activity_device": w.last[1] if w.last else None,
            "inactive_h": _hours(inactive),
            "usual_max_gap_h": _hours(usual) if usual is not None else None,
            "threshold_h": _hours(threshold),
            "baseline": basis,
            **self._wearable(),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "gaps": self.gaps.state_dict(),
            "gap_from": self.gap_from,
            "threshold": self.threshold,
            "night_at": self.night_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.gaps.load_state(state["gaps"])
        self.gap_from, self.threshold = state["gap_from"], state["threshold"]
        self.night_at = state["night_at"]
        self._cache = None


# ------------------------------------------------------------------- not_up


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NotUpSettings:
    # Until min_days wake times are known: up by this local time.
    default_deadline: time = time(9, 0)
    # Learned: the median time of getting up over the last learn_days days + margin_s;
    # for a resident whose mornings vary, at least median + spread_k x their spread
    # (robust standard deviation) and the latest of those mornings + late_margin_s.
    # Kept between the night's end + earliest_after_night_s and `latest`.
    margin_s: float = Field(default=90 * MINUTE, ge=0)
    spread_k: float = Field(default=3.0, ge=0)
    late_margin_s: float = Field(default=30 * MINUTE, ge=0)
    earliest_after_night_s: float = Field(default=60 * MINUTE, ge=0)
    latest: time = time(11, 0)
    learn_days: int = Field(default=14, ge=1)
    min_days: int = Field(default=2, ge=1)


class NotUpDetector(_RoutineDetector):
    """``not_up``: no activity after the night by the usual time of getting up + margin.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "night": {"start": "22:30", "end": "06:00"},
    ...     "devices": [{"id": "bath", "kind": "door", "role": "bathroom_door",
    ...                  "source": "zigbee2mqtt:bath"}]}))
    >>> detector = NotUpDetector(home)
    >>> door = lambda h, v: Reading(ts=h * 3600, home="h1", device="bath", metric="contact",
    ...                             value=v)
    >>> _ = detector.advance(0)
    >>> _ = detector.feed(door(3, "open")) + detector.feed(door(3.1, "closed"))  # night visit
    >>> [(e.state, e.ts / 3600) for e in detector.advance(10 * 3600)]
    [('raised', 9.0)]
    >>> [(e.state, e.ts / 3600) for e in detector.feed(door(10.5, "open"))]
    [('cleared', 10.5)]
    """

    name = "not_up"
    kind = "not_up"
    kinds = ("not_up",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, NotUpSettings)
        self.wakes = RecentValues(self.settings.learn_days)  # s after the night's end
        self.raised_period: float | None = None
        self.raised_night_end: float | None = None
        self.raised_at: float | None = None

    def learn(self, observation: Observation) -> None:
        if observation.kind != "wake":
            return
        if self.raised_night_end == observation.start:
            return  # up late after an alarm: not a usual morning
        self.wakes.add(observation.duration)

    def deadline(self) -> tuple[float, float | None]:
        """(up-by time for this period, usual getting-up time or None while learning)."""
        s, w = self.settings, self.where
        night_end = w.night_end
        earliest = night_end + s.earliest_after_night_s
        day = self.home.local(night_end).date()
        latest = datetime.combine(day, s.latest, tzinfo=self.home.tz).timestamp()
        usual = self.wakes.median() if len(self.wakes) >= s.min_days else None
        if usual is None:
            by = datetime.combine(day, s.default_deadline, tzinfo=self.home.tz).timestamp()
            return max(by, earliest), None
        latest_seen, spread = self.wakes.quantile(1.0), self.wakes.spread()
        assert latest_seen is not None and spread is not None
        by = max(usual + s.margin_s, usual + s.spread_k * spread, latest_seen + s.late_margin_s)
        return clamp(night_end + by, earliest, max(earliest, latest)), night_end + usual

    def _check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            assert self.raised_at is not None
            if w.last is not None and w.last[0] > self.raised_at:
                evidence = {
                    "summary": f"up at {self._local(w.last[0])}: {w.last[2]}",
                    "up_at": self._local(w.last[0]),
                    "activity": w.last[2],
                }
                self.raised_at = None
                return self._emit(self.condition.end(w.last[0], evidence))
            return []
        if w.period is None or w.up_since is not None or w.partial:
            return []
        if self.raised_period == w.period or not w.at_home:
            return []
        if upto < w.night_end + self.settings.earliest_after_night_s:
            return []
        by, usual = self.deadline()
        if by > upto or by >= w.next_night:
            return []
        self.raised_period, self.raised_at = w.period, by
        self.raised_night_end = w.night_end
        last = w.describe_last(by)
        basis = (
            f"usually up by {self._local(usual)} (median of {len(self.wakes)} days)"
            if usual is not None
            else f"default while learning ({len(self.wakes)} of {self.settings.min_days} days)"
        )
        evidence = {
            "summary": (
                f"not up by {self._local(by)}: no activity since the night ended at "
                f"{self._local(w.night_end)}; last activity {last}; {basis}"
            ),
            "deadline": self._local(by),
            "night_end": self._local(w.night_end),
            "usual_wake": self._local(usual) if usual is not None else None,
            "wake_days": len(self.wakes),
            "last_activity": last,
            "baseline": basis,
            **self._wearable(),
        }
        return self._emit(self.condition.hold(by, "major", evidence, started=by))

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "wakes": self.wakes.state_dict(),
            "raised_period": self.raised_period,
            "raised_night_end": self.raised_night_end,
            "raised_at": self.raised_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.wakes.load_state(state["wakes"])
        self.raised_period, self.raised_at = state["raised_period"], state["raised_at"]
        self.raised_night_end = state["raised_night_end"]


# ------------------------------------------------------------------- night_wandering


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


class NightWanderingDetector(_RoutineDetector):
    """``night_wandering``: out through the front door at night and not back in.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "front", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:front"},
    ...                 {"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]}))
    >>> detector = NightWanderingDetector(home)
    >>> r = lambda m, dev, metric, v: Reading(ts=2 * 3600 + m * 60, home="h1", device=dev,
    ...                                       metric=metric, value=v)
    >>> _ = detector.feed(r(0, "front", "contact", "open"))
    >>> _ = detector.feed(r(0.2, "front", "contact", "closed"))
    >>> [(e.state, e.severity, e.evidence["door_opened"]) for e in detector.advance(3 * 3600)]
    [('raised', 'critical', '02:00')]
    >>> _ = detector.feed(r(70, "front", "contact", "open"))
    >>> [(e.state, e.evidence["back_at"]) for e in detector.feed(r(72, "pir", "motion", True))]
    [('cleared', '03:10')]
    """

    name = "night_wandering"
    kind = "night_wandering"
    kinds = ("night_wandering",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, NightWanderingSettings)
        self.raised_for: float | None = None  # the departure the event is about
        self.raised_at: float | None = None

    def _check(self, upto: float) -> list[Event]:
        w = self.where
        away = w.away()
        if self.condition.is_open:
            if away is not None:
                return []
            assert self.raised_at is not None
            back = max(w.home_at or upto, self.raised_at)
            evidence = {
                "summary": f"back inside at {self._local(back)}",
                "back_at": self._local(back),
            }
            return self._emit(self.condition.end(back, evidence))
        if away is None:
            return []
        opened, last_door = away
        if self.raised_for == opened or not self.home.is_night(opened):
            return []
        s = self.settings
        deadline = last_door + s.window_s
        if deadline > upto:
            return []
        steps = w.steps_since_door()
        guest = w.guest_leaving if w.location == "out" else bool((w.pending or {}).get("guest"))
        if guest and w.wearing(upto):
            # Someone came in earlier: the door may be them leaving. Raised only once
            # she is seen walking in step counts wholly after the door.
            walked = w.walked_since_door()
            if walked is None or walked < s.min_steps:
                return []
            deadline = max(deadline, min(upto, w.steps_seen or upto))
        elif w.wearing(upto) and steps < s.min_steps:
            if w.steps_seen is not None and w.steps_seen > last_door:
                return []  # she is not walking: someone else went out; keep watching
        elif w.steps_seen is not None and steps >= s.min_steps:
            deadline = max(deadline, min(upto, w.steps_seen))  # the steps it waited for
        self.raised_for, self.raised_at = opened, deadline
        night = self.home.config.night
        has_wearable = bool(self.home.devices_with(kinds=("bracelet", "fall_pendant")))
        walking = f"; {steps:.0f} steps since" if has_wearable else ""
        evidence = {
            "summary": (
                f"front door used at {self._local(opened)} during the night "
                f"({night.start:%H:%M}-{night.end:%H:%M}), no sign of the resident back "
                f"inside for {_minutes(deadline - last_door)} min{walking}"
            ),
            "door_opened": self._local(opened),
            "door_last_used": self._local(last_door),
            "window_min": _minutes(s.window_s),
            "steps_since_door": round(steps) if has_wearable else None,
            "night": f"{night.start:%H:%M}-{night.end:%H:%M}",
        }
        return self._emit(self.condition.hold(deadline, "critical", evidence, started=opened))

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "raised_for": self.raised_for, "raised_at": self.raised_at}

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.raised_for, self.raised_at = state["raised_for"], state["raised_at"]


# ------------------------------------------------------------------- long_bathroom_stay


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class LongBathroomStaySettings:
    # Until min_stays stays are known: in the bathroom this long.
    default_threshold_s: float = Field(default=45 * MINUTE, gt=0)
    # Learned: clamp(factor x the `quantile` of the last learn_stays stays, lower, upper).
    factor: float = Field(default=2.0, gt=0)
    quantile: float = Field(default=0.95, gt=0, le=1)
    lower_s: float = Field(default=35 * MINUTE, gt=0)
    upper_s: float = Field(default=90 * MINUTE, gt=0)
    learn_stays: int = Field(default=100, ge=1)
    min_stays: int = Field(default=20, ge=1)


class LongBathroomStayDetector(_RoutineDetector):
    """``long_bathroom_stay``: in the bathroom for longer than usual; clears on exit.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "radar", "kind": "fall_radar", "role": "bathroom",
    ...                  "source": "zigbee2mqtt:radar"}]}))
    >>> detector = LongBathroomStayDetector(home)
    >>> presence = lambda m, v: Reading(ts=10 * 3600 + m * 60, home="h1", device="radar",
    ...                                 metric="presence", value=v)
    >>> _ = detector.feed(presence(0, True))
    >>> [(e.state, e.severity, e.evidence["minutes"]) for e in detector.advance(11 * 3600)]
    [('raised', 'major', 45)]
    >>> [(e.state, e.evidence["left_at"]) for e in detector.feed(presence(70, False))]
    [('cleared', '11:10')]
    """

    name = "long_bathroom_stay"
    kind = "long_bathroom_stay"
    kinds = ("long_bathroom_stay",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, LongBathroomStaySettings)
        self.stays = RecentValues(self.settings.learn_stays)
        self.raised_since: float | None = None

    def learn(self, observation: Observation) -> None:
        if observation.kind != "bathroom" or not observation.clean:
            return  # an exit inferred from activity elsewhere is only an upper bound
        if observation.start == self.raised_since:
            return
        self.stays.add(observation.duration)

    def threshold(self) -> tuple[float, float | None]:
        s = self.settings
        if len(self.stays) < s.min_stays:
            return s.default_threshold_s, None
        usual = self.stays.quantile(s.quantile)
        assert usual is not None
        return clamp(s.factor * usual, s.lower_s, s.upper_s), usual

    def _check(self, upto: float) -> list[Event]:
        w = self.where
        bath = w.bath
        if self.condition.is_open:
            if bath is not None and bath["since"] == self.raised_since:
                return []
            left = w.bath_ended_at if w.bath_ended_at is not None else upto
            evidence = {
                "summary": f"out of the bathroom at {self._local(left)}",
                "left_at": self._local(left),
            }
            return self._emit(self.condition.end(left, evidence))
        if bath is None or bath["since"] == self.raised_since:
            return []
        threshold, usual = self.threshold()
        deadline = bath["since"] + threshold
        if deadline > upto:
            return []
        self.raised_since = bath["since"]
        how = {
            "radar": "bathroom radar sees someone",
            "door": "bathroom door used, no activity elsewhere since",
            "motion": "motion in the bathroom, no activity elsewhere since",
        }[bath["via"]]
        basis = (
            f"usual stay {_minutes(usual)} min (p{round(self.settings.quantile * 100)} of "
            f"{len(self.stays)})"
            if usual is not None
            else f"default while learning ({len(self.stays)} of {self.settings.min_stays} stays)"
        )
        evidence = {
            "summary": (
                f"in the bathroom since {self._local(bath['since'], deadline)} "
                f"({_minutes(deadline - bath['since'])} min; {how}); {basis}; "
                f"threshold {_minutes(threshold)} min"
            ),
            "entered": self._local(bath["since"], deadline),
            "minutes": _minutes(deadline - bath["since"]),
            "device": bath["device"],
            "how": how,
            "usual_stay_min": _minutes(usual) if usual is not None else None,
            "threshold_min": _minutes(threshold),
            "baseline": basis,
        }
        return self._emit(
            self.condition.hold(
                deadline, "major", evidence, started=bath["since"], device=bath["device"]
            )
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "stays": self.stays.state_dict(),
            "raised_since": self.raised_since,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.stays.load_state(state["stays"])
        self.raised_since = state["raised_since"]


# ------------------------------------------------------------------- not_returned_home


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NotReturnedHomeSettings:
    # Until min_outings outings are known: out this long.
    default_threshold_s: float = Field(default=5 * HOUR, gt=0)
    # Learned: clamp(factor x the `quantile` of the last learn_outings outings, lower, upper).
    factor: float = Field(default=1.5, gt=0)
    quantile: float = Field(default=0.95, gt=0, le=1)
    lower_s: float = Field(default=4 * HOUR, gt=0)
    upper_s: float = Field(default=8 * HOUR, gt=0)
    learn_outings: int = Field(default=40, ge=1)
    min_outings: int = Field(default=10, ge=1)
    # Out at the start of the night + this: raised whatever the usual length.
    night_grace_s: float = Field(default=1 * HOUR, ge=0)


class NotReturnedHomeDetector(_RoutineDetector):
    """``not_returned_home``: went out (by day) and not back after longer than usual, or
    still out an hour into the night.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "front", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:front"},
    ...                 {"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]}))
    >>> detector = NotReturnedHomeDetector(home)
    >>> r = lambda h, dev, metric, v: Reading(ts=h * 3600, home="h1", device=dev,
    ...                                       metric=metric, value=v)
    >>> _ = detector.feed(r(9, "pir", "motion", True))
    >>> _ = detector.feed(r(10, "front", "contact", "open"))
    >>> _ = detector.feed(r(10.01, "front", "contact", "closed"))
    >>> [(e.state, e.ts / 3600, e.evidence["reason"]) for e in detector.advance(16 * 3600)]
    [('raised', 15.01, 'out longer than usual')]
    >>> _ = detector.feed(r(17, "front", "contact", "open"))
    >>> [(e.state, e.evidence["back_at"]) for e in detector.feed(r(17.02, "pir", "motion", True))]
    [('cleared', '17:00')]
    """

    name = "not_returned_home"
    kind = "not_returned_home"
    kinds = ("not_returned_home",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, NotReturnedHomeSettings)
        self.outings = RecentValues(self.settings.learn_outings)
        self.raised_for: float | None = None
        self.raised_at: float | None = None

    def learn(self, observation: Observation) -> None:
        if observation.kind != "outing" or not observation.clean:
            return
        if observation.start == self.raised_for:
            return
        self.outings.add(observation.duration)

    def threshold(self) -> tuple[float, float | None]:
        s = self.settings
        if len(self.outings) < s.min_outings:
            return s.default_threshold_s, None
        usual = self.outings.quantile(s.quantile)
        assert usual is not None
        return clamp(s.factor * usual, s.lower_s, s.upper_s), usual

    def _check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            if w.location == "out" and w.left_at == self.raised_for:
                return []
            assert self.raised_at is not None
            back = max(w.home_at or upto, self.raised_at)
            evidence = {
                "summary": f"back home at {self._local(back)}",
                "back_at": self._local(back),
            }
            self.raised_at = None
            return self._emit(self.condition.end(back, evidence))
        if w.location != "out" or w.left_at is None or self.raised_for == w.left_at:
            return []
        opened, left = w.door_opened_at or w.left_at, w.left_at
        if self.home.is_night(opened):
            return []  # left at night: night_wandering's
        threshold, usual = self.threshold()
        night_start = w.clock.next_start(w.clock.period_start(left))
        by_night = night_start + self.settings.night_grace_s
        deadline = min(left + threshold, by_night)
        if deadline > upto:
            return []
        self.raised_for, self.raised_at = left, deadline
        reason = "out longer than usual" if deadline < by_night else "still out at night"
        basis = (
            f"usual longest outing {_hours(usual)} h "
            f"(p{round(self.settings.quantile * 100)} of {len(self.outings)})"
            if usual is not None
            else f"default while learning ({len(self.outings)} of "
            f"{self.settings.min_outings} outings)"
        )
        has_wearable = bool(self.home.devices_with(kinds=("bracelet", "fall_pendant")))
        steps = w.steps_total - w.left_steps
        evidence = {
            "summary": (
                f"went out at {self._local(left, deadline)} (front door), not back after "
                f"{_hours(deadline - left)} h ({reason}); {basis}; threshold "
                f"{_hours(threshold)} h"
                + (f"; {steps:.0f} steps since leaving" if has_wearable else "")
            ),
            "reason": reason,
            "left_at": self._local(left, deadline),
            "out_h": _hours(deadline - left),
            "usual_outing_h": _hours(usual) if usual is not None else None,
            "threshold_h": _hours(threshold),
            "baseline": basis,
            "steps_since_leaving": round(steps) if has_wearable else None,
        }
        return self._emit(self.condition.hold(deadline, "major", evidence, started=left))

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "outings": self.outings.state_dict(),
            "raised_for": self.raised_for,
            "raised_at": self.raised_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.outings.load_state(state["outings"])
        self.raised_for, self.raised_at = state["raised_for"], state["raised_at"]


ACTIVITY_DETECTORS: tuple[type[Detector], ...] = (
    NoActivityDetector,
    NotUpDetector,
    NightWanderingDetector,
    LongBathroomStayDetector,
    NotReturnedHomeDetector,
)

__all__ = [
    "ACTIVITY_DETECTORS",
    "LongBathroomStayDetector",
    "LongBathroomStaySettings",
    "NightWanderingDetector",
    "NightWanderingSettings",
    "NoActivityDetector",
    "NoActivitySettings",
    "NotReturnedHomeDetector",
    "NotReturnedHomeSettings",
    "NotUpDetector",
    "NotUpSettings",
]
