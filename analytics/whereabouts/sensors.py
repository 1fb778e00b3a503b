"""The home's fixed binary sensors as levels over time, and whether to believe them.

Real sensors stick and flap: a PIR that reads "motion" for ten hours lost its "off"
message, a pressure mat that changes dozens of times a minute all night has a loose
contact. Such a sensor is a device problem (analytics.activity.sensor_health tells the
installer), and while it lasts its readings are no sign of the resident: neither
activity nor presence. A stuck sensor is believed again after its next change (which
only ends the stuck level); a flapping one once it has calmed down. A sensor silent for
longer than its device_offline limit (analytics.device_health) is not believed either:
its level is the one it had when it died, and its silence says nothing about her. Only
a sensor that has been heard reporting without a change (its level again, its battery)
can be silent: one that sends changes only (a recording, some mats) is silent whenever
nothing happens.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from contracts.home import DeviceConfig
from contracts.reading import Reading

from .settings import SensorSettings
from .state import Stateful

BINARY_METRICS = ("contact", "motion", "presence", "in_use")
ROOM_DOORS = ("bathroom_door", "toilet_door", "bedroom_door")
FURNITURE_ROLES = ("fridge", "kitchen", "bathroom", "toilet", "bedroom", "living_room")
MINUTE = 60


@dataclass(frozen=True)
class Edge:
    """A fixed sensor's reading that says something: a change of level, a repeated
    motion, a first report. ``held_s``: how long the previous level lasted."""

    device: str
    kind: str
    role: str
    metric: str
    on: bool
    value: Any
    ts: float
    trusted: bool
    late: bool = False
    first: bool = False
    changed: bool = True
    held_s: float | None = None


def is_on(metric: str, value: Any) -> bool:
    return value == "open" if metric == "contact" else value is True


class Sensors(Stateful):
    """Levels, stuck and flapping state of every fixed binary sensor of a home.

    ``tracks[device]``: ``on`` (the level), ``since`` (when it took that level), ``seen``
    (its newest reading), ``stuck`` (stuck since, or None), ``flap`` (flapping since, or
    None) and ``changes`` ([minute, count] pairs of the last flap window)."""

    FIELDS = ("tracks", "heard", "reporting")
    # Saved before silences were kept.
    ADDED: ClassVar[Mapping[str, Any]] = {"heard": {}, "reporting": []}

    def __init__(
        self,
        settings: SensorSettings,
        devices: tuple[DeviceConfig, ...],
        offline_after: Mapping[str, float] | None = None,
    ):
        self.settings = settings
        self._limit = {d.id: self._stuck_limit(d) for d in devices}
        self._offline_after = dict(offline_after or {})  # device -> its device_offline limit
        self.tracks: dict[str, dict[str, Any]] = {}
        self.heard: dict[str, float] = {}  # device -> its newest reading of any metric
        self.reporting: list[str] = []  # devices heard reporting without a change
        self._problems: dict[str, tuple[str, float]] | None = None  # derived, not state
        self._due: list[float] | None = None  # derived, not state

    def _stuck_limit(self, device: DeviceConfig) -> float | None:
        s = self.settings
        if device.kind == "motion":
            return s.motion_on_s
        if device.kind in ("presence",):
            return s.bed_on_s if device.role == "bed" else s.presence_on_s
        if device.kind == "appliance":
            return s.kitchen_appliance_on_s if device.role == "kitchen" else s.appliance_on_s
        if device.kind == "door":
            if device.role == "front_door":
                return s.front_door_open_s
            if device.role in ROOM_DOORS:
                return None  # doors are left open for days: that is how people live
            return s.furniture_open_s if device.role in FURNITURE_ROLES else None
        return None  # radars and wearables report their own state and health

    # ---------------------------------------------------------------- questions

    def trusted(self, device: str) -> bool:
        track = self.tracks.get(device)
        return track is None or (track["stuck"] is None and track["flap"] is None)

    def believed(self, device: str, now: float | None) -> bool:
        """Neither stuck nor flapping, and not silent past its device_offline limit at
        ``now`` (a dead mat still shows the level it died with)."""
        if not self.trusted(device):
            return False
        limit, heard = self._offline_after.get(device), self.heard.get(device)
        if limit is None or heard is None or now is None or device not in self.reporting:
            return True
        return now - heard < limit

    def hear(self, device: str, ts: float, *, report: bool = False) -> None:
        """Any reading of ``device`` at ``ts``: it is alive (``report``: one that is no
        change, a battery level: it reports whether or not anything happens)."""
        if ts > self.heard.get(device, -math.inf):
            self.heard[device] = ts
            if device in self.reporting and device in self._offline_after:
                self._due = None  # its going silent (a deadline of next_due) moves later
        if report and device not in self.reporting:
            self.reporting.append(device)
            self._due = None

    def reported(self, device: str) -> bool:
        """It has reported since monitoring began (is installed and talking)."""
        return device in self.tracks

    def level(self, device: str) -> tuple[bool, float] | None:
        """(on, since) of a sensor that is believed; None if unknown or not believed."""
        track = self.tracks.get(device)
        if track is None or not self.trusted(device):
            return None
        return track["on"], track["since"]

    def next_due(self, after: float) -> float | None:
        """When a sensor's state next changes by itself, after ``after``: a level turning
        stuck, a flapping sensor calming down or due to be reported."""
        if self._due is None:
            self._due = sorted(
                [t for device, track in self.tracks.items() for t in self._deadlines(device, track)]
                # a sensor heard reporting goes silent past its device_offline limit: it is
                # no longer believed from then on, whether or not anything else happens
                + [
                    self.heard[device] + self._offline_after[device]
                    for device in self.reporting
                    if device in self.heard and device in self._offline_after
                ]
            )
        index = bisect.bisect_right(self._due, after)
        return self._due[index] if index < len(self._due) else None

    def _deadlines(self, device: str, track: dict[str, Any]) -> list[float]:
        deadlines = []
        limit = self._limit.get(device)
        if track["on"] and track["stuck"] is None and limit is not None:
            deadlines.append(track["since"] + limit)
        if track["flap"] is not None:
            deadlines.append(track["seen"] + self.settings.flap_window_s)
            if track["seen"] < track["flap"] + self.settings.flap_report_s:
                deadlines.append(track["flap"] + self.settings.flap_report_s)
        return deadlines

    # ---------------------------------------------------------------- time

    def step(self, t: float) -> None:
        """Apply what is due at ``t``: stuck levels, flapping that has calmed down."""
        self._problems = self._due = None
        for device, track in self.tracks.items():
            limit = self._limit.get(device)
            stuck_at = track["since"] + limit if limit is not None else None
            if track["on"] and track["stuck"] is None and stuck_at is not None and stuck_at <= t:
                track["stuck"] = stuck_at
            if track["flap"] is not None and track["seen"] + self.settings.flap_window_s <= t:
                track["flap"] = None
                track["changes"] = []

    # ---------------------------------------------------------------- readings

    def edge(self, reading: Reading, kind: str, role: str) -> Edge | None:
        """What a binary reading says, or None when it repeats a known level."""
        device, metric, ts = reading.device, reading.metric, reading.epoch
        on = is_on(metric, reading.value)
        self._problems = self._due = None
        track = self.tracks.get(device)
        make = lambda **extra: Edge(  # noqa: E731
            device, kind, role, metric, on, reading.value, ts, **extra
        )
        if track is None:
            self.tracks[device] = self._new_track(metric, on, ts)
            return make(trusted=True, first=True)
        if ts < track["seen"]:
            # Late (reordered): a change then, but the newer level stands.
            if on == track["on"] and not (metric == "motion" and on):
                return None
            return make(trusted=self.trusted(device), late=True)
        track["seen"] = ts
        if on == track["on"]:
            if metric == "motion" and on:
                # A motion sensor reports each new detection: the level is renewed (a
                # sensor that says "motion" again is not stuck) and someone moved.
                track["stuck"], track["since"] = None, ts
                return make(trusted=self._change(track, ts), changed=False)
            self.hear(device, ts, report=True)
            return None
        held = ts - track["since"]
        trusted = self._change(track, ts)
        track["on"], track["since"] = on, ts
        return make(trusted=trusted, held_s=held)

    @staticmethod
    def _new_track(metric: str, on: bool, ts: float) -> dict[str, Any]:
        return {
            "metric": metric,
            "on": on,
            "since": ts,
            "seen": ts,
            "stuck": None,
            "flap": None,
            "changes": [],
        }

    def _change(self, track: dict[str, Any], ts: float) -> bool:
        """Count a change of level; whether it can be believed."""
        if track["stuck"] is not None:
            # The end of a stuck level says nothing about the resident.
            track["stuck"] = None
            return False
        s = self.settings
        minute = int(ts // MINUTE)
        oldest = minute - int(s.flap_window_s // MINUTE) + 1
        changes = [pair for pair in track["changes"] if pair[0] >= oldest]
        if changes and changes[-1][0] == minute:
            changes[-1][1] += 1
        else:
            changes.append([minute, 1])
        track["changes"] = changes
        count = sum(n for _, n in changes)
        if track["flap"] is None and count >= s.flap_changes:
            track["flap"] = ts
        elif track["flap"] is not None and count < s.flap_changes // 2:
            track["flap"] = None
        return track["flap"] is None

    def problems(self) -> dict[str, tuple[str, float]]:
        """Sensors not believed now: device -> ("stuck" | "flapping", since)."""
        if self._problems is None:
            found: dict[str, tuple[str, float]] = {}
            for device, track in self.tracks.items():
                if track["stuck"] is not None:
                    found[device] = ("stuck", track["stuck"])
                elif track["flap"] is not None:
                    found[device] = ("flapping", track["flap"])
            self._problems = found
        return self._problems

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self._problems = self._due = None
