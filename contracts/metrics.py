"""The canonical metrics a reading can carry, with their units and valid ranges.

This is the vocabulary of ARCHITECTURE.md ("Canonical reading"). A value outside its
metric's range is bad input, never a reading: a heart rate of 0 is a sensor that is off,
not a resident whose heart stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

ValueType = Literal["bool", "number", "enum", "vector"]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    type: ValueType
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()

    def check(self, value: object) -> object:
        """Return the value in canonical form, or raise ValueError saying why it is not one."""
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.name} must be true or false, got {value!r}")
            return value
        if self.type == "enum":
            if value not in self.values:
                raise ValueError(f"{self.name} must be one of {list(self.values)}, got {value!r}")
            return value
        if self.type == "number":
            return self._number(value)
        return self._vector(value)

    def check_batch(self, value: object) -> tuple[tuple[float, float, float], ...]:
        # A batch holds hundreds of samples: check them as one array, not one by one.
        if not isinstance(value, list | tuple) or not value:
            raise ValueError(f"{self.name} batch must be a non-empty list of [x, y, z]")
        try:
            samples = np.asarray(value)
        except ValueError:
            raise ValueError(f"{self.name} batch samples must all be [x, y, z]") from None
        if samples.ndim != 2 or samples.shape[1] != 3:
            raise ValueError(f"{self.name} batch samples must all be [x, y, z]")
        if samples.dtype.kind not in "iuf":  # bool, str and mixed lists are not numbers
            raise ValueError(f"{self.name} batch samples must be numbers")
        samples = samples.astype(np.float64, copy=False)
        if not np.isfinite(samples).all():
            raise ValueError(f"{self.name} batch samples must be finite")
        low, high = samples.min(), samples.max()
        if (self.minimum is not None and low < self.minimum) or (
            self.maximum is not None and high > self.maximum
        ):
            raise ValueError(f"{self.name} batch has samples outside valid range {self._range()}")
        return tuple(map(tuple, samples.tolist()))

    def _number(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.name} must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{self.name} must be finite, got {value!r}")
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"{self.name} {number:g} below valid range {self._range()}")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"{self.name} {number:g} above valid range {self._range()}")
        return number

    def _vector(self, value: object) -> tuple[float, float, float]:
        if not isinstance(value, list | tuple) or len(value) != 3:
            raise ValueError(f"{self.name} must be [x, y, z], got {value!r}")
        x, y, z = (self._number(component) for component in value)
        return (x, y, z)

    def _range(self) -> str:
        return f"[{self.minimum:g}, {self.maximum:g}] {self.unit or ''}".rstrip()


# Ranges are physiological or physical limits, deliberately wide: a detector decides what
# is abnormal, this table only rejects what cannot be a real measurement.
METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("contact", "enum", values=("open", "closed")),
        MetricSpec("heart_rate", "number", "bpm", 25, 250),
        MetricSpec("spo2", "number", "%", 50, 100),
        MetricSpec("skin_temp", "number", "°C", 20, 45),
        MetricSpec("steps", "number", "count", 0, 200_000),
        # One sample [x, y, z]; a batch is the same metric with a list of samples and rate_hz.
        MetricSpec("accel", "vector", "g", -16, 16),
        MetricSpec("worn", "bool"),
        MetricSpec("battery", "number", "%", 0, 100),
        MetricSpec("sos", "bool"),
        MetricSpec("fall_state", "enum", values=("none", "suspected", "fall")),
        MetricSpec("presence", "bool"),
        MetricSpec("motion", "bool"),
        MetricSpec("in_use", "bool"),
        # Breaths a minute (bed sensors, radars); outside 4-60 it is no measurement.
        MetricSpec("breathing_rate", "number", "breaths/min", 4, 60),
    )
}


def metric(name: str) -> MetricSpec:
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}") from None
