"""What every activity detector shares: the home's whereabouts model, one condition, the
learning period, outcome feedback, and the wording of its evidence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from contracts.home import AwayPeriod
from contracts.reading import Reading

from ..condition import Condition
from ..context import HomeContext
from ..detector import Detector
from ..events import Event
from ..whereabouts import Observation, Whereabouts

HOUR = 3600.0
MINUTE = 60.0
# Home this long after coming back through the front door during an announced absence:
# back for good, not someone in for her coat.
BACK_FOR_GOOD_S = 1 * HOUR
# Seen at home this long after an announced absence began, never out through the front
# door: she did not go.
STAYED_AFTER_S = 1 * HOUR
WEARABLE_KINDS = ("bracelet", "fall_pendant")
# How outcome feedback scaled a limit, as the basis in evidence says it ("; limit x3 after
# outcomes"): for the station's staff; the hub takes it out of what a family reads.
FEEDBACK_NOTE = "; limit x{factor:g} after outcomes"
FEEDBACK_NOTE_PATTERN = re.compile(r"; limit x[0-9.e+-]+ after outcomes")


def hours(seconds: float) -> float:
    return round(seconds / HOUR, 1)


def minutes(seconds: float) -> int:
    return round(seconds / MINUTE)


class ActivityDetector(Detector):
    """A detector that reads the home's whereabouts model instead of the readings.

    The HomeMonitor feeds the model once per reading and, at each moment the model
    reports, first hands every activity detector what just finished (``learn``: a gap,
    an outing, a bathroom stay, a night's sleep) and then asks each to ``check`` its
    condition as of that moment.

    Limits: a detector's limit is multiplied by the home's outcome feedback for its kind
    (``thresholds.feedback.<kind>``, 0.5-3) and kept within ``[floor, ceiling]`` of its
    settings, so feedback can neither silence it nor make it fire at once.
    """

    kind: ClassVar[str]

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home)
        self.where = where
        self.condition = Condition(home.home, self.kind, self.name)
        self.feedback = home.feedback(self.kind)

    def feed(self, reading: Reading) -> list[Event]:
        now = self.where.now
        ts = reading.epoch
        return self.check(ts if now is None else max(now, ts))

    def learn(self, observation: Observation) -> None:
        """Take what the baseline needs from a finished observation."""

    def check(self, upto: float) -> list[Event]:
        """Raise, escalate or clear as of ``upto`` (events at the time it happened)."""
        return []

    # ---------------------------------------------------------------- limits

    def adjusted(self, limit: float, floor: float, ceiling: float) -> float:
        """``limit`` after outcome feedback, within ``[floor, ceiling]``."""
        return max(floor, min(ceiling, limit * self.feedback))

    def learning(self, ts: float) -> str | None:
        """'learning, day 3 of 14' while the home's routine is being learned, and
        'installing (5 of 17 sensors have reported)' while the home is being installed."""
        notes = []
        if self.where.installing(ts):
            notes.append(f"installing ({self.where.describe_installation()})")
        if self.where.learning(ts):
            days = self.where.settings.learning_days
            notes.append(f"learning, day {self.where.learning_day(ts)} of {days}")
        return ", ".join(notes) or None

    def basis(self, ts: float, how: str, *, conservative: bool = False) -> str:
        """How the limit was set, for a dispatcher: 'learning, day 3 of 14: default (2 of
        10 outings seen), conservative limit' while the routine is being learned."""
        text = how
        note = self.learning(ts)
        if note is not None:
            text = f"{note}: {text}"
            if conservative:
                text += ", conservative limit"
        if self.feedback != 1.0:
            text += FEEDBACK_NOTE.format(factor=self.feedback)
        return text

    # ---------------------------------------------------------------- announced absences

    def announced_away(self, ts: float) -> AwayPeriod | None:
        """The absence announced for ``ts`` (the family's 外出登记: at her daughter's, in
        hospital), unless the front door has seen her come home since it began: then she
        is back sooner than announced, and watched again."""
        period = self.home.config.away_at(ts)
        if period is None or self._back_during(period, ts) or self._stayed(period, ts):
            return None
        return period

    def counted_from(self, since: float, upto: float) -> tuple[float, AwayPeriod | None]:
        """When a silence or an outing that began at ``since`` counts from, as of ``upto``:
        the end of an absence announced over it (she is expected back then, not before),
        unless she came home sooner; and that absence."""
        start, over = since, None
        for period in sorted(self.home.config.away, key=lambda p: p.start):
            begins, ends = period.start.timestamp(), period.end.timestamp()
            if begins > upto or ends <= start:
                continue
            if not self._back_during(period, upto) and not self._stayed(period, upto):
                start, over = ends, period
        return start, over

    def announced_over(self, observation: Observation) -> bool:
        """Whether an announced absence overlaps what was observed: not her routine."""
        return any(
            p.start.timestamp() < observation.end and p.end.timestamp() > observation.start
            for p in self.home.config.away
        )

    def _back_during(self, period: AwayPeriod, ts: float) -> bool:
        """Whether she came home during ``period``, by ``ts``: through the front door, then
        signs of someone inside that hold, and either no one has left since or someone
        stayed an hour before leaving (her son fetching her coat comes in and goes again;
        back for good, she is watched when she goes out again, at night too). A sign
        inside with no door is a visitor's as likely as hers."""
        w = self.where
        back = w.doorway.door_home_at
        if back is None or not period.start.timestamp() <= back <= ts:
            return False
        if not any(back <= seen <= ts for seen in w.seen_in.values()):
            return False
        left = w.doorway.left_at
        return w.at_home or (left is not None and left - back >= BACK_FOR_GOOD_S)

    def _stayed(self, period: AwayPeriod, ts: float) -> bool:
        """Whether, by ``ts``, she did not go as announced: a front door that works has not
        seen her leave since the absence began, and she was seen at home more than an hour
        after its start (the family's times are rough; she may leave
        late). Where no front door is seen, nobody can tell."""
        w = self.where
        if not w.coverage.front_door or not w.at_home:
            return False
        start = period.start.timestamp()
        left = w.doorway.left_at
        if left is not None and left >= start:
            return False
        return w.last_home is not None and start + STAYED_AFTER_S <= w.last_home <= ts

    def absence_since(self, since: float, upto: float) -> dict[str, Any] | None:
        """The evidence that ends an alert about what began at ``since`` when an absence
        announced over it after the alert was raised is going on at ``upto``: she is where
        the family says, and is watched again from its end. Kept open, the alert would say
        nothing when she is not back then (and nothing at all once a dispatcher closed it).
        None when there is no such absence."""
        counted, away = self.counted_from(since, upto)
        if away is None or counted <= upto:
            return None
        return self._away_evidence(away, upto)

    def noting_absence(
        self, evidence: dict[str, Any], period: AwayPeriod, reference: float
    ) -> dict[str, Any]:
        """``evidence`` of an alert counted from ``period``'s end, saying so."""
        noted = self._away_evidence(period, reference)
        return {**evidence, "summary": f"{evidence['summary']}; {noted['summary']}",
                "away_until": noted["away_until"]}  # fmt: skip

    def _away_evidence(self, period: AwayPeriod, reference: float) -> dict[str, Any]:
        until = self._local(period.end.timestamp(), reference)
        note = f": {period.note}" if period.note else ""
        return {"summary": f"announced away until {until}{note}", "away_until": until}

    # ---------------------------------------------------------------- evidence

    def _emit(self, event: Event | None) -> list[Event]:
        return [event] if event is not None else []

    def _local(self, ts: float, reference: float | None = None) -> str:
        return self.where.clock.local_text(ts, reference)

    def _wearable(self) -> dict[str, Any]:
        """What the wearable says, for evidence: a missing bracelet explains silence."""
        wearables = self.home.devices_with(kinds=WEARABLE_KINDS)
        if not wearables:
            return {"wearable": "none"}
        state = self.where.wearables
        worn = [state.worn[d] for d in sorted(wearables) if d in state.worn]
        if worn and all(value is False for value, _ in worn):
            since = max(ts for _, ts in worn)
            return {"wearable": f"not worn since {self._local(since, self.where.now)}"}
        seen = state.wearable_seen
        if seen is None:
            return {"wearable": "nothing heard from it"}
        if self.where.now is not None and not state.wearing(self.where.now):
            return {"wearable": f"silent since {self._local(seen, self.where.now)}"}
        return {"wearable": "worn and reporting"}

    def state_dict(self) -> dict[str, Any]:
        return {"condition": self.condition.state_dict()}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.condition.load_state(state["condition"])
