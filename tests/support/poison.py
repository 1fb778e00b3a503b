"""Poison for the edge: hand-picked payloads that once killed it, and hypothesis strategies
that generate and mutate device payloads, for the codec's and the edge's tests.

``FUZZ_EXAMPLES`` (environment variable) raises the number of generated cases per test, e.g.
``FUZZ_EXAMPLES=100000 pytest tests/edge/test_poison_payloads.py`` for a long run.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from contracts.home import HomeConfig
from devices import catalog
from tests.support import factories
from tests.support.factories import BAND, RADAR_BATH, home_config, make_home

HOME = "h001"
PREFIX = "eldercare/v1"
NOW = datetime(2026, 11, 29, 7, 31, 5, tzinfo=UTC)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "400"))


def every_model_home(home: str = HOME) -> HomeConfig:
    """A home with one device of every catalog model, and one of each kind without a model
    (the codec then picks the definition by the payload's keys)."""
    roles = {
        "door": "front_door",
        "motion": "living_room",
        "presence": "bed",
        "appliance": "kitchen",
        "fall_radar": "bathroom",
        "fall_pendant": "waist",
        "bracelet": "wrist",
        "sos_button": "bedside",
    }
    devices: list[dict[str, Any]] = []
    for number, spec in enumerate(catalog()):
        device_id = f"d{number}"
        source = "native" if spec.source == "native" else f"zigbee2mqtt:z{number}"
        devices.append(
            {
                "id": device_id,
                "kind": spec.kind,
                "role": roles[spec.kind],
                "source": source,
                "model": spec.model,
            }
        )
    for kind, role in roles.items():
        native = kind in ("bracelet", "fall_pendant")
        source = "native" if native else f"zigbee2mqtt:any_{kind}"
        devices.append({"id": f"any_{kind}", "kind": kind, "role": role, "source": source})
    return make_home(home, devices=devices)


def device_topics(config: HomeConfig, zigbee_base: str = "zigbee2mqtt") -> list[str]:
    topics = []
    for device in config.devices:
        if device.zigbee_name is not None:
            topics.append(f"{zigbee_base}/{device.zigbee_name}")
        else:
            topics.append(f"{PREFIX}/{config.home}/dev/{device.id}/up")
    return topics


PAYLOAD_KEYS = sorted(
    {expose.property for spec in catalog() for expose in spec.exposes} | {"ts", "last_seen"}
)

# What killed the edge before it parsed with limits, and the rest of the usual poison.
POISON: dict[str, bytes] = {
    "nesting 2000 deep": b'{"sos": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    "object nesting": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "battery of 400 digits": b'{"battery": ' + b"9" * 400 + b', "action": "emergency"}',
    "exponent overflow": b'{"battery": 1e999999}',
    "NaN": b'{"battery": NaN, "contact": NaN}',
    "Infinity": b'{"heart_rate": -Infinity, "ts": Infinity}',
    "invalid UTF-8": b'{"action": "\xff\xfe\xc3"}',
    "lone surrogate": b'{"action": "\\ud800"}',
    "oversized": b'{"pad": "' + b"x" * 70_000 + b'"}',
    "not an object": b'[["emergency"]]',
    "wrong types": b'{"battery": "full", "contact": 1, "action": {"x": []}, "ts": [1]}',
    "accel of strings": b'{"ts": 1, "accel": {"rate_hz": 50, "samples": [["a", "b", "c"]]}}',
    "accel ragged": b'{"accel": {"rate_hz": 1e308, "samples": [[1, 2], [3, 4, 5, 6]]}}',
    "empty": b"",
    "truncated": b'{"action": "emerg',
}


def _json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**18, max_value=10**60),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(["emergency", "fall", "none", "single", "", "maybe_fall", "on", "off"]),
    )


json_values = st.recursive(
    _json_scalars(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(PAYLOAD_KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


def _timestamps() -> st.SearchStrategy[Any]:
    near = st.floats(min_value=-7200, max_value=7200).map(
        lambda offset: (NOW + timedelta(seconds=offset)).timestamp()
    )
    iso = st.floats(min_value=-7200, max_value=7200).map(
        lambda offset: (NOW + timedelta(seconds=offset)).isoformat()
    )
    return st.one_of(near, near.map(lambda s: int(s * 1000)), iso, json_values)


device_bodies = st.fixed_dictionaries(
    {},
    optional={
        **{key: json_values for key in PAYLOAD_KEYS},
        "ts": _timestamps(),
        "last_seen": _timestamps(),
        "accel": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "rate_hz": json_values,
                    "samples": st.lists(st.lists(json_values, max_size=4), max_size=6),
                }
            ),
        ),
    },
)


def _as_json(document: Any) -> bytes:
    return json.dumps(document, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def _mutated(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> bytes:
    """A JSON payload with a few bytes changed, inserted, removed or cut off."""
    payload = bytearray(_as_json(draw(documents)))
    for _ in range(draw(st.integers(1, 4))):
        if not payload:
            break
        at = draw(st.integers(0, len(payload) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        if action == "flip":
            payload[at] = draw(st.integers(0, 255))
        elif action == "insert":
            payload[at:at] = draw(st.sampled_from([b"[", b"{", b"9" * 50, b"NaN", b'"', b"\xff"]))
        elif action == "delete":
            del payload[at]
        elif action == "truncate":
            del payload[at:]
        else:
            payload[at:at] = payload[at : at + 8] * draw(st.integers(2, 300))
    return bytes(payload)


@st.composite
def _nested(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(20, 3000))
    opening, closing = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    key = draw(st.sampled_from(PAYLOAD_KEYS)).encode()
    return b'{"' + key + b'": ' + opening * depth + b"1" + closing * depth + b"}"


@st.composite
def _long_number(draw: st.DrawFn) -> bytes:
    digits = draw(st.integers(30, 5000))
    key = draw(st.sampled_from(PAYLOAD_KEYS)).encode()
    number = draw(st.sampled_from([b"9" * digits, b"-" + b"9" * digits, b"1e" + b"9" * digits]))
    return b'{"' + key + b'": ' + number + b"}"


payloads = st.one_of(
    device_bodies.map(_as_json),
    _mutated(device_bodies),
    _nested(),
    _long_number(),
    st.binary(max_size=200),
    json_values.map(_as_json),
    st.sampled_from(list(POISON.values())),
)


def edge_home(home: str, **changes: Any) -> dict[str, Any]:
    """The typical home with a modelled SOS button, as a document an edge is pushed."""
    sos_bed = factories.device("sos_bed", "sos_button", "bedside", "zigbee2mqtt:sos", "TS0215A_sos")
    changes.setdefault("devices", [RADAR_BATH, sos_bed, BAND])
    return home_config(home, **changes)


def bad_configs(home: str) -> dict[str, bytes]:
    """Configs the hub could push that the edge must refuse, whatever they are, by name."""
    good = edge_home(home)

    def with_thresholds(thresholds: dict[str, Any]) -> bytes:
        return json.dumps({**good, "thresholds": thresholds}).encode()

    deep = b"[" * 2000 + b"]" * 2000
    bomb = "\n".join(
        [
            f'home: &a ["{home}", *a]',
            "b: &b [*a, *a, *a, *a]",
            "c: &c [*b, *b, *b, *b]",
            "d: [*c, *c, *c, *c, *c, *c]",
        ]
    )
    huge = json.dumps(good)[:-1] + ', "thresholds": {"sos": {"same_call_s": ' + "9" * 400 + "}}}"
    return {
        "deep JSON": json.dumps({"home": home, "x": 1}).replace("1", deep.decode()).encode(),
        "deep YAML": f"home: {home}\nx: ".encode() + b"[" * 3000 + b"]" * 3000,
        "huge number": huge.encode(),
        "YAML bomb": bomb.encode(),
        "NaN threshold": with_thresholds({"sos": {"same_call_s": float("nan")}}),
        "wrong types": json.dumps({**good, "devices": "all", "resident": [1, 2]}).encode(),
        "another home": json.dumps(edge_home("h999")).encode(),
        "invalid UTF-8": b'{"home": "\xff\xfe"}',
        "not a mapping": b"[1, 2, 3]",
        "a model not in the catalog": json.dumps(
            {**good, "devices": [{**RADAR_BATH, "model": "MIR-HE200-TX"}]}
        ).encode(),
        # Last: the test of restarts finds it still retained.
        "thresholds the detectors refuse": with_thresholds({"sos": {"x": 1}}),
    }
