"""Absences the family or the station announced (外出登记, the config's ``away``): her
routine alerts wait for the announced end, and start again at once when the front door
sees her come home sooner; hand-built streams."""

from __future__ import annotations

from datetime import datetime, timedelta

from contracts import HomeConfig

from .activity_support import (
    DAY0,
    HOME,
    at,
    bathroom,
    brief,
    door,
    motion,
    ordinary_day,
    real_home,
    run,
)
from .test_homes_model import morning, play, pulse, r

ROUTINE = {"no_activity", "not_up", "not_returned_home", "night_wandering", "long_bathroom_stay"}


def away(home: HomeConfig, start: float, end: float, note: str = "在女儿家") -> HomeConfig:
    return announcing(home, [(start, end)], note)


def announcing(home: HomeConfig, spans, note: str = "在女儿家") -> HomeConfig:
    """``home`` with an absence announced over each (start, end) of ``spans``."""
    periods = [{"start": _iso(start), "end": _iso(end), "note": note} for start, end in spans]
    return HomeConfig.model_validate({**home.model_dump(mode="json"), "away": periods})


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, DAY0.tzinfo).isoformat()


def days_without_a_door(home: HomeConfig, days: int, *, to_bed: bool = False) -> list:
    """Her days in a home with no front-door sensor: up at 08:00, the kitchen at noon, the
    basin at 18:00, the fridge at 19:00; then the fridge at 23:00 or, ``to_bed``, the basin
    at 21:00 and in bed at 21:30."""
    items = []
    for day in range(days):
        items += [*morning(day, home), *pulse(at(day, "12:00"), "pir_kitchen", home)]
        items += pulse(at(day, "18:00"), "basin", home) + pulse(at(day, "19:00"), "fridge", home)
        if to_bed:
            items += [
                *pulse(at(day, "21:00"), "basin", home),
                r(at(day, "21:30"), "bed", True, home),
            ]
        else:
            items += pulse(at(day, "23:00"), "fridge", home)
    return items


def weeks_then_a_trip(back: str | None) -> list:
    """Sixteen ordinary days (her routine learned); on day 16 out through the front door
    at 10:00 for a stay at her daughter's, back on day 19 at ``back`` (None: not back)."""
    items = [r for day in range(16) for r in ordinary_day(day, out=("14:00", "15:30"))]
    items += bathroom(at(16, "07:00"), 10) + about(at(16, "07:15"), at(16, "09:50"))
    items += door(at(16, "10:00"))
    if back is not None:
        items += door(at(19, back)) + about(at(19, back, 120), at(19, "22:00"))
        items += bathroom(at(19, "21:50"), 6) + ordinary_day(20)
    return items


def about(start: float, end: float) -> list:
    """About the flat: a PIR trigger every 20 minutes."""
    return [r for k in range(int((end - start) // 1200) + 1) for r in motion(start + k * 1200)]


def test_a_stay_away_announced_raises_nothing_until_she_is_due_back():
    stream = weeks_then_a_trip(back="17:00")
    _, events = run(stream, until=at(21, "00:00"))
    # Unannounced, three days out are raised as not returned home.
    assert [e.kind for e in events if e.kind in ROUTINE] == ["not_returned_home"] * 2

    announced = away(HOME, at(16, "09:00"), at(19, "18:00"))
    _, events = run(stream, until=at(21, "00:00"), home=announced)
    assert [e for e in events if e.kind in ROUTINE] == []


def test_not_back_when_announced_is_raised_from_the_announced_end():
    announced = away(HOME, at(16, "09:00"), at(19, "18:00"))
    _, events = run(weeks_then_a_trip(back=None), until=at(21, "00:00"), home=announced)
    raised = [e for e in events if e.kind in ROUTINE and e.state == "raised"]
    assert len(raised) == 1 and raised[0].kind == "not_returned_home"
    # Still out an hour into her night after she was due back at 18:00: the stay itself
    # (three days) was no news.
    assert at(19, "18:00") < raised[0].ts <= at(20, "00:00")
    assert "announced away until" in raised[0].evidence["summary"]
    assert raised[0].evidence["away_until"].endswith("18:00")


def test_back_sooner_than_announced_she_is_watched_again_at_once():
    """Back through the front door on day 18, not 19: a silence on day 18 is raised as
    any other, not after the absence would have ended."""
    announced = away(HOME, at(16, "09:00"), at(19, "18:00"))
    stream = weeks_then_a_trip(back=None)
    stream += door(at(18, "11:00")) + motion(at(18, "11:02")) + motion(at(18, "11:05"))
    _, events = run(stream, until=at(19, "06:00"), home=announced)
    raised = [e for e in events if e.kind in ROUTINE and e.state == "raised"]
    assert [e.kind for e in raised] == ["no_activity"]
    assert raised[0].ts < at(18, "18:00")
    assert "announced" not in raised[0].evidence["summary"]


def test_without_a_front_door_the_silence_counts_from_the_announced_end():
    """A home whose absences the detectors cannot see begin (no front-door sensor): days of
    silence are a collapse unless announced; announced, the silence is measured from when
    she is due back, and said so."""
    home = real_home(front_door=False)
    items = days_without_a_door(home, 16)
    items += [*morning(16, home), *pulse(at(16, "09:30"), "fridge", home)]  # and off she goes
    trip = at(16, "00:00")
    _, unannounced = play(items, home=home, until=at(20, "12:00"))
    assert [e.kind for e in unannounced if e.ts > trip and e.state == "raised"] == ["no_activity"]

    announced = away(home, at(16, "09:00"), at(19, "18:00"))
    _, events = play(items, home=announced, until=at(20, "12:00"))
    raised = [e for e in events if e.ts > trip and e.kind in ROUTINE and e.state == "raised"]
    assert [e.kind for e in raised] == ["no_activity"]
    assert raised[0].ts > at(19, "18:00")
    summary = raised[0].evidence["summary"]
    assert (
        "after her announced absence ended at" in summary and "last activity 03-18 09:31" in summary
    )


def test_days_away_announced_are_not_learned_as_her_outings():
    """Three days at her son's while he is in hospital (announced, out ten hours, back
    each evening): her usual outing is still her afternoon walk, so a day out four hours
    longer than that is raised as before, not excused by the days at her son's."""
    stream = [r for day in range(16) for r in ordinary_day(day, out=("14:00", "15:30"))]
    periods = []
    for day in (16, 17, 18):
        stream += bathroom(at(day, "07:00"), 10) + about(at(day, "07:15"), at(day, "09:50"))
        stream += door(at(day, "10:00")) + door(at(day, "20:00"))
        stream += about(at(day, "20:02"), at(day, "22:00"))
        periods.append((at(day, "09:00"), at(day, "21:00")))
    stream += ordinary_day(19, out=("14:00", "15:30"))
    stream += bathroom(at(20, "07:00"), 10) + about(at(20, "07:15"), at(20, "08:50"))
    stream += door(at(20, "09:00"))
    announced = announcing(HOME, periods)
    day_20 = (DAY0 + timedelta(days=20)).strftime("%d ")
    _, events = run(stream, until=at(20, "23:00"), home=announced)
    assert brief(events, {"not_returned_home"}) == [
        ("not_returned_home", "raised", "major", day_20 + "13:00")
    ]
    # Unannounced, the ten-hour days are her outings, and the same day out is raised only
    # when her night has begun.
    _, events = run(stream, until=at(20, "23:00"))
    raised = [b for b in brief(events, {"not_returned_home"}) if b[1] == "raised"]
    assert raised[-1] == ("not_returned_home", "raised", "major", day_20 + "22:29")


def test_the_front_door_used_at_night_while_she_is_away_as_announced_is_not_her():
    """Her son fetches her coat at 02:00 while she stays at his place: not night wandering
    (unannounced it is, and critical)."""
    stream = weeks_then_a_trip(back=None) + door(at(17, "02:00")) + door(at(17, "02:03"))
    _, unannounced = run(stream, until=at(17, "04:00"))
    assert ("night_wandering", "raised", "critical", "19 02:18") in brief(unannounced)
    announced = away(HOME, at(16, "09:00"), at(19, "18:00"))
    _, events = run(stream, until=at(17, "04:00"), home=announced)
    assert [e for e in events if e.kind in ROUTINE] == []


def test_someone_in_her_bathroom_while_she_is_away_as_announced_is_not_her():
    """A neighbour waters the plants and stays in the bathroom an hour (the radar sees
    someone; no front door for it: the door sensor was missed): unannounced that is her
    back and in the bathroom too long; announced, it is not her."""
    stream = weeks_then_a_trip(back=None) + bathroom(at(17, "15:00"), 60)
    _, unannounced = run(stream, until=at(17, "18:00"))
    assert "long_bathroom_stay" in {e.kind for e in unannounced if e.state == "raised"}
    announced = away(HOME, at(16, "09:00"), at(19, "18:00"))
    _, events = run(stream, until=at(17, "18:00"), home=announced)
    assert [e for e in events if e.kind in ROUTINE] == []


def test_back_before_the_announced_end_and_in_bed_she_is_watched_in_the_morning():
    """No front-door sensor: back from her daughter's at 19:00 on day 19 (announced until
    23:00), in bed at 21:30, and not up on day 20. Her signs before the announced end may
    be a visitor's, but once it is over she is due home, and her night taken for one in
    her bed leaves no_activity silent: not_up must say it, as it does unannounced."""
    home = real_home(front_door=False)
    items = days_without_a_door(home, 16, to_bed=True)
    items += [*morning(16, home), *pulse(at(16, "09:30"), "fridge", home)]  # and off she goes
    items += pulse(at(19, "19:00"), "fridge", home) + pulse(at(19, "19:30"), "pir_kitchen", home)
    items += pulse(at(19, "20:00"), "pir_kitchen", home) + pulse(at(19, "21:00"), "basin", home)
    items += [r(at(19, "21:30"), "bed", True, home)]
    _, unannounced = play(items, home=home, until=at(21, "06:00"))
    late = [e for e in unannounced if e.ts > at(19, "19:00") and e.kind in ROUTINE]
    assert [e.kind for e in late] == ["not_up"]

    for end in (at(19, "23:00"), at(20, "07:00")):
        _, events = play(items, home=away(home, at(16, "09:00"), end), until=at(21, "06:00"))
        raised = [e for e in events if e.kind in ROUTINE and e.state == "raised"]
        assert [e.kind for e in raised if e.ts > at(16, "12:00")] == ["not_up"]
        assert raised[-1].ts == late[0].ts
        assert "announced away until" in raised[-1].evidence["summary"]

    # Announced until 13:00, after her deadline (12:01): not up by the announced end.
    announced = away(home, at(16, "09:00"), at(20, "13:00"))
    _, events = play(items, home=announced, until=at(21, "06:00"))
    raised = [e for e in events if e.kind in ROUTINE and e.ts > at(16, "12:00")]
    assert [(e.kind, e.state, e.ts) for e in raised] == [("not_up", "raised", at(20, "13:00"))]


def test_announced_while_her_outing_is_raised_she_is_watched_again_from_its_end():
    """Out at 10:00 unannounced and raised at 14:00; at 15:00 the family says she is at
    her daughter's until day 19 18:00. The alert is over (she is where they say), and if
    she is not back when due that is raised again: the open alert must not swallow it
    (a dispatcher closes the first one, and then nothing would ever say she is missing)."""
    monitor, events = run(weeks_then_a_trip(back=None), until=at(16, "15:00"))
    assert brief(events, {"not_returned_home"})[-1][:2] == ("not_returned_home", "raised")
    monitor.update_config(away(HOME, at(16, "09:00"), at(19, "18:00")))
    later = monitor.advance(at(16, "15:01")) + monitor.advance(at(20, "06:00"))
    states = [(e.state, e.ts) for e in later if e.kind in ROUTINE]
    assert [state for state, _ in states] == ["cleared", "raised"]
    assert states[0][1] == at(16, "15:01")
    assert "announced away until" in later[0].evidence["summary"]
    assert at(19, "18:00") < states[1][1] <= at(20, "00:00")


def test_announced_while_her_silence_is_raised_it_waits_for_the_end():
    """No front-door sensor, silent since 09:31 and raised; at 19:00 the family says she
    is at her daughter's until day 19 18:00. Not critical in the night of her stay, and
    raised again if she is not back when due."""
    home = real_home(front_door=False)
    items = days_without_a_door(home, 16)
    items += [*morning(16, home), *pulse(at(16, "09:30"), "fridge", home)]
    monitor, events = play(items, home=home, until=at(16, "19:00"))
    assert [e.state for e in events if e.kind == "no_activity" and e.ts > at(16, "09:00")] == [
        "raised"
    ]
    monitor.update_config(away(home, at(16, "09:00"), at(19, "18:00")))
    later = monitor.advance(at(16, "19:01")) + monitor.advance(at(20, "12:00"))
    found = [(e.state, e.severity, e.ts) for e in later if e.kind in ROUTINE]
    assert [(state, severity) for state, severity, _ in found[:2]] == [
        ("cleared", "major"),
        ("raised", "major"),
    ]
    assert found[0][2] == at(16, "19:01") and found[1][2] > at(19, "18:00")
    assert "after her announced absence ended" in later[-1].evidence["summary"]


def test_due_back_in_her_night_and_not_back_is_raised_within_the_night_grace():
    """Announced until 23:30 (a late train), her night begun at 21:29: not back is news an
    hour later, as an outing is an hour into her night, not four hours later (her usual
    outing's limit), nor at the next night's start."""
    for end in ("22:00", "23:30"):
        home = away(HOME, at(16, "09:00"), at(19, end))
        _, events = run(weeks_then_a_trip(back=None), until=at(21, "00:00"), home=home)
        raised = [e for e in events if e.kind in ROUTINE and e.state == "raised"]
        assert [(e.kind, e.ts) for e in raised] == [("not_returned_home", at(19, end, 3600))]
        assert "still out at night" in raised[0].evidence["summary"]


def test_taken_to_hospital_from_her_bed_and_not_back_when_due_is_raised():
    """No front-door sensor: in bed at 21:30 on day 16, taken to hospital in the night,
    announced from 01:00 until day 19 18:00 (at once, or only after not_up was raised on
    day 17). Not back when due: her silence since her bed is no night of hers, so it is
    raised from the announced end (nothing else watches it after that first morning)."""
    home = real_home(front_door=False)
    items = days_without_a_door(home, 17, to_bed=True)
    announced = away(home, at(17, "01:00"), at(19, "18:00"))

    _, events = play(items, home=announced, until=at(20, "12:00"))
    raised = [e for e in events if e.kind in ROUTINE and e.state == "raised"]
    assert [e.kind for e in raised if e.ts > at(16, "12:00")] == ["no_activity"]
    assert at(19, "18:00") < raised[-1].ts < at(20, "06:00")
    assert "after her announced absence ended at" in raised[-1].evidence["summary"]

    monitor, events = play(items, home=home, until=at(17, "13:00"))
    assert [e.kind for e in events if e.ts > at(16, "12:00") and e.kind in ROUTINE] == ["not_up"]
    monitor.update_config(announced)
    later = monitor.advance(at(17, "13:01")) + monitor.advance(at(20, "12:00"))
    assert [(e.kind, e.state) for e in later if e.kind in ROUTINE][:2] == [
        ("not_up", "cleared"),
        ("no_activity", "raised"),
    ]


def test_back_early_for_good_she_is_watched_when_she_goes_out_at_night():
    """Home on day 18 instead of 19 and about the flat all evening; at 02:00 she goes out
    through the front door and is not back: night wandering, as on any night (the absence
    she came back early from is over, not in force again because she left)."""
    announced = away(HOME, at(16, "09:00"), at(19, "18:00"))
    stream = weeks_then_a_trip(back=None)
    stream += door(at(18, "11:00")) + motion(at(18, "11:02")) + motion(at(18, "11:05"))
    stream += about(at(18, "11:20"), at(18, "22:00")) + bathroom(at(18, "21:50"), 6)
    stream += door(at(19, "02:00"))
    _, events = run(stream, until=at(19, "03:00"), home=announced)
    day_19 = (DAY0 + timedelta(days=19)).strftime("%d ")
    assert ("night_wandering", "raised", "critical", day_19 + "02:15") in brief(events)


def test_announced_but_never_gone_she_is_watched_as_any_day():
    """The trip was called off and nobody said so: the front door never saw her leave and
    she is about the flat on day 16. A silence from 15:00 on is raised as on any day, not
    after the absence would have ended."""
    announced = away(HOME, at(16, "09:00"), at(19, "18:00"))
    stream = [r for day in range(16) for r in ordinary_day(day, out=("14:00", "15:30"))]
    stream += bathroom(at(16, "07:00"), 10) + about(at(16, "07:15"), at(16, "15:00"))
    _, events = run(stream, until=at(17, "06:00"), home=announced)
    raised = [e for e in events if e.kind in ROUTINE and e.state == "raised"]
    assert [e.kind for e in raised] == ["no_activity"]
    assert raised[0].ts < at(16, "20:00") and "announced" not in raised[0].evidence["summary"]
