"""Where a silence began: the place of her last sign of life, and whether she had settled.

A silence is judged by where it began (analytics.activity.no_activity learns how long her
silences last per place): people leave the home from the hallway or the kitchen, not from
the shower; they sit for hours in the armchair, not on the toilet. Places:

- ``bathroom``: in the bathroom on evidence (analytics.whereabouts.bathroom);
- ``bed``, ``chair``: she lay or sat down where a mat (or an occupancy sensor on that
  role) sees her;
- ``bathroom_door``: a bathroom or toilet door used with nothing saying she is inside
  (going in, coming out, closing it in passing);
- otherwise the room of the sensor: ``kitchen``, ``living_room``, ``bedroom``,
  ``entrance`` (the front door used, and she stayed);
- a wearable's movement says she moved, not where: the place stays where it was.

The posture is the broader context a place backs off to while it has too little history:
``resting`` when she settled (a bed or chair, or an occupancy sensor in that room still
sees someone), ``about`` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from .settings import BATHROOM_DOOR_ROLES, Context, room_of
from .signals import Signal

BATHROOM = "bathroom"
SETTLED_ROLES = ("bed", "chair")
PLACE_TEXT = {
    "bathroom": "in the bathroom",
    "bed": "in bed",
    "chair": "in the chair",
    "bathroom_door": "at the bathroom door",
    "entrance": "at the front door",
    "kitchen": "in the kitchen",
    "living_room": "in the living room",
    "bedroom": "in the bedroom",
    "unknown": "where no sensor places her",
}


def place_of(signal: Signal, role: str, *, in_bathroom: bool, previous: str) -> str:
    """The place a sign of life puts her in (``in_bathroom``: the bathroom's evidence
    says she is in there now)."""
    if in_bathroom:
        return BATHROOM
    if signal.klass == "wearable":
        return previous
    if signal.settled and role in SETTLED_ROLES:
        return role
    if role in BATHROOM_DOOR_ROLES:
        return "bathroom_door"
    return room_of(role) or "unknown"


def posture_of(place: str, occupied: Callable[[str], bool]) -> Context:
    """``resting`` in a bed or chair, or where an occupancy sensor of that room (given by
    ``occupied(room)``) still sees someone; ``about`` otherwise."""
    if place in SETTLED_ROLES or (place != BATHROOM and occupied(place)):
        return "resting"
    return "about"


def describe(place: str) -> str:
    return PLACE_TEXT.get(place, f"in the {place.replace('_', ' ')}")
