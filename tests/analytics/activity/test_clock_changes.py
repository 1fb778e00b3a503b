"""Summer time: a clock that goes back or forward (by half an hour on Lord Howe Island)
must neither hang the home's monitor nor change what it raises."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics import HomeMonitor
from analytics.context import HomeContext
from analytics.routine import GapBaseline
from tests.analytics.activity.activity_support import (
    bathroom,
    home_config,
    initial_states,
    motion,
    reading,
)
from tests.support.factories import SOS_BED, make_home

LORD_HOWE = "Australia/Lord_Howe"
BEDROOM_PIR = {"id": "pir_bed", "kind": "motion", "role": "bedroom", "source": "zigbee2mqtt:bed"}

# (zone, local midnight before the change); the change comes that night.
CHANGES = [
    (LORD_HOWE, datetime(2026, 4, 5)),  # 02:00 +11:00 -> 01:30 +10:30
    (LORD_HOWE, datetime(2026, 10, 4)),  # 02:00 +10:30 -> 02:30 +11:00
    ("Europe/Amsterdam", datetime(2026, 3, 29)),  # 02:00 +01:00 -> 03:00 +02:00
    ("Europe/Amsterdam", datetime(2026, 10, 25)),  # 03:00 +02:00 -> 02:00 +01:00
]
NAMES = [f"{zone.split('/')[1]}-{day:%m-%d}" for zone, day in CHANGES]


def hour_of(home: HomeContext, t: float) -> tuple[int, int]:
    local = home.local(t)
    return local.toordinal(), local.hour


@pytest.mark.parametrize(("zone", "midnight"), CHANGES, ids=NAMES)
def test_every_minute_of_the_night_is_in_its_own_local_hour(zone, midnight):
    home = HomeContext(make_home(timezone=zone))
    start = midnight.replace(tzinfo=ZoneInfo(zone)).timestamp() - 4 * 3600
    in_order = GapBaseline(home)  # its last bucket is cached: asked minute after minute
    for minute in range(12 * 60):
        t = start + minute * 60 + 7
        for gaps in (GapBaseline(home), in_order):
            begins, ends, day, hour = gaps.bucket_of(t)
            assert begins <= t < ends
            assert (day, hour) == hour_of(home, t)
            # The whole bucket is that hour: a cached one is never another hour's.
            assert hour_of(home, begins) == hour_of(home, ends - 0.001) == (day, hour)


@pytest.mark.parametrize(("zone", "midnight"), CHANGES, ids=NAMES)
def test_a_silence_across_the_change_is_learned_for_each_hour_it_went_on(zone, midnight):
    home = HomeContext(make_home(timezone=zone))
    start = midnight.replace(tzinfo=ZoneInfo(zone)).timestamp() + 3600 + 20 * 60  # 01:20
    gaps = GapBaseline(home)
    gaps.record(start, start + 2 * 3600)
    (row,) = gaps.table.values()
    hours = {hour_of(home, start + minute * 60)[1] for minute in range(120)}
    assert {h for h, v in enumerate(row) if v == 2 * 3600} == hours


def night_up(zone: str, midnight: datetime, sos: bool) -> list[tuple[str, str, str]]:
    """Eight ordinary days; on the night of the change she is up in the living room from
    00:50 to 02:00 (the later 01:50 where it is there twice), and presses the SOS
    button at 01:40 with ``sos``. Events as (kind, state, local clock time)."""
    tz = ZoneInfo(zone)
    first = midnight.replace(tzinfo=tz) - timedelta(days=6)
    home = home_config(extra=[BEDROOM_PIR, SOS_BED]).model_copy(update={"timezone": zone})

    def at(day: int, hhmm: str, fold: int = 0) -> float:
        hours, minutes = (int(part) for part in hhmm.split(":"))
        local = (first + timedelta(days=day)).replace(hour=hours, minute=minutes, fold=fold)
        return local.timestamp()

    def in_bed(ts: float) -> list:
        return [
            reading(ts, "pir_bed", "motion", True),
            reading(ts + 90, "pir_bed", "motion", False),
        ]

    items = []
    for day in range(8):
        t = at(day, "07:15")
        items += bathroom(at(day, "07:00"), 10)
        while t < at(day, "22:00"):
            items += motion(t)
            t += 20 * 60
        for hhmm in ("10:30", "14:00", "18:30", "21:50"):
            items += bathroom(at(day, hhmm) + 200, 6)
        items += in_bed(at(day, "22:05"))
    for hhmm in ("00:50", "01:20", "01:50"):
        items += motion(at(6, hhmm, fold=1))
    items += in_bed(at(6, "02:40", fold=1))
    if sos:
        items.append(reading(at(6, "01:40", fold=1), "sos_bed", "sos", True))
    items.sort(key=lambda item: item.epoch)
    monitor = HomeMonitor(home)
    events = monitor.feed_many(initial_states(items[0].epoch - 1, home) + items)
    events += monitor.advance(at(7, "22:30"))
    return [
        (e.kind, e.state, datetime.fromtimestamp(e.ts, tz).strftime("%d %H:%M")) for e in events
    ]


@pytest.mark.parametrize("midnight", [datetime(2026, 4, 5), datetime(2026, 10, 4)])
@pytest.mark.parametrize("sos", [False, True])
def test_lord_howe_night_of_the_change_raises_what_an_ordinary_night_raises(midnight, sos):
    # Brisbane: the same clock times on Lord Howe's longitude, never changed. What runs
    # for a while (a silent device, an SOS call's 30 min) ends 30 min later by the clock
    # where the night was 30 min shorter.
    changed = night_up(LORD_HOWE, midnight, sos)
    ordinary = night_up("Australia/Brisbane", midnight, sos)
    assert Counter(event[:2] for event in changed) == Counter(event[:2] for event in ordinary)
    raised = [event for event in changed if event[:2] == ("sos", "raised")]
    assert raised == ([("sos", "raised", f"{midnight.day:02d} 01:40")] if sos else [])
