"""Devices that stop reporting or run low on battery: a silent sensor protects nobody."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from .condition import Condition
from .context import HomeContext
from .detector import Detector
from .events import Event, Severity

# Twice the longest silence of a healthy device of each kind (devices/catalog.yaml
# heartbeat_s): one missed heartbeat is radio noise, two is a device that is gone. A key
# "kind:role" (a presence sensor in the bed) comes before the kind's own.
DEFAULT_OFFLINE_AFTER_S: dict[str, float] = {
    "door": 2 * 4200,
    "motion": 2 * 3900,
    "fall_radar": 2 * 900,
    "sos_button": 2 * 14400,
    "bracelet": 2 * 600,
    "fall_pendant": 2 * 600,
    # Mains powered: mmWave presence sensors and plugs report their state at least hourly.
    "presence": 2 * 3900,
    "appliance": 2 * 3900,
    # Bed and chair mats may report only when someone sits or lies down or gets up: on
    # the real homes' recordings (changes only) a healthy bed mat is silent up to 17 h
    # (her day) and a chair mat up to 11 h (her night). A day is longer than either.
    "presence:bed": 24 * 3600,
    "presence:chair": 24 * 3600,
}


# At a care home's bed (HomeConfig.place), a bed sensor that has shown it reports
# periodically (it measures heart or breathing rate: a native bed sensor, every few
# minutes) is offline after twice its 10 min heartbeat: the nurse console must show a bed
# sensor that dropped out within the night, not a day later.
DEFAULT_REPORTING_OFFLINE_AFTER_S: dict[str, float] = {"presence:bed": 2 * 600}
_REPORTING_METRICS = frozenset({"heart_rate", "breathing_rate"})


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class DeviceHealthSettings:
    offline_after_s: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_OFFLINE_AFTER_S))
    reporting_offline_after_s: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_REPORTING_OFFLINE_AFTER_S)
    )
    battery_low_pct: float = 15
    battery_critical_pct: float = 5
    # Hysteresis: a battery must climb well above the limit (charged or replaced) to clear.
    battery_ok_pct: float = 25


def offline_limits(home: HomeContext) -> dict[str, float]:
    """Each device's silence limit (device -> seconds), for devices of a kind that has one:
    the whereabouts model stops believing a sensor silent for longer."""
    limits = home.settings(DeviceHealthDetector.name, DeviceHealthSettings).offline_after_s
    found = {}
    for device in home.config.devices:
        limit = limits.get(f"{device.kind}:{device.role}", limits.get(device.kind))
        if limit is not None:
            found[device.id] = limit
    return found


class DeviceHealthDetector(Detector):
    """``device_offline`` per device after its kind's silence limit; ``battery_low``.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h001", "station": "st1",
    ...     "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"}]}))
    >>> health = DeviceHealthDetector(home)
    >>> _ = health.feed(Reading(ts=0, home="h001", device="band", metric="battery", value=60))
    >>> [(e.kind, e.state, e.ts) for e in health.advance(3600)]
    [('device_offline', 'raised', 1200.0)]
    """

    name = "device_health"
    kinds = ("device_offline", "battery_low")

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, DeviceHealthSettings)
        self.last_seen: dict[str, float] = {}
        self.started: float | None = None
        self.reporting: set[str] = set()  # bed sensors seen measuring vitals (care homes)
        self.offline = {
            d.id: Condition(home.home, "device_offline", self.name) for d in self._devices
        }
        self.battery = {d.id: Condition(home.home, "battery_low", self.name) for d in self._devices}
        # Earliest moment a device could go offline; derived, so not part of the state.
        # Readings only push it later, so a stale value merely costs one extra check.
        self._next_due: float | None = None

    @property
    def _devices(self):
        return self.home.config.devices

    def _limit(self, device_id: str) -> float | None:
        device = self.home.device(device_id)
        if device is None:
            return None
        key = f"{device.kind}:{device.role}"
        reporting = self.settings.reporting_offline_after_s
        if device_id in self.reporting and key in reporting:
            return reporting[key]
        limits = self.settings.offline_after_s
        return limits.get(key, limits.get(device.kind))

    def feed(self, reading: Reading) -> list[Event]:
        ts = reading.epoch
        device = reading.device
        if device not in self.offline:
            return []
        events: list[Event] = []
        self.last_seen[device] = max(ts, self.last_seen.get(device, ts))
        back = self.offline[device].end(ts, {"device": device, "back_at": ts})
        if back:
            events.append(back)
            self._next_due = None
        if reading.metric == "battery":
            events.extend(self._battery(device, ts, float(reading.value)))
        elif reading.metric in _REPORTING_METRICS and self.home.config.place is not None:
            self.reporting.add(device)
        return events

    def _battery(self, device: str, ts: float, level: float) -> list[Event]:
        condition = self.battery[device]
        evidence = {
            "device": device,
            "battery_pct": level,
            "limit_pct": self.settings.battery_low_pct,
        }
        if level < self.settings.battery_low_pct:
            severity: Severity = "major" if level < self.settings.battery_critical_pct else "minor"
            event = condition.hold(ts, severity, evidence, device=device)
        elif level >= self.settings.battery_ok_pct:
            event = condition.end(ts, evidence)
        else:
            event = None
        return [event] if event else []

    def advance(self, now: float) -> list[Event]:
        if self.started is None:
            self.started = now
        if self._next_due is not None and now < self._next_due:
            return []
        events: list[Event] = []
        next_due = float("inf")
        for device, condition in self.offline.items():
            limit = self._limit(device)
            if limit is None or condition.is_open:
                continue
            # A device never heard from is judged from when monitoring began.
            last = self.last_seen.get(device, self.started)
            if now - last < limit:
                next_due = min(next_due, last + limit)
            else:
                role = self.home.role_of(device)
                evidence = {"device": device, "role": role, "last_seen": last, "silent_s": limit}
                event = condition.hold(last + limit, "minor", evidence, started=last, device=device)
                if event:
                    events.append(event)
        self._next_due = next_due
        return events

    def state_dict(self) -> dict[str, Any]:
        return {
            "last_seen": dict(self.last_seen),
            "started": self.started,
            "reporting": sorted(self.reporting),
            "offline": {d: c.state_dict() for d, c in self.offline.items()},
            "battery": {d: c.state_dict() for d, c in self.battery.items()},
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.last_seen = dict(state["last_seen"])
        self.started = state["started"]
        self.reporting = set(state.get("reporting", ()))  # saved before care homes: none
        self._next_due = None
        for table, saved in ((self.offline, state["offline"]), (self.battery, state["battery"])):
            for device, condition in table.items():
                condition.load_state(saved.get(device))
