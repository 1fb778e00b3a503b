"""``left_unit_at_night``: a resident who wanders (dementia) leaving the unit at night.

The unit door is shared by the whole unit: staff use it all night, and every bed's
config lists it. An opening is put down to her only on evidence from her own bed and
room: her bed sensor says she got up in the night and has been out of bed for at least
``min_out_s`` (time to walk to the door), and her bathroom's radar does not see someone
in the bathroom. In bed,
it was someone else. An unknown bed (sensor dropped out, none fitted) cannot rule her
out: the alert is raised, major instead of critical, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.home import HomeConfig
from contracts.reading import Reading

from ..context import HomeContext
from ..events import Event
from .base import InstitutionDetector

BATHROOM_ROLES = ("bathroom", "toilet")


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class LeftUnitSettings:
    # Out of bed at least this long before the door opened: she could have reached it.
    min_out_s: float = Field(default=30, ge=0)


class LeftUnitDetector(InstitutionDetector):
    """``left_unit_at_night`` for a resident with ``wanders: true`` and a ``unit_door``."""

    name = "left_unit"
    kind = "left_unit_at_night"
    kinds = ("left_unit_at_night",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, LeftUnitSettings)
        self.doors = home.devices_with(roles=("unit_door",), kinds=("door",))
        self.bathroom = home.devices_with(roles=BATHROOM_ROLES, kinds=("fall_radar", "presence"))
        self.in_bathroom: dict[str, bool] = {}
        self.openings_not_hers = 0

    @classmethod
    def applies_to(cls, config: HomeConfig) -> bool:
        return (
            config.place is not None
            and config.resident.wanders
            and any(d.role == "unit_door" and d.kind == "door" for d in config.devices)
        )

    def observe(self, reading: Reading) -> list[Event]:
        if reading.device in self.bathroom and reading.metric == "presence":
            self.in_bathroom[reading.device] = reading.value is True
            return []
        if reading.device not in self.doors or reading.metric != "contact":
            return []
        if reading.value != "open" or not self.night_at(reading.epoch):
            return []
        return self._opened(reading.epoch, reading.device)

    def _opened(self, ts: float, door: str) -> list[Event]:
        state = self.bed.state(ts)
        start = self.out_since(ts)
        evidence: dict[str, Any] = {
            "door": door,
            "door_opened": self.local(ts),
            **self.bed_evidence(state),
            **self.where(),
        }
        if state.known == "unknown":
            evidence["summary"] = (
                f"the unit door opened at {self.local(ts)}; her bed sensor cannot say whether "
                "she is in bed (it may have been staff)"
            )
            return self._emit(self.condition.hold(ts, "major", evidence, device=door))
        in_bathroom = any(self.in_bathroom.values())
        # Up from her night's sleep: still up from the day at 21:10 (in the day room),
        # she is no more likely than anyone to be the one at the door.
        if start is None or not self.night_at(start):
            self.openings_not_hers += 1
            return []
        if ts - start < self.settings.min_out_s or in_bathroom:
            self.openings_not_hers += 1
            return []
        evidence["out_since"] = self.local(start)
        evidence["summary"] = (
            f"the unit door opened at {self.local(ts)}; she has been out of bed since "
            f"{self.local(start)}"
        )
        return self._emit(self.condition.hold(ts, "critical", evidence, started=start, device=door))

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "in_bathroom": dict(self.in_bathroom),
            "openings_not_hers": self.openings_not_hers,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        self.in_bathroom = dict(state["in_bathroom"])
        self.openings_not_hers = state["openings_not_hers"]
