"""The bench's synthetic traffic: telemetry and event documents as edges send them, the
telemetry backlog, and the station and homes registered in the hub's store beforehand."""

from __future__ import annotations

import json
import math
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from contracts.topics import DEFAULT_PREFIX

PREFIX = DEFAULT_PREFIX
STATION = "st-bench"
READINGS_PER_MESSAGE = 10
TELEMETRY_EVERY_S = 10.0  # how often an edge sends a telemetry batch (edge default)
EVENT_KINDS = ("fall", "sos")
CST = timezone(timedelta(hours=8))  # the homes' local offset in their ISO timestamps


def home_id(index: int) -> str:
    return f"h{index:05d}"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, CST).isoformat(timespec="milliseconds")


def telemetry_document(home: str, seq: int, at: float, rng: random.Random) -> dict[str, Any]:
    """One edge telemetry batch of ten readings in valid ranges, as the edge uplinks it.

    The bracelet stamps epoch seconds, the Zigbee devices ISO 8601 with +08:00: the hub
    must parse both kinds of ``ts``, so both are in the traffic.
    """
    t = at - rng.uniform(0.0, TELEMETRY_EVERY_S)

    def band(metric: str, value: object, dt: float) -> dict[str, Any]:
        return {"ts": round(t + dt, 3), "home": home, "device": "band", "metric": metric,
                "value": value}  # fmt: skip

    def zigbee(device: str, metric: str, value: object, dt: float) -> dict[str, Any]:
        return {"ts": _iso(t + dt), "home": home, "device": device, "metric": metric,
                "value": value}  # fmt: skip

    readings = [
        band("heart_rate", rng.randint(58, 96), 0.0),
        band("spo2", rng.randint(93, 99), 0.0),
        band("skin_temp", round(rng.uniform(32.0, 35.5), 1), 0.0),
        band("steps", seq * 7 + rng.randint(0, 6), 0.0),
        band("worn", True, 0.0),
        band("battery", rng.randint(20, 100), 0.0),
        zigbee("front_door", "contact", rng.choice(("open", "closed")), 1.2),
        zigbee("bathroom_door", "contact", rng.choice(("open", "closed")), 2.7),
        zigbee("radar_bath", "presence", rng.random() < 0.3, 3.1),
        zigbee("radar_bath", "fall_state", "none", 3.1),
    ]
    return {"home": home, "readings": readings, "edge": home, "seq": seq}


def backlog(prefix: str, homes: int, messages: int, *, seed: int = 7) -> list[tuple[str, bytes]]:
    """``messages`` telemetry messages, homes taking turns, as if sent over the last while.

    Encoded once: the raw subscriber and the hub drain exactly the same bytes.
    """
    rng = random.Random(seed)
    now = time.time()
    span = math.ceil(messages / homes) * TELEMETRY_EVERY_S
    out = []
    for n in range(messages):
        home = home_id(n % homes)
        at = now - span + (n / messages) * span
        document = telemetry_document(home, n // homes + 1, at, rng)
        out.append((f"{prefix}/{home}/telemetry", json.dumps(document).encode()))
    return out


def event_document(home: str, kind: str, seq: int) -> dict[str, Any]:
    now = time.time()
    return {
        "ts": _iso(now),
        "home": home,
        "kind": kind,
        "state": "raised",
        "severity": "critical",
        "started": _iso(now - 1.0),
        "detector": kind,
        "device": "radar_bath" if kind == "fall" else "sos_bed",
        "evidence": {"source": "radar"} if kind == "fall" else {"presses": 1},
        "edge": home,
        "seq": seq,
    }


def home_document(home: str) -> dict[str, Any]:
    return {
        "home": home,
        "station": STATION,
        "timezone": "Asia/Shanghai",
        "resident": {"name": "王秀英", "birth_year": 1942, "lives_alone": True},
        "devices": [
            {"id": "front_door", "kind": "door", "role": "front_door",
             "source": "zigbee2mqtt:entrance", "model": "MCCGQ11LM"},
            {"id": "bathroom_door", "kind": "door", "role": "bathroom_door",
             "source": "zigbee2mqtt:bathroom", "model": "MCCGQ11LM"},
            {"id": "radar_bath", "kind": "fall_radar", "role": "bathroom",
             "source": "zigbee2mqtt:radar1", "model": "MIR-HE200-TY"},
            {"id": "band", "kind": "bracelet", "role": "wrist", "source": "native"},
            {"id": "sos_bed", "kind": "sos_button", "role": "bedside",
             "source": "zigbee2mqtt:sos"},
        ],
        "contacts": [
            {"name": "李明", "relation": "son", "phone": "13800000000", "notify": ["app", "sms"]}
        ],
    }  # fmt: skip


def register_homes(database: str, homes: int, prefix: str) -> float:
    """Station and homes straight through the registry, in one transaction; seconds taken."""
    from sqlalchemy import update

    from contracts.home import HomeConfig
    from hub.registry import save_home, save_station
    from hub.schema import OutgoingMessage
    from hub.store import Store

    started = time.perf_counter()
    store = Store(database)
    try:
        template = HomeConfig.model_validate(home_document(home_id(0)))
        with store.transaction() as session:
            save_station(session, STATION, name="颍州社区养老服务站")
            for index in range(homes):
                config = template.model_copy(update={"home": home_id(index)})
                save_home(session, config, prefix=prefix)
            # Each home's config is queued for its edge. Here they count as delivered long
            # ago: pushing N retained configs at start-up is not what this bench measures.
            session.execute(update(OutgoingMessage).values(sent_at=time.time()))
    finally:
        store.close()
    return time.perf_counter() - started
