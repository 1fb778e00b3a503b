"""The whereabouts rules a home config can tune, and what the model reports to baselines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic.dataclasses import dataclass as settings_dataclass

WEARABLE_KINDS = ("bracelet", "fall_pendant")
BATHROOM_DOOR_ROLES = ("bathroom_door", "toilet_door")
SETTINGS_NAME = "whereabouts"

ObservationKind = Literal["gap", "wake", "outing", "bathroom"]


@settings_dataclass(frozen=True, config={"extra": "forbid"})
class WhereaboutsSettings:
    # After the front door is used, no indoor activity for this long: door use decides.
    out_confirm_s: float = 10 * 60
    # Indoor activity this soon after a front-door event is the passage itself (a hallway
    # motion sensor seeing the resident leave), not proof of being home.
    door_grace_s: float = 60
    # Each opening of a door is a passage (someone goes through); a closing is one too
    # when the door had stood open for longer than this (left open, closed on a later
    # passage). An opening this soon after the last one is contact bounce.
    passage_s: float = 45
    bounce_s: float = 3
    # A step count must rise by at least this much to count as walking (wrist bands
    # count a few steps from arm movements in bed).
    min_steps: float = 5
    # Spread (max - min) of the acceleration magnitude within one batch that means the
    # wearer is moving; None ignores the accelerometer.
    accel_movement_g: float | None = 0.3
    # Front-door use followed at once by indoor activity: someone came in (or she
    # answered the door). For this long, the next departure may be that guest leaving:
    # when a wearable she wears counts fewer than guest_walk_steps in a step count wholly
    # after the door, she stayed and the guest left.
    guest_s: float = 4 * 3600
    guest_walk_steps: float = 20
    # An early riser: a run of activity (no pause longer than run_gap_s) that began in
    # the last early_rise_s of the night and is still going when the night ends, having
    # lasted sustained_s, means up since the run began. Anything shorter in the night (a
    # bathroom visit, a sleepless hour) is not getting up.
    early_rise_s: float = 3 * 3600
    sustained_s: float = 20 * 60
    run_gap_s: float = 15 * 60


@dataclass(frozen=True)
class Observation:
    """Something finished: ``gap`` (no activity at home, awake), ``outing``, ``bathroom``
    stay, or ``wake`` (start = night end, end = getting up, so its duration is how long
    after the night's end the resident got up; negative for an early riser).

    ``clean`` is false when the end was inferred (activity elsewhere) rather than seen
    (a door, a radar). ``counted_from``: a gap's hours before it are night."""

    kind: ObservationKind
    start: float
    end: float
    clean: bool = True
    counted_from: float | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start
