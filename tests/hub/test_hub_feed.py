"""The live feed: filters, fan-out, a slow subscriber cut off, unsubscribing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from hub.errors import FeedOverflowError, HubError
from hub.feed import AlertFeed, FeedMessage, Subscription


def message(station: str | None = "st1", resident: str | None = "r1", n: int = 0) -> FeedMessage:
    return FeedMessage("alert", station, resident, {"n": n, "kind": "fall"}, 1764372665.0 + n)


def drain(subscription: Subscription) -> list[FeedMessage]:
    """What is queued now, without waiting."""
    taken = []
    while subscription.pending:
        taken.append(subscription._pending.popleft())
    return taken


async def take(subscription: Subscription, count: int, timeout: float = 2.0) -> list[Any]:
    """The payload ``n`` of the next ``count`` messages."""
    async with asyncio.timeout(timeout):
        return [(await anext(subscription)).payload["n"] for _ in range(count)]


async def test_filters_by_station() -> None:
    feed = AlertFeed()
    st1 = feed.subscribe(stations=frozenset({"st1"}))
    st2 = feed.subscribe(stations=frozenset({"st2", "st3"}))

    assert feed.publish(message(station="st1", n=1)) == 1
    assert feed.publish(message(station="st3", n=2)) == 1
    assert feed.publish(message(station=None, n=3)) == 0

    assert await take(st1, 1) == [1]
    assert await take(st2, 1) == [2]
    assert st1.pending == st2.pending == 0


async def test_filters_by_resident_and_both_axes_must_pass() -> None:
    feed = AlertFeed()
    family = feed.subscribe(residents=frozenset({"r1"}))
    narrow = feed.subscribe(stations=frozenset({"st1"}), residents=frozenset({"r2"}))
    everything = feed.subscribe()

    feed.publish(message(resident="r1", n=1))
    feed.publish(message(resident="r2", n=2))
    feed.publish(message(station="st9", resident="r2", n=3))
    feed.publish(message(resident=None, n=4))

    assert [m.payload["n"] for m in drain(family)] == [1]
    assert [m.payload["n"] for m in drain(narrow)] == [2]
    assert [m.payload["n"] for m in drain(everything)] == [1, 2, 3, 4]


async def test_two_subscribers_both_get_a_message_while_waiting() -> None:
    feed = AlertFeed()
    first, second = feed.subscribe(), feed.subscribe()
    # Both are already waiting when the message is published: publish must wake them.
    waiting = [asyncio.create_task(take(s, 1)) for s in (first, second)]
    await asyncio.sleep(0)

    assert feed.publish(message(n=7)) == 2
    assert await asyncio.gather(*waiting) == [[7], [7]]


async def test_slow_subscriber_overflows_without_affecting_the_others() -> None:
    feed = AlertFeed()
    slow = feed.subscribe(max_queue=3)
    fast = feed.subscribe(max_queue=3)
    other_station = feed.subscribe(stations=frozenset({"st2"}), max_queue=1)

    received = []
    for n in range(10):
        queued = feed.publish(message(n=n))
        received.extend(await take(fast, 1))
        # The fourth message finds slow's queue full: slow is cut off, fast still gets it.
        assert queued == (2 if n < 3 else 1)

    assert received == list(range(10))
    assert slow.overflowed and slow.closed
    assert feed.dropped_subscribers == 1
    assert feed.subscriber_count == 2
    assert not other_station.overflowed  # it never matched, so never filled

    # The slow client learns why once, then its iteration is over.
    with pytest.raises(FeedOverflowError) as raised:
        await anext(slow)
    assert isinstance(raised.value, HubError) and raised.value.max_queue == 3
    assert [m async for m in slow] == []


async def test_overflow_ends_an_async_for_with_the_error() -> None:
    feed = AlertFeed()
    subscription = feed.subscribe(max_queue=2)
    for n in range(3):
        feed.publish(message(n=n))
    seen = []
    with pytest.raises(FeedOverflowError):
        async for m in subscription:
            seen.append(m)
    # The backlog is dropped: the client reloads state rather than replay stale news.
    assert seen == []


async def test_context_manager_unsubscribes_on_exit() -> None:
    feed = AlertFeed()
    async with feed.subscribe() as subscription:
        assert feed.subscriber_count == 1
        feed.publish(message(n=1))
        assert await take(subscription, 1) == [1]
    assert feed.subscriber_count == 0
    assert subscription.closed
    assert feed.publish(message(n=2)) == 0


async def test_unsubscribes_on_exit_by_error_too() -> None:
    feed = AlertFeed()
    with pytest.raises(RuntimeError):
        async with feed.subscribe():
            raise RuntimeError("websocket gone")
    assert feed.subscriber_count == 0


async def test_close_ends_a_waiting_iteration() -> None:
    feed = AlertFeed()
    subscription = feed.subscribe()

    async def collect() -> list[FeedMessage]:
        return [m async for m in subscription]

    task = asyncio.create_task(collect())
    feed.publish(message(n=1))
    await asyncio.sleep(0.01)
    subscription.close()
    subscription.close()  # twice is harmless
    async with asyncio.timeout(2):
        assert [m.payload["n"] for m in await task] == [1]
    assert feed.subscriber_count == 0


async def test_feed_close_ends_every_subscription() -> None:
    feed = AlertFeed()
    subscriptions = [feed.subscribe() for _ in range(3)]
    feed.close()
    assert feed.subscriber_count == 0
    for subscription in subscriptions:
        assert [m async for m in subscription] == []


def test_to_json_shape_keeps_chinese() -> None:
    text = FeedMessage(
        "home", "st1", None, {"name": "王秀英", "online": True}, 1764372665.5
    ).to_json()
    assert "王秀英" in text
    assert json.loads(text) == {
        "type": "home",
        "station": "st1",
        "resident": None,
        "at": 1764372665.5,
        "data": {"name": "王秀英", "online": True},
    }


def test_payload_is_a_frozen_copy() -> None:
    payload = {"n": 1}
    sent = FeedMessage("alert", "st1", "r1", payload, 0.0)
    payload["n"] = 2
    assert sent.payload["n"] == 1
    with pytest.raises(TypeError):
        sent.payload["n"] = 3  # type: ignore[index]


def test_bad_arguments_are_refused_at_the_caller() -> None:
    feed = AlertFeed()
    with pytest.raises(TypeError):
        feed.subscribe(stations="st1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        feed.subscribe(max_queue=0)
    with pytest.raises(TypeError):
        FeedMessage("alert", ["st1"], None, {}, 0.0)  # type: ignore[arg-type]
