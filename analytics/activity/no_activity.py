"""``no_activity``: at home and awake, nothing moving for longer than her silences last
when they began where this one did, at this hour.

How long a silence may last is analytics.activity.silence_limits: learned per place where
it began, per posture and per hour, and as outings nobody saw begin; with a prior, and a
floor while the routine is being learned.

A silence is watched at any hour of the day or night, unless her night begins while she
is where she rests (analytics.whereabouts: resting); then not_up takes over. One that
began in the bedroom within the config's night, where no bed mat can say whether she lay
down, is judged as a settled one: she may have gone to bed earlier than her learned
nights begin (a night owl who turns in at half past ten). An open
alert is cleared only by a sign of life that holds: one motion sensor firing once or
twice after hours of silence is no more a return than it is while she is out (a sensor's
glitch; analytics.whereabouts.doorway).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.home import HomeConfig

from ..context import HomeContext
from ..events import Event
from ..whereabouts import Observation, Whereabouts
from ..whereabouts.places import describe
from .base import HOUR, ActivityDetector, hours
from .silence_limits import Limit, NoActivitySettings, SilenceLimits

CONTEXT_TEXT = {
    "about": "at home, moving about or where no sensor sees her",
    "resting": "settled where an occupancy sensor sees her (a chair, the bed)",
}


class NoActivityDetector(ActivityDetector):
    """``no_activity``: see the module docstring.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]})
    >>> monitor = HomeMonitor(home, detectors=[NoActivityDetector])
    >>> detector = monitor.detectors[0]
    >>> pir = lambda h, v: Reading(ts=h * 3600, home="h1", device="pir", metric="motion",
    ...                            value=v)
    >>> motion = lambda h: monitor.feed(pir(h, True)) + monitor.feed(pir(h + 0.02, False))
    >>> _ = motion(7) + motion(9)
    >>> # No front-door sensor, nothing known of her yet: an outing nobody saw, perhaps (8 h).
    >>> [(e.state, e.severity, e.ts / 3600) for e in monitor.advance(18 * 3600)]
    [('raised', 'major', 17.0)]
    >>> detector.condition.open and monitor.advance(26 * 3600)[0].severity
    'critical'
    >>> motion(26.5) + motion(26.52)  # a sensor firing once or twice: a glitch, perhaps
    []
    >>> [(e.state, e.ts / 3600) for e in motion(26.54)]  # a third time: she is moving
    [('cleared', 26.54)]
    """

    name = "no_activity"

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        # At a care home's bed the staff's rounds see her; her config's shared devices (the
        # unit door, the room's radar) are no sign of her own activity.
        return config.place is None

    kind = "no_activity"
    kinds = ("no_activity",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = s = home.settings(self.name, NoActivitySettings)
        self.limits = SilenceLimits(home, where, s, self.adjusted)
        self._cache: tuple[Any, Any] | None = None
        self._shortest = min(
            s.default_about_s,
            s.default_bathroom_s,
            s.default_worn_s,
            s.lower_about_s,
            s.lower_resting_s,
        )
        self.gap_from: float | None = None  # the silence the open event is about
        self.threshold: float | None = None
        # its [place, posture, wearable worn, began as she shut a door in passing]
        self.silence: list[Any] | None = None
        self.raised_at: float | None = None
        self.resting_at: float | None = None  # her night's rest begins, if it does
        # The silence counts from the end of an absence announced over it (then, the end).
        self.away_until: float | None = None

    def learn(self, observation: Observation) -> None:
        if self.announced_over(observation):
            return  # a week at her daughter's says nothing of how long her silences last
        self.limits.learn(observation)

    def time_zone_changed(self) -> None:
        # Every silence and outing is kept by the local day and hour it went on through.
        self.limits = SilenceLimits(self.home, self.where, self.settings, self.adjusted)
        self._cache = None

    # ---------------------------------------------------------------- when it is news

    def _deadline(self, last: float, silence: list[Any], horizon: float) -> tuple | None:
        """(the first moment the silence since ``last`` exceeds the limit of the hour it
        is in, that limit), before ``horizon``; None if there is none."""
        place, posture, worn, shut = silence
        versions = self.limits.version(place, posture)
        blind = tuple(self.where.blind_spots())
        key = (last, place, posture, worn, shut, horizon, versions, self.where.started, blind)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        result = None
        t = last
        while t < horizon:
            hour_end, _ = self.limits.hour_of(t)
            limit = self.limits.limit(place, posture, worn, t, began=last, shut=shut)
            candidate = max(t, last + limit.threshold)
            if candidate < min(hour_end, horizon):
                result = (candidate, limit)
                break
            t = max(hour_end, t + 60.0)  # a zone's odd rule must not hang the home's monitor
        self._cache = (key, result)
        return result

    def _asleep_perhaps(self, place: str, began: float) -> bool:
        """A silence that began in the bedroom within the config's night, where no bed
        mat can say whether she lay down: she may have gone to bed, even if her own nights
        begin later (a night owl who turns in at half past ten), so it is judged as a
        settled one."""
        w = self.where
        if place != "bedroom" or any(w.sensors.reported(bed) for bed in w.coverage.beds):
            return False
        return w.clock.in_span(began, *w.clock.prior)

    def _rest_ends(self, since: float) -> float:
        """When the night she went to rest in at ``since`` is over for not_up: the next
        night's start."""
        day = self.where.day
        _, end, _ = day.night()
        return day.night_start_after(self.where.clock.at_or_after(since, end))

    def _horizon(self, last: float) -> float | None:
        """When her night's rest begins, if it does before the silence could become news
        (her night starts while she was last seen where she rests)."""
        w = self.where
        night = w.day.next_night
        if night < last + self.settings.ceiling_s and w.rests_in(w.last_room, last, night):
            return night
        return None

    # ---------------------------------------------------------------- the condition

    def check(self, upto: float) -> list[Event]:
        w = self.where
        if self.condition.is_open:
            return self._while_open(upto)
        if not w.at_home or w.bathroom.stay is not None or w.resting or w.last_home is None:
            return []
        # An announced absence: she is not expected home before it ends.
        last, away = self.counted_from(w.last_home, upto)
        # Asleep since her night: not_up's, the morning after it. Unless an absence was
        # announced over that night until past the next night's start (taken to hospital
        # from her bed): not_up judges only the morning after that night, and she was not
        # in her bed then; the silence is this detector's from the announced end.
        if not w.last_awake and (away is None or last < self._rest_ends(w.last_home)):
            return []
        if upto - last < self._shortest:
            return []
        rest = self._horizon(last)
        horizon = rest if rest is not None else last + self.settings.ceiling_s + HOUR
        posture = "resting" if self._asleep_perhaps(w.last_place, last) else w.last_context
        silence = [w.last_place, posture, w.wearables.wearing(last), w.last_shut]
        found = self._deadline(last, silence, horizon)
        if found is None or found[0] > upto:
            return []
        deadline, limit = found
        self.gap_from, self.threshold, self.resting_at = last, limit.threshold, rest
        self.silence, self.raised_at = silence, deadline
        self.away_until = last if away is not None else None
        raised = self.condition.hold(
            deadline, "major", self._evidence(deadline, limit), started=last
        )
        return self._emit(raised) + self._while_open(upto)  # critical already, perhaps

    def _while_open(self, upto: float) -> list[Event]:
        w = self.where
        assert self.gap_from is not None and self.threshold is not None
        back = w.holds_since(self.gap_from)
        # Over only once she is seen at home after the silence began: a clear on signs of
        # life that the silence is not measured from would raise the same silence again.
        seen_home = w.last_home is not None and w.last_home > self.gap_from
        if back is not None and seen_home and w.last is not None:
            evidence = {
                "summary": f"activity again at {self._local(back)}: {w.last[2]}",
                "activity_at": self._local(back),
                "activity": w.last[2],
                "inactive_h": hours(back - self.gap_from),
            }
            self.gap_from = self.threshold = self.resting_at = self.silence = None
            self.raised_at = self.away_until = None
            return self._emit(self.condition.end(w.last[0], evidence))
        # An absence announced over the silence after it was raised, and going on: she is
        # where the family says, so the alert is over, and the silence counts again from
        # the absence's end (check). Kept open, it would turn critical while she is at her
        # daughter's and say nothing when she is not back then.
        ended = self.absence_since(self.gap_from, upto)
        if ended is not None:
            self.gap_from = self.threshold = self.resting_at = self.silence = None
            self.raised_at = self.away_until = None
            return self._emit(self.condition.end(upto, ended))
        # Twice the limit, and never sooner after the alert than the limit itself (a
        # silence raised only when the hour came whose limit it exceeds).
        factor = self.settings.critical_factor
        critical_at = max(
            self.gap_from + factor * self.threshold,
            (self.raised_at or self.gap_from) + (factor - 1) * self.threshold,
        )
        open_ = self.condition.open
        if open_ and open_.severity != "critical" and critical_at <= upto:
            if self.resting_at is not None and critical_at >= self.resting_at:
                return []  # her night came first: silence in bed is not news
            assert self.silence is not None
            place, posture, worn, shut = self.silence
            limit = self.limits.limit(
                place, posture, worn, critical_at, began=self.gap_from, shut=shut
            )
            return self._emit(
                self.condition.hold(critical_at, "critical", self._evidence(critical_at, limit))
            )
        return []

    def _evidence(self, ts: float, limit: Limit) -> dict[str, Any]:
        assert self.gap_from is not None and self.threshold is not None
        assert self.silence is not None
        w = self.where
        place, posture, worn, _ = self.silence
        basis = self.basis(ts, limit.how, conservative=limit.conservative)
        usual = limit.usual
        usual_text = f"{hours(usual)} h" if usual is not None else "not known yet"
        inactive = ts - self.gap_from
        room = (w.last_room or "unknown").replace("_", " ")
        since = f"no activity for {hours(inactive)} h"
        last = self.gap_from
        if self.away_until is not None and w.last_home is not None:
            # Counted from when she was expected back, not from her last sign of life.
            last = w.last_home
            since = (
                f"not seen back {hours(inactive)} h after her announced absence ended at "
                f"{w.clock.local_text(self.away_until, ts)}"
            )
        return {
            "summary": (
                f"{since}, last activity "
                f"{w.clock.local_text(last, ts)}; last seen {describe(place)}; her usual "
                f"longest silence of this kind {usual_text}; threshold "
                f"{hours(self.threshold)} h ({basis})"
            ),
            "last_activity": self._local(last, ts),
            "away_until": self._local(self.away_until, ts) if self.away_until else None,
            "last_activity_what": w.last[2] if w.last else None,
            "last_activity_device": w.last[1] if w.last else None,
            "last_seen_in": w.last_room,
            "last_seen_room": room,
            "silence_began": place,
            "context": CONTEXT_TEXT[posture]
            + ("; a wearable she wears was reporting" if worn else ""),
            "inactive_h": hours(inactive),
            "usual_max_gap_h": hours(usual) if usual is not None else None,
            "threshold_h": hours(self.threshold),
            "baseline": basis,
            "sensors": w.coverage.describe(),
            **self._wearable(),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            **self.limits.state_dict(),
            "gap_from": self.gap_from,
            "threshold": self.threshold,
            "silence": self.silence,
            "raised_at": self.raised_at,
            "resting_at": self.resting_at,
            "away_until": self.away_until,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.limits.load_state(state)
        self.gap_from, self.threshold = state["gap_from"], state["threshold"]
        self.resting_at = state["resting_at"]
        self.silence = state.get("silence")
        self.raised_at = state.get("raised_at")
        self.away_until = state.get("away_until")  # saved before absences were announced
        if self.gap_from is not None and self.silence is None:
            self.silence = ["unknown", "about", False]  # saved before places were kept
        if self.silence is not None and len(self.silence) == 3:
            self.silence = [*self.silence, False]  # saved before shut doors were kept
        self._cache = None
