"""A wearable's latest accelerometer samples, kept at the edge for the window of a fall.

Raw accelerometer batches never leave the home otherwise. A raised wearable fall carries
the samples from :data:`IMPACT_BEFORE_S` before its impact to :data:`IMPACT_AFTER_S`
after it (as far as they have arrived), anchored on the impact the event carries
(``evidence.impact_ts`` of an accelerometer detection, else the fall's ``started``), not on
the moment it is raised: that comes later by the detector's decision time (the wrist model
waits 10 s to see where the arm ends) and by any confirmation wait in which the resident
may cancel (``thresholds.fall.confirm_s``, ``wrist_confirm_s``). Each wearable therefore
keeps :func:`kept_s` of its stream: enough to reach back before the impact of a fall
raised after the longest confirmation the home's settings ask for, up to
:data:`MAX_CONFIRM_KEPT_S`.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from datetime import datetime, tzinfo
from typing import Any

import numpy as np
from pydantic import TypeAdapter

from analytics.events import Event
from analytics.falls import BackwardBatches, FallEventDetector, FallSettings
from contracts.home import HomeConfig
from contracts.reading import Reading

log = logging.getLogger("edge.agent")

IMPACT_BEFORE_S = 15.0  # a fall's window starts this long before the impact ...
IMPACT_AFTER_S = 10.0  # ... and ends this long after it
# From an impact to the fall's decision: the wrist model's 10 s, a batch's arrival, slack.
DECISION_S = 15.0
# The longest confirmation wait the kept stream covers (~2 min at 50 Hz: 72 KB a wearable).
MAX_CONFIRM_KEPT_S = 120.0
SLACK_S = 5.0  # samples kept beyond kept_s at most, in seconds at the stream's rate
WINDOW_JOIN_S = 0.1  # clock jitter: a batch starting this close to the kept end continues it
_FALL_SETTINGS = TypeAdapter(FallSettings)


def confirm_s(config: HomeConfig) -> float:
    """The longest wait before a wearable fall is raised that ``config`` asks for."""
    overrides = config.thresholds.get(FallEventDetector.name, {})
    settings = _FALL_SETTINGS.validate_python(dict(overrides))  # one adapter: ~µs, not ~ms
    return max(settings.confirm_s, settings.wrist_confirm_s or 0.0, 0.0)


def kept_s(config: HomeConfig) -> float:
    """Seconds of each wearable's stream to keep for the windows of ``config``'s falls."""
    return IMPACT_BEFORE_S + DECISION_S + min(confirm_s(config), MAX_CONFIRM_KEPT_S)


def impact_of(event: Event) -> float:
    """When a fall's impact was: its accelerometer evidence's, else when the fall started."""
    impact = _number(event.evidence.get("impact_ts"))
    return event.started if impact is None else impact


def _number(value: Any) -> float | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number and math.isfinite(value) else None


class FallWindows:
    """A home's wearables' latest accelerometer samples, and the window of a raised fall."""

    def __init__(self, config: HomeConfig):
        self.home = config.home
        self.histories: dict[str, AccelHistory] = {}  # by wearable
        self.keep_s = self._keep_s(config)
        self._clock_warned: set[str] = set()  # wearables whose clock going back was logged

    def configure(self, config: HomeConfig) -> None:
        """A new config of the home: its confirmation waits may keep more, or less."""
        self.keep_s = self._keep_s(config)
        for history in self.histories.values():
            history.keep_s = self.keep_s

    def add(self, batch: Reading) -> None:
        history = self.histories.get(batch.device)
        if history is None:
            history = self.histories[batch.device] = AccelHistory(self.keep_s)
        jumps = history.clock_jumps
        history.add(batch)
        if history.clock_jumps > jumps and batch.device not in self._clock_warned:
            self._clock_warned.add(batch.device)  # once a wearable: a clock may drift back often
            log.warning(
                "home %s: the clock of wearable %s went back %.0f s; its accelerometer stream "
                "starts again from its new time, for fall detection and a fall's window "
                "(logged once a wearable; counted in the fall detector's clock_jumps)",
                self.home,
                batch.device,
                history.went_back_s,
            )

    def window(self, event: Event, tz: tzinfo) -> dict[str, Any] | None:
        """The ``window`` of a raised fall from a wearable whose stream is kept, else None."""
        history = self.histories.get(event.device) if event.device else None
        if event.kind != "fall" or event.state != "raised" or history is None:
            return None
        # A fall the detector put on the home's time (the wearable's clock was set back) is
        # found in the kept stream by the wearable's clock, and its window given on the home's.
        behind = _number(event.evidence.get("clock_corrected_s")) or 0.0
        return history.window(event.device, tz, impact_of(event) - behind, behind)

    @staticmethod
    def _keep_s(config: HomeConfig) -> float:
        waits = confirm_s(config)
        if waits > MAX_CONFIRM_KEPT_S:
            log.warning(
                "home %s: falls wait %g s to be confirmed; the accelerometer is kept for "
                "%g s of that, so a fall's window may miss its impact",
                config.home,
                waits,
                MAX_CONFIRM_KEPT_S,
            )
        return kept_s(config)


class AccelHistory:
    """One wearable's latest accelerometer samples: a continuous stream at one rate, trimmed
    to the last ``keep_s`` of event time and never more than ``keep_s + SLACK_S`` seconds of
    samples.

    A batch that does not continue the stream (another rate, or a gap) starts it afresh, so
    that one start time and one rate place every sample; a batch from before the kept
    stream's end (a message sent again, or one delivered late) is skipped: it cannot be
    placed in the stream, and must not cost it the samples a fall's window needs. Unless
    the batches after it go on from it for ``analytics.falls.JUMP_CONFIRM_S`` (5 s): the
    wearable's clock was set back, and the stream starts again from them, as the fall
    detector's does. Samples are kept as float32 arrays, ~12 KB per 20 s at 50 Hz, since a
    hosted process keeps one history per wearable of each home.
    """

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s  # the pipeline changes it with the home's config
        self.rate_hz = 0.0
        self.batches: deque[tuple[float, np.ndarray]] = deque()  # (first sample's time, samples)
        self.samples = 0
        self.backward: BackwardBatches[Reading] = BackwardBatches()  # from before the end
        self.clock_jumps = 0  # times the wearable's clock went back: the stream started again
        self.went_back_s = 0.0  # by how much, the last time

    @property
    def start(self) -> float:
        return self.batches[0][0]

    @property
    def end(self) -> float:
        start, samples = self.batches[-1]
        return start + len(samples) / self.rate_hz

    def add(self, batch: Reading) -> None:
        start, rate = batch.epoch, float(batch.rate_hz or 0)
        if self.batches:
            if start < self.end - WINDOW_JOIN_S:
                # Time already kept, or older: a late message, or the wearable's clock set
                # back, as the batches after it tell (analytics/falls/clock_jump.py).
                end = start + len(batch.value) / rate
                self.backward.hold(start, end, rate, batch, WINDOW_JOIN_S)
                if self.backward.jumped:
                    self.clock_jumps += 1
                    self.went_back_s = self.end - self.backward.start
                    held = self.backward.take()
                    self.batches.clear()
                    self.samples = 0
                    for again in held:  # the stream starts again from them
                        self.add(again)
                return
            self.backward.drop()  # the stream went on: what was held was late
            if rate != self.rate_hz or start - self.end > WINDOW_JOIN_S:
                self.batches.clear()
                self.samples = 0
        self.rate_hz = rate
        samples = np.asarray(batch.value, dtype=np.float32)
        self.batches.append((start, samples))
        self.samples += len(samples)
        keep_from, most = self.end - self.keep_s, (self.keep_s + SLACK_S) * rate
        while len(self.batches) > 1:
            first_start, first = self.batches[0]
            if first_start + len(first) / rate > keep_from and self.samples <= most:
                break
            self.batches.popleft()
            self.samples -= len(first)

    def window(
        self, device: str, tz: tzinfo, impact: float, behind: float = 0.0
    ) -> dict[str, Any] | None:
        """The kept samples around ``impact`` as an event's ``window``, rounded to 3 decimals
        (mg) to keep the message small; None if what is kept does not reach the impact (a
        confirmation wait longer than was kept, a stream that stopped long before). Its
        start is ``behind`` seconds later than the wearable stamped it."""
        if not self.batches or not self.start <= impact <= self.end + IMPACT_AFTER_S:
            return None
        rate = self.rate_hz
        samples = np.concatenate([samples for _, samples in self.batches])
        first = max(0, math.floor((impact - IMPACT_BEFORE_S - self.start) * rate + 1e-6))
        last = min(len(samples), math.floor((impact + IMPACT_AFTER_S - self.start) * rate + 1e-6))
        start = self.start + first / rate + behind
        return {
            "device": device,
            "rate_hz": rate,
            "start": datetime.fromtimestamp(start, tz).isoformat(timespec="milliseconds"),
            "samples": np.round(samples[first:last].astype(np.float64), 3).tolist(),
        }
