"""Whereabouts: where the resident is and what they last did, from the sensors of one
home, in event time. The HomeMonitor owns one per home and feeds it every reading once;
every activity detector reads it.

Fixed sensors say the resident is *at home*; wearables only say they move (steps continue
outdoors). The parts: ``doorway`` (home or out), ``bathroom`` (in the bathroom or not),
``day`` (up for the day or not), ``signals`` (what a fixed sensor's edge shows) and
``wearables``.

``observe`` and ``step`` return ``Observation``s (a finished gap, outing, bathroom stay,
the wake time) for the baselines in analytics.routine to learn from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contracts.reading import Reading

from ..context import HomeContext
from .bathroom import Bathroom
from .clock import NightClock
from .day import Day
from .doorway import Doorway
from .settings import SETTINGS_NAME, WEARABLE_KINDS, Observation, WhereaboutsSettings
from .signals import Signals
from .wearables import Wearables

# One moment of the model for the detectors: at time t, these observations just finished.
Moment = tuple[float, list[Observation]]


class Whereabouts:
    """The resident's whereabouts in one home, in event time; see the module docstring.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "s1",
    ...     "timezone": "UTC", "resident": {"name": "A", "birth_year": 1940},
    ...     "devices": [{"id": "front", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:front"},
    ...                 {"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]}))
    >>> where = Whereabouts(home)
    >>> r = lambda ts, dev, metric, value: Reading(ts=ts, home="h1", device=dev,
    ...                                            metric=metric, value=value)
    >>> noon = 12 * 3600
    >>> _ = where.observe(r(noon, "pir", "motion", True))
    >>> _ = where.observe(r(noon + 60, "front", "contact", "open"))
    >>> _ = where.observe(r(noon + 65, "front", "contact", "closed"))
    >>> _ = where.tick(noon + 20 * 60)
    >>> where.doorway.location, where.doorway.left_at - noon
    ('out', 65.0)
    >>> _ = where.observe(r(noon + 3600, "front", "contact", "open"))
    >>> [(o.kind, o.duration) for o in where.observe(r(noon + 3700, "pir", "motion", True))]
    [('outing', 3535.0)]
    >>> where.doorway.location
    'home'
    """

    def __init__(self, home: HomeContext, settings: WhereaboutsSettings | None = None):
        self.home = home
        self.settings = settings or home.settings(SETTINGS_NAME, WhereaboutsSettings)
        self.clock = NightClock(home)
        self._kind = {d.id: d.kind for d in home.config.devices}
        self._role = {d.id: d.role for d in home.config.devices}
        has_radar = any(
            d.kind == "fall_radar" and d.role == "bathroom" for d in home.config.devices
        )
        self.now: float | None = None
        # last activity of any kind: [ts, device, what]
        self.last: list[Any] | None = None
        self.last_home: float | None = None  # last activity while at home
        self.signals = Signals(self.settings, self._role)
        self.wearables = Wearables(self.settings)
        self.doorway = Doorway(self.settings, self._found_home)
        self.bathroom = Bathroom(self.settings, self._kind, has_radar)
        self.day = Day(self.settings, self.clock)

    def _found_home(self, ts: float) -> None:
        self.last_home = max(self.last_home or ts, ts)

    # ---------------------------------------------------------------- questions

    @property
    def at_home(self) -> bool:
        return self.doorway.at_home

    def local_clock(self, ts: float, reference: float | None = None) -> str:
        """'07:12', or '11-28 07:12' when not on the reference's local date."""
        moment = self.home.local(ts)
        if reference is not None and self.home.local(reference).date() != moment.date():
            return moment.strftime("%m-%d %H:%M")
        return moment.strftime("%H:%M")

    def describe_last(self, reference: float | None = None) -> str:
        if self.last is None:
            return "none seen"
        ts, device, what = self.last
        return f"{self.local_clock(ts, reference)}, {what} ({device})"

    # ---------------------------------------------------------------- time

    def start(self, ts: float) -> None:
        """Monitoring begins at ``ts``: during a day, the resident is taken to be up."""
        if self.day.period is not None:
            return
        self.day.begin(ts)
        self.now = ts
        self.last_home = ts
        self.last = [ts, "-", "monitoring started"]

    def next_transition(self) -> float | None:
        """When the next change happens by itself (a door use decided, a night starting)."""
        if self.day.period is None:
            return None
        due = self.doorway.decision_due()
        return self.day.next_night if due is None else min(due, self.day.next_night)

    def step(self, t: float) -> list[Observation]:
        """Apply the transitions due at or before ``t`` (call with next_transition())."""
        observations: list[Observation] = []
        due = self.doorway.decision_due()
        if due is not None and due <= t:
            observations += self.doorway.decide()
        if self.day.period is not None and self.day.next_night <= t:
            observations += self._new_period(self.day.next_night)
        self.now = t if self.now is None else max(self.now, t)
        return observations

    def tick(self, now: float) -> list[Observation]:
        """Let event time reach ``now``."""
        if self.day.period is None:
            self.start(now)
        observations: list[Observation] = []
        while (t := self.next_transition()) is not None and t <= now:
            observations += self.step(t)
        self.now = now if self.now is None else max(self.now, now)
        return observations

    def advance(self, now: float) -> Iterator[Moment]:
        """Event time reaches ``now``: each transition on the way as a moment seen just
        before it and just after it (a deadline at 21:40 is still met when the night
        begins at 22:30 and nothing came in between), then ``now`` itself."""
        if self.now is not None and now <= self.now:
            return
        if self.day.period is None:
            self.start(now)
        while (t := self.next_transition()) is not None and t <= now:
            yield t, []
            yield t, self.step(t)
        self.tick(now)
        yield now, []

    def _new_period(self, night_start: float) -> list[Observation]:
        observations: list[Observation] = []
        gap = self._gap_until(night_start)
        if gap:
            observations.append(gap)
        observations += self.day.new_period(night_start)
        return observations

    # ---------------------------------------------------------------- readings

    def observe(self, reading: Reading) -> list[Observation]:
        kind = self._kind.get(reading.device)
        if kind is None:
            return []  # not a device of this home's config
        ts = reading.epoch
        observations = self.tick(ts) if self.now is None or ts > self.now else []
        wearable = kind in WEARABLE_KINDS
        if wearable:
            self.wearables.seen(ts)
        self.wearables.counted_from = None
        if reading.metric == "sos":
            signal = (("wearable" if wearable else "indoor"), "pressed SOS")
            signal = signal if reading.value is True else None
        elif wearable:
            signal = self.wearables.classify(reading, self.doorway)
        else:
            signal = self.signals.classify(reading, kind)
        if signal is None:
            return observations
        klass, what = signal
        if klass == "bathroom_exit":
            return observations + self.bathroom.exit(ts)
        return observations + self._activity(ts, reading.device, klass, what)

    def _activity(self, ts: float, device: str, klass: str, what: str) -> list[Observation]:
        observations: list[Observation] = []
        late = self.last is not None and ts < self.last[0]
        fixed = klass != "wearable"
        if not late:
            if self.doorway.location == "home":
                gap = self._gap_until(ts)
                if gap:
                    observations.append(gap)
            self.last = [ts, device, what]
            if self.doorway.location == "home" or fixed:
                self.last_home = ts
        if klass == "wearable":
            self.wearables.moved(ts)
        if klass == "front_door":
            self.doorway.front_door(ts, self.signals.passage, self.wearables.steps_total)
        elif fixed:
            observations += self.doorway.indoor(ts)
        observations += self.bathroom.activity(ts, device, klass, self.signals.passage)
        self.day.activity(ts, self.wearables.counted_from)
        return observations

    def _gap_until(self, ts: float) -> Observation | None:
        """The gap since the last activity at home, if it counts (awake, by day)."""
        last, up, night_end = self.last_home, self.day.up_since, self.day.night_end
        if last is None or up is None or last < up or ts <= last or ts <= night_end:
            return None
        return Observation("gap", last, ts, counted_from=night_end)

    # ---------------------------------------------------------------- state

    _PARTS = ("signals", "wearables", "doorway", "bathroom", "day")

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "now": self.now,
            "last": list(self.last) if self.last is not None else None,
            "last_home": self.last_home,
        }
        for name in self._PARTS:
            state[name] = getattr(self, name).state_dict()
        return state

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.now = state["now"]
        self.last = list(state["last"]) if state["last"] is not None else None
        self.last_home = state["last_home"]
        for name in self._PARTS:
            getattr(self, name).load_state(state[name])
