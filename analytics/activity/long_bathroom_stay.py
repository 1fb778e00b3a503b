"""``long_bathroom_stay``: in the bathroom for longer than usual; clears on exit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from ..context import HomeContext
from ..events import Event
from ..routine import RecentValues, clamp
from ..whereabouts import Observation, Whereabouts
from .base import MINUTE, ActivityDetector, minutes


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


class LongBathroomStayDetector(ActivityDetector):
    """``long_bathroom_stay``: in the bathroom for longer than usual; clears on exit.

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

    def check(self, upto: float) -> list[Event]:
        w = self.where
        bath = w.bathroom.bath
        if self.condition.is_open:
            if bath is not None and bath["since"] == self.raised_since:
                return []
            left = w.bathroom.bath_ended_at if w.bathroom.bath_ended_at is not None else upto
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
            f"usual stay {minutes(usual)} min (p{round(self.settings.quantile * 100)} of "
            f"{len(self.stays)})"
            if usual is not None
            else f"default while learning ({len(self.stays)} of {self.settings.min_stays} stays)"
        )
        evidence = {
            "summary": (
                f"in the bathroom since {self._local(bath['since'], deadline)} "
                f"({minutes(deadline - bath['since'])} min; {how}); {basis}; "
                f"threshold {minutes(threshold)} min"
            ),
            "entered": self._local(bath["since"], deadline),
            "minutes": minutes(deadline - bath["since"]),
            "device": bath["device"],
            "how": how,
            "usual_stay_min": minutes(usual) if usual is not None else None,
            "threshold_min": minutes(threshold),
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
