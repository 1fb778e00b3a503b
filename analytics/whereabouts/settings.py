"""The whereabouts rules a home config can tune, and what the model reports to baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field
from pydantic.dataclasses import dataclass as settings_dataclass

WEARABLE_KINDS = ("bracelet", "fall_pendant")
BATHROOM_DOOR_ROLES = ("bathroom_door", "toilet_door")
SETTINGS_NAME = "whereabouts"
HOUR = 3600.0
MINUTE = 60.0

# The room a fixed sensor's role puts the resident in.
ROOM_OF_ROLE: dict[str, str] = {
    "front_door": "entrance",
    "bathroom_door": "bathroom",
    "toilet_door": "bathroom",
    "bathroom": "bathroom",
    "toilet": "bathroom",
    "bedroom_door": "bedroom",
    "bedroom": "bedroom",
    "bed": "bedroom",
    "bedside": "bedroom",
    "kitchen": "kitchen",
    "fridge": "kitchen",
    "living_room": "living_room",
    "chair": "living_room",
}
# Roles that are not a room of the home: where a wearable sits, a care home's unit door.
NOT_ROOMS = ("wrist", "waist", "chest", "unit_door")


def room_of(role: str) -> str | None:
    """The room a fixed sensor's role puts her in: a known role's room, or for a room the
    detectors know only by name (a ``hall``, a ``study``: contracts.home), that room,
    where she is seen moving about like anywhere else.

    >>> room_of("toilet_door"), room_of("hall"), room_of("wrist")
    ('bathroom', 'hall', None)
    """
    if role in NOT_ROOMS:
        return None
    return ROOM_OF_ROLE.get(role, role)


ObservationKind = Literal["gap", "sleep", "outing", "bathroom"]
Context = Literal["about", "resting"]


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class WhereaboutsSettings:
    # After the front door is used, no indoor activity for this long: door use decides.
    out_confirm_s: float = Field(default=10 * MINUTE, gt=0)
    # Indoor activity this soon after a front-door event is the passage itself (a hallway
    # motion sensor seeing the resident leave), not proof of being home.
    door_grace_s: float = Field(default=60, ge=0)
    # Each opening of a door is a passage (someone goes through); a closing is one too
    # when the door had stood open for longer than this (left open, closed on a later
    # passage). An opening this soon after the last one is contact bounce.
    passage_s: float = Field(default=45, ge=0)
    bounce_s: float = Field(default=3, ge=0)
    # Out through the front door, she is back only through it; where the door sensor
    # missed her return, motion within return_within_s says so: two motion sensors, or
    # three triggers of one spanning at least return_apart_s (a sensor's glitch comes
    # once or twice).
    return_apart_s: float = Field(default=30, ge=0)
    return_within_s: float = Field(default=15 * MINUTE, gt=0)
    # A step count must rise by at least this much to count as walking (wrist bands
    # count a few steps from arm movements in bed).
    min_steps: float = Field(default=5, ge=0)
    # Spread (max - min) of the acceleration magnitude within one batch that means the
    # wearer is moving; None ignores the accelerometer.
    accel_movement_g: float | None = 0.3
    # Front-door use followed at once by indoor activity: someone came in (or she
    # answered the door). For this long, the next departure may be that guest leaving:
    # when a wearable she wears counts fewer than guest_walk_steps in a step count wholly
    # after the door, she stayed and the guest left.
    guest_s: float = Field(default=4 * HOUR, ge=0)
    guest_walk_steps: float = Field(default=20, ge=0)
    # An early riser: a run of activity (no pause longer than run_gap_s) that began in
    # the last early_rise_s of the night and is still going when the night ends, having
    # lasted sustained_s, means up since the run began. Anything shorter in the night (a
    # bathroom visit, a sleepless hour) is not getting up.
    early_rise_s: float = Field(default=3 * HOUR, ge=0)
    sustained_s: float = Field(default=20 * MINUTE, ge=0)
    run_gap_s: float = Field(default=15 * MINUTE, gt=0)
    # Up, then back in the bedroom within back_to_bed_s of getting up and quiet there for
    # rest_s: she went back to bed, the morning is not over.
    back_to_bed_s: float = Field(default=45 * MINUTE, ge=0)
    rest_s: float = Field(default=60 * MINUTE, gt=0)
    # Her night, learned: from this many nights on, the night runs from her usual bedtime
    # minus night_lead_s to her usual time of getting up minus night_lead_s (the config's
    # night is only the prior until then); over the last sleep_nights nights.
    min_nights: int = Field(default=3, ge=1)
    sleep_nights: int = Field(default=14, ge=1)
    night_lead_s: float = Field(default=30 * MINUTE, ge=0)
    # Where the bedroom cannot be seen, a silence that began this long before her earliest
    # recent bedtime is not her night's rest, even once her night has begun.
    early_bedtime_s: float = Field(default=1 * HOUR, ge=0)
    # A silence that began as a bed mat saw her lie down: her night's rest from this long
    # before her earliest recent bedtime (lying down in bed is going to bed, if early).
    early_in_bed_s: float = Field(default=2 * HOUR, ge=0)
    # Out of the bedroom for less than this in the night (the toilet) and back: still the
    # same night's rest.
    excursion_s: float = Field(default=20 * MINUTE, ge=0)
    # A bed or chair mat that reads "someone" for less than this was a pulse (someone
    # moving on it), not someone getting up when it ends.
    pulse_s: float = Field(default=60, ge=0)
    # Motion in the bathroom, a flush, its cabinet: she is in the bathroom for this long
    # after the last of them, unless the door closed behind her says she still is.
    bathroom_hold_s: float = Field(default=10 * MINUTE, gt=0)
    # The routine being learned: routine alerts use conservative limits for this many
    # days after monitoring began, and say so.
    learning_days: int = Field(default=14, ge=0)
    # A home being installed (analytics.whereabouts.installation): until this share of
    # its fixed sensors have reported, or for installation_days at most, not_up and
    # long_bathroom_stay wait for their widest limits.
    installed_share: float = Field(default=0.75, ge=0, le=1)
    installation_days: float = Field(default=3, ge=0)


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class SensorSettings:
    """When a fixed sensor's readings stop counting: stuck on, or flapping."""

    # A level held longer than this is a stuck sensor (a lost "off" message), per kind;
    # contact sensors of room doors are never stuck (doors are left open for days).
    motion_on_s: float = Field(default=2 * HOUR, gt=0)
    bed_on_s: float = Field(default=16 * HOUR, gt=0)
    presence_on_s: float = Field(default=12 * HOUR, gt=0)
    front_door_open_s: float = Field(default=2 * HOUR, gt=0)
    furniture_open_s: float = Field(default=2 * HOUR, gt=0)  # fridge, cupboard, flush
    kitchen_appliance_on_s: float = Field(default=3 * HOUR, gt=0)
    appliance_on_s: float = Field(default=16 * HOUR, gt=0)
    # Flapping: at least flap_changes changes within flap_window_s (a person moving makes
    # a few a minute, a failing contact dozens); over once a window passes with fewer
    # than half as many. Reported when it has lasted flap_report_s.
    flap_changes: int = Field(default=120, ge=4)
    flap_window_s: float = Field(default=10 * MINUTE, gt=0)
    flap_report_s: float = Field(default=30 * MINUTE, ge=0)


@dataclass(frozen=True)
class Observation:
    """Something finished, for the baselines to learn from:

    - ``gap``: no activity at home while awake, from ``start`` to ``end``; ``place`` is
      where it began (analytics.whereabouts.places), ``context`` her posture there:
      ``resting`` when she had sat or lain down where a mat (or an occupancy sensor of
      that room) sees her, else ``about``; ``returned`` the place of the sign of life
      that ended it (back through the kitchen, or up from the bed; "unknown" when her
      night began instead);
    - ``sleep``: went to rest at ``start`` (into the bedroom for the night, or the night's
      first long silence began), got up for the day at ``end``;
    - ``outing``: out through the front door from ``start`` to ``end``;
    - ``bathroom``: a stay in the bathroom, seen from its start to its end.

    ``clean`` is false when the end was inferred (activity elsewhere, evidence running
    out) rather than seen (a door, a radar)."""

    kind: ObservationKind
    start: float
    end: float
    clean: bool = True
    context: Context = "about"
    place: str = "unknown"
    returned: str = "unknown"

    @property
    def duration(self) -> float:
        return self.end - self.start
