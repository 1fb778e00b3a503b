"""SOS: a button press is a call for help, raised at once as critical."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from .condition import Condition
from .context import HomeContext
from .detector import Detector
from .events import Event, Severity


def is_bed_call_button(home: HomeContext, device: str) -> bool:
    """The call button at a bed in an institution: a nurse call (analytics.institution),
    not an SOS."""
    config = home.device(device)
    return (
        home.config.place is not None
        and config is not None
        and config.kind == "sos_button"
        and config.role == "bedside"
    )


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class SosSettings:
    # Presses within this time of the last one are the same call (people press again
    # when nothing seems to happen); after it, a press is a new call.
    same_call_s: float = 30 * 60


class SosDetector(Detector):
    """Raises ``sos`` on a press, updates it on repeated presses, clears after quiet.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h001", "station": "st1",
    ...     "resident": {"name": "王秀英", "birth_year": 1942}}))
    >>> sos = SosDetector(home)
    >>> press = lambda ts: Reading(ts=ts, home="h001", device="sos_bed", metric="sos", value=True)
    >>> [e.state for e in sos.feed(press(0)) + sos.feed(press(20)) + sos.advance(3600)]
    ['raised', 'updated', 'cleared']
    """

    name = "sos"
    kinds = ("sos",)
    severity: ClassVar[Severity] = "critical"

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, SosSettings)
        self.condition = Condition(home.home, self.kinds[0], self.name)
        self.presses = 0
        self.last_press: float | None = None

    def handles(self, device: str) -> bool:
        """Whose presses are this detector's: at a care home's bed, a call instead."""
        return not is_bed_call_button(self.home, device)

    def feed(self, reading: Reading) -> list[Event]:
        if reading.metric != "sos" or reading.value is not True:
            return []
        if not self.handles(reading.device):
            return []
        ts = reading.epoch
        self.presses = 1 if not self.condition.is_open else self.presses + 1
        self.last_press = ts
        evidence = {
            "device": reading.device,
            "role": self.home.role_of(reading.device),
            "presses": self.presses,
            "last_press": ts,
        }
        event = self.condition.hold(
            ts, self.severity, evidence, device=reading.device, force_update=True
        )
        return [event] if event else []

    def advance(self, now: float) -> list[Event]:
        if self.last_press is None or not self.condition.is_open:
            return []
        quiet_until = self.last_press + self.settings.same_call_s
        if now < quiet_until:
            return []
        event = self.condition.end(quiet_until, {"presses": self.presses})
        return [event] if event else []

    def state_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.state_dict(),
            "presses": self.presses,
            "last_press": self.last_press,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.condition.load_state(state["condition"])
        self.presses = state["presses"]
        self.last_press = state["last_press"]
