"""Vital-sign detectors (abnormal heart rate, low SpO2) on hand-built bracelet streams."""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest

from analytics import AnalyticsError, HomeMonitor
from analytics.vitals import HeartRateDetector, Spo2Detector
from contracts import HomeConfig, Reading
from tests.support import factories
from tests.support.factories import BAND, make_home

T0 = 1_795_900_000.0  # 2026-11-28 16:26:40 Asia/Shanghai, in event time
MIN = 60.0
DAY = 86_400.0


def home_config(**thresholds) -> HomeConfig:
    return make_home(devices=[BAND], thresholds=thresholds)


def monitor(**thresholds) -> HomeMonitor:
    return HomeMonitor(home_config(**thresholds), detectors=[HeartRateDetector, Spo2Detector])


def reading(ts: float, metric: str, value) -> Reading:
    return factories.reading(ts, "band", metric, value)


def minutes(start: float, values: Iterable[float], metric: str = "heart_rate") -> list[Reading]:
    """One reading a minute from ``start``, as a bracelet sends them."""
    return [reading(start + i * MIN, metric, v) for i, v in enumerate(values)]


def walking(start: float, values: Iterable[float], steps_from: int = 1000) -> list[Reading]:
    """Heart rate with the step count climbing each minute (same message, steps after)."""
    out: list[Reading] = []
    for i, bpm in enumerate(values):
        out += [
            reading(start + i * MIN, "heart_rate", bpm),
            reading(start + i * MIN, "steps", steps_from + 90 * i),
        ]
    return out


def run(readings: Iterable[Reading], m: HomeMonitor | None = None):
    m = m or monitor()
    return m.feed_many(readings)


def at(event, start: float = T0) -> float:
    """Minutes from ``start`` to the event."""
    return round((event.ts - start) / MIN, 1)


# --- heart rate ---------------------------------------------------------------------------


def test_tachycardia_at_rest_raised_once_updated_sparingly_then_cleared():
    stream = (
        minutes(T0, [72] * 15)
        + minutes(T0 + 15 * MIN, [138] * 60)
        + minutes(T0 + 75 * MIN, [78] * 15)
    )
    events = run(stream)
    states = [e.state for e in events]
    assert states[0] == "raised" and states[-1] == "cleared"
    assert 2 <= states.count("updated") <= 4  # an hour of it: a few updates, not 60 alerts
    raised, cleared = events[0], events[-1]
    assert (raised.kind, raised.severity) == ("abnormal_heart_rate", "major")
    assert 23 <= at(raised) <= 25  # about 9-10 minutes into the episode
    assert raised.started == T0 + 15 * MIN  # the dispatcher sees when it began
    ev = raised.evidence
    assert ev["heart_rate"] == 138 and ev["limit"] == 120 and ev["at_rest"] is True
    assert ev["readings"] >= 5 and ev["duration_min"] >= 9
    assert ev["summary"].startswith("heart rate 138 bpm at rest for ")
    assert ev["summary"].endswith("(limit 120)")
    assert 79 <= at(cleared) <= 82  # back in range for about five minutes
    assert cleared.evidence["heart_rate"] == 78


def test_extreme_tachycardia_is_critical():
    events = run(minutes(T0, [72] * 5 + [165] * 15))
    assert [(e.state, e.severity) for e in events] == [("raised", "critical")]
    assert events[0].evidence["limit"] == 150


def test_high_heart_rate_while_walking_is_not_raised():
    # Half an hour's walk at 130, then the rate settles while resting.
    stream = walking(T0, [130] * 30) + minutes(T0 + 30 * MIN, [110, 100, 90] + [80] * 20)
    assert run(stream) == []


def test_high_heart_rate_that_stays_after_walking_is_raised_once_at_rest():
    stream = walking(T0, [125] * 10) + minutes(T0 + 10 * MIN, [135] * 30)
    events = run(stream)
    assert [e.state for e in events] == ["raised"]
    # At rest from 10 min after the last step, then sustained for about 9 more minutes.
    assert 27 <= at(events[0]) <= 30
    assert events[0].evidence["at_rest"] is True


def test_steps_after_a_long_silence_count_as_recent_walking():
    # Last count at T0; three hours later she is back from a walk, heart still racing.
    back = T0 + 3 * 3600
    stream = [
        reading(T0, "steps", 1200),
        reading(back, "steps", 1900),
        *minutes(back, [128] * 12 + [100, 90] + [80] * 10),
    ]
    assert run(stream) == []


def test_a_few_steps_a_minute_still_count_as_rest():
    # Counts every 15 minutes, rising by 20 or so: arm movements in front of the TV.
    counts = [reading(T0 + i * 15 * MIN, "steps", 500 + 20 * i) for i in range(3)]
    stream = sorted(counts + minutes(T0, [128] * 20), key=lambda r: r.epoch)
    events = run(stream)
    assert [(e.state, e.evidence["at_rest"]) for e in events] == [("raised", True)]


def test_spikes_and_brief_episodes_are_not_raised():
    spikes = [75] * 10 + [180] + [75] * 10 + [130, 131, 75, 129] + [75] * 10
    brief = [75] * 5 + [130] * 6 + [75] * 20  # six minutes: not sustained
    assert run(minutes(T0, spikes)) == []
    assert run(minutes(T0, brief)) == []


def test_bradycardia_major_and_critical():
    events = run(minutes(T0, [68] * 5 + [43] * 15))
    assert [(e.state, e.severity) for e in events] == [("raised", "major")]
    assert events[0].evidence["limit"] == 45
    assert events[0].evidence["summary"].startswith("heart rate 43 bpm at rest for ")

    events = run(minutes(T0, [68] * 5 + [36] * 15))
    assert [(e.state, e.severity) for e in events] == [("raised", "critical")]


def test_low_heart_rate_is_abnormal_even_while_walking():
    events = run(walking(T0, [38] * 15))
    assert [(e.severity, e.evidence["at_rest"]) for e in events] == [("critical", False)]


def _resting_days(start: float, days: int, base: float = 62) -> list[Reading]:
    """Days of ordinary resting heart rate with a little minute-to-minute wobble."""
    wobble = (0, 2, -1, 3, -2, 1, -3, 2, 0, -1)
    return minutes(start, [base + wobble[i % 10] for i in range(int(days * DAY / MIN))])


def test_baseline_deviation_only_once_the_baseline_is_learned():
    # 95 bpm at rest is under the fixed limit but far above this resident's usual 62.
    episode = [95] * 40 + [62] * 15
    m = monitor(spo2={})
    early = run(_resting_days(T0, 1) + minutes(T0 + DAY, episode), m)
    assert early == []  # first days: no baseline yet, so no baseline alert

    later_start = T0 + DAY + len(episode) * MIN
    run(_resting_days(later_start, 3), m)
    events = run(minutes(later_start + 3 * DAY, episode), m)
    assert [(e.state, e.severity) for e in events] == [
        ("raised", "minor"),
        ("updated", "minor"),  # 15 minutes on, still there
        ("cleared", "minor"),
    ]
    ev = events[0].evidence
    assert ev["rule"] == "above_baseline" and ev["heart_rate"] == 95
    assert 58 <= ev["baseline"] <= 66 and ev["at_rest"] is True
    assert 18 <= at(events[0], later_start + 3 * DAY) <= 21  # 20 minutes of it
    assert "usual 6" in ev["summary"]


def test_thresholds_come_from_the_home_config():
    events = run(minutes(T0, [108] * 15), monitor(heart_rate={"high_bpm": 100}))
    assert [e.evidence["limit"] for e in events] == [100]
    with pytest.raises(AnalyticsError, match="heart_rate"):
        monitor(heart_rate={"high_bpm": 30})  # below low_bpm: refused with the reason


# --- SpO2 --------------------------------------------------------------------------------


def test_low_spo2_sustained_raised_then_cleared():
    stream = minutes(T0, [96] * 5 + [88] * 14 + [93, 94, 95], metric="spo2")
    events = run(stream)
    assert [(e.kind, e.state, e.severity) for e in events] == [
        ("low_spo2", "raised", "major"),
        ("low_spo2", "cleared", "major"),
    ]
    ev = events[0].evidence
    assert ev["spo2"] == 88 and ev["limit"] == 90 and ev["below"] >= 3
    assert ev["summary"] == "SpO2 88% for 10 min (limit 90%)"
    assert at(events[0]) == 15 and at(events[1]) == 20  # two readings back at 92+


def test_very_low_spo2_is_critical():
    events = run(minutes(T0, [96] * 5 + [82] * 12, metric="spo2"))
    assert [(e.state, e.severity) for e in events] == [("raised", "critical")]


def test_one_low_spo2_sample_is_not_raised():
    stream = minutes(T0, [96] * 10 + [84] + [96] * 10 + [89, 89] + [96] * 10, metric="spo2")
    assert run(stream) == []


def test_sparse_spo2_readings_still_count():
    # A bracelet that measures SpO2 every 5 minutes: three low readings over 10 minutes.
    stream = [reading(T0 + i * 5 * MIN, "spo2", v) for i, v in enumerate([97, 88, 87, 88])]
    events = run(stream)
    assert [(e.state, at(e)) for e in events] == [("raised", 15)]


def test_spo2_every_ten_minutes():
    stream = [reading(T0 + i * 10 * MIN, "spo2", v) for i, v in enumerate([97, 88, 87, 88, 94, 95])]
    events = run(stream)
    # Three low readings over 20 minutes; two back at 92+ clear it.
    assert [(e.state, at(e)) for e in events] == [("raised", 30), ("cleared", 50)]
    assert events[0].started == T0 + 10 * MIN


# --- data quality: not worn, gaps, order, restarts ---------------------------------------


def test_readings_while_not_worn_are_ignored():
    stream = [
        *minutes(T0, [72] * 3),
        reading(T0 + 3 * MIN, "worn", False),
        # what a bracelet on the table may still report
        *minutes(T0 + 4 * MIN, [140] * 20),
        *minutes(T0 + 4 * MIN, [80] * 20, metric="spo2"),
        reading(T0 + 25 * MIN, "worn", True),
        *minutes(T0 + 25 * MIN, [72] * 10),
    ]
    stream.sort(key=lambda r: r.ts)
    assert run(stream) == []


def test_a_gap_in_data_is_neither_sustained_normal_nor_abnormal():
    m = monitor()
    # Six abnormal minutes, an hour without data, six more: never ten minutes seen.
    stream = minutes(T0, [72] * 5 + [140] * 6) + minutes(T0 + 71 * MIN, [140] * 6)
    assert run(stream, m) == []
    # Nor does a pending condition get raised on silence.
    assert m.advance(T0 + 6 * 3600) == []


def test_an_open_condition_is_not_cleared_by_silence():
    m = monitor()
    raised = run(minutes(T0, [72] * 5 + [140] * 15), m)
    assert [e.state for e in raised] == ["raised"]
    assert m.advance(T0 + 12 * 3600) == []  # the bracelet went quiet: not good news
    back = T0 + 12 * 3600
    # One normal reading after the gap is not enough; several minutes of them are.
    events = run(minutes(back, [75] * 6), m)
    assert [(e.state, at(e, back)) for e in events] == [("cleared", 5)]


def test_out_of_order_and_repeated_readings_give_the_same_events():
    stream = minutes(T0, [72] * 5 + [140] * 20 + [75] * 10) + minutes(
        T0, [96] * 5 + [87] * 15 + [95] * 5, metric="spo2"
    )
    stream.sort(key=lambda r: r.ts)
    in_order = run(stream)
    assert {e.kind for e in in_order} == {"abnormal_heart_rate", "low_spo2"}

    # Delivered out of order: every third reading held up 70 s (behind the next minute's),
    # a few delivered twice, as a QoS 1 redelivery would.
    delivery = [(r.epoch + (70 if i % 3 == 0 else 0), r) for i, r in enumerate(stream)]
    delivery += [(r.epoch + 7, r) for r in stream[10:60:10]]
    delivery.sort(key=lambda pair: pair[0])
    shuffled = [r for _, r in delivery]
    assert [r.epoch for r in shuffled] != sorted(r.epoch for r in shuffled)
    jittered = run(shuffled)

    def seen(events):
        return [(e.kind, e.state, e.severity, e.started) for e in events]

    assert seen(jittered) == seen(in_order)
    for a, b in zip(jittered, in_order, strict=True):
        assert abs(a.ts - b.ts) <= 2 * MIN


def test_state_survives_a_json_round_trip():
    stream = (
        _resting_days(T0, 4)
        + walking(T0 + 4 * DAY, [130] * 20)
        + minutes(T0 + 4 * DAY + 20 * MIN, [128] * 25 + [96] * 30 + [70] * 10)
        + minutes(T0 + 4 * DAY, [96] * 20 + [86] * 15 + [84] * 12 + [95] * 5, metric="spo2")
    )
    stream.sort(key=lambda r: r.ts)
    whole = run(stream)
    assert {(e.kind, e.state) for e in whole} >= {
        ("abnormal_heart_rate", "raised"),
        ("abnormal_heart_rate", "cleared"),
        ("low_spo2", "raised"),
        ("low_spo2", "cleared"),
    }

    # Stop in the middle of both episodes, save, restore elsewhere, carry on.
    split = next(i for i, r in enumerate(stream) if r.epoch >= T0 + 4 * DAY + 40 * MIN)
    first = monitor()
    events = run(stream[:split], first)
    saved = json.loads(json.dumps(first.state_dict()))
    restored = HomeMonitor(home_config(), detectors=[HeartRateDetector, Spo2Detector], state=saved)
    events += run(stream[split:], restored)
    assert events == whole


# --- simulated homes ---------------------------------------------------------------------


def test_simulated_incidents_are_detected_and_ordinary_days_are_quiet():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from simulators.homes import make_home_configs
    from simulators.incidents import IncidentPlan
    from simulators.simulation import simulate_home

    home = make_home_configs(1, seed=3)[0]
    incidents = [
        IncidentPlan("tachycardia", day=2),
        IncidentPlan("bradycardia", day=4),
        IncidentPlan("low_spo2", day=6),
    ]
    start = datetime(2026, 3, 1, tzinfo=ZoneInfo(home.timezone))
    sim = simulate_home(home, start=start, days=8, seed=3, incidents=incidents)
    m = HomeMonitor(home, detectors=[HeartRateDetector, Spo2Detector])
    raised = [e for e in m.feed_many(sim.readings()) if e.state == "raised"]

    truths = [t for t in sim.truth if t.expected_alert in ("abnormal_heart_rate", "low_spo2")]
    assert len(truths) == 3
    for truth in truths:
        begin, end = truth.start.timestamp(), truth.end.timestamp()
        hits = [e for e in raised if e.kind == truth.expected_alert and begin <= e.ts <= end]
        assert len(hits) == 1, truth
    assert len(raised) == 3  # and nothing on the ordinary days around them
