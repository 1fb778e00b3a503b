"""What a detector knows about its home: roles, time zone, night, and its settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache, cached_property
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import Field, TypeAdapter, ValidationError

from contracts.errors import describe_validation_error
from contracts.home import DeviceConfig, HomeConfig

from .errors import AnalyticsError

SettingsT = TypeVar("SettingsT")

# Outcome feedback: ``thresholds.feedback.<alert kind>`` multiplies the limit that alert's
# detector would use (learned or default). The hub raises it after a dispatcher marks an
# alert of that kind a false alarm and the edge gets it with the home's config. Bounded, so
# that no amount of feedback can switch a detector off or make it fire at once.
FEEDBACK = "feedback"
FEEDBACK_MIN, FEEDBACK_MAX = 0.5, 3.0
_FEEDBACK = TypeAdapter(dict[str, Annotated[float, Field(ge=FEEDBACK_MIN, le=FEEDBACK_MAX)]])


class HomeContext:
    """Read-only view of a home config, shaped for the questions detectors ask."""

    def __init__(self, config: HomeConfig):
        self.config = config
        self.home = config.home

    @cached_property
    def tz(self) -> ZoneInfo:
        return self.config.tz

    def local(self, epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, self.tz)

    def local_hours(self, epoch: float) -> float:
        """Hours since local midnight, e.g. 7.5 for 07:30."""
        moment = self.local(epoch)
        return moment.hour + moment.minute / 60 + moment.second / 3600

    def is_night(self, epoch: float) -> bool:
        return self.config.night.contains(self.local(epoch).time())

    def device(self, device_id: str) -> DeviceConfig | None:
        return self._devices.get(device_id)

    def role_of(self, device_id: str) -> str | None:
        device = self._devices.get(device_id)
        return device.role if device else None

    def devices_with(self, *, roles: tuple[str, ...] = (), kinds: tuple[str, ...] = ()) -> set[str]:
        return {
            d.id
            for d in self.config.devices
            if (not roles or d.role in roles) and (not kinds or d.kind in kinds)
        }

    @cached_property
    def _devices(self) -> dict[str, DeviceConfig]:
        return {device.id: device for device in self.config.devices}

    @cached_property
    def _feedback(self) -> dict[str, float]:
        try:
            return _FEEDBACK.validate_python(self.config.thresholds.get(FEEDBACK, {}))
        except ValidationError as exc:
            raise AnalyticsError(
                f"thresholds.{FEEDBACK}: {describe_validation_error(exc)}",
                home=self.home,
                detector=FEEDBACK,
            ) from exc

    def feedback(self, kind: str) -> float:
        """The outcome feedback factor for alerts of ``kind`` (1 when there is none)."""
        return self._feedback.get(kind, 1.0)

    def settings(self, detector: str, kind: type[SettingsT]) -> SettingsT:
        """The detector's settings: its defaults, overridden by the home's thresholds."""
        overrides: Mapping[str, Any] = self.config.thresholds.get(detector, {})
        try:
            return _adapter(kind).validate_python(dict(overrides))
        except ValidationError as exc:
            raise AnalyticsError(
                f"thresholds.{detector}: {describe_validation_error(exc)}",
                home=self.home,
                detector=detector,
            ) from exc


@cache
def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    # Building an adapter costs ~0.2 ms; a hosted process builds a dozen per home.
    return TypeAdapter(kind)
