"""What the installed sensors of a home can show: which rooms they cover."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.home import HomeConfig

from .settings import BATHROOM_DOOR_ROLES, WEARABLE_KINDS, room_of

FIXED_KINDS = ("door", "motion", "presence", "appliance", "fall_radar")


@dataclass(frozen=True)
class Coverage:
    rooms: frozenset[str]  # rooms with a fixed sensor in them (or on their door)
    front_door: bool  # she can be seen leaving and coming back
    bedroom: bool  # going to bed can be seen (a bed mat, the bedroom's sensors)
    bedroom_only: bool  # nothing outside the bedroom: activity there is all there is
    bathroom_occupancy: bool  # an occupancy sensor (radar, presence) in the bathroom
    wearable: bool
    resting_places: frozenset[str]  # occupancy sensors outside the bathroom (device ids)
    beds: frozenset[str] = frozenset()  # occupancy sensors on the bed (device ids)
    # Fixed sensors in the bedroom or on its door (device ids): what sees her go to bed.
    bedroom_sensors: frozenset[str] = frozenset()
    # A bed in a care home (config.place): the staff's rounds see her, and the detectors of
    # a home where she lives alone do not run there.
    care_home: bool = False
    # A door sensor on the bathroom or on its toilet: her leaving it can be seen.
    bathroom_door: bool = False

    @classmethod
    def of(cls, config: HomeConfig) -> Coverage:
        fixed = [d for d in config.devices if d.kind in FIXED_KINDS]
        rooms = frozenset(filter(None, (room_of(d.role) for d in fixed)))
        occupancy = [d for d in fixed if d.kind in ("presence", "fall_radar")]
        return cls(
            rooms=rooms,
            front_door=any(d.role == "front_door" for d in fixed),
            bedroom="bedroom" in rooms,
            bedroom_only=bool(fixed) and rooms <= {"bedroom"},
            bathroom_occupancy=any(d.role in ("bathroom", "toilet") for d in occupancy),
            wearable=any(d.kind in WEARABLE_KINDS for d in config.devices),
            resting_places=frozenset(
                d.id for d in occupancy if d.role not in ("bathroom", "toilet")
            ),
            beds=frozenset(d.id for d in occupancy if d.role == "bed"),
            bedroom_sensors=frozenset(d.id for d in fixed if room_of(d.role) == "bedroom"),
            care_home=config.place is not None,
            bathroom_door=any(d.role in BATHROOM_DOOR_ROLES for d in fixed),
        )

    def may_leave_bathroom_unseen(self) -> bool:
        """Whether she can leave the bathroom for a room no sensor sees: nothing sees her
        leave it (no door sensor on it, no occupancy sensor in it) and nothing sees her
        in the living room. A silence after a sign in the bathroom is then no evidence
        that she is still in there."""
        seen_leaving = self.bathroom_door or self.bathroom_occupancy
        return not seen_leaving and "living_room" not in self.rooms

    def blind_spots(self) -> tuple[str, ...]:
        """What no fixed sensor sees, each a kind of distress found late or not at all
        (docs/real-homes.md): ``front_door`` (her outings are
        silences at home; not_returned_home cannot be raised), ``bedroom`` (a silence at
        night may be her rest: a collapse then is found the next morning, by not_up),
        ``bathroom`` (a long stay there cannot be told), ``bathroom_exit`` (a sensor in the
        bathroom but nothing sees her leave it or sit in the living room: a silence after it
        has the prior of moving about, so while her routine is learned a collapse there is
        raised after 5 h, not 2 h). None at a care home's bed."""
        if self.care_home:
            return ()
        bathroom = "bathroom" in self.rooms
        seen = {
            "front_door": self.front_door,
            "bedroom": self.bedroom,
            "bathroom": bathroom,
            "bathroom_exit": not bathroom or not self.may_leave_bathroom_unseen(),
        }
        return tuple(spot for spot, covered in seen.items() if not covered)

    def describe(self) -> str:
        """For evidence: what the sensors can and cannot see."""
        seen = ", ".join(sorted(room.replace("_", " ") for room in self.rooms)) or "no room"
        missing = [
            room.replace("_", " ")
            for room in ("bedroom", "living_room", "kitchen", "bathroom")
            if room not in self.rooms
        ]
        text = f"sensors in: {seen}"
        if missing:
            text += f"; none in: {', '.join(missing)}"
        if not self.front_door:
            text += "; no front-door sensor"
        return text
