"""Home or out: the front door is the boundary.

After front-door use, indoor activity (a fixed sensor other than the front door, beyond a
short grace for the passage itself) means the resident is home; with no indoor activity
within ``out_confirm_s`` the door use is decided by its passages (each opening; a closing
too if the door had stood open): an odd number changes home <-> out, an even number (out
to the bin and back, chatting at the door) changes nothing.

Out, she comes back through the front door. Where its sensor missed her, a door or
cupboard used inside brings her home, and so does motion within ``return_within_s``: seen
by two motion sensors, or three triggers of one over at least ``return_apart_s``. One
motion sensor triggering once or twice while she is out (the sun on it, a curtain) does
not: someone who came home goes on moving past it. In van Kasteren's house B, with a front
door made from its labels, the bathroom's PIR fired twice in 46 s and then not for 45
minutes while he was out for the day, and no_activity was raised two hours later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from .settings import Observation, WhereaboutsSettings
from .state import Stateful


class Doorway(Stateful):
    FIELDS = (
        "location",
        "pending",
        "door_opened_at",
        "left_at",
        "left_steps",
        "home_at",
        "guest_since",
        "guest_leaving",
        "walk_base",
        "door_home_at",
        "strays",
    )
    # A state saved before returns through the door were told apart: none known; before
    # motion while out was told apart by sensor: none counted yet (its "stray", a time
    # alone, is dropped: the next trigger is a first one).
    ADDED: ClassVar[Mapping[str, Any]] = {"door_home_at": None, "strays": []}

    def __init__(self, settings: WhereaboutsSettings, on_home: Callable[[float], None]):
        self.settings = settings
        self._on_home = on_home  # the resident is found home at this time
        self.location: Literal["home", "out"] = "home"
        self.pending: dict[str, Any] | None = None  # front-door use not yet decided
        self.door_opened_at: float | None = None  # first front-door event of the departure
        self.left_at: float | None = None  # last front-door event of the departure
        self.left_steps = 0.0
        self.home_at: float | None = None  # last time the resident was found to be home
        self.guest_since: float | None = None  # someone may have come in at
        self.guest_leaving = False  # the current departure may be a guest's
        self.walk_base: float | None = None  # steps_total at the first count after leaving
        # Motion triggers while out with no front door, [[ts, device], ...], the last
        # return_within_s of them: not yet signs that hold (motion_holds).
        self.strays: list[list[Any]] = []
        # Last time she came home through the front door (not inferred from signs inside).
        self.door_home_at: float | None = None

    # ---------------------------------------------------------------- questions

    @property
    def at_home(self) -> bool:
        return self.location == "home" and self.pending is None

    def away(self) -> tuple[float, float] | None:
        """(front door first used, last used) of a departure that is decided or likely
        (an odd number of passages with no indoor activity since); None when home."""
        if self.location == "out" and self.left_at is not None:
            return (self.door_opened_at or self.left_at, self.left_at)
        pending = self.pending
        if pending and (pending["was"] == "home") == (pending["passages"] % 2 == 1):
            return (pending["passage"], pending["last"])
        return None

    def walked_since_door(self, steps_total: float) -> float | None:
        """Steps in counts wholly after the door (a count reported just after the door
        also holds steps from before it); None until such a count has come."""
        if self.away() is None or self.walk_base is None:
            return None
        return steps_total - self.walk_base

    def steps_since_door(self, steps_total: float) -> float:
        """Steps counted since the front door was used for the current departure."""
        if self.location == "out":
            return steps_total - self.left_steps
        if self.pending is not None:
            return steps_total - self.pending["steps"]
        return 0.0

    def decision_due(self) -> float | None:
        if self.pending is None:
            return None
        return self.pending["last"] + self.settings.out_confirm_s

    # ---------------------------------------------------------------- events

    def front_door(self, ts: float, passage: bool, steps_total: float) -> None:
        if self.pending is None:
            s = self.settings
            guest = self.guest_since is not None and ts - self.guest_since <= s.guest_s
            self.guest_since = None
            self.walk_base = None
            self.pending = {
                "guest": guest and self.location == "home",
                "was": self.location,
                "first": ts,
                "passage": ts,  # the first event of the latest passage
                "last": ts,
                "passages": 1,
                "steps": steps_total,
            }
            return
        if passage:
            self.pending["passages"] += 1
            self.pending["passage"] = ts
        self.pending["last"] = max(self.pending["last"], ts)
        self.pending["first"] = min(self.pending["first"], ts)

    def indoor(
        self, ts: float, *, motion_only: bool = False, device: str = "", late: bool = False
    ) -> list[Observation]:
        """Fixed-sensor activity inside the home (``motion_only``: a trigger of the motion
        sensor ``device``, which alone may be a glitch; ``late``: older than a reading
        already taken)."""
        pending = self.pending
        if pending is not None and ts > pending["last"] + self.settings.door_grace_s:
            self.pending = None
            self.home_at = ts
            if pending["was"] == "home" and pending["passages"] % 2 == 1:
                self.guest_since = pending["first"]
            if pending["was"] == "out":
                return self._back_home(pending["first"], clean=True)
        elif pending is None and self.location == "out":
            if not motion_only:
                return self._back_home(ts, clean=False)
            return [] if late else self._stray(ts, device)
        return []

    def _stray(self, ts: float, device: str) -> list[Observation]:
        """A motion trigger while out, with no front door (not a late reading: one
        reordered or sent again must not confirm a glitch): back once motion holds."""
        if self.left_at is not None and ts <= self.left_at:
            return []
        self.strays = recent_triggers(self.strays, ts, device, self.settings)
        held = motion_holds(self.strays, self.settings)
        return [] if held is None else self._back_home(held, clean=False)

    def count_steps(self, increase: float, steps_total: float, wearing: Callable[[], bool]) -> None:
        """A step count rose by ``increase``: is it her walking away, or a guest leaving?"""
        if self.walk_base is None and self.away() is not None:
            # The first count since the door: what it adds may predate the door.
            self.walk_base = steps_total + increase
        elif self.walk_base is not None and self.location == "out" and self.guest_leaving:
            walked = steps_total + increase - self.walk_base
            if walked < self.settings.guest_walk_steps and wearing():
                self._stayed()

    def decide(self) -> list[Observation]:
        """No indoor activity since the door was last used: its passages decide."""
        pending, self.pending = self.pending, None
        assert pending is not None
        odd = pending["passages"] % 2 == 1
        if pending["was"] == "home":
            if odd:
                self._leave(pending)
            else:  # out to the bin and back, or talking at the door
                self.home_at = pending["passage"]
            return []
        if odd:
            return self._back_home(pending["first"], clean=True)
        # Back and out again (fetched the forgotten keys): a new outing from the last passage.
        observations = self._back_home(pending["first"], clean=True)
        self._leave(pending)
        return observations

    def _leave(self, pending: Mapping[str, Any]) -> None:
        self.strays = []
        self.guest_leaving = bool(pending.get("guest"))
        self.location = "out"
        self.door_opened_at = pending["passage"]
        self.left_at = pending["last"]
        self.left_steps = pending["steps"]

    def _stayed(self) -> None:
        """The departure was a guest's: she never left."""
        self.location = "home"
        self.home_at = self.left_at
        self.left_at = self.door_opened_at = None
        self.guest_leaving = False

    def _back_home(self, ts: float, *, clean: bool) -> list[Observation]:
        self.location = "home"
        self.strays = []
        self.home_at = ts
        if clean:  # the front door's passages said so
            self.door_home_at = ts
        self._on_home(ts)
        if self.left_at is None or ts <= self.left_at:
            return []
        return [Observation("outing", self.left_at, ts, clean=clean)]


def recent_triggers(
    triggers: list[list[Any]], ts: float, device: str, settings: WhereaboutsSettings
) -> list[list[Any]]:
    """``triggers`` with a new one at ``ts`` (none older: late readings are not counted),
    those before the last ``return_within_s`` dropped, a repeat (the same sensor at the
    same time: a message delivered again) once: at most one per sensor and time within
    the window, whatever a flapping sensor or a bridge sending again does."""
    kept = [t for t in triggers if t[0] >= ts - settings.return_within_s]
    if not kept or kept[-1] != [ts, device]:
        kept.append([ts, device])
    return kept


def motion_holds(triggers: Sequence[Sequence[Any]], settings: WhereaboutsSettings) -> float | None:
    """When motion triggers ``[[ts, device], ...]`` first hold as signs of someone there:
    two motion sensors within ``return_within_s``, or three triggers of one within it
    spanning at least ``return_apart_s``; None while they do not. The same rule brings her
    home from out (Doorway) and ends a silence's alert (Whereabouts.holds_since). A
    trigger heard twice (one sensor at one time: a message delivered again) counts once.
    One pass over the window: a flapping sensor's many triggers cost no more than they are.

    >>> from analytics.whereabouts.settings import WhereaboutsSettings
    >>> s = WhereaboutsSettings()
    >>> motion_holds([[0, "pir"], [46, "pir"]], s) is None  # twice: the sun, a curtain
    True
    >>> motion_holds([[0, "pir"], [46, "pir"], [46, "pir"]], s) is None  # sent again
    True
    >>> motion_holds([[0, "pir"], [600, "pir"], [1200, "pir"]], s) is None  # 20 min
    True
    >>> motion_holds([[0, "pir"], [46, "pir"], [120, "pir"]], s), motion_holds(
    ...     [[0, "hall"], [10, "kitchen"]], s)
    (0.0, 0.0)
    """
    seen: list[tuple[float, str]] = []
    for trigger in sorted((float(t), str(d)) for t, d in triggers):
        if not seen or seen[-1] != trigger:
            seen.append(trigger)
    within, apart = settings.return_within_s, settings.return_apart_s
    in_window: dict[str, int] = {}  # triggers per sensor in seen[i:end]
    end = 0
    for i, (first, device) in enumerate(seen):
        while end < len(seen) and seen[end][0] - first <= within:
            in_window[seen[end][1]] = in_window.get(seen[end][1], 0) + 1
            end += 1
        if len(in_window) >= 2:
            return first
        if end - i >= 3 and seen[end - 1][0] - first >= apart:
            return first
        in_window[device] -= 1
        if not in_window[device]:
            del in_window[device]
    return None
