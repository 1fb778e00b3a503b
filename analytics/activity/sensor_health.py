"""``sensor_stuck`` and ``sensor_flapping``: a fixed sensor whose readings no longer say
anything about the resident (analytics.whereabouts.sensors decides), for the installer.

Device housekeeping, like device_offline: a warning, raised once per device and cleared
when the sensor is believed again. Its readings stop counting as activity or presence
meanwhile, so the other detectors are not fooled by a PIR stuck on "motion".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..condition import Condition
from ..context import HomeContext
from ..events import Event
from ..whereabouts import Whereabouts
from .base import ActivityDetector, hours

LEVEL_TEXT = {
    "contact": "open",
    "motion": "motion",
    "presence": "someone there",
    "in_use": "in use",
}


class SensorHealthDetector(ActivityDetector):
    """``sensor_stuck`` / ``sensor_flapping`` per fixed sensor.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.home import HomeConfig
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "h1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "pir", "kind": "motion", "role": "bathroom",
    ...                  "source": "zigbee2mqtt:pir"}]})
    >>> monitor = HomeMonitor(home, detectors=[SensorHealthDetector])
    >>> motion = lambda h, v: Reading(ts=h * 3600, home="h1", device="pir", metric="motion",
    ...                               value=v)
    >>> _ = monitor.feed(motion(9, True))
    >>> [(e.kind, e.state, e.severity, e.ts / 3600) for e in monitor.advance(20 * 3600)]
    [('sensor_stuck', 'raised', 'warning', 11.0)]
    >>> [(e.kind, e.state) for e in monitor.feed(motion(21, False))]
    [('sensor_stuck', 'cleared')]
    """

    name = "sensor_health"
    kind = "sensor_stuck"
    kinds = ("sensor_stuck", "sensor_flapping")

    def __init__(self, home: HomeContext, where: Whereabouts):
        super().__init__(home, where)
        devices = [d.id for d in home.config.devices]
        self.stuck = {d: Condition(home.home, "sensor_stuck", self.name) for d in devices}
        self.flapping = {d: Condition(home.home, "sensor_flapping", self.name) for d in devices}

    def check(self, upto: float) -> list[Event]:
        problems = self.where.sensors.problems()
        events: list[Event] = []
        report_s = self.where.sensors.settings.flap_report_s
        open_ = {d for d in self.stuck if self.stuck[d].is_open or self.flapping[d].is_open}
        for device in sorted(open_ | problems.keys()):
            problem = problems.get(device)
            for state, conditions in (("stuck", self.stuck), ("flapping", self.flapping)):
                condition = conditions[device]
                if problem is not None and problem[0] == state:
                    at = problem[1] + (report_s if state == "flapping" else 0.0)
                    if not condition.is_open and at <= upto:
                        evidence = self._evidence(device, state, problem[1], at)
                        events += self._emit(
                            condition.hold(
                                at, "warning", evidence, started=problem[1], device=device
                            )
                        )
                elif condition.is_open:
                    evidence = {"summary": f"{device} reads normally again", "device": device}
                    events += self._emit(condition.end(upto, evidence))
        return events

    def _evidence(self, device: str, state: str, since: float, at: float) -> dict[str, Any]:
        config = self.home.device(device)
        role = config.role if config else None
        track = self.where.sensors.tracks.get(device, {})
        if state == "stuck":
            held = track.get("since", since)
            level = LEVEL_TEXT.get(track.get("metric", ""), "on")
            summary = (
                f"{device} ({role}) has read {level!r} since {self._local(held, at)} "
                f"({hours(at - held)} h): probably stuck (a lost message or a fault); its "
                "readings are ignored until it changes"
            )
        else:
            summary = (
                f"{device} ({role}) has been changing dozens of times a minute since "
                f"{self._local(since, at)}: probably a loose contact or a fault; its readings "
                "are ignored until it calms down"
            )
        return {"summary": summary, "device": device, "role": role, "state": state}

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "stuck": {d: c.state_dict() for d, c in self.stuck.items()},
            "flapping": {d: c.state_dict() for d, c in self.flapping.items()},
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        for table, saved in ((self.stuck, state["stuck"]), (self.flapping, state["flapping"])):
            for device, condition in table.items():
                condition.load_state(saved.get(device))
