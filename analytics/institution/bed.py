"""What a resident's bed sensor says, and when it says nothing we can believe.

A bed sensor (kind ``presence``, role ``bed``: an under-mattress sensor, a pressure strap,
a bed mat) reads "in bed" or "out of bed". It can also drop out: a Wi-Fi sensor goes
silent, a loose strap flaps dozens of times a minute, a lost "out of bed" leaves it stuck
on "in bed" (sensor_health's limit, 16 h). Then the bed is *unknown*: the
institutional detectors raise nothing on it (a dropout is a device problem, which
device_health and sensor_health report), and do not clear what is open either.

Silence counts as a dropout only for a sensor that has shown it reports without a change
(it repeated its level, or sent vitals or its battery): a mat that sends changes only is
silent whenever nothing happens, and is judged by its device_offline limit alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from ..context import HomeContext
from ..device_health import offline_limits
from ..whereabouts import SensorSettings

BedKnown = Literal["in_bed", "out_of_bed", "unknown"]
MINUTE = 60.0
# Readings a bed sensor sends whatever happens: it is alive and reporting.
REPORT_METRICS = ("heart_rate", "breathing_rate", "battery")


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class BedSensorSettings:
    """``thresholds.bed_sensor``: when a bed sensor's word is no longer believed."""

    # A sensor that reports periodically (a native bed sensor: every few minutes) and has
    # been silent this long has dropped out (twice the catalog's 10 min heartbeat).
    silent_after_s: float = Field(default=20 * MINUTE, gt=0)
    # This many changes within flap_window_s: a loose contact, not a resident.
    flap_changes: int = Field(default=12, ge=2)
    flap_window_s: float = Field(default=5 * MINUTE, gt=0)
    # A flapping sensor is believed again after this long without a change.
    calm_s: float = Field(default=5 * MINUTE, gt=0)


@dataclass(frozen=True)
class BedState:
    """``known`` since ``since`` (the moment of the change); ``why`` for unknown."""

    known: BedKnown
    since: float | None = None
    why: str | None = None


class BedTrack:
    """The level of each bed sensor of one home, and whether it can be believed.

    With several bed sensors (a mat and a strap): in bed if any believed one says so, out
    of bed if every believed one says so, unknown if none is believed.
    """

    def __init__(self, home: HomeContext):
        self.settings = home.settings("bed_sensor", BedSensorSettings)
        # "In bed" held this long is a stuck sensor, as sensor_health reports it.
        self.stuck_after_s = home.settings("sensor_health", SensorSettings).bed_on_s
        self.devices = sorted(home.devices_with(roles=("bed",), kinds=("presence",)))
        limits = offline_limits(home)
        self._offline = {d: limits.get(d, math.inf) for d in self.devices}
        # device -> {"on", "since", "heard", "reporting", "changes": [ts...], "flap"}
        self.tracks: dict[str, dict[str, Any]] = {}

    def has_bed(self) -> bool:
        return bool(self.devices)

    def observe(self, reading: Reading) -> bool:
        """Take a reading; True when it changed what the bed says."""
        device = reading.device
        if device not in self._offline:
            return False
        ts = reading.epoch
        track = self.tracks.get(device)
        if reading.metric != "presence":
            if track is not None and reading.metric in REPORT_METRICS:
                track["heard"] = max(track["heard"], ts)
                track["reporting"] = True
            return False
        on = reading.value is True
        if track is None:
            self.tracks[device] = {
                "on": on, "since": ts, "heard": ts, "reporting": False, "changes": [], "flap": None
            }  # fmt: skip
            return True
        if ts < track["heard"] and on != track["on"]:
            return False  # late: the newer level stands
        track["heard"] = max(track["heard"], ts)
        if on == track["on"]:
            track["reporting"] = True
            return False
        track["on"], track["since"] = on, ts
        s = self.settings
        changes = [t for t in track["changes"] if t > ts - s.flap_window_s] + [ts]
        track["changes"] = changes
        if len(changes) >= s.flap_changes and track["flap"] is None:
            track["flap"] = changes[0]
        return True

    def _device_state(self, device: str, now: float) -> BedState:
        track = self.tracks.get(device)
        if track is None:
            return BedState("unknown", why=f"{device}: nothing heard from it yet")
        s = self.settings
        if track["flap"] is not None:
            if now - track["changes"][-1] < s.calm_s:
                return BedState("unknown", track["flap"], f"{device}: flapping (a loose contact?)")
            track["flap"] = None
            track["changes"] = []
        silent = now - track["heard"]
        limit = min(self._offline[device], s.silent_after_s if track["reporting"] else math.inf)
        if silent >= limit:
            return BedState(
                "unknown", track["heard"] + limit, f"{device}: silent for {round(silent / 60)} min"
            )
        if track["on"] and now - track["since"] >= self.stuck_after_s:
            held = round((now - track["since"]) / 3600)
            return BedState("unknown", track["since"], f"{device}: 'in bed' for {held} h (stuck?)")
        return BedState("in_bed" if track["on"] else "out_of_bed", track["since"])

    def state(self, now: float) -> BedState:
        """What the bed says at ``now`` (the newest believed word of its sensors)."""
        states = [self._device_state(d, now) for d in self.devices]
        believed = [s for s in states if s.known != "unknown"]
        if not believed:
            why = "; ".join(s.why for s in states if s.why) or "no bed sensor"
            return BedState("unknown", max((s.since or 0 for s in states), default=None), why)
        in_bed = [s for s in believed if s.known == "in_bed"]
        if in_bed:
            return BedState("in_bed", max(s.since or 0 for s in in_bed))
        return BedState("out_of_bed", max(s.since or 0 for s in believed))

    def state_dict(self) -> dict[str, Any]:
        return {d: {**t, "changes": list(t["changes"])} for d, t in self.tracks.items()}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.tracks = {
            d: {**t, "changes": list(t["changes"])} for d, t in state.items() if d in self._offline
        }
