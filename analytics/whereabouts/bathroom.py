"""In the bathroom, on evidence only.

She is in the bathroom while something there says so: an occupancy sensor (a radar, a
presence sensor) sees someone; motion there, the flush or the cabinet, for
``bathroom_hold_s`` after the last of them; or, for as long as it stays shut, a bathroom
door that closed behind her: shut, with a sign of her inside after it closed, or shut
within one passage (``passage_s``) of its opening when she came to it from outside (she
went in and closed it behind her; opening it again at once, before any sign inside, is
the same passage). She came to it from outside when she was seen elsewhere since it was
last shut: a door shut after her last sign elsewhere may have shut behind her, and its
opening is then her coming out. A door used otherwise and then silence is *not*
evidence: closed on her way out or in passing, she may have gone to bed or to a room
without a sensor, and is then at home, unobserved (no_activity's business, not this
one's).

A stay ends when she is seen leaving (the door opens, the occupancy sensor empties), when
she is seen elsewhere, or when the evidence runs out (``ended_by``: exit, elsewhere,
expired).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .settings import Observation, WhereaboutsSettings
from .state import Stateful

# Evidence inside must come this long after the door closed to show she is behind it
# (closing it on her way out, she was seen inside just before).
CLOSE_SLACK_S = 5.0
# A sign inside this soon after she came out through the door is the visit she left (a
# flush's second pulse, a cistern refilling), not her going back in.
EXIT_ECHO_S = 5.0
# What a door shuts in: a toilet door only the toilet (the bathroom's sensors may be in
# another room), a bathroom door the bathroom and a toilet in it.
BEHIND = {"toilet_door": ("toilet",), "bathroom_door": ("bathroom", "toilet")}


class Bathroom(Stateful):
    FIELDS = ("stay", "ended_at", "ended_by", "doors", "outside_since", "emptied_at")
    ADDED: ClassVar[Mapping[str, Any]] = {"outside_since": None, "emptied_at": None}

    def __init__(self, settings: WhereaboutsSettings, occupancy: bool):
        self.settings = settings
        self.occupancy = occupancy  # the bathroom has an occupancy sensor: it decides
        # since, via (presence | motion | door), device, last (newest evidence inside)
        self.stay: dict[str, Any] | None = None
        self.ended_at: float | None = None
        self.ended_by: str | None = None
        # per bathroom door: closed (since when, or None when open), inside (a sign of her
        # inside came after it closed), role
        self.doors: dict[str, dict[str, Any]] = {}
        # Her newest sign was in another room, since (None: in here, or not known).
        self.outside_since: float | None = None
        self.emptied_at: float | None = None  # the occupancy sensor last saw nobody

    # ---------------------------------------------------------------- questions

    @property
    def contained(self) -> str | None:
        """The bathroom door shut behind her, if one is."""
        for device, door in self.doors.items():
            if door["closed"] is not None and (door["inside"] or door.get("entered")):
                return device
        return None

    def due(self) -> float | None:
        """When the evidence of the current stay runs out, if it can."""
        stay = self.stay
        if stay is None or stay["via"] == "presence" or self.contained is not None:
            return None
        return stay["last"] + self.settings.bathroom_hold_s

    # ---------------------------------------------------------------- events

    def inside(self, ts: float, device: str, role: str, via: str) -> None:
        """A sign of her in the bathroom: motion, a flush, the cabinet, presence."""
        if via == "motion" and self.occupancy and self.stay is not None:
            via = self.stay["via"]  # the occupancy sensor knows better than motion
        self.outside_since = None
        for door in self.doors.values():
            shut = door["closed"] is not None and ts > door["closed"] + CLOSE_SLACK_S
            if shut and role in BEHIND.get(door["role"], ()):
                door["inside"] = True
        stay = self.stay
        if stay is None:
            if self._just_left(ts):
                return  # the visit she just came out of (a flush's second pulse)
            self.stay = {"since": ts, "via": via, "device": device, "last": ts}
            return
        stay["last"] = max(stay["last"], ts)
        if via == "presence" and stay["via"] != "presence":
            stay.update(via="presence", device=device)

    def door(self, ts: float, device: str, role: str, value: str) -> list[Observation]:
        was = self.doors.get(device) or {"closed": None, "inside": False}
        passage = self.settings.passage_s
        if value == "closed":
            opened = was.get("opened")
            entered = (
                was["closed"] is None
                and bool(was.get("entering"))
                and opened is not None
                and ts - opened <= passage
            )
            self.doors[device] = {
                "closed": ts,
                "inside": False,
                "entered": entered,
                "opened": opened,
                "role": role,
                "seen_outside": False,
            }
            if entered and self.stay is None:
                self.stay = {"since": opened, "via": "door", "device": device, "last": ts}
            elif self.stay is not None:
                self.stay["last"] = max(self.stay["last"], ts)
            return []
        closed = was["closed"]
        again = closed is not None and ts - closed <= passage
        if again and was.get("entered") and not was["inside"]:
            # Opened again at once, nothing seen inside: the same passage (a door that
            # did not latch), not her coming out.
            self.doors[device] = {**was, "closed": None, "entered": False, "entering": True}
            return []
        observations: list[Observation] = []
        if self.stay is not None and closed is not None and self.stay["since"] < ts:
            observations = self._end(ts, "exit")  # opened from inside: she is coming out
        self.doors[device] = {
            "closed": None,
            "inside": False,
            "entered": False,
            "opened": ts,
            # She came to the door from another room, not out of the bathroom.
            "entering": not observations
            and self.stay is None
            and self.outside_since is not None
            and not self._maybe_behind(was, ts)
            and not self._just_emptied(ts),
            "role": role,
        }
        return observations

    def _maybe_behind(self, door: Mapping[str, Any], ts: float) -> bool:
        """Whether she may have been behind ``door`` until it opened at ``ts``: it had
        been shut for longer than a bounce of its latch, and she was not seen elsewhere
        since. Without a sensor inside, a minute on the toilet looks like that: opened
        from inside, then shut again from outside, which is not her going in."""
        closed = door["closed"]
        # A door saved before this was kept: as before, she came to it from outside.
        if closed is None or door.get("seen_outside", True):
            return False
        return ts - closed > CLOSE_SLACK_S

    def _just_left(self, ts: float) -> bool:
        """She came out through the bathroom door within the last few seconds."""
        ended = self.ended_at
        return self.ended_by == "exit" and ended is not None and 0 <= ts - ended <= EXIT_ECHO_S

    def _just_emptied(self, ts: float) -> bool:
        emptied = self.emptied_at
        return emptied is not None and 0 <= ts - emptied <= self.settings.door_grace_s

    def exit(self, ts: float) -> list[Observation]:
        """The bathroom's occupancy sensor sees nobody."""
        self.emptied_at = max(self.emptied_at or ts, ts)
        if self.stay is not None and ts >= self.stay["since"]:
            return self._end(ts, "exit")
        return []

    def elsewhere(self, ts: float, *, at_once: bool = False) -> list[Observation]:
        """A sign of her in another room (after a grace: the sensor outside the door may
        see her on the way out; ``at_once``: no grace, she sat or lay down there)."""
        for door in self.doors.values():
            # Seen elsewhere: not behind a shut door (a missed opening), not going in.
            door["inside"] = door["entered"] = door["entering"] = False
            door["seen_outside"] = door["closed"] is not None
        if self.outside_since is None:
            self.outside_since = ts
        grace = 0.0 if at_once else self.settings.door_grace_s
        if self.stay is not None and ts > self.stay["last"] + grace:
            return self._end(ts, "elsewhere")
        return []

    def step(self, t: float) -> list[Observation]:
        due = self.due()
        if due is not None and due <= t:
            assert self.stay is not None
            return self._end(self.stay["last"], "expired", at=due)
        return []

    def _end(self, ts: float, how: str, at: float | None = None) -> list[Observation]:
        stay, self.stay = self.stay, None
        assert stay is not None
        self.ended_at = ts if at is None else at
        self.ended_by = how
        return [Observation("bathroom", stay["since"], ts, clean=how == "exit")]
