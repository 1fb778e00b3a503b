"""How long her silences last, and the limit for one (analytics.activity.no_activity
raises a silence past it).

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
Where she can leave the bathroom for a room no sensor sees (nothing on its door, nothing
in the living room: Coverage.may_leave_bathroom_unseen), a silence after a sign in there
may be her in the armchair: it has the prior of moving about.

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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from ..context import HomeContext
from ..routine import GapBaseline, clamp
from ..whereabouts import Observation, Whereabouts
from ..whereabouts.places import BATHROOM, describe
from .base import HOUR
from .exits import Exits

CONTEXTS = ("about", "resting")
POSTURE_TEXT = {
    "about": "began while she moved about",
    "resting": "began as she sat or lay where a mat sees her",
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


class SilenceLimits:
    """Her silences, learned by posture, by the place they began and as outings nobody saw
    begin (analytics.activity.exits); ``limit`` says how long one may last.
    ``adjust(limit, floor, ceiling)`` applies the alert's outcome feedback."""

    def __init__(
        self,
        home: HomeContext,
        where: Whereabouts,
        settings: NoActivitySettings,
        adjust: Callable[[float, float, float], float],
    ):
        self.home, self.where, self.settings, self.adjust = home, where, settings, adjust
        s = settings
        self.gaps = {c: GapBaseline(home, days=s.learn_days) for c in CONTEXTS}  # by posture
        self.places: dict[str, GapBaseline] = {}  # by the place a silence began
        self.exits = Exits(
            days=s.learn_days, min_gap_s=s.exit_gap_s, min_days=s.exit_days, window=s.hour_window
        )

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

    def hour_of(self, ts: float) -> tuple[float, int]:
        """(the end of the local hour ``ts`` is in, that hour)."""
        _, hour_end, _, hour = self.gaps["about"].bucket_of(ts)
        return hour_end, hour

    def version(self, place: str, posture: str) -> tuple[int, ...]:
        """Changes whenever what a limit for that place and posture rests on does."""
        own = self.places.get(place)
        return (
            self.gaps[posture].version,
            own.version if own is not None else -1,
            self.exits.version,
        )

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
        return self.exits.goes_out_at(self.hour_of(began)[1])

    def _as_outing(self, usual: Usual, began: float) -> Usual:
        """Her outings begun around the hour this one began, if longer than ``usual``."""
        _, hour = self.hour_of(began)
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
        if place == BATHROOM and not self.where.coverage.may_leave_bathroom_unseen():
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
        _, hour = self.hour_of(ts)
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
        threshold = self.adjust(limit, min(lower, limit), s.ceiling_s)
        return Limit(threshold, usual.value, usual.days, how, usual.value is None or floored)

    def state_dict(self) -> dict[str, Any]:
        return {
            "gaps": {c: g.state_dict() for c, g in self.gaps.items()},
            "places": {p: g.state_dict() for p, g in self.places.items()},
            "exits": self.exits.state_dict(),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        for context, gaps in self.gaps.items():
            gaps.load_state(state["gaps"][context])
        self.places = {}
        for place, saved in state.get("places", {}).items():
            self._place(place).load_state(saved)
        if "exits" in state:  # saved before exits were learned: learned again
            self.exits.load_state(state["exits"])


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
