"""The falls of a home, from every source it has: wearable accelerometers, fall flags, radars.

The accelerometer decision itself is ``FallDetector`` (wearable.py: one per wearable, the
model chosen by where it is worn); this detector turns its detections, a radar's
``fall_state`` and a wearable's own fall flag into one ``fall`` event per incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic.dataclasses import dataclass as settings_dataclass

from contracts.reading import Reading

from ..condition import Condition
from ..context import HomeContext
from ..detector import Detector
from ..events import Event
from .clock_jump import BackwardBatches
from .config import FallConfig, FallDetectorError
from .wearable import FallDetection, FallDetector

WEARABLE_KINDS = ("bracelet", "fall_pendant")
_Batch = tuple[float, float, np.ndarray]  # an accelerometer batch: (t0, rate_hz, samples)
_PLACEMENT_BY_KIND = {"bracelet": "wrist", "fall_pendant": "waist"}


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class FallSettings:
    # Seconds a wearable fall waits for the resident to cancel it with the wearable's
    # button ("I'm fine"); 0 raises at once. Radars have no button and never wait.
    confirm_s: float = 0
    # The same for wrist-worn wearables only, when set: a watch's "are you OK?" (it
    # vibrates, she presses to cancel). A bracelet mistakes more arm movements for falls
    # than a pendant does trunk movements; every real fall then reaches the station this
    # much later (on top of the 10 s the wrist model waits to see where the arm ends up).
    wrist_confirm_s: float | None = None
    # A radar's "maybe fall" that persists this long is treated as a fall.
    suspected_for_s: float = 60
    # Activity elsewhere this long after the fall means the resident got up.
    recovered_after_s: float = 120


class FallEventDetector(Detector):
    """Raises ``fall`` (critical) from any source; clears when the resident is up again.

    >>> from contracts.home import HomeConfig
    >>> home = HomeContext(HomeConfig.model_validate({"home": "h001", "station": "st1",
    ...     "resident": {"name": "王秀英", "birth_year": 1942},
    ...     "devices": [{"id": "radar_bath", "kind": "fall_radar", "role": "bathroom",
    ...                  "source": "zigbee2mqtt:radar1"}]}))
    >>> falls = FallEventDetector(home)
    >>> radar = Reading(ts=100, home="h001", device="radar_bath", metric="fall_state",
    ...                 value="fall")
    >>> [(e.kind, e.state, e.severity, e.evidence["source"]) for e in falls.feed(radar)]
    [('fall', 'raised', 'critical', 'radar')]
    """

    name = "fall"
    kinds = ("fall",)

    def __init__(self, home: HomeContext):
        super().__init__(home)
        self.settings = home.settings(self.name, FallSettings)
        self.condition = Condition(home.home, "fall", self.name)
        self.wearables: dict[str, FallDetector] = {}
        self.stream_end: dict[str, float] = {}
        self.suspected_since: dict[str, float] = {}
        self.pending: dict[str, Any] | None = None  # a wearable fall awaiting its window
        self.fell_at: float | None = None
        self.steps: dict[str, tuple[float, float]] = {}
        self.off_wrist: set[str] = set()  # wearables that said they are not worn
        self.ignored_off_body = 0
        self.cancelled = 0
        self.late_batches = 0
        self.clock_jumps = 0  # wearables' clocks set back: their streams started again
        # How far behind the home's time each wearable whose clock was set back stamps.
        self.clock_behind: dict[str, float] = {}
        # Each wearable's batches from before its stream's end: late, or a clock set back.
        self.backward: dict[str, BackwardBatches[_Batch]] = {}
        self.lost_streams = 0  # saved accelerometer streams that could not be restored

    def _placement(self, device_id: str) -> str | None:
        device = self.home.device(device_id)
        if device is None or device.kind not in WEARABLE_KINDS:
            return None
        return (
            device.role
            if device.role in ("wrist", "waist", "chest")
            else (_PLACEMENT_BY_KIND[device.kind])
        )

    def claims(self, reading: Reading) -> bool:
        # During the confirmation window the wearable's button means "cancel", not "SOS".
        if self.pending is None or reading.metric != "sos":
            return False
        # The button is stamped on the same clock as the fall it cancels: a deadline moved
        # to the home's time would otherwise take a press long after it as a cancel.
        behind = self.pending["evidence"].get("clock_corrected_s", 0.0)
        return (
            reading.device == self.pending["device"]
            and reading.epoch + behind <= self.pending["deadline"]
        )

    def feed(self, reading: Reading) -> list[Event]:
        metric, ts, device = reading.metric, reading.epoch, reading.device
        if self.claims(reading):
            self.pending = None
            self.cancelled += 1
            return []
        if metric == "worn":
            if reading.value:
                self.off_wrist.discard(device)
            else:
                self.off_wrist.add(device)
                if detector := self.wearables.get(device):
                    detector.taken_off()  # put back on, it may sit another way
            return []
        if device in self.off_wrist and metric in ("accel", "fall_state"):
            # A wearable on the charger that slips off the table is not a resident falling.
            self.ignored_off_body += 1
            return []
        if metric == "accel" and reading.is_batch:
            return self._accelerometer(reading)
        if metric == "fall_state":
            return self._fall_state(device, ts, reading.value)
        up_again = (
            self._is_activity(reading)
            and self.fell_at is not None
            and ts - self.fell_at >= self.settings.recovered_after_s
        )
        if up_again:
            self.fell_at = None
            event = self.condition.end(ts, {"recovered_by": device, "metric": metric})
            return [event] if event else []
        return []

    def _is_activity(self, reading: Reading) -> bool:
        if reading.metric == "steps":
            # A bracelet reports its count every few minutes: a rise only proves walking
            # after the fall if the count it rose from was itself taken after the fall.
            previous = self.steps.get(reading.device)
            self.steps[reading.device] = (reading.epoch, float(reading.value))
            return (
                previous is not None
                and self.fell_at is not None
                and previous[0] >= self.fell_at
                and float(reading.value) > previous[1]
            )
        return reading.metric == "contact" or (reading.metric == "motion" and reading.value is True)

    def _accelerometer(self, reading: Reading) -> list[Event]:
        placement = self._placement(reading.device)
        if placement is None:
            return []
        device, t0, rate = reading.device, reading.epoch, float(reading.rate_hz or 0)
        samples = np.asarray(reading.value, dtype=np.float64)
        detector = self.wearables.get(device)
        events: list[Event] = []
        if not self._is_late(device, detector, t0, rate):
            if (backward := self.backward.get(device)) is not None:
                self.late_batches += backward.drop()  # the stream went on: they were late
            if device in self.clock_behind:
                events += self._clock_put_right(device, placement, detector, t0)
            batches = [(t0, rate, samples)]
        else:
            # Late (an out-of-order batch cannot be spliced into the past), or the first of
            # a clock set back: the batches after it tell (clock_jump.py).
            backward = self.backward.setdefault(device, BackwardBatches())
            end = t0 + len(samples) / rate
            self.late_batches += backward.hold(t0, end, rate, (t0, rate, samples), 1.0 / rate)
            if not backward.jumped:
                return []
            self.clock_jumps += 1  # the stream starts again from the held batches
            if detector is not None:
                for detection in detector.flush():  # the old stream ends here
                    events.extend(self._detected(device, placement, detection))
            # The new stream is stamped this much behind the home's time, at least (what
            # passed between the old stream's end and the first held batch is not known).
            went_back = self.stream_end.get(device, backward.start) - backward.start
            behind = self.clock_behind.get(device, 0.0) + went_back
            self.clock_behind[device] = round(behind, 3)  # stamps are to the millisecond
            # Her upright does not change with the wearable's clock; when she last walked
            # is on the new one.
            upright = detector.upright.carried() if detector and detector.upright else None
            if upright is not None:
                upright.shift(-went_back)
            detector = self.wearables[device] = FallDetector(placement, upright=upright)
            batches = backward.take()
        if detector is None:
            detector = self.wearables[device] = FallDetector(placement)
        for start, batch_rate, batch in batches:
            if not detector.accepts(start):  # a held batch a sample off the one before
                self.late_batches += 1
                continue
            self.stream_end[device] = start + len(batch) / batch_rate
            for detection in detector.update(start, batch_rate, batch):
                events.extend(self._detected(device, placement, detection))
        return events

    def _detected(self, device: str, placement: str, detection: FallDetection) -> list[Event]:
        evidence = {"source": "accelerometer", "placement": placement, **detection.evidence}
        ts = detection.ts
        if behind := self.clock_behind.get(device):
            # Stamped by a clock set back, the fall would be raised that far in the past:
            # the alert's time wrong, her cancel window over before it opened, the next
            # door or motion taken for her getting up. So it is put on the home's time.
            ts += behind
            evidence.update(impact_ts=ts, clock_corrected_s=behind)
        return self._wearable_fall(device, ts, evidence)

    def _clock_put_right(
        self, device: str, placement: str, detector: FallDetector | None, t0: float
    ) -> list[Event]:
        """A batch after a gap of at least the time its clock was behind: the clock was
        put right (a correction, a forward NTP step). The stream before it is decided on the
        clock it was stamped with, the one after it on the home's. A shorter gap is a
        silence of the wearable (out of range, messages lost), its clock still behind."""
        if t0 - self.stream_end.get(device, t0) < self.clock_behind[device]:
            return []
        flushed = detector.flush() if detector is not None else []
        events = [e for d in flushed for e in self._detected(device, placement, d)]
        if detector is not None and detector.upright is not None:
            detector.upright.shift(self.clock_behind[device])
        del self.clock_behind[device]
        return events

    def _is_late(self, device: str, detector: FallDetector | None, t0: float, rate: float) -> bool:
        """A batch that starts at or before a sample the stream already holds. A device
        clock stamping to the millisecond puts a batch's start a millisecond or two before
        the previous one's end: that batch continues the stream, as the detector takes it."""
        if detector is not None:
            return not detector.accepts(t0)
        # The stream's detector was lost with a saved state: its end is all that is known.
        return t0 < self.stream_end.get(device, -np.inf) - 0.5 / rate

    def _fall_state(self, device: str, ts: float, state: str) -> list[Event]:
        kind = self.home.device(device).kind if self.home.device(device) else None
        source = "radar" if kind == "fall_radar" else "device_flag"
        if state == "none":
            self.suspected_since.pop(device, None)
            return []
        if state == "suspected":
            self.suspected_since.setdefault(device, ts)
            return []
        self.suspected_since.pop(device, None)  # the radar has made up its mind
        evidence = {"source": source, "device": device, "role": self.home.role_of(device)}
        if source == "device_flag":
            return self._wearable_fall(device, ts, evidence)
        return self._raise(ts, evidence, device)

    def _confirm_s(self, device: str) -> float:
        wrist = self.settings.wrist_confirm_s
        if wrist is not None and self._placement(device) == "wrist":
            return wrist
        return self.settings.confirm_s

    def _wearable_fall(self, device: str, ts: float, evidence: dict[str, Any]) -> list[Event]:
        confirm_s = self._confirm_s(device)
        if confirm_s <= 0:
            return self._raise(ts, evidence, device)
        if self.pending is None:
            self.pending = {
                "device": device,
                "ts": ts,
                "deadline": ts + confirm_s,
                "confirm_s": confirm_s,
                "evidence": evidence,
            }
        return []

    def _raise(self, ts: float, evidence: dict[str, Any], device: str) -> list[Event]:
        self.fell_at = ts
        event = self.condition.hold(ts, "critical", evidence, device=device, force_update=True)
        return [event] if event else []

    def advance(self, now: float) -> list[Event]:
        events: list[Event] = []
        if self.pending is not None and now > self.pending["deadline"]:
            pending, self.pending = self.pending, None
            waited = pending.get("confirm_s", self.settings.confirm_s)
            evidence = {**pending["evidence"], "not_cancelled_within_s": waited}
            # Raised when the window ran out, but the fall started at the impact.
            self.fell_at = pending["ts"]
            event = self.condition.hold(
                pending["deadline"],
                "critical",
                evidence,
                started=pending["ts"],
                device=pending["device"],
                force_update=True,
            )
            events.extend([event] if event else [])
        for device, since in list(self.suspected_since.items()):
            if now - since >= self.settings.suspected_for_s:
                del self.suspected_since[device]
                evidence = {
                    "source": "radar",
                    "device": device,
                    "role": self.home.role_of(device),
                    "suspected_for_s": self.settings.suspected_for_s,
                }
                self.fell_at = since
                event = self.condition.hold(
                    since + self.settings.suspected_for_s,
                    "major",
                    evidence,
                    started=since,
                    device=device,
                    force_update=True,
                )
                events.extend([event] if event else [])
        return events

    def state_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.state_dict(),
            "wearables": {d: f.state_dict() for d, f in self.wearables.items()},
            "stream_end": dict(self.stream_end),
            "suspected_since": dict(self.suspected_since),
            "pending": self.pending,
            "fell_at": self.fell_at,
            "steps": dict(self.steps),
            "off_wrist": sorted(self.off_wrist),
            "ignored_off_body": self.ignored_off_body,
            "cancelled": self.cancelled,
            "late_batches": self.late_batches,
            "clock_jumps": self.clock_jumps,
            "clock_behind": dict(self.clock_behind),
            "backward": {
                device: [[t0, rate, samples.tolist()] for t0, rate, samples in held.batches]
                for device, held in self.backward.items()
                if held.held
            },
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.condition.load_state(state["condition"])
        self.wearables = {}
        for device, saved in state["wearables"].items():
            placement = self._placement(device) or saved.get("placement", "waist")
            try:
                # Restored with today's model for that placement, not the saved settings:
                # a home that restarts on a newer release decides with the newer model.
                detector = FallDetector.from_state(saved, FallConfig.for_placement(placement))
                if saved.get("placement") != placement:
                    detector.taken_off()  # worn elsewhere now: another upright
                self.wearables[device] = detector
            except FallDetectorError:
                self.lost_streams += 1  # only the last few seconds of samples are lost

        self.stream_end = dict(state["stream_end"])
        self.suspected_since = dict(state["suspected_since"])
        self.pending = state["pending"]
        self.fell_at = state["fell_at"]
        self.steps = {device: tuple(last) for device, last in state["steps"].items()}
        self.off_wrist = set(state["off_wrist"])
        self.ignored_off_body = state["ignored_off_body"]
        self.cancelled = state["cancelled"]
        self.late_batches = state["late_batches"]
        self.clock_jumps = state.get("clock_jumps", 0)  # saved before clock jumps were told
        self.clock_behind = dict(state.get("clock_behind", {}))  # ... or were corrected for
        self.backward = {}
        for device, batches in state.get("backward", {}).items():
            held = self.backward[device] = BackwardBatches()
            for t0, rate, samples in batches:
                x = np.asarray(samples, dtype=np.float64).reshape(-1, 3)
                held.hold(t0, t0 + len(x) / rate, rate, (t0, rate, x), np.inf)
