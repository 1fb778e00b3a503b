"""Days away are not outings: a stay of two nights at her children's must not teach
not_returned_home that she is usually out for two days, or a later outing that never ends
goes unremarked."""

from __future__ import annotations

from analytics.activity.not_returned_home import NotReturnedHomeDetector

from .activity_support import at, brief, detector, door, motion, ordinary_day, run

ALERT = ("not_returned_home",)


def away(items: list, leave: float, back: float) -> list:
    """Nothing indoors from ``leave`` to ``back``; the front door at both ends."""
    kept = [r for r in items if not leave - 120 <= r.epoch <= back + 120]
    return kept + door(leave) + door(back) + motion(back + 180)


def weeks_with_a_trip(trip: bool) -> list:
    """Three weeks of 3 h outings each morning; a trip from day 16 10:00 to day 18 14:00
    (52 h); on day 20 out from 09:00 until 20:36 (11.6 h, twice her longest outing)."""
    items = []
    for day in range(21):
        items += ordinary_day(day, out=("09:00", "12:00") if day not in (16, 17, 18, 20) else None)
    if trip:
        items = away(items, at(16, "10:00"), at(18, "14:00"))
    return away(items, at(20, "09:00"), at(20, "20:36"))


def test_a_trip_is_not_learned_as_an_outing_and_a_later_long_outing_is_raised():
    monitor, events = run(weeks_with_a_trip(trip=True))
    raised = [e for e in events if e.kind in ALERT and e.state == "raised"]
    assert "22 13:29" in [b[3] for b in brief(raised)], brief(raised)  # 09:00 + 1.5 x 3 h
    learned = detector(monitor, NotReturnedHomeDetector).outings
    assert max(learned.values) < 12 * 3600  # her 11.6 h outing; the 52 h trip is not one


def test_without_the_trip_the_same_outing_is_raised_at_the_same_time():
    _, events = run(weeks_with_a_trip(trip=False))
    raised = [e for e in events if e.kind in ALERT and e.state == "raised"]
    assert "22 13:29" in [b[3] for b in brief(raised)], brief(raised)
