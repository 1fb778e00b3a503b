"""Where the resident is and what they last did, from the sensors of one home.

What counts as activity (a person moving), by device:

- a door's contact changing (a repeated value, e.g. a heartbeat, is not a change);
- a motion sensor reporting motion; a presence radar's presence *starting* (a radar that
  keeps seeing someone lying still is not activity: a collapsed resident still breathes);
- a wearable's step count rising, a wearable being put on, a clear movement in an
  accelerometer batch. Heart rate, SpO2 and temperature are never activity.

Fixed sensors say the resident is *at home*; wearables only say they move (steps continue
outdoors). The front door is the boundary between home and out:

- after front-door use, indoor activity (a fixed sensor other than the front door, beyond
  a short grace for the passage itself) means the resident is home;
- with no indoor activity within ``out_confirm_s`` the door use is decided by its
  passages (each opening; a closing too if the door had stood open): an odd number
  changes home <-> out, an even number (out to the bin and back, chatting at the door)
  changes nothing.

In the bathroom: a bathroom radar's presence from its start to its end; without a radar,
bathroom/toilet door passages toggle in and out, a bathroom motion sensor puts the
resident in; fixed-sensor activity elsewhere ends a stay. Steps never do: a wrist band
counts washing hands as steps, and sitting down elsewhere adds hardly any.

The day: a "period" runs from one night start to the next. The resident is up for the
day at the first activity after the night ends, or, for an early riser, when the run of
activity that reaches past the night's end began; a night bathroom visit is neither.

``Whereabouts.observe`` and ``step`` return ``Observation``s (a finished gap, outing,
bathroom stay, the wake time) for the baselines in analytics.routine to learn from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from .context import HomeContext

WEARABLE_KINDS = ("bracelet", "fall_pendant")
BATHROOM_DOOR_ROLES = ("bathroom_door", "toilet_door")
SETTINGS_NAME = "whereabouts"

ObservationKind = Literal["gap", "wake", "outing", "bathroom"]


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class WhereaboutsSettings:
    # After the front door is used, no indoor activity for this long: door use decides.
    out_confirm_s: float = 10 * 60
    # Indoor activity this soon after a front-door event is the passage itself (a hallway
    # motion sensor seeing the resident leave), not proof of being home.
    door_grace_s: float = 60
    # Each opening of a door is a passage (someone goes through); a closing is one too
    # when the door had stood open for longer than this (left open, closed on a later
    # passage). An opening this soon after the last one is contact bounce.
    passage_s: float = 45
    bounce_s: float = 3
    # A step count must rise by at least this much to count as walking (wrist bands
    # count a few steps from arm movements in bed).
    min_steps: float = 5
    # Spread (max - min) of the acceleration magnitude within one batch that means the
    # wearer is moving; None ignores the accelerometer.
    accel_movement_g: float | None = 0.3
    # Front-door use followed at once by indoor activity: someone came in (or she
    # answered the door). For this long, the next departure may be that guest leaving:
    # when a wearable she wears counts fewer than guest_walk_steps in a step count wholly
    # after the door, she stayed and the guest left.
    guest_s: float = 4 * 3600
    guest_walk_steps: float = 20
    # An early riser: a run of activity (no pause longer than run_gap_s) that began in
    # the last early_rise_s of the night and is still going when the night ends, having
    # lasted sustained_s, means up since the run began. Anything shorter in the night (a
    # bathroom visit, a sleepless hour) is not getting up.
    early_rise_s: float = 3 * 3600
    sustained_s: float = 20 * 60
    run_gap_s: float = 15 * 60


@dataclass(frozen=True)
class Observation:
    """Something finished: ``gap`` (no activity at home, awake), ``outing``, ``bathroom``
    stay, or ``wake`` (start = night end, end = getting up, so its duration is how long
    after the night's end the resident got up; negative for an early riser).

    ``clean`` is false when the end was inferred (activity elsewhere) rather than seen
    (a door, a radar). ``counted_from``: a gap's hours before it are night."""

    kind: ObservationKind
    start: float
    end: float
    clean: bool = True
    counted_from: float | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


class NightClock:
    """Night starts and ends of one home in epoch seconds (a period: night start to the
    next night start)."""

    def __init__(self, home: HomeContext):
        self.home = home
        self.night = home.config.night

    def _at(self, day: date, which: str) -> float:
        moment = self.night.start if which == "start" else self.night.end
        return datetime.combine(day, moment, tzinfo=self.home.tz).timestamp()

    def period_start(self, ts: float) -> float:
        """The latest night start at or before ``ts``."""
        day = self.home.local(ts).date()
        start = self._at(day, "start")
        return start if start <= ts else self._at(day - timedelta(days=1), "start")

    def night_end(self, period_start: float) -> float:
        day = self.home.local(period_start).date()
        end = self._at(day, "end")
        return end if end > period_start else self._at(day + timedelta(days=1), "end")

    def next_start(self, period_start: float) -> float:
        return self._at(self.home.local(period_start).date() + timedelta(days=1), "start")


class Whereabouts:
    """The resident's whereabouts in one home, in event time; see the module docstring.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h1", "station": "s1",
    ...     "timezone": "UTC", "resident": {"name": "A", "birth_year": 1940},
    ...     "devices": [{"id": "front", "kind": "door", "role": "front_door",
    ...                  "source": "zigbee2mqtt:front"},
    ...                 {"id": "pir", "kind": "motion", "role": "living_room",
    ...                  "source": "zigbee2mqtt:pir"}]}))
    >>> where = Whereabouts(home, WhereaboutsSettings())
    >>> r = lambda ts, dev, metric, value: Reading(ts=ts, home="h1", device=dev,
    ...                                            metric=metric, value=value)
    >>> noon = 12 * 3600
    >>> _ = where.observe(r(noon, "pir", "motion", True))
    >>> _ = where.observe(r(noon + 60, "front", "contact", "open"))
    >>> _ = where.observe(r(noon + 65, "front", "contact", "closed"))
    >>> _ = where.tick(noon + 20 * 60)
    >>> where.location, where.left_at - noon
    ('out', 65.0)
    >>> _ = where.observe(r(noon + 3600, "front", "contact", "open"))
    >>> [(o.kind, o.duration) for o in where.observe(r(noon + 3700, "pir", "motion", True))]
    [('outing', 3535.0)]
    >>> where.location
    'home'
    """

    def __init__(self, home: HomeContext, settings: WhereaboutsSettings):
        self.home = home
        self.settings = settings
        self.clock = NightClock(home)
        self._kind = {d.id: d.kind for d in home.config.devices}
        self._role = {d.id: d.role for d in home.config.devices}
        self.has_bathroom_radar = any(
            d.kind == "fall_radar" and d.role == "bathroom" for d in home.config.devices
        )
        self._init_state()

    def _init_state(self) -> None:
        self.now: float | None = None
        # last activity of any kind: [ts, device, what]
        self.last: list[Any] | None = None
        self.last_home: float | None = None  # last activity while at home
        # per device: last value and its time (a late reading never overwrites newer)
        self.contact: dict[str, list[Any]] = {}
        self.presence: dict[str, list[Any]] = {}
        self.steps: dict[str, list[Any]] = {}
        self.worn: dict[str, list[Any]] = {}
        self.steps_total = 0.0  # steps counted as walking since monitoring began
        self.last_wearable: float | None = None  # last wearable activity
        self.wearable_seen: float | None = None  # last reading of any kind from a wearable
        self.steps_seen: float | None = None  # last step count reported (risen or not)
        # home or out
        self.location: Literal["home", "out"] = "home"
        self.pending: dict[str, Any] | None = None  # front-door use not yet decided
        self.door_opened_at: float | None = None  # first front-door event of the departure
        self.left_at: float | None = None  # last front-door event of the departure
        self.left_steps = 0.0
        self.home_at: float | None = None  # last time the resident was found to be home
        self.guest_since: float | None = None  # someone may have come in at
        self.guest_leaving = False  # the current departure may be a guest's
        self.walk_base: float | None = None  # steps_total at the first count after leaving
        # bathroom
        self.bath: dict[str, Any] | None = None
        self.bath_ended_at: float | None = None
        self.bath_inferred_end = False  # that end was activity elsewhere, not a door
        self.door_open_at: dict[str, float] = {}  # per door: when it last opened
        self._passage = False  # the door event being handled starts a passage
        self._counted_from: float | None = None  # the step count handled covers from
        # the day
        self.period: float | None = None
        self.up_since: float | None = None  # got up for the day at
        self.partial = False  # monitoring began during this period's day
        self.run: list[float] | None = None  # night activity run [start, last]
        self._derive()

    def _derive(self) -> None:
        if self.period is None:
            self.night_end = self.next_night = math.inf
        else:
            self.night_end = self.clock.night_end(self.period)
            self.next_night = self.clock.next_start(self.period)

    # ---------------------------------------------------------------- questions

    @property
    def at_home(self) -> bool:
        return self.location == "home" and self.pending is None

    def away(self) -> tuple[float, float] | None:
        """(front door first used, last used) of a departure that is decided or likely
        (an odd number of passages with no indoor activity since); None when home."""
        if self.location == "out" and self.left_at is not None:
            return (self.door_opened_at or self.left_at, self.left_at)
        pending = self.pending
        if pending and (pending["was"] == "home") == (pending["passages"] % 2 == 1):
            return (pending["passage"], pending["last"])
        return None

    def wearing(self, now: float, within_s: float = 15 * 60) -> bool:
        """A wearable is on the resident and reporting: its steps can be trusted."""
        if self.wearable_seen is None or now - self.wearable_seen > within_s:
            return False
        return not self.worn or any(value is not False for value, _ in self.worn.values())

    def walked_since_door(self) -> float | None:
        """Steps in counts wholly after the door (a count reported just after the door
        also holds steps from before it); None until such a count has come."""
        if self.away() is None or self.walk_base is None:
            return None
        return self.steps_total - self.walk_base

    def steps_since_door(self) -> float:
        """Steps counted since the front door was used for the current departure."""
        if self.location == "out":
            return self.steps_total - self.left_steps
        if self.pending is not None:
            return self.steps_total - self.pending["steps"]
        return 0.0

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
        if self.period is not None:
            return
        self.period = self.clock.period_start(ts)
        self._derive()
        self.now = ts
        self.last_home = ts
        self.last = [ts, "-", "monitoring started"]
        if ts >= self.night_end:
            self.up_since = ts
            self.partial = True

    def next_transition(self) -> float | None:
        """When the next change happens by itself (a door use decided, a night starting)."""
        if self.period is None:
            return None
        if self.pending is not None:
            return min(self.pending["last"] + self.settings.out_confirm_s, self.next_night)
        return self.next_night

    def step(self, t: float) -> list[Observation]:
        """Apply the transitions due at or before ``t`` (call with next_transition())."""
        observations: list[Observation] = []
        if self.pending is not None and self.pending["last"] + self.settings.out_confirm_s <= t:
            observations += self._decide_door()
        if self.period is not None and self.next_night <= t:
            observations += self._new_period(self.next_night)
        self.now = t if self.now is None else max(self.now, t)
        return observations

    def tick(self, now: float) -> list[Observation]:
        """Let event time reach ``now``."""
        if self.period is None:
            self.start(now)
        observations: list[Observation] = []
        while (t := self.next_transition()) is not None and t <= now:
            observations += self.step(t)
        self.now = now if self.now is None else max(self.now, now)
        return observations

    def _new_period(self, night_start: float) -> list[Observation]:
        observations: list[Observation] = []
        gap = self._gap_until(night_start)
        if gap:
            observations.append(gap)
        if self.up_since is not None and not self.partial:
            # Learned once the day is over, when a reordered reading can no longer
            # move the time of getting up.
            observations.append(Observation("wake", self.night_end, self.up_since))
        self.period = night_start
        self._derive()
        self.up_since = None
        self.partial = False
        self.run = None
        return observations

    def _decide_door(self) -> list[Observation]:
        pending, self.pending = self.pending, None
        assert pending is not None
        odd = pending["passages"] % 2 == 1
        if pending["was"] == "home":
            if odd:
                self._leave(pending)
            else:  # out to the bin and back, or talking at the door
                self.home_at = pending["passage"]
            return []
        if odd:
            return self._back_home(pending["first"], clean=True)
        # Back and out again (fetched the forgotten keys): a new outing from the last passage.
        observations = self._back_home(pending["first"], clean=True)
        self._leave(pending)
        return observations

    def _leave(self, pending: Mapping[str, Any]) -> None:
        self.guest_leaving = bool(pending.get("guest"))
        self.location = "out"
        self.door_opened_at = pending["passage"]
        self.left_at = pending["last"]
        self.left_steps = pending["steps"]

    def _stayed(self) -> None:
        """The departure was a guest's: she never left."""
        self.location = "home"
        self.home_at = self.left_at
        self.left_at = self.door_opened_at = None
        self.guest_leaving = False

    def _back_home(self, ts: float, *, clean: bool) -> list[Observation]:
        self.location = "home"
        self.home_at = ts
        self.last_home = max(self.last_home or ts, ts)
        if self.left_at is None or ts <= self.left_at:
            return []
        return [Observation("outing", self.left_at, ts, clean=clean)]

    # ---------------------------------------------------------------- readings

    def observe(self, reading: Reading) -> list[Observation]:
        kind = self._kind.get(reading.device)
        if kind is None:
            return []  # not a device of this home's config
        ts = reading.epoch
        observations = self.tick(ts) if self.now is None or ts > self.now else []
        if kind in WEARABLE_KINDS:
            self.wearable_seen = max(self.wearable_seen or ts, ts)
        self._counted_from = None
        signal = self._signal(reading, kind)
        if signal is None:
            return observations
        klass, what = signal
        if klass == "bathroom_exit":
            observations += self._bathroom_exit(ts)
            return observations
        observations += self._activity(ts, reading.device, klass, what)
        return observations

    def _signal(self, reading: Reading, kind: str) -> tuple[str, str] | None:
        device, metric, value, ts = reading.device, reading.metric, reading.value, reading.epoch
        role = self._role[device]
        wearable = kind in WEARABLE_KINDS
        if metric == "contact":
            if not self._changed(self.contact, device, value, ts, first=False):
                return None
            self._passage = self._new_passage(device, value, ts)
            if role == "front_door":
                return "front_door", f"front door {value}"
            if role in BATHROOM_DOOR_ROLES:
                return "bathroom_door", f"{role.replace('_', ' ')} {value}"
            return "indoor", f"{role.replace('_', ' ')} {value}"
        if metric == "motion":
            if value is not True:
                return None
            return ("bathroom" if role == "bathroom" else "indoor"), f"motion in {role}"
        if metric == "presence":
            late = device in self.presence and ts < self.presence[device][1]
            if not self._changed(self.presence, device, value, ts):
                return None
            if late:
                # Seen after a newer report (reordered): someone was there, but it says
                # nothing about who is there now.
                return ("inside", f"presence in {role}") if value is True else None
            if value is not True:
                if role == "bathroom" and kind == "fall_radar":
                    return "bathroom_exit", "left the bathroom"
                return None
            return ("bathroom" if role == "bathroom" else "indoor"), f"presence in {role}"
        if metric == "steps" and wearable:
            return self._steps(device, float(value), ts)
        if metric == "worn" and wearable:
            if self._changed(self.worn, device, value, ts, first=False) and value is True:
                return "wearable", "put on the wearable"
            return None
        if metric == "accel" and wearable:
            return self._accel(reading)
        if metric == "sos" and value is True:
            return ("wearable" if wearable else "indoor"), "pressed SOS"
        return None

    def _new_passage(self, device: str, value: str, ts: float) -> bool:
        opened = self.door_open_at.get(device)
        if value == "open":
            self.door_open_at[device] = ts if opened is None else max(opened, ts)
            return opened is None or abs(ts - opened) > self.settings.bounce_s
        return opened is None or ts - opened > self.settings.passage_s

    @staticmethod
    def _changed(
        memory: dict[str, list[Any]], device: str, value: Any, ts: float, *, first: bool = True
    ) -> bool:
        """A new value (an edge); a late reading that differs is an edge in the past.
        ``first``: whether a device's first report counts as an edge (a door's first
        report is only its state; a radar's first "present" is someone there)."""
        seen = memory.get(device)
        if seen is None:
            memory[device] = [value, ts]
            return first
        if ts >= seen[1]:
            changed = seen[0] != value
            memory[device] = [value, ts]
            return changed
        return seen[0] != value  # late: counts as an event, but the newer state stands

    def _steps(self, device: str, count: float, ts: float) -> tuple[str, str] | None:
        self.steps_seen = max(self.steps_seen or ts, ts)
        seen = self.steps.get(device)
        if seen is None or count < seen[0]:
            if seen is None or ts >= seen[1]:
                self.steps[device] = [count, ts]  # first count, or reset at midnight
            return None
        if ts < seen[1]:
            return None  # late: the newer count already stands
        increase = count - seen[0]
        if self.walk_base is None and self.away() is not None:
            # The first count since the door: what it adds may predate the door.
            self.walk_base = self.steps_total + increase
        elif self.walk_base is not None and self.location == "out" and self.guest_leaving:
            walked = self.steps_total + increase - self.walk_base
            if walked < self.settings.guest_walk_steps and self.wearing(ts):
                self._stayed()
        if increase < self.settings.min_steps:
            return None  # let small increments add up
        self._counted_from = seen[1]
        self.steps[device] = [count, ts]
        self.steps_total += increase
        return "wearable", f"walked {increase:.0f} steps"

    def _accel(self, reading: Reading) -> tuple[str, str] | None:
        threshold = self.settings.accel_movement_g
        ts = reading.epoch
        if threshold is None:
            return None
        if self.last_wearable is not None and ts - self.last_wearable < 60:
            return None  # moving a minute ago: no need to look (keeps this cheap)
        samples = reading.value if reading.is_batch else (reading.value,)
        magnitudes = [math.sqrt(x * x + y * y + z * z) for x, y, z in samples]
        if len(magnitudes) < 2 or max(magnitudes) - min(magnitudes) < threshold:
            return None
        return "wearable", "moved (wearable)"

    def _activity(self, ts: float, device: str, klass: str, what: str) -> list[Observation]:
        observations: list[Observation] = []
        s = self.settings
        late = self.last is not None and ts < self.last[0]
        fixed = klass != "wearable"
        if not late:
            if self.location == "home":
                gap = self._gap_until(ts)
                if gap:
                    observations.append(gap)
            self.last = [ts, device, what]
            if self.location == "home" or fixed:
                self.last_home = ts
        if klass == "wearable":
            self.last_wearable = max(self.last_wearable or ts, ts)

        # home or out
        if klass == "front_door":
            if self.pending is None:
                guest = self.guest_since is not None and ts - self.guest_since <= s.guest_s
                self.guest_since = None
                self.walk_base = None
                self.pending = {
                    "guest": guest and self.location == "home",
                    "was": self.location,
                    "first": ts,
                    "passage": ts,  # the first event of the latest passage
                    "last": ts,
                    "passages": 1,
                    "steps": self.steps_total,
                }
            else:
                if self._passage:
                    self.pending["passages"] += 1
                    self.pending["passage"] = ts
                self.pending["last"] = max(self.pending["last"], ts)
                self.pending["first"] = min(self.pending["first"], ts)
        elif fixed:
            pending = self.pending
            if pending is not None and ts > pending["last"] + s.door_grace_s:
                self.pending = None
                self.home_at = ts
                if pending["was"] == "home" and pending["passages"] % 2 == 1:
                    self.guest_since = pending["first"]
                if pending["was"] == "out":
                    observations += self._back_home(pending["first"], clean=True)
            elif pending is None and self.location == "out":
                observations += self._back_home(ts, clean=False)

        # the bathroom
        observations += self._bathroom(ts, device, klass)

        self._wake(ts)  # the day
        return observations

    def _gap_until(self, ts: float) -> Observation | None:
        """The gap since the last activity at home, if it counts (awake, by day)."""
        last, up = self.last_home, self.up_since
        if last is None or up is None or last < up or ts <= last or ts <= self.night_end:
            return None
        return Observation("gap", last, ts, counted_from=self.night_end)

    def _bathroom(self, ts: float, device: str, klass: str) -> list[Observation]:
        s = self.settings
        bath = self.bath
        if klass == "bathroom":
            via = "radar" if self._kind[device] == "fall_radar" else "motion"
            if via != "radar" and self.has_bathroom_radar:
                return []  # the radar knows better than a motion sensor
            if bath is None:
                self.bath = {"since": ts, "via": via, "device": device, "last": ts}
            else:
                bath["last"] = max(bath["last"], ts)
                if via == "radar" and bath["via"] != "radar":
                    bath.update(via="radar", device=device)
            return []
        if klass == "bathroom_door":
            if self.has_bathroom_radar:
                return []  # the radar knows better than the door
            if not self._passage:
                if bath is not None:
                    bath["last"] = max(bath["last"], ts)
                return []  # the same passage (open, step through, close)
            if bath is None:
                ended = self.bath_ended_at
                if self.bath_inferred_end and ended is not None and ts - ended <= s.door_grace_s:
                    # Activity elsewhere just before (a PIR seeing her on the way out):
                    # this passage is her leaving, not going in again.
                    self.bath_inferred_end = False
                    return []
                self.bath = {"since": ts, "via": "door", "device": device, "last": ts}
                return []
            return self._end_bath(ts, clean=True)
        if bath is None or klass == "inside":
            return []
        if klass == "wearable":
            # Not a sign of leaving: a wrist band counts washing hands as steps, and
            # sitting down elsewhere adds hardly any.
            return []
        # fixed-sensor activity elsewhere (another room, the front door)
        if ts > bath["last"] + s.door_grace_s:
            return self._end_bath(ts, clean=False)
        return []

    def _bathroom_exit(self, ts: float) -> list[Observation]:
        if self.bath is not None and self.bath["via"] == "radar" and ts >= self.bath["since"]:
            return self._end_bath(ts, clean=True)
        return []

    def _end_bath(self, ts: float, *, clean: bool) -> list[Observation]:
        bath, self.bath = self.bath, None
        assert bath is not None
        self.bath_ended_at = ts
        self.bath_inferred_end = not clean
        return [Observation("bathroom", bath["since"], ts, clean=clean)]

    def _wake(self, ts: float) -> None:
        if self.period is None or ts < self.period:
            return
        if self._counted_from is not None and self._counted_from < self.night_end <= ts:
            return  # a step count that may hold steps from before the night's end
        if self.up_since is not None:
            if self.night_end <= ts < self.up_since:
                self.up_since = ts  # a late reading: up a little earlier than it seemed
            return
        s = self.settings
        run = self.run
        if ts < self.night_end:
            if run is not None and ts - run[1] <= s.run_gap_s:
                run[0], run[1] = min(run[0], ts), max(run[1], ts)
            else:
                self.run = [ts, ts]
            return
        start = ts
        if (
            run is not None
            and ts - run[1] <= s.run_gap_s
            and run[0] >= self.night_end - s.early_rise_s
            and ts - run[0] >= s.sustained_s
        ):
            start = run[0]  # up early, and has been going ever since
        self.up_since, self.run = start, None

    # ---------------------------------------------------------------- state

    _FIELDS = (
        "now",
        "last",
        "last_home",
        "contact",
        "presence",
        "steps",
        "worn",
        "steps_total",
        "last_wearable",
        "wearable_seen",
        "steps_seen",
        "location",
        "pending",
        "door_opened_at",
        "left_at",
        "left_steps",
        "home_at",
        "guest_since",
        "guest_leaving",
        "walk_base",
        "bath",
        "bath_ended_at",
        "bath_inferred_end",
        "door_open_at",
        "period",
        "up_since",
        "partial",
        "run",
    )

    def state_dict(self) -> dict[str, Any]:
        import copy

        return {name: copy.deepcopy(getattr(self, name)) for name in self._FIELDS}

    def load_state(self, state: Mapping[str, Any]) -> None:
        import copy

        self._init_state()
        for name in self._FIELDS:
            setattr(self, name, copy.deepcopy(state[name]))
        self._derive()
