"""A wearable's latest accelerometer samples, kept at the edge for the window of a fall.

Raw accelerometer batches never leave the home otherwise: each wearable's last
``WINDOW_BEFORE_S`` are kept only to go up as the ``window`` of a fall it raises.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, tzinfo
from typing import Any

import numpy as np

from contracts.reading import Reading

WINDOW_BEFORE_S = 20.0  # accelerometer kept per wearable, event time, for a fall's window
WINDOW_MAX_S = 25.0  # hard bound on what is kept, in seconds of samples at the stream's rate
WINDOW_JOIN_S = 0.1  # clock jitter: a batch starting this close to the kept end continues it


class AccelHistory:
    """One wearable's latest accelerometer samples: a continuous stream at one rate, trimmed
    to the last ``WINDOW_BEFORE_S`` of event time and never more than ``WINDOW_MAX_S``.

    A batch that does not continue the stream (another rate, or a gap) starts it afresh, so
    that one start time and one rate place every sample; a batch repeating time already kept
    (a message sent again) is skipped. Samples are kept as float32 arrays, ~20 KB per
    wearable at 50 Hz, since a hosted process keeps one history per wearable of each home.
    """

    def __init__(self) -> None:
        self.rate_hz = 0.0
        self.batches: deque[tuple[float, np.ndarray]] = deque()  # (first sample's time, samples)
        self.samples = 0

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
            if self.start - WINDOW_JOIN_S <= start < self.end - WINDOW_JOIN_S:
                return  # time already kept
            if rate != self.rate_hz or abs(start - self.end) > WINDOW_JOIN_S:
                self.batches.clear()
                self.samples = 0
        self.rate_hz = rate
        samples = np.asarray(batch.value, dtype=np.float32)
        self.batches.append((start, samples))
        self.samples += len(samples)
        keep_from, most = self.end - WINDOW_BEFORE_S, WINDOW_MAX_S * rate
        while len(self.batches) > 1:
            first_start, first = self.batches[0]
            if first_start + len(first) / rate > keep_from and self.samples <= most:
                break
            self.batches.popleft()
            self.samples -= len(first)

    def window(self, device: str, tz: tzinfo) -> dict[str, Any]:
        """The kept samples as an event's ``window``, rounded to 3 decimals (mg) to keep the
        message small."""
        samples = np.concatenate([samples for _, samples in self.batches]).astype(np.float64)
        return {
            "device": device,
            "rate_hz": self.rate_hz,
            "start": datetime.fromtimestamp(self.start, tz).isoformat(timespec="milliseconds"),
            "samples": np.round(samples, 3).tolist(),
        }
