"""Publish device messages to an MQTT broker, paced in accelerated event time.

``speed`` is simulated seconds per real second: at 600 a day passes in 2.4 minutes; at 0
(as fast as possible) the broker and the client set the pace. aiomqtt errors are turned
into SimulatorError here, at the boundary, with the broker's address in the message.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import aiomqtt

from transport.broker_url import BrokerUrl, BrokerUrlError
from transport.credentials import broker_url

from .errors import SimulatorError
from .payloads import DeviceMessage

# Publishes awaiting their PUBACK at once. One at a time would cost a round trip per
# message; a window keeps the socket busy while the order of sending stays the order given.
_WINDOW = 64


def broker_address(url: str) -> BrokerUrl:
    """The broker of ``url``; a bad URL is a SimulatorError like any other user mistake."""
    try:
        return broker_url(url)  # credentials from ELDERCARE_MQTT_* where the URL has none
    except BrokerUrlError as exc:
        raise SimulatorError(str(exc)) from exc


@dataclass(frozen=True)
class PublishReport:
    messages: int
    payload_bytes: int
    elapsed_s: float
    # How far the publisher fell behind the schedule ``speed`` asked for, at worst.
    max_lag_s: float

    @property
    def rate(self) -> float:
        """Messages per real second."""
        return self.messages / self.elapsed_s if self.elapsed_s > 0 else math.inf


def merge_by_time(streams: Iterable[Iterable[DeviceMessage]]) -> Iterator[DeviceMessage]:
    """One stream in event-time order from several (one per home), each already in order."""
    return heapq.merge(*streams, key=lambda message: message.ts)


class Pacer(Protocol):
    """A clock the simulated homes live by: how many real seconds until it shows ``ts``."""

    def seconds_until(self, ts: float) -> float: ...


class SteadyPace:
    """``speed`` simulated seconds a real second, counted from the first message asked
    about, not from the connection: a lazy stream may spend a while preparing it."""

    def __init__(self, speed: float):
        self.speed = speed
        self._origin: tuple[float, float] | None = None  # (simulated, monotonic)

    def seconds_until(self, ts: float) -> float:
        now = time.monotonic()
        if self._origin is None:
            self._origin = (ts, now)
        return self._origin[1] + (ts - self._origin[0]) / self.speed - now


async def publish(
    messages: Iterable[DeviceMessage],
    broker: BrokerUrl | str,
    *,
    speed: float = 0,
    clock: Pacer | None = None,
    client_id: str | None = None,
    connect_timeout: float = 10,
) -> PublishReport:
    """Publish ``messages`` in order, paced at ``speed`` (0: as fast as possible) or, when
    a ``clock`` is given, each when that clock shows its time; disconnect cleanly once the
    broker has acknowledged every QoS 1 message.

    ``messages`` is only iterated once connected, so a lazy stream costs nothing when the
    broker is not there.

    Raises SimulatorError if the broker cannot be reached or goes away.
    """
    if speed < 0 or not math.isfinite(speed):
        raise ValueError(f"speed must be 0 (as fast as possible) or positive, got {speed}")
    address = broker if isinstance(broker, BrokerUrl) else broker_address(broker)
    sent = 0
    payload_bytes = 0
    max_lag = 0.0
    started = time.monotonic()
    try:
        client = aiomqtt.Client(
            **address.client_kwargs(),
            identifier=client_id,
            timeout=connect_timeout,
            max_inflight_messages=_WINDOW,
            # paho leaves Nagle on: with delayed ACKs, small messages then wait ~40 ms.
            socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),),
        )
        # A full window is the plan, not the backlog aiomqtt warns about.
        client.pending_calls_threshold = _WINDOW
        async with client:
            pending: set[asyncio.Task[None]] = set()
            try:
                pacer = clock if clock is not None else SteadyPace(speed) if speed else None
                started = time.monotonic()
                for message in messages:
                    if pacer is not None:
                        wait = pacer.seconds_until(message.ts.timestamp())
                        if wait > 0:
                            await asyncio.sleep(wait)
                        else:
                            max_lag = max(max_lag, -wait)
                    if len(pending) >= _WINDOW:
                        done, pending = await asyncio.wait(
                            pending, return_when=asyncio.FIRST_COMPLETED
                        )
                        _raise_failures(done)
                    publishing = client.publish(message.topic, message.payload, qos=message.qos)
                    pending.add(asyncio.create_task(publishing))
                    sent += 1
                    payload_bytes += len(message.payload)
                if pending:
                    done, pending = await asyncio.wait(pending)
                    _raise_failures(done)
            finally:
                # On a failure (or Ctrl-C) the rest will not be acknowledged: drop them.
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
    except aiomqtt.MqttError as exc:
        progress = f" after {sent} messages" if sent else ""
        raise SimulatorError(
            f"MQTT broker {address}{progress}: {exc or type(exc).__name__}"
        ) from exc
    except OSError as exc:
        raise SimulatorError(f"MQTT broker {address}: {exc.strerror or exc}") from exc
    return PublishReport(sent, payload_bytes, time.monotonic() - started, max_lag)


def _raise_failures(done: set[asyncio.Task[None]]) -> None:
    # Read every outcome, not just the first failure: asyncio warns about the rest otherwise.
    errors = [task.exception() for task in done if not task.cancelled()]
    first = next((error for error in errors if error is not None), None)
    if first is not None:
        raise first
