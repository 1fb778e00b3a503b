"""What a fixed sensor's reading shows: a door passage, motion, someone present or gone.

What counts as activity (a person moving), by device: a door's contact changing (a
repeated value, e.g. a heartbeat, is not a change); a motion sensor reporting motion; a
presence radar's presence *starting* (a radar that keeps seeing someone lying still is
not activity: a collapsed resident still breathes).
"""

from __future__ import annotations

from typing import Any

from contracts.reading import Reading

from .settings import BATHROOM_DOOR_ROLES, WhereaboutsSettings
from .state import Stateful


def changed(
    memory: dict[str, list[Any]], device: str, value: Any, ts: float, *, first: bool = True
) -> bool:
    """A new value (an edge); a late reading that differs is an edge in the past.
    ``first``: whether a device's first report counts as an edge (a door's first report
    is only its state; a radar's first "present" is someone there)."""
    seen = memory.get(device)
    if seen is None:
        memory[device] = [value, ts]
        return first
    if ts >= seen[1]:
        edge = seen[0] != value
        memory[device] = [value, ts]
        return edge
    return seen[0] != value  # late: counts as an event, but the newer state stands


class Signals(Stateful):
    """Edges of the home's fixed sensors, classified by what they say about the resident:
    ``front_door``, ``bathroom_door``, ``bathroom`` (motion or presence there), ``indoor``
    (anything else inside), ``inside`` (a late presence report: someone was there), or
    ``bathroom_exit`` (the bathroom radar no longer sees anyone)."""

    FIELDS = ("contact", "presence", "door_open_at")

    def __init__(self, settings: WhereaboutsSettings, roles: dict[str, str]):
        self.settings = settings
        self._role = roles
        # per device: last value and its time (a late reading never overwrites newer)
        self.contact: dict[str, list[Any]] = {}
        self.presence: dict[str, list[Any]] = {}
        self.door_open_at: dict[str, float] = {}  # per door: when it last opened
        self.passage = False  # the door event just classified starts a passage

    def classify(self, reading: Reading, kind: str) -> tuple[str, str] | None:
        device, metric, value, ts = reading.device, reading.metric, reading.value, reading.epoch
        role = self._role[device]
        if metric == "contact":
            if not changed(self.contact, device, value, ts, first=False):
                return None
            self.passage = self._new_passage(device, value, ts)
            if role == "front_door":
                return "front_door", f"front door {value}"
            if role in BATHROOM_DOOR_ROLES:
                return "bathroom_door", f"{role.replace('_', ' ')} {value}"
            return "indoor", f"{role.replace('_', ' ')} {value}"
        if metric == "motion":
            if value is not True:
                return None
            return ("bathroom" if role == "bathroom" else "indoor"), f"motion in {role}"
        if metric == "presence":
            return self._presence(device, role, kind, value, ts)
        return None

    def _presence(
        self, device: str, role: str, kind: str, value: Any, ts: float
    ) -> tuple[str, str] | None:
        late = device in self.presence and ts < self.presence[device][1]
        if not changed(self.presence, device, value, ts):
            return None
        if late:
            # Seen after a newer report (reordered): someone was there, but it says
            # nothing about who is there now.
            return ("inside", f"presence in {role}") if value is True else None
        if value is not True:
            if role == "bathroom" and kind == "fall_radar":
                return "bathroom_exit", "left the bathroom"
            return None
        return ("bathroom" if role == "bathroom" else "indoor"), f"presence in {role}"

    def _new_passage(self, device: str, value: str, ts: float) -> bool:
        opened = self.door_open_at.get(device)
        if value == "open":
            self.door_open_at[device] = ts if opened is None else max(opened, ts)
            return opened is None or abs(ts - opened) > self.settings.bounce_s
        return opened is None or ts - opened > self.settings.passage_s
