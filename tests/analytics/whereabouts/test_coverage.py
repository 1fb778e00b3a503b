"""What a home's fixed sensors cannot see, as the installer is told."""

from __future__ import annotations

from analytics.whereabouts import Coverage
from tests.analytics.institution.beds import bed_config
from tests.support.factories import BAND, FRONT_DOOR, SOS_BED, device, make_home


def spots(*devices) -> tuple[str, ...]:
    return Coverage.of(make_home(devices=devices)).blind_spots()


def test_a_bracelet_and_a_button_see_no_room():
    # Worn and carried, not fixed: where she is, and whether she lay down, is not seen.
    assert spots(BAND, SOS_BED) == ("front_door", "bedroom", "bathroom")


def test_a_bed_mat_a_bathroom_door_and_the_front_door_leave_nothing_unseen():
    bed = device("bed", "presence", "bed", "zigbee2mqtt:bed")
    bath_door = device("bath_door", "door", "bathroom_door", "zigbee2mqtt:bath")
    assert spots(FRONT_DOOR, bed, bath_door) == ()
    # A bedroom door sees her go to bed as well as a mat does.
    bedroom_door = device("bedroom_door", "door", "bedroom_door", "zigbee2mqtt:bedroom")
    assert spots(bedroom_door, bath_door) == ("front_door",)


def test_a_bed_in_a_care_home_has_no_blind_spot_to_report():
    # The staff's rounds see her there; the unit door is not her front door.
    assert Coverage.of(bed_config()).blind_spots() == ()
    assert Coverage.of(bed_config(place=None)).blind_spots() != ()


def test_a_bathroom_she_can_leave_unseen_is_said():
    """A motion sensor in the bathroom, nothing on its door and nothing in the living room
    (ordonez-a without its armchair mat): the silence after it may be her in the armchair."""
    bed = device("bed", "presence", "bed", "zigbee2mqtt:bed")
    basin = device("basin", "motion", "bathroom", "zigbee2mqtt:basin")
    assert spots(FRONT_DOOR, bed, basin) == ("bathroom_exit",)
    seat = device("seat", "presence", "chair", "zigbee2mqtt:seat")
    assert spots(FRONT_DOOR, bed, basin, seat) == ()
    toilet_door = device("toilet_door", "door", "toilet_door", "zigbee2mqtt:toilet")
    assert spots(FRONT_DOOR, bed, basin, toilet_door) == ()
