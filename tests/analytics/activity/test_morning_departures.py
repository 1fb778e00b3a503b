"""Going out in the morning is getting up: her day begins when she gets up, not when she
comes back, and leaving at an hour she has been up at recently is not night wandering."""

from __future__ import annotations

from tests.analytics.activity.activity_support import (
    at,
    bathroom,
    brief,
    door,
    motion,
    run,
)


def day_of(day: int, wake: str, out: tuple[str, str] | None = None) -> list:
    """Up at ``wake`` (the bathroom), about the flat (a PIR trigger every 20 minutes,
    the bathroom at 14:00 and 21:50) until bed at 22:00; ``out``: through the front door
    and back."""
    leave, back = (at(day, out[0]), at(day, out[1])) if out else (None, None)
    items = bathroom(at(day, wake), 10)
    t = at(day, wake, 15 * 60)
    while t < at(day, "22:00"):
        if leave is None or not leave - 120 <= t <= back + 60:
            items += motion(t)
        t += 20 * 60
    for hhmm in ("14:00", "21:50"):
        if leave is None or not leave <= at(day, hhmm) <= back:
            items += bathroom(at(day, hhmm), 6)
    if leave is not None:
        items += door(leave) + door(back) + motion(back + 120)
    return items


def test_a_late_riser_who_starts_going_out_in_the_morning_is_raised_once_not_every_day():
    """Up at 11:30 for three days, then up at 10:00 and out at 10:15 every day (back at
    17:00). The first such morning she leaves at an hour she has not been up at: within
    her night, so raised. From then on she has been up at 10:00, and the days out say so
    (her day began at 10:00, not when she came back at 17:00): not raised again."""
    stream = []
    for day in range(4):
        stream += day_of(day, "11:30")
    for day in range(4, 9):
        stream += day_of(day, "10:00", out=("10:15", "17:00"))
    _, events = run(stream, until=at(9, "00:00"))
    assert [(state, ts) for _, state, _, ts in brief(events, {"night_wandering"})] == [
        ("raised", "06 10:30"),
        ("cleared", "06 17:00"),
    ]


def test_leaving_at_an_hour_she_has_been_up_at_is_not_night_wandering():
    """A late riser: up between 10:15 and 12:00 (monitoring began on the first day). The
    morning she is up at 10:30 and out at 10:45 is inside her usual night (to 11:00), but
    she has been up earlier than that this week: not wandering. Out at 03:00 still is."""
    stream = []
    for day, wake in enumerate(("11:30", "10:15", "12:00", "11:45", "11:30")):
        stream += day_of(day, wake)
    stream += day_of(5, "10:30", out=("10:45", "16:00"))
    stream += door(at(6, "03:00")) + door(at(6, "03:40")) + motion(at(6, "03:42"))
    stream += bathroom(at(6, "11:30"), 10)
    _, events = run(stream, until=at(6, "12:00"))
    assert [(kind, state, ts) for kind, state, _, ts in brief(events, {"night_wandering"})] == [
        ("night_wandering", "raised", "08 03:15"),
        ("night_wandering", "cleared", "08 03:40"),
    ]
