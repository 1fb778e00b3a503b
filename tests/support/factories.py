"""What tests build their world from: a typical home and its devices (or the devices a test
needs), canonical readings, and the hub with a broker or without one.

The typical home is h001 of station st1: 王秀英, born 1942, living alone, with a fall radar in
the bathroom, an SOS button by the bed and a wrist band. ``home_config`` gives it as the
document a hub is sent or an edge reads (a dict), ``make_home`` as a validated ``HomeConfig``;
both take another home id, other devices and any other field of the home config.

The hub with a broker: ``start_broker`` (a private Mosquitto) or ``deploy_broker`` (one of
deploy/mosquitto/), then ``served(settings_for(broker, folder))`` (the hub and its API in the
test's event loop) or ``hub_process`` (the real ``eldercare hub`` process), and ``register``
(the station, homes and users, through the API).

The hub without a broker: a ``Store`` (on ``tests.support.stores.fresh_database``, or the
file or database the test needs), ``register_homes`` (the station and its homes, written
straight to the store), ``make_ingestor`` (what the hub does with the messages it is handed),
``event_row`` (an event as the hub stores it, for the alert manager without an ingestor) and a
``Clock`` the test turns by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from contracts import HomeConfig, Reading
from eldercare.broker import start_broker
from hub.alerts import AlertManager
from hub.ingest import Ingestor
from hub.registry import save_home, save_station
from hub.schema import EventRow
from hub.store import Store
from tests.support.deploy_brokers import deploy_broker
from tests.support.hub_process import AsAdmin, hub_process
from tests.support.served_hub import (
    ADMIN_PASSWORD,
    PASSWORD,
    PREFIX,
    Served,
    fast_policies,
    free_port,
    served,
    settings_for,
)

__all__ = [
    "ADMIN_PASSWORD",
    "BAND",
    "DISPATCHER",
    "FAMILY",
    "FRONT_DOOR",
    "HOME",
    "PASSWORD",
    "PREFIX",
    "RADAR_BATH",
    "RESIDENT",
    "SOS_BED",
    "STATION",
    "TYPICAL_DEVICES",
    "AsAdmin",
    "Clock",
    "Served",
    "deploy_broker",
    "device",
    "event_message",
    "event_row",
    "fast_policies",
    "free_port",
    "home_config",
    "hub_process",
    "make_home",
    "make_ingestor",
    "reading",
    "register",
    "register_homes",
    "served",
    "settings_for",
    "start_broker",
    "telemetry_message",
]

HOME = "h001"
STATION = "st1"
DISPATCHER = "zhang.li"  # 张丽, dispatcher of STATION
FAMILY = "li.ming"  # 李明, son of the resident of HOME
RESIDENT: dict[str, Any] = {"name": "王秀英", "birth_year": 1942, "address": "幸福路 8 号 3-201"}
CONTACTS: list[dict[str, Any]] = [
    {"name": "李明", "relation": "son", "phone": "13800000000", "notify": ["app", "sms"]}
]


def device(
    device_id: str, kind: str, role: str, source: str, model: str | None = None
) -> dict[str, Any]:
    """One device of a home config; without a model the codec picks one by the payload."""
    found = {"id": device_id, "kind": kind, "role": role, "source": source}
    return found if model is None else {**found, "model": model}


RADAR_BATH = device("radar_bath", "fall_radar", "bathroom", "zigbee2mqtt:radar1", "MIR-HE200-TY")
SOS_BED = device("sos_bed", "sos_button", "bedside", "zigbee2mqtt:sos")
BAND = device("band", "bracelet", "wrist", "native")
FRONT_DOOR = device("front_door", "door", "front_door", "zigbee2mqtt:entrance")
TYPICAL_DEVICES = (RADAR_BATH, SOS_BED, BAND)


def home_config(
    home: str = HOME,
    station: str = STATION,
    *,
    devices: Iterable[dict[str, Any]] = TYPICAL_DEVICES,
    resident: dict[str, Any] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """The typical home as a document (what the hub is sent, what an edge reads), with
    ``devices``, ``resident`` and any other field (``thresholds``, ``night``...) as given."""
    return {
        "home": home,
        "station": station,
        "timezone": "Asia/Shanghai",
        "resident": dict(RESIDENT if resident is None else resident),
        "devices": [dict(d) for d in devices],
        "contacts": [dict(c) for c in CONTACTS],
        **changes,
    }


def make_home(home: str = HOME, station: str = STATION, **options: Any) -> HomeConfig:
    """``home_config(...)``, validated: the ``HomeConfig`` the edge and the detectors run with."""
    return HomeConfig.model_validate(home_config(home, station, **options))


def reading(
    ts: float | datetime, device: str, metric: str, value: Any, home: str = HOME, **extra: Any
) -> Reading:
    """A canonical reading of ``home`` at ``ts`` (event time: seconds since the epoch or an
    aware datetime); ``extra`` are its other fields (``rate_hz``...)."""
    return Reading(ts=ts, home=home, device=device, metric=metric, value=value, **extra)


def event_row(
    kind: str,
    state: str = "raised",
    *,
    seq: int,
    ts: float,
    severity: str = "critical",
    home: str = HOME,
    evidence: dict[str, Any] | None = None,
    **columns: Any,
) -> EventRow:
    """An event of ``home``'s own edge as the hub stores it, sent and received at ``ts``, for
    the tests that hand the alert manager its events without an ingestor; ``columns`` are
    its other columns (``device``, ``detector``, ``edge``, ``alert_id``...)."""
    stored: dict[str, Any] = {
        "edge": home, "seq": seq, "home_id": home, "kind": kind, "state": state,
        "severity": severity, "ts": ts, "started": ts, "detector": kind, "device": None,
        "evidence": {} if evidence is None else evidence, "received_at": ts,
    }  # fmt: skip
    return EventRow(**{**stored, **columns})


async def register(
    hub: Served, *, notify: list[str] | None = None, homes: tuple[str, ...] = (HOME,)
) -> None:
    """The station, its homes, a dispatcher of the station and the son of HOME's resident,
    through the API as the admin."""
    response = await hub.http.put(
        f"/stations/{STATION}", json={"name": "颍州社区养老服务站", "notify": notify or []}
    )
    response.raise_for_status()
    for home in homes:
        response = await hub.http.put(f"/homes/{home}", json=home_config(home))
        response.raise_for_status()
    users = {
        DISPATCHER: {"name": "张丽", "role": "dispatcher", "stations": [STATION]},
        FAMILY: {"name": "李明", "role": "family", "residents": [HOME]},
    }
    for username, user in users.items():
        response = await hub.http.put(f"/users/{username}", json={**user, "password": PASSWORD})
        response.raise_for_status()


def register_homes(
    store: Store,
    *homes: HomeConfig,
    station_name: str = "站",
    notify: list[str] | None = None,
    now: float | None = None,
) -> None:
    """STATION (paging ``notify``) and ``homes`` of it (the typical home unless given), written
    to ``store`` in one transaction as the registry saves an admin's: where the hub's tests
    without a broker begin. ``now``: when the homes were registered (the hub's clock unless
    given)."""
    with store.transaction() as session:
        save_station(session, STATION, name=station_name, notify=notify)
        for home in homes or (make_home(),):
            save_home(session, home, prefix=PREFIX, now=now)


def make_ingestor(store: Store, manager: AlertManager | None = None) -> Ingestor:
    """The hub's ingest of edge messages into ``store``, on the tests' topic prefix, raising
    alerts through ``manager`` (one of its own, on the hub's clock, unless given)."""
    return Ingestor(
        store, AlertManager(prefix=PREFIX) if manager is None else manager, prefix=PREFIX
    )


class Clock:
    """The hub's clock turned by hand (``clock.now += 3600``: an hour later for the alert
    manager it is given), so that escalations and due dates come without a test waiting."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def telemetry_message(
    seq: int, readings: list[tuple[float, str, str, object]], home: str = HOME
) -> tuple[str, bytes]:
    """A telemetry message of ``home``'s edge: readings as (epoch ts, device, metric, value)."""
    document = {
        "home": home,
        "edge": home,
        "seq": seq,
        "readings": [
            {"ts": datetime.fromtimestamp(ts, UTC).isoformat(), "device": device,
             "metric": metric, "value": value}
            for ts, device, metric, value in readings
        ],
    }  # fmt: skip
    return f"{PREFIX}/{home}/telemetry", json.dumps(document).encode()


def event_message(
    kind: str = "fall",
    state: str = "raised",
    *,
    seq: int,
    home: str = HOME,
    severity: str = "critical",
    evidence: dict[str, Any] | None = None,
    window: dict[str, Any] | None = None,
    ts: float | None = None,
    edge: str | None = None,
    device: str | None = None,
) -> tuple[str, bytes]:
    """An event as an edge sends it to the hub: its topic and its bytes, stamped now unless
    ``ts`` (epoch seconds) says when; from the home's own edge unless ``edge`` names one."""
    now = datetime.now(UTC) if ts is None else datetime.fromtimestamp(ts, UTC)
    document = {
        "ts": now.isoformat(),
        "home": home,
        "kind": kind,
        "state": state,
        "severity": severity,
        "started": now.isoformat(),
        "detector": kind,
        "evidence": evidence or {"source": "radar"},
        "edge": home if edge is None else edge,
        "seq": seq,
    }
    if window is not None:
        document["window"] = window
    if device is not None:
        document["device"] = device
    return f"{PREFIX}/{home}/event", json.dumps(document).encode()


def device_messages(
    device: str,
    metric: str,
    value: Any,
    *,
    home: HomeConfig | None = None,
    rate_hz: float | None = None,
    ts: float | datetime | None = None,
) -> list[tuple[str, bytes]]:
    """A reading of ``device`` as the device itself sends it (Zigbee2MQTT or native topic and
    payload) in the typical home by default; now, unless ``ts`` is given."""
    from simulators.payloads import encode

    home = make_home() if home is None else home
    moment = datetime.now(UTC) if ts is None else ts
    found = reading(moment, device, metric, value, home.home, rate_hz=rate_hz)
    return [(message.topic, message.payload) for message in encode([found], home)]


BED_SENSOR = device("bed", "presence", "bed", "native", "native-bed-sensor")
BED_CALL = device("call", "sos_button", "bedside", "zigbee2mqtt:bed_call")


def ward_config(
    home: str, institution: str, unit: str, room: str, bed: str, **changes: Any
) -> dict[str, Any]:
    """A bed of an institution as its home config: her bed sensor and call button (or
    ``devices``), and the place (``HomeConfig.place``); the resident at risk of falling
    unless ``resident`` says otherwise."""
    at_risk = {"name": "赵桂兰", "birth_year": 1938, "fall_risk": "at_risk"}
    resident = changes.pop("resident", at_risk)
    devices = changes.pop("devices", (BED_SENSOR, BED_CALL))
    return home_config(
        home, institution, devices=devices, resident=resident,
        place={"institution": institution, "unit": unit, "room": room, "bed": bed},
        contacts=[], **changes,
    )  # fmt: skip


# -- care operations (#16): a station's visit tiers, service types and providers ----------


async def seed_care(hub: Served, station: str = STATION) -> dict[str, int]:
    """Through the API as the admin: a daily phone tier and a weekly one, a meal service and
    a cleaning service, a canteen and a volunteer of ``station``; their ids by name."""
    made: dict[str, int] = {}
    rows = {
        "daily": ("/visit-tiers", {"name_zh": "每日电话", "name_en": "Daily phone call",
                                   "every_days": 1, "method": "phone"}),
        "weekly": ("/visit-tiers", {"name_zh": "每周电话或视频", "name_en": "Weekly phone or video",
                                    "every_days": 7, "method": "video"}),
        "meal": ("/service-types", {"code": "meal", "name_zh": "助餐", "name_en": "Meals"}),
        "clean": ("/service-types", {"code": "clean", "name_zh": "助洁", "name_en": "Cleaning"}),
        "canteen": ("/service-providers", {"name": "社区长者食堂", "kind": "provider",
                                           "phone": "0558-1234567", "type_codes": ["meal"]}),
        "volunteer": ("/service-providers", {"name": "志愿者 陈静", "kind": "volunteer",
                                             "type_codes": ["meal", "clean"]}),
    }  # fmt: skip
    for name, (path, body) in rows.items():
        response = await hub.http.post(path, json={"station": station, **body})
        response.raise_for_status()
        made[name] = response.json()["id"]
    return made
