"""``no_activity``: at home and awake, nothing moving for longer than her silences last
when they began where this one did, at this hour.

Silences are learned per place where they began (analytics.whereabouts.places: the
bathroom, a bed or chair, the bathroom door, the kitchen, the entrance, ...) and per local
hour (the longest silence that went on through it, each day): someone who leaves the
home from the kitchen has long silences that began there, none that began in the shower.
The usual is her longest of the last ``learn_days`` days (``quantile`` 1.0): one long
outing from the kitchen at ten is enough to know that silences there can be long. A
context with fewer than ``min_days`` days backs off to broader ones: the place within
``wide_hours`` of this hour, at any hour; then her posture (``resting``: she sat or lay
down where a mat sees her; ``about``: otherwise) the same way; then the default. Every
silence is learned, those that raised an alert too: what happened is what is usual.

While the routine is being learned (analytics.whereabouts: ``learning_days``) the limit
is never below the default and says so (a few days do not show her outings), unless it
was learned from her own silences that began in that place around this hour
(``learned_here_while_learning``). The defaults are the prior: 2 h for a silence that
began in the bathroom (nobody stays silent there for hours), 3 h while a wearable she
wears was reporting (it sees her move anywhere), 5 h moving about elsewhere, 8 h settled.

Without a front-door sensor every outing is a silence at home. Her outings are learned
from the silences she came back from (analytics.activity.exits): a silence that began at
one of her exits (the kitchen by the back door, the hallway) at a time of day she goes
out is judged by her outings begun around then, pooled over her exits, up to
``upper_unseen_exit_s`` (11 h: a collapse there is still found within 12 h); one that
began in the bathroom, a bed or a chair, or at an hour she does not go out, keeps its
own limit.
While the routine is being learned, a silence there that began by day may be an outing
nobody saw begin: its prior (and floor) is ``default_unseen_exit_s`` (8 h), not 5 h. One
that began as she shut a bathroom door in passing (it had stood open; nothing says she is
behind it) has that floor even where her own silences at that door were short: people
shut the doors behind them on their way out, and her minutes at the toilet door say
nothing of how long she stays out once she has left through the hall.

While a motion or presence sensor outside the bathroom and bedroom is not believed (stuck,
flapping, or silent past its device_offline limit: analytics.whereabouts), she may sit
where nothing sees her, and her silences learned while it worked say little: the limit is
then never below the default either, and says why.

A silence is watched at any hour of the day or night, unless her night begins while she
is where she rests (analytics.whereabouts: resting); then not_up takes over. One that
began in the bedroom within the config's night, where no bed mat can say whether she lay
down, is judged as a settled one: she may have gone to bed earlier than her learned
nights begin (a night owl who turns in at half past ten). An open
alert is cleared only by a sign of life that holds: one lone motion trigger after hours
of silence is no more a return than it is while she is out (a sensor's glitch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.home import HomeConfig

from ..context import HomeContext
from ..events import Event
from ..routine import GapBaseline, clamp
from ..whereabouts import Observation, Whereabouts
from ..whereabouts.places import BATHROOM, describe
from .base import HOUR, ActivityDetector, hours
from .exits import Exits

CONTEXTS = ("about", "resting")
POSTURE_TEXT = {
    "about": "began while she moved about",
    "resting": "began as she sat or lay where a mat sees her",
}
CONTEXT_TEXT = {
    "about": "at home, moving about or where no sensor sees her",
    "resting": "settled where an occupancy sensor sees her (a chair, the bed)",
}


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NoActivitySettings:
    # The prior, until a context has min_days of silences (and the floor while the
    # routine is being learned): by posture, in the bathroom, and with a wearable worn.
    default_about_s: float = Field(default=5 * HOUR, gt=0)
    default_resting_s: float = Field(default=8 * HOUR, gt=0)
    default_bathroom_s: float = Field(default=2 * HOUR, gt=0)
    default_worn_s: float = Field(default=3 * HOUR, gt=0)
    # Where no front-door sensor sees her go, a silence that began by day while she moved
    # about outside the bathroom may be an outing nobody saw begin: while the routine is
    # being learned (her outings not known yet), the prior there (and the floor) is longer.
    default_unseen_exit_s: float = Field(default=8 * HOUR, gt=0)
    # Learned: clamp(factor x her usual longest silence of this kind, lower, upper), the
    # usual being the `quantile` over the last learn_days days of each day's longest
    # (1.0: her longest of those days; one long outing from the kitchen is enough to
    # know that silences there can be long).
    factor: float = Field(default=1.5, gt=0)
    # Sitting or lying still for hours is ordinary (a long film); a wider margin there.
    factor_resting: float = Field(default=1.75, gt=0)
    lower_about_s: float = Field(default=1.5 * HOUR, gt=0)
    upper_about_s: float = Field(default=10 * HOUR, gt=0)
    # Without a front-door sensor a long silence may be an outing nobody saw begin: up to
    # this, as long as her days show such silences.
    upper_unseen_exit_s: float = Field(default=11 * HOUR, gt=0)
    # Without a front-door sensor, her outings and exits (analytics.activity.exits): a
    # silence of exit_gap_s that ended with her back in the living part of the home; a
    # place where they began on exit_days of the last learn_days days, an hour around
    # which (hour_window) they began on exit_days days. A silence that began at an exit
    # at such an hour is judged by her outings begun around then, up to
    # upper_unseen_exit_s (a collapse there is still found within 12 h).
    exit_gap_s: float = Field(default=3 * HOUR, gt=0)
    exit_days: int = Field(default=2, ge=1)
    lower_resting_s: float = Field(default=3 * HOUR, gt=0)
    upper_resting_s: float = Field(default=10 * HOUR, gt=0)
    quantile: float = Field(default=1.0, gt=0, le=1)
    learn_days: int = Field(default=14, ge=1)
    min_days: int = Field(default=5, ge=1)
    # "At this hour": her silences within this many hours either side (habits drift by an
    # hour or two from day to day); a context with too few days there looks wide_hours.
    hour_window: int = Field(default=2, ge=0, le=12)
    wide_hours: int = Field(default=4, ge=0, le=12)
    # While the routine is being learned, a limit learned from her own silences that
    # began in that place around this hour (min_days days of them) stands even below the
    # default; false: never below the default until the learning period is over.
    learned_here_while_learning: bool = True
    # Her posture at any hour, from this many days (the last resort before the default).
    min_days_any_hour: int = Field(default=5, ge=1)
    # Whatever the feedback, never more than this (a silence that long is always news).
    ceiling_s: float = Field(default=12 * HOUR, gt=0)
    # Critical once the silence reaches this multiple of the threshold.
    critical_factor: float = Field(default=2.0, ge=1)


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
    >>> motion(26.5)  # one lone trigger after hours of silence: a glitch, perhaps
    []
    >>> [(e.state, e.ts / 3600) for e in motion(26.52)]  # a second one: she is moving
    [('cleared', 26.52)]
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
        self.gaps = {c: GapBaseline(home, days=s.learn_days) for c in CONTEXTS}  # by posture
        self.places: dict[str, GapBaseline] = {}  # by the place a silence began
        self.exits = Exits(
            days=s.learn_days, min_gap_s=s.exit_gap_s, min_days=s.exit_days, window=s.hour_window
        )
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

    def learn(self, observation: Observation) -> None:
        if observation.kind == "gap":
            self.gaps[observation.context].record(observation.start, observation.end)
            self._place(observation.place).record(observation.start, observation.end)
            _, _, day, hour = self.gaps["about"].bucket_of(observation.start)
            self.exits.record(observation, day=day, hour=hour)

    def _place(self, place: str) -> GapBaseline:
        if place not in self.places:
            self.places[place] = GapBaseline(self.home, days=self.settings.learn_days)
        return self.places[place]

    # ---------------------------------------------------------------- limits

    def usual(self, place: str, posture: str, hour: int) -> Usual:
        """Her usual longest silence around ``hour`` for a silence that began in ``place``
        (``posture``: settled or not), from the finest context with min_days days: the
        place within an hour of this one, within ``wide_hours``, at any hour; then her
        posture the same way (any hour from min_days_any_hour days); else none."""
        s = self.settings
        contexts = [(self.places.get(place), f"began {describe(place)}", s.min_days, True)]
        contexts.append((self.gaps[posture], POSTURE_TEXT[posture], s.min_days_any_hour, False))
        for gaps, text, min_any, own in contexts:
            if gaps is None:
                continue
            for width, around in (
                (s.hour_window, "at this hour"),
                (s.wide_hours, "around this hour"),
            ):
                usual, days = gaps.usual(hour, min_days=s.min_days, q=s.quantile, width=width)
                if usual is not None:
                    return Usual(usual, days, f"silences that {text}, {around}", own)
            usual, days = gaps.usual_any_hour(min_days=min_any, q=s.quantile)
            if usual is not None:
                return Usual(usual, days, f"silences that {text}, at any hour", False)
        gaps = self.places.get(place)
        seen = gaps.usual(hour, min_days=1, q=1.0, width=s.wide_hours)[1] if gaps else 0
        return Usual(None, seen, "", False)

    def probably_out(self, place: str, began: float | None) -> bool:
        """Whether a silence that began in ``place`` at ``began`` is probably an outing
        nobody saw begin: the home has no front-door sensor, she has gone out from
        there before, and at this time of day (analytics.activity.exits)."""
        if began is None or self.where.coverage.front_door or not self.exits.is_exit(place):
            return False
        return self.exits.goes_out_at(self.gaps["about"].bucket_of(began)[3])

    def _as_outing(self, usual: Usual, began: float) -> Usual:
        """Her outings begun around the hour this one began, if longer than ``usual``."""
        hour = self.gaps["about"].bucket_of(began)[3]
        out = self.exits.usual(hour, q=self.settings.quantile)
        if out is None or (usual.value is not None and out <= usual.value):
            return usual
        how = f"her outings that began unseen around {hour:02d}:00 (no front-door sensor)"
        return Usual(out, self.exits.days_seen(hour), how, True)

    def default(self, place: str, posture: str, worn: bool, ts: float, began: float) -> float:
        """The prior at ``ts`` for a silence that began in ``place`` at ``began``."""
        s = self.settings
        value = s.default_resting_s if posture == "resting" else s.default_about_s
        if posture == "about" and self._unseen_outing(began, ts):
            value = s.default_unseen_exit_s
        if place == BATHROOM:
            value = min(value, s.default_bathroom_s)
        if worn:
            value = min(value, s.default_worn_s)
        return value

    def _unseen_outing(self, began: float, ts: float) -> bool:
        """While her outings are not known yet, whether a silence that began at ``began``
        (by day) may be one that no front-door sensor saw begin."""
        w = self.where
        return not w.coverage.front_door and w.learning(ts) and not w.day.in_night(began)

    def limit(
        self,
        place: str,
        posture: str,
        worn: bool,
        ts: float,
        began: float | None = None,
        *,
        shut: bool = False,
    ) -> Limit:
        """The limit at ``ts`` for a silence that began in ``place``: learned from the
        finest context that has enough days, else the default; while the routine is
        being learned, not below the default unless learned from her own silences that
        began there around this hour (``learned_here_while_learning``). A silence that
        began as she shut a door in passing (``shut``) in a home without a front-door
        sensor may be her leaving unseen, whatever her silences at that door were: while
        her outings are being learned, its own silences do not lower it below the
        default either."""
        s = self.settings
        _, _, _, hour = self.gaps["about"].bucket_of(ts)
        out = posture == "about" and self.probably_out(place, began)
        usual = self.usual(place, posture, hour)
        if out:
            assert began is not None
            usual = self._as_outing(usual, began)
        if posture == "resting":
            factor, lower, upper = s.factor_resting, s.lower_resting_s, s.upper_resting_s
        else:
            factor, lower, upper = s.factor, s.lower_about_s, s.upper_about_s
            if not self.where.coverage.front_door:
                upper = max(upper, s.upper_unseen_exit_s)
        default = self.default(place, posture, worn, ts, ts if began is None else began)
        if usual.value is None:
            limit = default
            how = f"default for a silence that began {describe(place)}"
            how += f" ({usual.days} of {s.min_days} days seen)"
        else:
            limit = clamp(factor * usual.value, lower, upper)
            how = f"learned from {usual.how} over {usual.days} days"
        trusted = usual.own and s.learned_here_while_learning
        shut_unseen = shut and not self.where.coverage.front_door
        if shut_unseen:
            trusted = False  # her silences at a door say little of her leaving through it
        blind = self.where.blind_spots()
        below = usual.value is not None and limit < default
        floored = below and ((not trusted and self.where.learning(ts)) or bool(blind))
        if floored:
            limit = default
            how += ", but not below the default"
            if shut_unseen:
                how += " (she shut a door in passing: she may have gone out)"
            if blind:
                how += f" while {', '.join(blind)} is not believed"
        threshold = self.adjusted(limit, min(lower, limit), s.ceiling_s)
        return Limit(threshold, usual.value, usual.days, how, usual.value is None or floored)

    def _deadline(self, last: float, silence: list[Any], horizon: float) -> tuple | None:
        """(the first moment the silence since ``last`` exceeds the limit of the hour it
        is in, that limit), before ``horizon``; None if there is none."""
        place, posture, worn, shut = silence
        own = self.places.get(place)
        versions = (self.gaps[posture].version, own.version if own is not None else -1)
        blind = tuple(self.where.blind_spots())
        versions += (self.exits.version,)
        key = (last, place, posture, worn, shut, horizon, versions, self.where.started, blind)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        result = None
        t = last
        while t < horizon:
            _, hour_end, _, _ = self.gaps["about"].bucket_of(t)
            limit = self.limit(place, posture, worn, t, began=last, shut=shut)
            candidate = max(t, last + limit.threshold)
            if candidate < min(hour_end, horizon):
                result = (candidate, limit)
                break
            t = hour_end
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
        if not w.at_home or w.bathroom.stay is not None or w.resting or not w.last_awake:
            return []
        last = w.last_home
        if last is None or upto - last < self._shortest:
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
            self.raised_at = None
            return self._emit(self.condition.end(w.last[0], evidence))
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
            limit = self.limit(place, posture, worn, critical_at, began=self.gap_from, shut=shut)
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
        return {
            "summary": (
                f"no activity for {hours(inactive)} h, last activity "
                f"{w.clock.local_text(self.gap_from, ts)}; last seen {describe(place)}; her usual "
                f"longest silence of this kind {usual_text}; threshold "
                f"{hours(self.threshold)} h ({basis})"
            ),
            "last_activity": self._local(self.gap_from, ts),
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
            "gaps": {c: g.state_dict() for c, g in self.gaps.items()},
            "places": {p: g.state_dict() for p, g in self.places.items()},
            "exits": self.exits.state_dict(),
            "gap_from": self.gap_from,
            "threshold": self.threshold,
            "silence": self.silence,
            "raised_at": self.raised_at,
            "resting_at": self.resting_at,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        for context, gaps in self.gaps.items():
            gaps.load_state(state["gaps"][context])
        self.places = {}
        for place, saved in state.get("places", {}).items():
            self._place(place).load_state(saved)
        if "exits" in state:  # saved before exits were learned: learned again
            self.exits.load_state(state["exits"])
        self.gap_from, self.threshold = state["gap_from"], state["threshold"]
        self.resting_at = state["resting_at"]
        self.silence = state.get("silence")
        self.raised_at = state.get("raised_at")
        if self.gap_from is not None and self.silence is None:
            self.silence = ["unknown", "about", False]  # saved before places were kept
        if self.silence is not None and len(self.silence) == 3:
            self.silence = [*self.silence, False]  # saved before shut doors were kept
        self._cache = None


@dataclass(frozen=True)
class Usual:
    """Her usual longest silence in a context, and what it rests on."""

    value: float | None
    days: int
    how: str
    own: bool  # learned from silences that began in that very place around this hour


@dataclass(frozen=True)
class Limit:
    """A silence limit and how it was set, for the evidence."""

    threshold: float
    usual: float | None
    days: int
    how: str
    conservative: bool
