"""The accelerometer samples an edge keeps for the window of a wearable's fall."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from edge.accel import IMPACT_AFTER_S, IMPACT_BEFORE_S, AccelHistory, FallWindows
from tests.analytics.falls.signals import UP, hold
from tests.support import factories
from tests.support.factories import make_home

T0 = 1_795_900_000.0
RATE = 50.0
TZ = ZoneInfo("Asia/Shanghai")


def batches(samples: np.ndarray, start: float, rate: float = RATE):
    """Back-to-back 1 s batches of ``samples`` from the band, the first sample at ``start``."""
    per = round(rate)
    return [
        factories.reading(
            start + first / rate,
            "band",
            "accel",
            samples[first : first + per].tolist(),
            rate_hz=rate,
        )
        for first in range(0, len(samples), per)
    ]


def local_iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, TZ).isoformat(timespec="milliseconds")


def kept(messages, keep_s: float = 30.0) -> AccelHistory:
    history = AccelHistory(keep_s)
    for batch in messages:
        history.add(batch)
    return history


def test_a_late_message_from_before_the_kept_stream_does_not_cost_a_fall_its_window():
    stream = batches(hold(UP, 60.0), T0)
    # A message of 40 s ago delivered again (a broker's redelivery after a reconnect), in
    # the middle of the stream: it cannot be placed, and the stream goes on.
    history = kept([*stream[:45], batches(hold(UP, 1.0), T0 + 5)[0], *stream[45:]])
    assert (history.start, history.end) == (T0 + 30, T0 + 60)
    impact = T0 + 50
    window = history.window("band", TZ, impact)
    assert window is not None
    assert window["start"] == local_iso(impact - IMPACT_BEFORE_S)
    assert len(window["samples"]) == (IMPACT_BEFORE_S + IMPACT_AFTER_S) * RATE


def test_a_message_repeating_the_last_second_is_not_kept_twice():
    stream = batches(hold(UP, 10.0), T0)
    history = kept([*stream, stream[-1], stream[-2]])
    assert (history.start, history.end, history.samples) == (T0, T0 + 10, 500)


def test_a_gap_or_a_new_rate_starts_the_kept_stream_afresh():
    history = kept(batches(hold(UP, 10.0), T0) + batches(hold(UP, 3.0), T0 + 15))
    assert (history.start, history.samples) == (T0 + 15, 150)
    history.add(batches(hold(UP, 1.0, 25.0), T0 + 18, 25.0)[0])
    assert (history.start, history.samples, history.rate_hz) == (T0 + 18, 25, 25.0)


def test_a_wearable_clock_set_back_keeps_a_window_for_its_next_fall(caplog):
    windows = FallWindows(make_home())
    for batch in batches(hold(UP, 60.0), T0 + 3600):
        windows.add(batch)
    # The band's clock set back an hour (a reset): after a few seconds of it, the kept
    # stream starts again from its new time, nothing of it lost; logged once a wearable.
    with caplog.at_level(logging.WARNING, logger="edge.agent"):
        for batch in batches(hold(UP, 60.0), T0) + batches(hold(UP, 60.0), T0 - 7200):
            windows.add(batch)
    history = windows.histories["band"]
    assert (history.start, history.end, history.clock_jumps) == (T0 - 7200 + 30, T0 - 7200 + 60, 2)
    assert history.window("band", TZ, T0 - 7200 + 50) is not None
    (warning,) = caplog.records
    assert "band" in warning.getMessage() and "went back 3660 s" in warning.getMessage()
