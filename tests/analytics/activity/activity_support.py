"""Hand-built streams of one home's readings for the activity detectors' tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics import HomeMonitor
from analytics.activity import ACTIVITY_DETECTORS
from contracts import HomeConfig, Reading
from tests.support.factories import device, make_home

TZ = ZoneInfo("Asia/Shanghai")
DAY0 = datetime(2026, 3, 2, tzinfo=TZ)  # local midnight: monitoring starts in the night


def home_config(
    *, radar: bool = True, thresholds: dict | None = None, extra: list | None = None
) -> HomeConfig:
    devices = [
        {"id": "front_door", "kind": "door", "role": "front_door", "source": "zigbee2mqtt:front"},
        {"id": "bath_door", "kind": "door", "role": "bathroom_door", "source": "zigbee2mqtt:bath"},
        {"id": "fridge", "kind": "door", "role": "fridge", "source": "zigbee2mqtt:fridge"},
        {"id": "pir", "kind": "motion", "role": "living_room", "source": "zigbee2mqtt:pir"},
        {"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"},
    ]
    devices += extra or []
    if radar:
        devices.append(
            {"id": "radar", "kind": "fall_radar", "role": "bathroom", "source": "zigbee2mqtt:radar"}
        )
    night = {"start": "22:30", "end": "06:00"}
    return make_home(devices=devices, night=night, thresholds=thresholds or {})


HOME = home_config()


def at(day: int, hhmm: str, seconds: float = 0) -> float:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return (DAY0 + timedelta(days=day, hours=hours, minutes=minutes)).timestamp() + seconds


def reading(ts: float, device: str, metric: str, value, home: str = "h001") -> Reading:
    return Reading(ts=ts, home=home, device=device, metric=metric, value=value)


def motion(ts: float) -> list[Reading]:
    return [reading(ts, "pir", "motion", True), reading(ts + 90, "pir", "motion", False)]


def door(ts: float, device: str = "front_door") -> list[Reading]:
    return [reading(ts, device, "contact", "open"), reading(ts + 5, device, "contact", "closed")]


def bathroom(ts: float, minutes: float) -> list[Reading]:
    """A visit: door, radar presence from entering to leaving, door."""
    out = ts + minutes * 60
    return [
        *door(ts, "bath_door"),
        reading(ts + 3, "radar", "presence", True),
        reading(out, "radar", "presence", False),
        *door(out + 2, "bath_door"),
    ]


def heart_rate(start: float, end: float, every: float = 60) -> list[Reading]:
    """Vital signs keep coming while nothing moves: they are not activity."""
    count = int((end - start) // every)
    return [reading(start + k * every, "band", "heart_rate", 70) for k in range(count)]


def steps(start: float, end: float, per_report: float, every: float = 900) -> list[Reading]:
    return [
        reading(start + k * every, "band", "steps", k * per_report)
        for k in range(int((end - start) // every) + 1)
    ]


def ordinary_day(
    day: int, *, wake: str = "07:00", out: tuple[str, str] | None = None
) -> list[Reading]:
    """Up at `wake` (bathroom), about the flat with a PIR trigger every 20 minutes, a
    bathroom visit every few hours, to bed at 22:00."""
    items = [*bathroom(at(day, wake), 10)]
    t = at(day, wake, 15 * 60)
    leave, back = (at(day, out[0]), at(day, out[1])) if out else (None, None)
    while t < at(day, "22:00"):
        if leave is None or not leave - 120 <= t <= back + 60:
            items += motion(t)
        t += 20 * 60
    for hhmm in ("10:30", "14:00", "18:30", "21:50"):
        ts = at(day, hhmm, 200)
        if leave is None or not leave <= ts <= back:
            items += bathroom(ts, 6)
    if leave is not None:
        items += door(leave) + door(back) + motion(back + 120)
    return items


def run(
    readings: list[Reading], *, until: float | None = None, home: HomeConfig = HOME, monitor=None
):
    readings = sorted(readings, key=lambda r: r.epoch)
    if monitor is None:
        monitor = HomeMonitor(home, detectors=list(ACTIVITY_DETECTORS))
        readings = initial_states(readings[0].epoch - 1, home) + readings
    events = []
    for item in readings:
        events += monitor.feed(item)
    if until is not None:
        events += monitor.advance(until)
    return monitor, events


def initial_states(ts: float, home: HomeConfig) -> list[Reading]:
    """What the sensors report when monitoring starts: their state, not a change."""
    doors = [d.id for d in home.devices if d.kind == "door"]
    return [reading(ts, device, "contact", "closed", home.home) for device in doors]


def walk_test(ts: float, home: HomeConfig) -> list[Reading]:
    """The installer's walk test at ``ts``: every fixed sensor triggered once, so the home
    is installed (analytics.whereabouts.installation) from then on."""
    values = {
        "door": ("contact", "open", "closed"),
        "motion": ("motion", True, False),
        "presence": ("presence", True, False),
        "appliance": ("in_use", True, False),
    }
    found = []
    for sensor in home.devices:
        if sensor.kind in values:
            metric, on, off = values[sensor.kind]
            found += [reading(ts, sensor.id, metric, on, home.home)]
            found += [reading(ts + 5, sensor.id, metric, off, home.home)]
    return found


def brief(events, kinds=None):
    """(kind, state, severity, local time) for reading failures at a glance."""
    return [
        (e.kind, e.state, e.severity, datetime.fromtimestamp(e.ts, TZ).strftime("%d %H:%M"))
        for e in events
        if kinds is None or e.kind in kinds
    ]


def detector(monitor: HomeMonitor, kind: type):
    return next(d for d in monitor.detectors if isinstance(d, kind))


def zigbee_devices(devices: list[tuple[str, str, str]]) -> list:
    """Device configs from (id, kind, role), each paired through Zigbee2MQTT under its id."""
    return [device(i, kind, role, f"zigbee2mqtt:{i}") for i, kind, role in devices]


def real_home(
    *,
    front_door: bool = True,
    living_room_pir: bool = False,
    bedroom_door: bool = False,
    bedroom_pir: bool = False,
    thresholds: dict | None = None,
) -> HomeConfig:
    """A home equipped like the recorded ones: mats, an appliance, a flush, PIRs (one in the
    living room by the hallway with ``living_room_pir``; a contact on the bedroom door with
    ``bedroom_door``; a PIR in the bedroom with ``bedroom_pir``)."""
    devices = [
        ("bed", "presence", "bed"),
        ("seat", "presence", "chair"),
        ("kettle", "appliance", "kitchen"),
        ("fridge", "door", "fridge"),
        ("pir_kitchen", "motion", "kitchen"),
        ("basin", "motion", "bathroom"),
        ("flush", "door", "toilet"),
        ("toilet_door", "door", "toilet_door"),
    ]
    if living_room_pir:
        devices.append(("pir_living", "motion", "living_room"))
    if front_door:
        devices.append(("front_door", "door", "front_door"))
    if bedroom_door:
        devices.append(("bedroom_door", "door", "bedroom_door"))
    if bedroom_pir:
        devices.append(("pir_bedroom", "motion", "bedroom"))
    return make_home(
        "h002",
        devices=zigbee_devices(devices),
        resident={"name": "李桂兰", "birth_year": 1938},
        thresholds=thresholds or {},
    )
