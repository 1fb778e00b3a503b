"""What a fixed sensor's edge says about the resident: a sign of life, and where.

What counts as activity (a person moving), by device: a door or cupboard contact changing
(a door's first report is only its state), a flush being pulled (not its coming back to
rest); a motion sensor reporting motion; an
occupancy sensor's presence *starting* (a mat or radar that keeps seeing someone lying
still is not activity: a collapsed resident still breathes), or ending after a while (she
got up from the bed or the chair; the end of a pulse is nothing); an appliance switched
on. A sensor that is stuck or flapping says nothing (analytics.whereabouts.sensors).

Classes: ``front_door``; ``bathroom_door``; ``bathroom`` (she is in the bathroom: motion
or presence there, a flush, its cabinet); ``bathroom_exit`` (the bathroom's occupancy
sensor no longer sees anyone); ``indoor`` (anything else inside); ``inside`` (a late
presence report: someone was there, which says nothing about now).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .sensors import Edge
from .settings import BATHROOM_DOOR_ROLES, WhereaboutsSettings, room_of
from .state import Stateful

BATHROOM_ROLES = ("bathroom", "toilet")


def changed(
    memory: dict[str, list[Any]], device: str, value: Any, ts: float, *, first: bool = True
) -> bool:
    """A new value (an edge); a late reading that differs is an edge in the past.
    ``first``: whether a device's first report counts as an edge."""
    seen = memory.get(device)
    if seen is None:
        memory[device] = [value, ts]
        return first
    if ts >= seen[1]:
        edge = seen[0] != value
        memory[device] = [value, ts]
        return edge
    return seen[0] != value  # late: counts as an event, but the newer state stands


@dataclass(frozen=True)
class Signal:
    klass: str
    what: str
    room: str | None
    value: Any = None  # a contact's new state
    settled: bool = False  # an occupancy sensor began to see her: she sat or lay down
    walking: bool = False  # a wearable counted her steps


class Signals(Stateful):
    """Door passages, and the classification of believed edges into signals."""

    FIELDS = ("door_open_at",)

    def __init__(self, settings: WhereaboutsSettings):
        self.settings = settings
        self.door_open_at: dict[str, float] = {}  # per door: when it last opened
        self.passage = False  # the door event just classified starts a passage

    def classify(self, edge: Edge) -> Signal | None:
        if not edge.trusted:
            return None
        role = edge.role
        room = room_of(role)
        where = role.replace("_", " ")
        if edge.metric == "contact":
            if edge.first:
                return None  # a contact's first report is only its state
            self.passage = self._new_passage(edge.device, edge.value, edge.ts)
            if role == "front_door":
                return Signal("front_door", f"front door {edge.value}", room)
            if role in BATHROOM_DOOR_ROLES:
                return Signal("bathroom_door", f"{where} {edge.value}", room, edge.value)
            if role == "toilet" and not edge.on:
                return None  # a flush coming back to rest is the cistern, not her
            klass = "bathroom" if role in BATHROOM_ROLES else "indoor"
            return Signal(klass, f"{where} {edge.value}", room)
        if edge.metric == "motion":
            if not edge.on:
                return None
            return Signal(_inside_or_bathroom(role), f"motion in {where}", room)
        if edge.metric == "presence":
            return self._presence(edge, role, room, where)
        if edge.metric == "in_use" and edge.on and edge.changed:
            return Signal("indoor", f"{where} appliance on", room)
        return None

    def _presence(self, edge: Edge, role: str, room: str | None, where: str) -> Signal | None:
        if edge.late:
            return Signal("inside", f"presence in {where}", room) if edge.on else None
        if edge.on:
            return Signal(_inside_or_bathroom(role), f"presence in {where}", room, settled=True)
        if edge.first:
            return None
        if role in BATHROOM_ROLES:
            return Signal("bathroom_exit", "left the bathroom", room)
        if edge.held_s is not None and edge.held_s >= self.settings.pulse_s:
            return Signal("indoor", f"got up ({where})", room)
        return None  # the end of a pulse: the start said it all

    def _new_passage(self, device: str, value: str, ts: float) -> bool:
        opened = self.door_open_at.get(device)
        if value == "open":
            self.door_open_at[device] = ts if opened is None else max(opened, ts)
            return opened is None or abs(ts - opened) > self.settings.bounce_s
        return opened is None or ts - opened > self.settings.passage_s


def _inside_or_bathroom(role: str) -> str:
    return "bathroom" if role in BATHROOM_ROLES else "indoor"
