"""A sensor in a room the detectors know only by its name (a hall, a study)."""

from __future__ import annotations

from tests.analytics.activity.activity_support import at, real_home, walk_test
from tests.analytics.activity.test_homes_model import morning, play, pulse
from tests.support.factories import device, make_home

BASE = real_home()
HALL_HOME = make_home(
    "h002",
    devices=[
        *(d.model_dump() for d in BASE.devices),
        device("pir_hall", "motion", "hall", "native"),
    ],
    resident={"name": "李桂兰", "birth_year": 1938},
)


def test_motion_in_the_hall_is_a_sign_of_life_and_places_her_there():
    stream = walk_test(at(0, "07:00"), HALL_HOME) + morning(0, HALL_HOME)
    stream += pulse(at(0, "10:00"), "pir_hall", HALL_HOME)
    _, events = play(stream, home=HALL_HOME, until=at(0, "20:00"))
    raised = [e for e in events if e.kind == "no_activity" and e.state == "raised"]
    assert len(raised) == 1
    # The silence is measured from the hall, and the alert says where she was last seen.
    assert "last activity 10:00" in raised[0].evidence["summary"]
    assert "last seen in the hall" in raised[0].evidence["summary"]

    # Moving about the hall again (a trigger or two could be the sensor's glitch) is her
    # back.
    for later_s in (600, 720, 840):
        stream += pulse(raised[0].ts + later_s, "pir_hall", HALL_HOME)
    _, events = play(stream, home=HALL_HOME)
    assert [e.state for e in events if e.kind == "no_activity"] == ["raised", "cleared"]
