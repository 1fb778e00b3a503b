"""One silence, one no_activity alert. Her walk home, counted by the wristband while the
front door's use was still undecided, was at home once she is found to have come home:
the silence begins after it, and it neither clears the alert nor lets the same silence be
raised again at every reading that follows (it used to: hundreds of raised/cleared pairs)."""

from __future__ import annotations

from analytics.activity.no_activity import NoActivityDetector

from .activity_support import at, brief, door, motion, reading, run

ALERT = ("no_activity",)


def back_home_then_silent() -> list:
    """Out from 09:00; back through the front door at 12:00 with the wristband counting
    the last of her walk just after it, before the door's use is decided (no indoor
    sensor sees her); then only the wristband's unchanged step count every 5 minutes."""
    items = motion(at(0, "08:00")) + motion(at(0, "08:30"))
    items += door(at(0, "09:00"))
    items.append(reading(at(0, "09:30"), "band", "steps", 100))
    items += door(at(0, "12:00"))
    items.append(reading(at(0, "12:04"), "band", "steps", 900))  # walked 800 steps
    t = at(0, "12:10")
    while t < at(0, "20:00"):
        items.append(reading(t, "band", "steps", 900))  # worn, reporting, not walking
        t += 5 * 60
    return items


def test_one_silence_is_raised_once_however_many_readings_follow():
    _, events = run(back_home_then_silent())
    shown = brief(events, ALERT)
    raised = [e for e in shown if e[1] == "raised"]
    assert len(raised) == 1, shown[:6]
    # The silence began after her walk home (12:04), and the wristband was worn: 3 h.
    assert raised[0][3] == "02 15:04"
    assert not [e for e in shown if e[1] == "cleared"], shown[:6]


def test_the_alert_clears_once_she_moves_at_home_and_is_not_raised_again():
    items = back_home_then_silent()
    items += motion(at(0, "20:10")) + motion(at(0, "20:12")) + motion(at(0, "20:14"))
    monitor, events = run(items)
    shown = brief(events, ALERT)
    assert [e[1] for e in shown if e[1] != "updated"] == ["raised", "cleared"], shown[:6]
    assert shown[-1][3] == "02 20:14"
    detector = next(d for d in monitor.detectors if isinstance(d, NoActivityDetector))
    assert not detector.condition.is_open
