"""The live feed: alert, device and home changes fanned out in process to WebSocket clients.

Each WebSocket connection holds one ``Subscription``, filtered by station and/or resident.
``publish`` never blocks and never raises, so the alert manager can call it from its hot
path: a subscriber that falls ``max_queue`` messages behind is cut off (its iteration
raises ``FeedOverflowError``) instead of slowing the hub or growing without bound; its
client reconnects and reloads the current state over REST.

Everything runs on the hub's event loop: ``publish`` must be called from that loop's
thread (it is plain, non-thread-safe asyncio).

Wire shape of one message, ``FeedMessage.to_json()`` (one WebSocket text frame)::

    {"type": "alert",          # what changed: "alert", "device", "home", ...
     "station": "st1",         # community station of the home, or null
     "resident": "r17",        # resident concerned, or null
     "at": 1764372665.0,       # when it happened, epoch seconds (UTC)
     "data": {...}}            # the payload, e.g. the alert as the REST API shows it

A NaN or infinity anywhere in it (an older store's evidence) is written as ``null``: the
browser's ``JSON.parse`` refuses ``NaN``, and the console would drop the whole alert.

>>> evidence = {"peak_g": float("nan")}
>>> message = FeedMessage("alert", "st1", "r17", {"kind": "fall", "evidence": evidence}, 1.0)
>>> print(message.to_json())
{"type":"alert","station":"st1","resident":"r17","at":1.0,\
"data":{"kind":"fall","evidence":{"peak_g":null}}}
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from types import MappingProxyType, TracebackType
from typing import Any, Self

from contracts import safe_json

from .errors import FeedOverflowError


@dataclass(frozen=True, slots=True)
class FeedMessage:
    """One change pushed to live clients; see the module docstring for its JSON shape."""

    type: str
    station: str | None
    resident: str | None
    payload: Mapping[str, Any]
    at: float

    def __post_init__(self) -> None:
        # Checked here, at the producer, so that publish() itself can never raise on a
        # malformed message (an unhashable station would fail the filter lookup).
        for name in ("station", "resident"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"FeedMessage.{name} must be a str or None, not {value!r}")
        # One message object sits in every subscriber's queue: a read-only copy keeps a
        # publisher's later change to its dict from showing up in messages already sent.
        object.__setattr__(self, "payload", MappingProxyType(dict(self.payload)))

    def to_json(self) -> str:
        document = {
            "type": self.type,
            "station": self.station,
            "resident": self.resident,
            "at": self.at,
            "data": self.payload,
        }
        return safe_json.dumps(_jsonable(document)).decode()


def _jsonable(value: Any) -> Any:
    """Plain JSON types all the way down, so the writer meets nothing it must guess at."""
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return _jsonable(value.value)
    return value


class Subscription:
    """One subscriber's queue: an async iterator of ``FeedMessage``, filtered.

    Messages published after ``subscribe()`` returns are queued even before iteration
    starts. Iteration ends (``StopAsyncIteration``) after ``close()``, and raises
    ``FeedOverflowError`` once if the subscriber fell ``max_queue`` messages behind.
    """

    def __init__(
        self,
        feed: AlertFeed,
        *,
        stations: frozenset[str] | None,
        residents: frozenset[str] | None,
        max_queue: int,
    ) -> None:
        self.stations = stations
        self.residents = residents
        self.max_queue = max_queue
        self.overflowed = False
        self.closed = False
        self._feed = feed
        self._pending: deque[FeedMessage] = deque()
        self._ready = asyncio.Event()
        self._overflow_reported = False

    def wants(self, message: FeedMessage) -> bool:
        return (self.stations is None or message.station in self.stations) and (
            self.residents is None or message.resident in self.residents
        )

    @property
    def pending(self) -> int:
        """Messages queued and not yet taken."""
        return len(self._pending)

    def close(self) -> None:
        """Unsubscribe; a pending or later ``__anext__`` ends. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        # What is still queued is dropped: the client is gone or will reload anyway.
        self._pending.clear()
        self._feed._discard(self)
        self._ready.set()

    def _offer(self, message: FeedMessage) -> bool:
        if len(self._pending) >= self.max_queue:
            self.overflowed = True
            self.close()
            return False
        self._pending.append(message)
        self._ready.set()
        return True

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> FeedMessage:
        while True:
            if self.overflowed:
                if self._overflow_reported:
                    raise StopAsyncIteration
                # Raised once, so the WebSocket handler can close with a reason.
                self._overflow_reported = True
                raise FeedOverflowError(self.max_queue)
            if self._pending:
                return self._pending.popleft()
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AlertFeed:
    """Fans each published message out to the subscriptions whose filters it passes."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self.dropped_subscribers = 0

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def subscribe(
        self,
        *,
        stations: frozenset[str] | None = None,
        residents: frozenset[str] | None = None,
        max_queue: int = 1000,
    ) -> Subscription:
        """A new subscription; ``None`` leaves that axis unfiltered, both filters must pass.

        A message without a station (or resident) reaches only subscribers that do not
        filter on stations (or residents).
        """
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, not {max_queue}")
        subscription = Subscription(
            self,
            stations=_names(stations, "stations"),
            residents=_names(residents, "residents"),
            max_queue=max_queue,
        )
        self._subscriptions.add(subscription)
        return subscription

    def publish(self, message: FeedMessage) -> int:
        """Queue ``message`` for every matching subscriber; returns for how many."""
        queued = 0
        # A copy: an overflowing subscriber removes itself while we iterate.
        for subscription in tuple(self._subscriptions):
            if not subscription.wants(message):
                continue
            if subscription._offer(message):
                queued += 1
            else:
                self.dropped_subscribers += 1
        return queued

    def close(self) -> None:
        """Close every subscription, e.g. at shutdown, so WebSocket handlers finish."""
        for subscription in tuple(self._subscriptions):
            subscription.close()

    def _discard(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)


def _names(values: frozenset[str] | None, axis: str) -> frozenset[str] | None:
    if values is None:
        return None
    # A bare string would silently become a set of its characters.
    if isinstance(values, str):
        raise TypeError(f"{axis} must be a set of names, not the string {values!r}")
    return frozenset(values)
