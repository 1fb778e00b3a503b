"""Device faults injected into a message stream, seeded, and recorded.

Faults are *added* to the stream, never substituted for a genuine message: a corrupted
message is a copy of a real one, sent next to it. The genuine stream stays complete, so an
evaluation can check both that every good reading arrived and that every injected fault was
counted by ``devices.decode`` (a PayloadError, or an entry of ``Decoded.rejected``), without
guessing which readings a fault destroyed. Corrupted copies carry only the envelope and the
broken value, so they contribute no readings of their own.

Reordering is the exception: ``out_of_order`` swaps a message with its next neighbour when
that one is at most a few seconds later, as a QoS 1 retransmission or a second network
path would.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal, get_args

from devices.codec import MAX_PAYLOAD_BYTES

from .payloads import DeviceMessage

FaultKind = Literal[
    "truncated_json",
    "nan",
    "wrong_type",
    "heart_rate_0",
    "heart_rate_300",
    "spo2_101",
    "unknown_device",
    "oversized",
    "clock_skew",
    "duplicate",
    "out_of_order",
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)

# What devices.decode reports for each fault (PayloadError.problem, raised or in
# Decoded.rejected). Clock skew is judged against the arrival time: it is only detectable
# when the clock that receives runs in event time, not in an accelerated replay.
EXPECTED_PROBLEMS: dict[FaultKind, frozenset[str]] = {
    "truncated_json": frozenset({"malformed_json"}),
    "nan": frozenset({"no_data"}),  # NaN is null on the wire: that value has no data
    "wrong_type": frozenset({"wrong_type", "unexpected_value"}),
    "heart_rate_0": frozenset({"no_data"}),
    "heart_rate_300": frozenset({"out_of_range"}),
    "spo2_101": frozenset({"out_of_range"}),
    "unknown_device": frozenset({"unknown_device"}),
    "oversized": frozenset({"oversized"}),
    "clock_skew": frozenset({"bad_timestamp"}),
    # Valid messages: a duplicate is caught as an identical payload, a reordered one is fine.
    "duplicate": frozenset(),
    "out_of_order": frozenset(),
}

# Keys that frame a payload rather than carry a reading.
_ENVELOPE = frozenset({"ts", "last_seen", "linkquality"})
_REORDER_WINDOW = timedelta(seconds=5)


@dataclass(frozen=True)
class InjectedFault:
    """One fault: ``message`` is what was sent, ``source`` the genuine message behind it."""

    kind: FaultKind
    message: DeviceMessage
    source: DeviceMessage


@dataclass
class FaultRecord:
    """What an injection did, filled in as the stream is consumed."""

    injected: list[InjectedFault] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(fault.kind for fault in self.injected)

    @property
    def total(self) -> int:
        return len(self.injected)


def inject_faults(
    messages: Iterable[DeviceMessage],
    rate: float,
    seed: int,
    *,
    record: FaultRecord | None = None,
    kinds: Iterable[FaultKind] = FAULT_KINDS,
) -> Iterator[DeviceMessage]:
    """Yield ``messages`` with a fault added after about ``rate`` of them.

    The kind is drawn among ``kinds`` that fit the message (vitals faults need a payload
    with that vital, clock skew a native ``ts``). The same seed and stream give the same
    faults; ``record`` receives each one.
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
    allowed = tuple(kinds)
    rng = random.Random(seed)
    log = record if record is not None else FaultRecord()
    stream = iter(messages)
    current = next(stream, None)
    while current is not None:
        following = next(stream, None)
        choices = [k for k in allowed if _fits(k, current, following)] if rate else []
        if not choices or rng.random() >= rate:
            yield current
            current = following
            continue
        kind = rng.choice(choices)
        if kind == "out_of_order":
            assert following is not None  # _fits checked it
            yield following
            yield current
            log.injected.append(InjectedFault(kind, current, current))
            current = next(stream, None)
            continue
        faulty = _corrupt(kind, current, rng)
        yield current
        yield faulty
        log.injected.append(InjectedFault(kind, faulty, current))
        current = following


def _fits(kind: FaultKind, message: DeviceMessage, following: DeviceMessage | None) -> bool:
    if kind == "out_of_order":
        return following is not None and following.ts - message.ts <= _REORDER_WINDOW
    if kind in ("heart_rate_0", "heart_rate_300", "spo2_101", "clock_skew", "wrong_type"):
        body = _body(message)
        if body is None:
            return False
        if kind == "clock_skew":
            return isinstance(body.get("ts"), int | float)
        if kind == "wrong_type":
            return any(key not in _ENVELOPE for key in body)
        return ("spo2" if kind == "spo2_101" else "heart_rate") in body
    return True


def _corrupt(kind: FaultKind, message: DeviceMessage, rng: random.Random) -> DeviceMessage:
    if kind == "duplicate":
        return message
    if kind == "truncated_json":
        return replace(message, payload=message.payload[: rng.randrange(1, len(message.payload))])
    if kind == "unknown_device":
        levels = message.topic.split("/")
        ghost = f"ghost_{rng.randrange(16**6):06x}"
        # Native topics end .../dev/<device>/up; Zigbee2MQTT ones with the friendly name.
        levels[-2 if levels[-1] == "up" else -1] = ghost
        return replace(message, topic="/".join(levels))
    body = _body(message)
    assert body is not None  # encode's payloads are JSON objects
    envelope = {key: value for key, value in body.items() if key in ("ts", "last_seen")}
    if kind == "nan":
        # A number if there is one; else a value the device sends (a radar has no number).
        keys = [k for k in body if k not in _ENVELOPE]
        numeric = [k for k in keys if _is_number(body[k])]
        key = rng.choice(numeric) if numeric else (keys[0] if keys else "battery")
        return _with(message, envelope, key, math.nan)
    if kind == "oversized":
        padded = {**body, "padding": "x" * (MAX_PAYLOAD_BYTES + 1)}
        return replace(message, payload=json.dumps(padded).encode())
    if kind == "clock_skew":
        shift = rng.choice(
            (
                timedelta(minutes=rng.uniform(6, 120)),
                timedelta(days=rng.uniform(1, 30)),
                -timedelta(days=rng.uniform(2, 30)),
            )
        )
        skewed = {**body, "ts": body["ts"] + shift.total_seconds()}
        return replace(message, payload=json.dumps(skewed).encode())
    if kind == "wrong_type":
        key = rng.choice([k for k in body if k not in _ENVELOPE])
        return _with(message, envelope, key, _wrong_type(body[key]))
    vital, value = {
        "heart_rate_0": ("heart_rate", 0),
        "heart_rate_300": ("heart_rate", 300),
        "spo2_101": ("spo2", 101),
    }[kind]
    return _with(message, envelope, vital, value)


def _with(message: DeviceMessage, envelope: dict[str, Any], key: str, value: Any) -> DeviceMessage:
    return replace(message, payload=json.dumps({**envelope, key: value}).encode())


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()  # "true": what a sloppy firmware sends for true
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 1
    return "garbage"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _body(message: DeviceMessage) -> dict[str, Any] | None:
    try:
        body = json.loads(message.payload)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
