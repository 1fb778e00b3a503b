"""Fixed sensors failing as kasteren-b's did (simulators/life.py): stuck "on" after a lost
"off" message, or silent for days. Unlike simulators/faults.py (bad messages added to a
stream), these change what a sensor says, and each has ground truth: a stuck level is
for ``sensor_stuck`` to flag, a silent sensor for ``device_offline``.

Faults are drawn per device as a Poisson process over the run, from the home's hardware;
each is kept off the day of a scripted incident about that device, so an incident stays a
test of its detector, not of a dead sensor.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from contracts.home import DeviceConfig, HomeConfig

from .life import Hardware, fault_length
from .resident import DAY, rng_for

STREAM_SENSOR_FAULTS = 9
FaultKind = Literal["stuck", "silent"]
# The level a sensor sticks at, by kind: what it said when its "off" was lost.
STUCK_LEVEL: dict[str, tuple[str, object]] = {
    "motion": ("motion", True),
    "presence": ("presence", True),
    "appliance": ("in_use", True),
    "door": ("contact", "open"),
}
_FAILING_KINDS = frozenset({"door", "motion", "presence", "appliance"})


@dataclass(frozen=True)
class SensorFault:
    """``device`` is stuck at ``metric`` = ``value``, or silent, from ``start`` to ``end``
    (epoch seconds)."""

    device: str
    kind: FaultKind
    start: float
    end: float
    metric: str | None = None
    value: object = None

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


def can_fail(device: DeviceConfig) -> bool:
    """The fixed Zigbee sensors of the kinds the real homes had (doors, PIRs, mats, plugs)."""
    return device.zigbee_name is not None and device.kind in _FAILING_KINDS


def can_stick(device: DeviceConfig) -> bool:
    # Doors of rooms are left open for hours by their residents: only a fridge door sticks.
    return can_fail(device) and (device.kind != "door" or device.role == "fridge")


def draw_faults(
    home: HomeConfig,
    hardware: Hardware,
    seed: int,
    start: float,
    end: float,
    *,
    spare: Mapping[str, Sequence[tuple[float, float]]] = {},
    on_at: Callable[[DeviceConfig, float], float | None] = lambda device, t: t,
) -> list[SensorFault]:
    """The faults of ``home``'s sensors between ``start`` and ``end`` (epoch seconds), none
    of them during the ``spare`` spans of its device.

    A sensor sticks when the "off" after a real "on" is lost: ``on_at(device, t)`` says when
    it next reads "on" from ``t`` on (None: not before the end), and the fault begins then.
    """
    faults: list[SensorFault] = []
    for index, device in enumerate(home.devices):
        if not can_fail(device):
            continue
        rng = rng_for(seed, home.home, STREAM_SENSOR_FAULTS, index)
        rates: list[tuple[FaultKind, float]] = [("silent", hardware.silent_per_sensor_day)]
        if can_stick(device):
            rates.insert(0, ("stuck", hardware.stuck_per_sensor_day))
        drawn: list[SensorFault] = []
        for kind, rate in rates:
            t = start + float(rng.exponential(DAY / rate)) if rate > 0 else end
            while t < end:
                length = fault_length(rng, kind)
                metric, value = STUCK_LEVEL[device.kind] if kind == "stuck" else (None, None)
                begins = on_at(device, t) if kind == "stuck" else t
                if begins is not None and begins < end:
                    begins = round(begins, 3)  # readings are to the millisecond
                    fault = SensorFault(device.id, kind, begins, min(begins + length, end))
                    drawn.append(replace(fault, metric=metric, value=value))
                t += length + float(rng.exponential(DAY / rate))
        faults.extend(_apart(drawn, spare.get(device.id, ())))
    return sorted(faults, key=lambda f: (f.start, f.device))


def _apart(drawn: list[SensorFault], spare: Sequence[tuple[float, float]]) -> list[SensorFault]:
    """One fault at a time per device, a day apart (a sensor that has just come back works
    a while before it fails again), and none in a spared span."""
    kept: list[SensorFault] = []
    for fault in sorted(drawn, key=lambda f: f.start):
        if kept and fault.start < kept[-1].end + DAY:
            continue
        if any(fault.start < b and a < fault.end for a, b in spare):
            continue
        kept.append(fault)
    return kept


class FaultyDevices:
    """What the faults do to the readings: a stuck sensor sends its level at the start and
    nothing of that metric after (as kasteren-b's did: one "on" held for hours), except that
    a mains-powered one (``reporting``: it has no battery report to keep it alive) repeats
    the stuck level in its periodic report; a silent one says nothing at all.

    ``said`` must be asked in time order, as a simulation produces its readings."""

    KEEPALIVE_S = 30 * 60.0

    def __init__(self, faults: Sequence[SensorFault], reporting: Collection[str] = ()):
        self.by_device: dict[str, list[SensorFault]] = {}
        for fault in faults:
            self.by_device.setdefault(fault.device, []).append(fault)
        self.reporting = frozenset(reporting)
        self._repeated: dict[SensorFault, float] = {}

    def said(self, t: float, device: str, metric: str, value: object) -> tuple[bool, object]:
        """Whether the device sends this reading, and with what value."""
        for fault in self.by_device.get(device, ()):
            if not fault.covers(t):
                continue
            if fault.kind == "silent":
                return False, value
            if fault.metric != metric:
                return True, value
            if t == fault.start:
                return True, fault.value
            last = self._repeated.get(fault, fault.start)
            if device in self.reporting and t - last >= self.KEEPALIVE_S:
                self._repeated[fault] = t
                return True, fault.value
            return False, value
        return True, value

    def onsets(self, start: float, end: float) -> list[tuple[float, str, str, object]]:
        """The stuck levels that begin in [start, end): (epoch s, device, metric, value)."""
        return [
            (f.start, f.device, f.metric, f.value)
            for faults in self.by_device.values()
            for f in faults
            if f.kind == "stuck" and f.metric is not None and start <= f.start < end
        ]
