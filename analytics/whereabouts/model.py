"""Whereabouts: where the resident is, what the sensors can tell, what she last did; one
model per home, in event time. The HomeMonitor owns it and feeds it every reading once;
every activity detector reads it.

Where she is, on evidence only: out (through the front door), in the bathroom (something
there says so), resting (her night, in bed or, with no sensor in the bedroom, just her
night), or at home: seen in a room, or unobserved since she was last seen. Fixed sensors
say she is at home; wearables only say she moves (steps continue outdoors). The parts:
``sensors`` (levels; stuck and flapping sensors), ``signals`` (what an edge shows),
``doorway`` (home or out), ``bathroom``, ``day`` (up or resting; her night, learned),
``wearables``, ``places`` (where a silence began), ``installation`` (whether most of its
sensors have reported yet); ``coverage`` says which rooms the installed sensors cover;
``morning.got_up`` replays readings to say when she got up.

``observe`` and ``step`` return ``Observation``s (a finished gap, outing, bathroom stay,
night's sleep) for the baselines in analytics.routine to learn from.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from contracts.reading import Reading

from ..context import HomeContext
from ..device_health import offline_limits
from .bathroom import Bathroom
from .clock import NightClock
from .coverage import FIXED_KINDS, Coverage
from .day import Day
from .doorway import Doorway, motion_holds, recent_triggers
from .installation import Installation
from .places import place_of, posture_of
from .sensors import BINARY_METRICS, Sensors
from .settings import (
    SETTINGS_NAME,
    WEARABLE_KINDS,
    Context,
    Observation,
    SensorSettings,
    WhereaboutsSettings,
    room_of,
)
from .signals import Signal, Signals
from .wearables import Wearables

DAY_S = 86400.0
SENSOR_SETTINGS = "sensor_health"

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
    >>> _ = where.observe(r(noon - 60, "front", "contact", "closed"))
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

    def __init__(self, home: HomeContext):
        self.home = home
        self.settings = home.settings(SETTINGS_NAME, WhereaboutsSettings)
        self.clock = NightClock(home)
        self.coverage = Coverage.of(home.config)
        self._kind = {d.id: d.kind for d in home.config.devices}
        self._role = {d.id: d.role for d in home.config.devices}
        self._watchers = sorted(
            d.id
            for d in home.config.devices
            if d.kind in ("motion", "presence")
            and room_of(d.role) not in (None, "bathroom", "bedroom")
        )
        self.now: float | None = None
        self.started: float | None = None  # monitoring began
        self.learning_from: float | None = None  # learning began again (None: at started)
        self.last: list[Any] | None = None  # last activity of any kind: [ts, device, what]
        self.last_home: float | None = None  # last activity while at home
        self.last_room: str | None = None  # where a fixed sensor last saw her
        self.seen_in: dict[str, float] = {}  # room -> when a fixed sensor last saw her there
        self.last_place = "unknown"  # where her last sign of life put her (places)
        self.last_bed: float | None = None  # a bed mat last saw her lie down
        self.last_context: Context = "about"  # settled there (resting), or not
        self.last_awake = True  # she was up (not resting) at her last activity
        # Her last sign of life was a bathroom door closed in passing (it had stood open,
        # nothing says she is behind it): she shut it on her way somewhere.
        self.last_shut = False
        # The run of signs of life going on: [first, last, only motion triggers so far,
        # when its motion first held (motion_holds) or None, its motion triggers of the
        # last return_within_s as [ts, device]] (a pause longer than return_within_s ends
        # it).
        self.run: list[Any] | None = None
        devices = home.config.devices
        self.sensors = Sensors(
            home.settings(SENSOR_SETTINGS, SensorSettings), devices, offline_limits(home)
        )
        self.signals = Signals(self.settings)
        self.wearables = Wearables(self.settings)
        self.doorway = Doorway(self.settings, self._found_home)
        self.bathroom = Bathroom(self.settings, self.coverage.bathroom_occupancy)
        self.day = Day(self.settings, self.clock, front_door=self.coverage.front_door)
        self.installation = Installation(
            (d.id for d in devices if d.kind in FIXED_KINDS),
            share=self.settings.installed_share,
            days=self.settings.installation_days,
        )

    def _found_home(self, ts: float) -> None:
        """She has been home since ``ts``: her signs of life since then (a wristband
        counting the last of her walk while the front door's use was undecided) were at
        home, and a silence at home begins after them."""
        latest = ts
        if self.last is not None and self.last[0] > ts:
            latest = self.last[0]
        self.last_home = max(self.last_home or latest, latest)

    # ---------------------------------------------------------------- questions

    @property
    def at_home(self) -> bool:
        return self.doorway.at_home

    @property
    def resting(self) -> bool:
        """Her night's rest: not up yet this period, and last seen in the bedroom; where
        the bedroom cannot be seen, silent since a time she could have gone to bed."""
        if self.day.period is None or self.day.up_since is not None:
            return False
        return self.rests_in(self.last_room, self.last_home)

    def rests_in(
        self, room: str | None, since: float | None, night_start: float | None = None
    ) -> bool:
        """Whether, in her night (this period's, or the one starting at ``night_start``),
        last seen in ``room`` at ``since`` is resting: on evidence that she spent the
        night at home in bed. The silence began at a time she could have gone to bed (one
        that began in the afternoon is no_activity's to judge); where the bedroom is
        seen, she is in it (last seen there, or an occupancy sensor there still sees
        someone: a bathroom door swinging shut behind her is no sign she is in the
        bathroom); where the bed has a mat (one that has reported since monitoring
        began), it saw her lie down this night, or, while no mat is believed, a presence
        sensor in the bedroom sees her. Where every sensor that would see her in
        the bedroom is stuck, flapping or silent past its device_offline limit, or is a
        mat that lost its "off" (``_lost_off``), the bedroom is unobserved: she may be
        resting, as where it has no sensor."""
        lay_down = self.last_bed
        # Her last sign was lying down in bed (a wristband's count since keeps the place).
        in_bed = lay_down is not None and self.last_place == "bed"
        if since is not None and not self.day.could_be_bedtime(since, night_start, in_bed=in_bed):
            return False
        if not self.coverage.bedroom:
            return True
        installed = [d for d in self.coverage.bedroom_sensors if self.sensors.reported(d)]
        if installed and not any(self.believed(d) and not self._lost_off(d) for d in installed):
            return True  # every sensor that would see her in bed is stuck or silent
        if room != "bedroom" and not self._occupied("bedroom"):
            return False
        beds = [bed for bed in self.coverage.beds if self.sensors.reported(bed)]
        if not beds:
            return True  # no bed mat, or none installed yet: the bedroom must do
        if not any(self.believed(bed) for bed in beds) and self._occupied("bedroom"):
            return True  # the mat is not believed; the bedroom's presence sensor sees her
        if lay_down is None:
            return False
        return self.day.could_be_bedtime(lay_down, night_start, in_bed=in_bed)

    def blind_spots(self) -> list[str]:
        """Motion and presence sensors outside the bathroom and bedroom that have
        reported and are not believed now: where she may sit unseen, so silences learned
        while they worked say little."""
        return [
            device
            for device in self._watchers
            if self.sensors.reported(device) and not self.believed(device)
        ]

    def believed(self, device: str) -> bool:
        """Its readings say something about her now: neither stuck nor flapping, nor
        silent past its device_offline limit."""
        return self.sensors.believed(device, self.now)

    def holds_since(self, since: float) -> float | None:
        """When signs of life that hold began after ``since``, if they have: anything but
        a motion sensor, or motion that holds (doorway.motion_holds: two sensors, or three
        triggers of one, within ``return_within_s``). One sensor firing once or twice
        after a silence (a PIR seeing the sun move) does not hold, as it brings no one
        home through a missed front door."""
        run = self.run
        if run is None or run[1] <= since:
            return None
        first = max(run[0], since)
        if not run[2]:
            return first  # not motion alone: a door, a cupboard, a mat, an appliance
        if len(run) < 5:  # a run saved before motion was told apart by sensor
            return first if run[1] - first >= self.settings.return_apart_s else None
        if run[3] is not None and run[3] >= since:
            return run[3]
        return motion_holds([t for t in run[4] if t[0] >= since], self.settings)

    def learning_day(self, ts: float) -> int:
        """Day of learning her routine ``ts`` falls on, from 1."""
        since = self.started if self.learning_from is None else self.learning_from
        if since is None:
            return 1
        return int(max(0.0, ts - since) // DAY_S) + 1

    def learning(self, ts: float) -> bool:
        """Whether the routine is still being learned at ``ts``."""
        return self.learning_day(ts) <= self.settings.learning_days

    def installing(self, ts: float) -> bool:
        """Whether the home is still being installed at ``ts`` (analytics.whereabouts.
        installation)."""
        return self.installation.installing(ts, self.started)

    def describe_installation(self) -> str:
        """'3 of 17 sensors have reported'."""
        return self.installation.describe(self.sensors.heard)

    def describe_last(self, reference: float | None = None) -> str:
        if self.last is None:
            return "none seen"
        ts, device, what = self.last
        return f"{self.clock.local_text(ts, reference)}, {what} ({device})"

    # ---------------------------------------------------------------- time

    def start(self, ts: float) -> None:
        """Monitoring begins at ``ts``: during a day, the resident is taken to be up."""
        if self.day.period is not None:
            return
        self.day.begin(ts)
        self.installation.settle(self.sensors.heard, ts)
        self.now = self.started = ts
        self.last_home = ts
        self.last = [ts, "-", "monitoring started"]
        self.last_awake = not self.resting

    def time_zone_changed(self) -> None:
        """Her routine by the clock (her nights) was learned under another time zone: it
        is learned again from now, and this period's night is the new clock's."""
        self.day.restart(self.now, self.last[0] if self.last is not None else None)
        if self.now is not None:
            self.learning_from = self.now

    def next_transition(self) -> float | None:
        """When the next change happens by itself (a door use decided, evidence running
        out, a sensor stuck, a return to bed confirmed, a night starting)."""
        if self.day.period is None:
            return None
        due = [
            self.doorway.decision_due(),
            self.bathroom.due(),
            self.sensors.next_due(self.now if self.now is not None else -math.inf),
            self.day.due(),
            self.day.next_night,
        ]
        return min(t for t in due if t is not None)

    def step(self, t: float) -> list[Observation]:
        """Apply the transitions due at or before ``t`` (call with next_transition())."""
        observations: list[Observation] = []
        due = self.doorway.decision_due()
        if due is not None and due <= t:
            was_home = self.doorway.location == "home"
            observations += self.doorway.decide()
            if was_home and self.doorway.location == "out" and not self.doorway.guest_leaving:
                assert self.doorway.door_opened_at is not None
                self.day.went_out(self.doorway.door_opened_at)
        observations += self.bathroom.step(t)
        self.sensors.step(t)
        self.day.step(t)
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
        resting = self.rests_in(self.last_room, self.last_home, night_start)
        if self.last_awake and self.doorway.location == "home" and resting:
            # Her night begins and she is where she rests: the silence so far was awake,
            # the rest of it is her night.
            gap = self._gap_until(night_start)
            if gap:
                observations.append(gap)
            self.last_awake = False
        observations += self.day.new_period(night_start)
        return observations

    # ---------------------------------------------------------------- readings

    def observe(self, reading: Reading) -> list[Observation]:
        kind = self._kind.get(reading.device)
        if kind is None:
            return []  # not a device of this home's config
        ts = reading.epoch
        observations = self.tick(ts) if self.now is None or ts > self.now else []
        self.sensors.hear(reading.device, ts, report=reading.metric not in BINARY_METRICS)
        if reading.device in self.installation.fixed:
            self.installation.settle(self.sensors.heard, ts)
        signal = self._signal(reading, kind)
        if signal is None:
            return observations
        if signal.klass == "bathroom_exit":
            return observations + self.bathroom.exit(ts)
        return observations + self._activity(ts, reading.device, signal, reading.metric)

    def _signal(self, reading: Reading, kind: str) -> Signal | None:
        role = self._role[reading.device]
        wearable = kind in WEARABLE_KINDS
        if wearable:
            self.wearables.seen(reading.epoch)
        self.wearables.counted_from = None
        if reading.metric == "sos":
            klass = "wearable" if wearable else "indoor"
            return Signal(klass, "pressed SOS", None) if reading.value is True else None
        if wearable:
            found = self.wearables.classify(reading, self.doorway)
            walking = reading.metric == "steps"
            return Signal(found[0], found[1], None, walking=walking) if found else None
        if reading.metric not in BINARY_METRICS:
            return None
        edge = self.sensors.edge(reading, kind, role)
        return self.signals.classify(edge) if edge is not None else None

    def _activity(self, ts: float, device: str, signal: Signal, metric: str) -> list[Observation]:
        observations: list[Observation] = []
        klass, fixed = signal.klass, signal.klass != "wearable"
        late = self.last is not None and ts < self.last[0]
        if not late:
            back = place_of(signal, self._role[device], in_bathroom=False, previous=self.last_place)
            observations += self._silence_ends(ts, back)
            self._run(ts, device, motion_only=metric == "motion")
            self.last = [ts, device, signal.what]
            if self.doorway.location == "home" or fixed:
                self.last_home = ts
                if fixed and signal.room is not None:
                    self.last_room = signal.room
                    if klass in ("indoor", "bathroom") and self._run_holds():
                        self.seen_in[signal.room] = ts
        if klass == "wearable":
            self.wearables.moved(ts)
        if klass == "front_door":
            self.doorway.front_door(ts, self.signals.passage, self.wearables.steps_total)
        elif fixed:
            observations += self.doorway.indoor(
                ts, motion_only=metric == "motion", device=device, late=late
            )
        observations += self._bathroom(ts, device, signal, metric)
        bedroom = signal.room == "bedroom" and not self.coverage.bedroom_only
        if fixed or signal.walking:
            # An arm moving (a wearable's accelerometer) is life, not getting up: she
            # may be in bed. Steps are walking.
            self.day.activity(ts, bedroom, self.wearables.counted_from, fixed=fixed)
        if not late:
            self._place(ts, device, signal)
            self.last_awake = not self.resting
        return observations

    def _run_holds(self) -> bool:
        """The run of signs going on is more than a motion sensor's glitch."""
        run = self.run
        return run is not None and self.holds_since(run[0] - 1) is not None

    def _run(self, ts: float, device: str, *, motion_only: bool) -> None:
        within = self.settings.return_within_s
        run = self.run
        if run is None or ts - run[1] > within:
            run = self.run = [ts, ts, motion_only, None, []]
        else:
            run[1], run[2] = ts, run[2] and motion_only
        if len(run) < 5 or not motion_only:
            return  # a run saved before motion was told apart by sensor keeps the old rule
        run[4] = recent_triggers(run[4], ts, device, self.settings)
        if run[3] is None:
            run[3] = motion_holds(run[4], self.settings)

    def _silence_ends(self, ts: float, back: str) -> list[Observation]:
        if self.doorway.location != "home":
            return []
        if self.last_home is not None and ts > self.last_home:
            self.day.silence(self.last_home, ts, seated=self.last_place == "chair")
        gap = self._gap_until(ts, back)
        return [gap] if gap else []

    def _bathroom(self, ts: float, device: str, signal: Signal, metric: str) -> list[Observation]:
        role = self._role[device]
        if signal.klass == "bathroom":
            via = "presence" if metric == "presence" else "motion"
            self.bathroom.inside(ts, device, role, via)
            return []
        if signal.klass == "bathroom_door":
            return self.bathroom.door(ts, device, role, signal.value)
        if signal.klass in ("wearable", "inside"):
            # Steps are no sign of leaving: a wrist band counts washing hands as steps.
            return []
        # Sitting or lying down elsewhere is no sensor seeing her pass on her way out.
        return self.bathroom.elsewhere(ts, at_once=signal.settled)

    def _place(self, ts: float, device: str, signal: Signal) -> None:
        if signal.settled and device in self.coverage.beds:
            self.last_bed = ts
        self.last_place = place_of(
            signal,
            self._role[device],
            in_bathroom=self.bathroom.stay is not None,
            previous=self.last_place,
        )
        self.last_context = posture_of(self.last_place, self._occupied)
        self.last_shut = (
            self.last_place == "bathroom_door" and signal.value == "closed" and self.signals.passage
        )

    def _occupied(self, room: str) -> bool:
        """An occupancy sensor in ``room`` (not the bathroom's) that is believed sees
        someone."""
        for device in self.coverage.resting_places:
            if room_of(self._role[device]) != room or not self.believed(device):
                continue
            level = self.sensors.level(device)
            if level is not None and level[0] and not self._lost_off(device):
                return True
        return False

    def _lost_off(self, device: str) -> bool:
        """An occupancy sensor whose "someone there" began before she was seen in another
        room (moving there, or using something there; a door swinging shut or a motion
        sensor firing once or twice is not enough): she lives alone, so it lost its "off", and says
        no more than a stuck sensor about where she is."""
        if device not in self.coverage.resting_places:
            return False
        level = self.sensors.level(device)
        room = room_of(self._role[device])
        if level is None or not level[0] or room is None:
            return False
        return any(ts > level[1] for other, ts in self.seen_in.items() if other != room)

    def _gap_until(self, ts: float, back: str = "unknown") -> Observation | None:
        """The silence since the last activity at home, if she was awake then; ``back``:
        the place of the sign of life that ended it."""
        last = self.last_home
        if last is None or ts <= last or not self.last_awake:
            return None
        return Observation(
            "gap", last, ts, context=self.last_context, place=self.last_place, returned=back
        )

    # ---------------------------------------------------------------- state

    _PARTS = ("sensors", "signals", "wearables", "doorway", "bathroom", "day", "installation")
    _FIELDS = (
        "now",
        "started",
        "learning_from",
        "last",
        "last_home",
        "last_room",
        "seen_in",
        "last_place",
        "last_bed",
        "last_context",
        "last_awake",
        "last_shut",
        "run",
    )

    _ADDED: Mapping[str, Any] = {
        "last_place": "unknown",
        "last_bed": None,
        "run": None,
        "last_shut": False,
        "seen_in": {},
        "installation": {},
        "learning_from": None,
    }

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name) for name in self._FIELDS}
        state["last"] = list(self.last) if self.last is not None else None
        state["run"] = list(self.run) if self.run is not None else None
        state["seen_in"] = dict(self.seen_in)
        for name in self._PARTS:
            state[name] = getattr(self, name).state_dict()
        return state

    def load_state(self, state: Mapping[str, Any]) -> None:
        state = {**self._ADDED, **state}  # saved before these were kept
        for name in self._FIELDS:
            setattr(self, name, state[name])
        self.last = list(state["last"]) if state["last"] is not None else None
        run = state["run"]
        # A run of another shape than today's five (saved by another version) keeps its
        # first three, [first, last, motion alone], and the two-trigger rule until it ends.
        self.run = None if run is None else list(run) if len(run) == 5 else list(run[:3])
        self.seen_in = dict(state["seen_in"])
        for name in self._PARTS:
            getattr(self, name).load_state(state[name])
