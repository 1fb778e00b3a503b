"""What a home's sensors did while she was out, laid end to end and played from a moment."""

from __future__ import annotations

import random

from eldercare.signs_while_out import MARGIN_S, SignsWhileOut
from tests.analytics.activity.activity_support import at, door, motion


def test_the_inside_of_each_outing_is_kept_and_played_from_the_collapse_on():
    outings = [(at(0, "15:00"), at(0, "16:00")), (at(1, "15:00"), at(1, "17:00"))]
    readings = sorted(
        door(at(0, "15:00"))  # her leaving: within the margin, not the home by itself
        + motion(at(0, "15:30"))
        + motion(at(0, "18:00"))  # she is back: not an outing
        + motion(at(1, "16:00"))
        + door(at(1, "17:00") - 60),
        key=lambda r: r.epoch,
    )
    signs = SignsWhileOut.of(readings, outings)
    inside = 3600 - 2 * MARGIN_S, 7200 - 2 * MARGIN_S
    assert signs.length_s == sum(inside)
    assert [r.epoch for r in signs.readings] == [
        at(0, "15:30"),
        at(0, "15:30") + 90,
        at(1, "16:00"),
        at(1, "16:00") + 90,
    ]
    # The second outing's inside follows the first's on the timeline.
    assert signs.offsets[2] == inside[0] + at(1, "16:00") - (at(1, "15:00") + MARGIN_S)

    moment = at(5, "10:00")
    hours = 3 * signs.length_s  # round the timeline three times, from wherever it starts
    played = signs.during(moment, hours, random.Random(1))
    assert len(played) == 3 * len(signs.readings)  # every sign each time
    assert all(moment <= r.epoch < moment + hours for r in played)
    assert [r.epoch for r in played] == sorted(r.epoch for r in played)
    assert {r.device for r in played} == {"pir"}
    assert played == signs.during(moment, hours, random.Random(1))  # repeatable


def test_a_home_without_signs_while_out_plays_nothing():
    signs = SignsWhileOut.of(motion(at(0, "09:00")), [(at(0, "15:00"), at(0, "15:15"))])
    assert signs.length_s == 0 and signs.during(at(1, "10:00"), 3600, random.Random(1)) == []
