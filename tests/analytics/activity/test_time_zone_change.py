"""A home's time zone corrected after weeks: her routine learned by the old clock is not
read by the new one; what is not tied to the clock carries over.

The design: the routine learned by local clock hour (her bedtimes and times of getting
up, silences by hour, unseen exits, late returns, the resting heart rate by hour) is
learned again from the change, and the learning period begins again; open conditions,
sensor health and what is not tied to the clock (outing and bathroom lengths) carry over.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics import HomeMonitor
from analytics.activity.not_returned_home import NotReturnedHomeDetector
from analytics.activity.not_up import NotUpDetector
from analytics.activity.sensor_health import SensorHealthDetector
from tests.analytics.activity.activity_support import (
    HOME,
    bathroom,
    detector,
    door,
    initial_states,
    motion,
    reading,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DAY0 = datetime(2026, 1, 5, tzinfo=AMSTERDAM)  # she lives in Amsterdam: clock times are hers
CORRECTED = HOME.model_copy(update={"timezone": "Europe/Amsterdam"})
assert HOME.timezone == "Asia/Shanghai"  # the default the home was left on


def at(day: int, hhmm: str) -> float:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return (DAY0 + timedelta(days=day, hours=hours, minutes=minutes)).timestamp()


def day_of(day: int, *, out: bool = True, up: bool = True) -> list:
    """Up at 07:00, about the flat, out from 09:30 to 10:30, in bed at 22:00 (by her
    clock); with ``up=False`` she does not get up at all."""
    if not up:
        return []
    items = bathroom(at(day, "07:00"), 10)
    t = at(day, "07:15")
    while t < at(day, "22:00"):
        if not (out and at(day, "09:28") <= t <= at(day, "10:31")):
            items += motion(t)
        t += 20 * 60
    for hhmm in ("14:00", "18:30", "21:50"):
        items += bathroom(at(day, hhmm) + 200, 6)
    if out:
        items += door(at(day, "09:30")) + door(at(day, "10:30")) + motion(at(day, "10:32"))
    return items


def feed(monitor: HomeMonitor, items: list) -> list:
    events = []
    for item in sorted(items, key=lambda r: r.epoch):
        events += monitor.feed(item)
    return events


def raised(events: list) -> list[tuple[str, int, str]]:
    """(kind, day, her clock time) of the alerts raised; a device offline aside (the
    wristband sends nothing here)."""
    found = []
    for event in events:
        if event.state == "raised" and event.kind != "device_offline":
            moment = datetime.fromtimestamp(event.ts, AMSTERDAM)
            found.append((event.kind, (moment.date() - DAY0.date()).days, f"{moment:%H:%M}"))
    return found


def two_weeks_then_corrected(when: float = at(13, "20:00")) -> HomeMonitor:
    """14 ordinary days fed under Asia/Shanghai, then the config says Europe/Amsterdam
    (at 20:00 hers on day 13)."""
    monitor = HomeMonitor(HOME)
    items = [item for day in range(14) for item in day_of(day)]
    feed(monitor, initial_states(items[0].epoch - 1, HOME) + items)
    monitor.advance(when)
    learned = monitor.whereabouts.day
    assert len(learned.wakes) >= 3 and len(learned.bedtimes) >= 3  # by the Shanghai clock
    monitor.update_config(CORRECTED)
    return monitor


def test_an_outing_at_half_past_nine_is_no_night_wandering_after_the_correction():
    monitor = two_weeks_then_corrected()
    events = feed(monitor, day_of(14) + day_of(15))
    events += monitor.advance(at(16, "06:30"))
    assert raised(events) == []


def test_the_first_mornings_by_the_new_clock_not_up_comes_at_noon():
    # Her time of getting up is learned again: until two mornings are known by this
    # clock, the default (noon), as in a new home; not 14:00 + margin (her 07:00 by the
    # Shanghai clock) read as Amsterdam's.
    monitor = two_weeks_then_corrected()
    events = feed(monitor, day_of(14) + day_of(15, up=False))
    events += monitor.advance(at(15, "18:00"))
    assert raised(events) == [("not_up", 15, "12:00")]
    (not_up,) = [e for e in events if e.kind == "not_up"]
    assert not_up.evidence["baseline"].startswith("learning, day 2 of 14: default (1 of 2")


def test_a_morning_she_has_not_got_up_by_the_correction_is_judged_by_the_new_clock():
    # Corrected at 07:30 hers, silent since 22:00 (her day by the Shanghai clock): not up
    # since her night ended at 06:00 by this one.
    monitor = two_weeks_then_corrected(at(14, "07:30"))
    events = monitor.advance(at(14, "18:00"))
    assert raised(events) == [("not_up", 14, "12:00")]


def test_a_not_up_open_at_the_correction_stays_open():
    # Raised at 08:30 (her 07:00 and 90 min, learned and read by the same clock), then
    # corrected at 10:00: neither cleared nor raised again.
    monitor = two_weeks_then_corrected(at(14, "10:00"))
    assert detector(monitor, NotUpDetector).condition.is_open
    assert raised(monitor.advance(at(14, "18:00"))) == []
    assert detector(monitor, NotUpDetector).condition.is_open


def test_once_two_mornings_are_known_by_the_new_clock_not_up_comes_by_her_usual_time():
    monitor = two_weeks_then_corrected()
    events = feed(monitor, day_of(14) + day_of(15) + day_of(16, up=False))
    events += monitor.advance(at(16, "18:00"))
    assert raised(events) == [("not_up", 16, "08:30")]  # 07:00 + 90 min
    (not_up,) = [e for e in events if e.kind == "not_up"]
    assert not_up.evidence["usual_wake"] == "07:00"


def test_the_period_in_progress_is_the_new_clocks():
    monitor = two_weeks_then_corrected()
    day = monitor.whereabouts.day
    # At 20:00 on day 13: the period began at 22:30 the evening before, her night ends
    # at 06:00 the next morning, both by the Amsterdam clock (the config's night).
    assert (day.period, day.night_end, day.next_night) == (
        at(12, "22:30"),
        at(13, "06:00"),
        at(13, "22:30"),
    )
    assert (day.bedtimes, day.wakes) == ([], [])
    assert monitor.whereabouts.learning_day(at(13, "20:00")) == 1


def test_what_is_not_tied_to_the_clock_carries_over():
    monitor = HomeMonitor(HOME)
    items = [item for day in range(14) for item in day_of(day)]
    feed(monitor, initial_states(items[0].epoch - 1, HOME) + items)
    # An SOS at 19:00 (still open), and the fridge left open since 17:00 (stuck).
    feed(monitor, [reading(at(13, "17:00"), "fridge", "contact", "open")])
    feed(monitor, [reading(at(13, "19:00"), "band", "sos", True)])
    monitor.advance(at(13, "20:00"))
    before = copy.deepcopy(monitor.state_dict())
    monitor.update_config(CORRECTED)
    after = monitor.state_dict()
    assert after["detectors"]["sos"] == before["detectors"]["sos"]
    assert after["detectors"]["sos"]["condition"] is not None  # still open
    stuck = detector(monitor, SensorHealthDetector)
    assert stuck.state_dict() == before["detectors"][stuck.name]
    outings = detector(monitor, NotReturnedHomeDetector).outings
    assert len(outings) == 14  # her outings' lengths, whatever the clock
    assert after["whereabouts"]["sensors"] == before["whereabouts"]["sensors"]
    # The same zone again is no change: nothing is forgotten.
    monitor.update_config(CORRECTED.model_copy(update={"thresholds": {"feedback": {}}}))
    assert monitor.state_dict()["whereabouts"] == after["whereabouts"]
