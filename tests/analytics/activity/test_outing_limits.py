"""How long she may be out before not_returned_home is raised, before ten outings are
known: the default, unless she has already been out longer and come back; too few
outings to extrapolate from lift it only to her longest and a margin."""

from __future__ import annotations

from .activity_support import at, brief, door, heart_rate, motion, ordinary_day, run

ALERT = ("not_returned_home",)


def days_out(first_outing: tuple[str, str]) -> list:
    """Day 0 out for ``first_outing``, days 1-3 at home, day 4 out from 09:00 and not back
    by 20:00 (only the wristband is heard from)."""
    stream = heart_rate(at(0, "00:00"), at(0, "00:10"))
    stream += ordinary_day(0, out=first_outing)
    stream += [r for day in (1, 2, 3) for r in ordinary_day(day)]
    stream += [r for r in ordinary_day(4) if r.epoch < at(4, "08:55")]
    return stream + door(at(4, "09:00")) + heart_rate(at(4, "09:10"), at(4, "20:00"))


def raised(stream: list) -> list:
    _, events = run(stream)
    return [b for b in brief(events, ALERT) if b[1] == "raised"]


def test_before_ten_outings_she_is_raised_at_the_default():
    assert raised(days_out(("09:00", "10:00"))) == [
        ("not_returned_home", "raised", "major", "06 15:00")  # 09:00 + 6 h
    ]


def test_an_outing_longer_than_the_default_she_came_back_from_lifts_it_to_that_and_an_hour():
    # Out 7 h on her first day (raised at the default): 6 h on her fifth is no news, 8 h is.
    assert raised(days_out(("09:00", "16:00"))) == [
        ("not_returned_home", "raised", "major", "02 15:00"),
        ("not_returned_home", "raised", "major", "06 17:00"),
    ]


def test_a_long_first_outing_is_not_extrapolated_from():
    # Out 9 h once: raised at 10 h, not at 1.5 x 9 h = 13.5 h (with two outings known,
    # one long one says little about how long her outings run).
    assert raised(days_out(("08:00", "17:00"))) == [
        ("not_returned_home", "raised", "major", "02 14:00"),
        ("not_returned_home", "raised", "major", "06 19:00"),
    ]


def nights_out(second_back: str | None) -> list:
    """Day 0 out from 18:00 until 03:30 on day 1; day 1 up at 11:00 and out from 22:00
    until ``second_back`` on day 2 (None: not back)."""
    stream = [r for r in ordinary_day(0) if r.epoch < at(0, "17:55")]
    stream += door(at(0, "18:00")) + door(at(1, "03:30")) + motion(at(1, "03:32"))
    stream += [r for r in ordinary_day(1, wake="11:00") if r.epoch < at(1, "21:55")]
    stream += door(at(1, "22:00")) + heart_rate(at(1, "22:10"), at(2, "08:00"))
    if second_back is not None:
        stream += door(at(2, second_back)) + motion(at(2, second_back, 120))
    return stream


def test_while_learning_a_night_owl_is_given_the_learning_grace_after_her_latest_return():
    # Back at 03:30 from her first night out (raised: nothing was known). Out again the
    # next evening at 22:00 (her longest outing and an hour: 08:30): 03:30 + 1 h is what
    # one night out says of her latest, not her latest; while learning, three hours after.
    first = ("not_returned_home", "raised", "major", "03 00:00")  # 18:00 + 6 h
    assert raised(nights_out("05:00")) == [first]
    assert raised(nights_out(None)) == [first, ("not_returned_home", "raised", "major", "04 06:30")]
