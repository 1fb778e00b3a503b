"""``long_bathroom_stay``: in the bathroom, on evidence (analytics.whereabouts.bathroom), for
longer than usual; cleared when she is seen leaving or elsewhere.

Learned from every stay seen, those that raised an alert too. While the routine is being
learned, the limit is never below the default. While the home is being installed (most of
its sensors not heard from yet, analytics.whereabouts.installation), the limit is
``ceiling_s``: a bathroom door closed before the other rooms' sensors report says little of
where she is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from ..context import HomeContext
from ..events import Event
from ..routine import RecentValues, clamp
from ..whereabouts import Observation, Whereabouts
from .base import HOUR, MINUTE, ActivityDetector, minutes

HOW = {
    "presence": "the bathroom's occupancy sensor sees someone",
    "door": "the bathroom door closed behind her",
    "motion": "movement in the bathroom",
}


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class LongBathroomStaySettings:
    # Until min_stays stays are known (and while learning, at least): this long.
    default_threshold_s: float = Field(default=45 * MINUTE, gt=0)
    # Learned: clamp(factor x the `quantile` of the last learn_stays stays, lower, upper).
    factor: float = Field(default=2.0, gt=0)
    quantile: float = Field(default=0.95, gt=0, le=1)
    lower_s: float = Field(default=35 * MINUTE, gt=0)
    upper_s: float = Field(default=90 * MINUTE, gt=0)
    learn_stays: int = Field(default=100, ge=1)
    min_stays: int = Field(default=20, ge=1)
    # Whatever the feedback, within these.
    floor_s: float = Field(default=20 * MINUTE, gt=0)
    ceiling_s: float = Field(default=3 * HOUR, gt=0)


class LongBathroomStayDetector(ActivityDetector):
    """``long_bathroom_stay``: see the module docstring.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "radar", "kind": "fall_radar", "role": "bathroom",
    ...                  "source": "zigbee2mqtt:radar"}]})
    >>> monitor = HomeMonitor(home, detectors=[LongBathroomStayDetector])
    >>> presence = lambda m, v: Reading(ts=10 * 3600 + m * 60, home="h1", device="radar",
    ...                                 metric="presence", value=v)
    >>> _ = monitor.feed(presence(0, True))
    >>> [(e.state, e.severity, e.evidence["minutes"]) for e in monitor.advance(11 * 3600)]
    [('raised', 'major', 45)]
    >>> [(e.state, e.evidence["left_at"]) for e in monitor.feed(presence(70, False))]
    [('cleared', '11:10')]
    """

    name = "long_bathroom_stay"
    kind = "long_bathroom_stay"
    kinds = ("long_bathroom_stay",)

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        self.settings = home.settings(self.name, LongBathroomStaySettings)
        self.stays = RecentValues(self.settings.learn_stays)
        self.raised_since: float | None = None

    def learn(self, observation: Observation) -> None:
        if observation.kind == "bathroom":
            self.stays.add(observation.duration)

    def threshold(self, ts: float) -> tuple[float, float | None]:
        s = self.settings
        usual = self.stays.quantile(s.quantile) if len(self.stays) >= s.min_stays else None
        if self.where.installing(ts):
            return s.ceiling_s, usual
        limit = s.default_threshold_s
        if usual is not None:
            limit = clamp(s.factor * usual, s.lower_s, s.upper_s)
            if self.where.learning(ts):
                limit = max(limit, s.default_threshold_s)
        return self.adjusted(limit, s.floor_s, s.ceiling_s), usual

    def check(self, upto: float) -> list[Event]:
        w = self.where
        stay = w.bathroom.stay
        if self.condition.is_open:
            return self._while_open(upto)
        if stay is None or stay["since"] == self.raised_since:
            return []
        if self.announced_away(stay["since"]) is not None:
            return []  # someone else in her bathroom while she is away as announced
        threshold, usual = self.threshold(upto)
        deadline = stay["since"] + threshold
        if deadline > upto:
            return []
        self.raised_since = stay["since"]
        return self._emit(
            self.condition.hold(
                deadline,
                "major",
                self._evidence(stay, deadline, threshold, usual),
                started=stay["since"],
                device=stay["device"],
            )
        )

    def _while_open(self, upto: float) -> list[Event]:
        w, bathroom = self.where, self.where.bathroom
        if bathroom.stay is not None and bathroom.stay["since"] == self.raised_since:
            return []
        left = bathroom.ended_at if bathroom.ended_at is not None else upto
        if bathroom.ended_by == "expired":
            # The evidence ran out while the alert was open: over only once she is seen
            # somewhere else.
            seen = w.last is not None and w.last[0] > left and w.last_room != "bathroom"
            if not seen or w.last is None:
                return []
            left = w.last[0]
        evidence = {
            "summary": f"out of the bathroom at {self._local(left)}",
            "left_at": self._local(left),
        }
        return self._emit(self.condition.end(left, evidence))

    def _evidence(
        self, stay: Mapping[str, Any], deadline: float, threshold: float, usual: float | None
    ) -> dict[str, Any]:
        s = self.settings
        how = HOW[stay["via"]]
        if self.where.bathroom.contained is not None:
            how = HOW["door"]
        learned = usual is not None and threshold > s.default_threshold_s * self.feedback
        basis = self.basis(
            deadline,
            f"usual stay {minutes(usual)} min (p{round(s.quantile * 100)} of {len(self.stays)})"
            if usual is not None
            else f"default ({len(self.stays)} of {s.min_stays} stays seen)",
            conservative=not learned,
        )
        return {
            "summary": (
                f"in the bathroom since {self._local(stay['since'], deadline)} "
                f"({minutes(deadline - stay['since'])} min; {how}); {basis}; "
                f"threshold {minutes(threshold)} min"
            ),
            "entered": self._local(stay["since"], deadline),
            "minutes": minutes(deadline - stay["since"]),
            "device": stay["device"],
            "how": how,
            "usual_stay_min": minutes(usual) if usual is not None else None,
            "threshold_min": minutes(threshold),
            "baseline": basis,
        }

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
