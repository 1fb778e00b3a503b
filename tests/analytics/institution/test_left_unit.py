"""left_unit_at_night: the shared unit door opening at night is put down to a resident who
wanders only on evidence from her own bed and bathroom."""

from __future__ import annotations

from .beds import DAY, NIGHT, at, bed, bed_config, of, reading, reports, run


def door(base, minutes, state):
    return reading(at(base, minutes), "unit_door", "contact", state)


def test_the_door_opening_while_she_is_out_of_bed_is_her_leaving_the_unit():
    stream = [*reports(NIGHT, 0, 60, True), bed(NIGHT, 60, False)]
    stream += [door(NIGHT, 64, "open"), door(NIGHT, 64.2, "closed")]
    stream += [bed(NIGHT, 90, True)]
    events = run(bed_config("none", wanders=True), stream, until=at(NIGHT, 100))
    assert of(events, "left_unit_at_night") == [
        ("raised", "critical", 64.0),
        ("cleared", "critical", 90.0),
    ]
    raised = next(e for e in events if e.kind == "left_unit_at_night")
    assert raised.device == "unit_door" and "out of bed since 00:00" in raised.evidence["summary"]
    assert (raised.evidence["door_opened"], raised.evidence["out_since"]) == ("00:04", "00:00")


def test_staff_opening_the_door_while_she_sleeps_is_not_her():
    stream = reports(NIGHT, 0, 120, True)
    stream += [door(NIGHT, m, "open") for m in (30, 55, 80)]
    stream += [door(NIGHT, m + 0.2, "closed") for m in (30, 55, 80)]
    events = run(bed_config("none", wanders=True), stream, until=at(NIGHT, 120))
    assert of(events, "left_unit_at_night") == []


def test_she_in_her_bathroom_when_the_door_opens_is_not_her():
    stream = [*reports(NIGHT, 0, 60, True), bed(NIGHT, 60, False)]
    stream += [reading(at(NIGHT, 61), "radar_bath", "presence", True)]
    stream += [door(NIGHT, 64, "open"), reading(at(NIGHT, 67), "radar_bath", "presence", False)]
    stream += [bed(NIGHT, 68, True)]
    events = run(bed_config("none", wanders=True), stream, until=at(NIGHT, 80))
    assert of(events, "left_unit_at_night") == []


def test_an_unknown_bed_cannot_rule_her_out_and_says_so():
    # The bed sensor went silent at 00:30; the door opens at 02:00.
    stream = [*reports(NIGHT, 0, 30, True), door(NIGHT, 180, "open")]
    events = run(bed_config("none", wanders=True), stream, until=at(NIGHT, 190))
    assert of(events, "left_unit_at_night") == [("raised", "major", 180.0)]
    raised = next(e for e in events if e.kind == "left_unit_at_night")
    assert raised.evidence["bed_state"] == "unknown"
    assert "cannot say" in raised.evidence["summary"]


def test_only_for_residents_who_wander_and_only_at_night():
    stream = [*reports(NIGHT, 0, 60, True), bed(NIGHT, 60, False), door(NIGHT, 64, "open")]
    assert of(run(bed_config("none", wanders=False), stream), "left_unit_at_night") == []
    day = [bed(DAY, 0, True), bed(DAY, 10, False), door(DAY, 15, "open")]
    assert [
        e for e in run(bed_config("none", wanders=True), day) if e.kind.startswith("left")
    ] == []


def test_still_up_from_the_day_when_the_night_begins_is_not_her_at_the_door():
    # Up since the morning, not yet in bed at 23:05 (the night began at 22:30): the door
    # opening is anyone's.
    stream = [bed(NIGHT, -14 * 60, False), door(NIGHT, 5, "open"), door(NIGHT, 5.2, "closed")]
    events = run(bed_config("none", wanders=True), stream, until=at(NIGHT, 10))
    assert of(events, "left_unit_at_night") == []
    # Once she has been to bed and got up again, it may be her.
    stream += [bed(NIGHT, 20, True), bed(NIGHT, 60, False), door(NIGHT, 63, "open")]
    events = run(bed_config("none", wanders=True), stream, until=at(NIGHT, 70))
    assert of(events, "left_unit_at_night") == [("raised", "critical", 63.0)]
