"""``bed_exit`` and ``not_back_in_bed``: out of bed at night, for a resident of a care home.

``bed_exit`` watches residents marked at risk of falling (``Resident.fall_risk``): for
"at_risk" an exit that began in the night and has lasted ``at_risk_after_s`` (a quick
return before then, a toilet trip, raises nothing), major; for "high" at once, critical.
``not_back_in_bed`` watches everyone with a bed sensor: out of bed for ``after_s`` in the
night. Both clear when she is back in bed. An unknown bed (a sensor that dropped out,
analytics.institution.bed) raises nothing and clears nothing.
"""

from __future__ import annotations

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.home import HomeConfig

from ..context import HomeContext
from ..events import Event, Severity
from .base import MINUTE, InstitutionDetector


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class BedExitSettings:
    # "at_risk": out of bed this long (the grace for a quick return) before the alert.
    at_risk_after_s: float = Field(default=3 * MINUTE, ge=0)
    # "high": at once; a few seconds absorb a sensor's jitter as she turns over.
    high_after_s: float = Field(default=0, ge=0)
    # A bed sensor says "in bed" 20-60 s after she lies down (it waits for her to settle).
    # "at_risk" waits this long on top of the grace, so an exit a little shorter than the
    # grace rarely raises as she lies down again (40 s: late alerts 1.6 -> 0.5 per
    # resident-month, at-risk exits found 100 % -> 98 %; docs/institutional-care.md);
    # "high" does not wait.
    in_bed_delay_s: float = Field(default=40, ge=0)


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class NotBackInBedSettings:
    # Out of bed this long at night: not a toilet trip any more.
    after_s: float = Field(default=40 * MINUTE, gt=0)


class BedExitDetector(InstitutionDetector):
    """``bed_exit`` of an at-risk resident at night.

    >>> from analytics.monitor import HomeMonitor
    >>> from contracts.reading import Reading
    >>> home = HomeConfig.model_validate({"home": "b301-1", "station": "st1",
    ...     "timezone": "UTC", "resident": {"name": "王秀英", "birth_year": 1942,
    ...     "fall_risk": "at_risk"},
    ...     "place": {"institution": "inst1", "unit": "3F", "room": "301", "bed": "1"},
    ...     "devices": [{"id": "bed", "kind": "presence", "role": "bed", "source": "native"}]})
    >>> monitor = HomeMonitor(home, detectors=[BedExitDetector])
    >>> bed = lambda minute, v: Reading(ts=3600 + 60 * minute, home="b301-1", device="bed",
    ...                                 metric="presence", value=v)
    >>> monitor.feed_many([bed(0, True), bed(10, False), bed(13.5, True)])  # a quick return
    []
    >>> [(e.state, e.severity, round((e.ts - 3600) / 60, 2)) for e in
    ...  monitor.feed_many([bed(20, False), bed(30, True)])]  # 3 min and the sensor's 40 s
    [('raised', 'major', 23.67), ('cleared', 'major', 30.0)]
    """

    name = "bed_exit"
    kind = "bed_exit"
    kinds = ("bed_exit",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, BedExitSettings)

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        return config.place is not None and config.resident.fall_risk != "none"

    def _rule(self) -> tuple[float, Severity]:
        if self.home.config.resident.fall_risk == "high":
            return self.settings.high_after_s, "critical"
        return self.settings.at_risk_after_s + self.settings.in_bed_delay_s, "major"

    def decide(self, now: float) -> list[Event]:
        if self.condition.is_open:
            return []
        start = self.out_since(now)
        if start is None or not self.night_at(start):
            return []
        after, severity = self._rule()
        due = start + after
        if now < due:
            return []
        risk = self.home.config.resident.fall_risk.replace("_", " ")
        evidence = {
            "summary": f"out of bed since {self.local(start)} at night ({risk} of falling)",
            "out_since": self.local(start),
            "fall_risk": self.home.config.resident.fall_risk,
            "grace_min": round(
                (after if severity == "critical" else self.settings.at_risk_after_s) / MINUTE, 1
            ),
            **self.bed_evidence(self.bed.state(now)),
            **self.where(),
        }
        return self._emit(self.condition.hold(due, severity, evidence, started=start))


class NotBackInBedDetector(InstitutionDetector):
    """``not_back_in_bed``: out of bed at night for long, whoever she is."""

    name = "not_back_in_bed"
    kind = "not_back_in_bed"
    kinds = ("not_back_in_bed",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, NotBackInBedSettings)

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        return config.place is not None and any(
            d.role == "bed" and d.kind == "presence" for d in config.devices
        )

    def decide(self, now: float) -> list[Event]:
        if self.condition.is_open:
            return []
        start = self.out_since(now)
        if start is None:
            return []
        due = start + self.settings.after_s
        # Night at both ends: up at 05:40 for the day is no alert at 06:20.
        if now < due or not (self.night_at(start) and self.night_at(due)):
            return []
        evidence = {
            "summary": f"out of bed since {self.local(start)}, not back after "
            f"{round(self.settings.after_s / MINUTE)} min",
            "out_since": self.local(start),
            "out_min": round(self.settings.after_s / MINUTE),
            **self.bed_evidence(self.bed.state(now)),
            **self.where(),
        }
        return self._emit(self.condition.hold(due, "major", evidence, started=start))
