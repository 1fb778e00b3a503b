"""What the hub sends from its store: notifications, through a store that fails now and
then, and queued MQTT messages (configs, commands): published, marked sent, and a stop
that comes at any moment stops it."""

from __future__ import annotations

import asyncio
import time

import aiomqtt
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from hub import webpush
from hub.deliveries import DeliveryWorker, MqttOutbox
from hub.health import HubCounts
from hub.schema import Delivery, OutgoingMessage
from hub.settings import HubSettings
from hub.store import Store
from tests.support.factories import HOME, PREFIX
from tests.support.stores import fresh_database


async def test_a_stop_that_comes_with_a_puback_stops_the_outbox(mosquitto, tmp_path):
    """aiomqtt waits for a PUBACK with ``asyncio.wait_for``, which on Python 3.11 drops a
    cancel that lands in the same turn of the loop as the answer. The outbox then ran on,
    and nothing cancelled it again: a demo stopped with Ctrl-C, once in about 20 stops on a
    busy machine, never ended. Here the cancel comes from inside the PUBACK's callback."""
    store = Store(fresh_database(tmp_path))
    with store.transaction() as session:
        session.add(
            OutgoingMessage(
                topic=f"{PREFIX}/{HOME}/command",
                payload=b"{}",
                retain=False,
                created_at=time.time(),
            )
        )

    async def store_failed(_what: str, exc: BaseException) -> bool:
        raise AssertionError(f"the store failed: {exc}")

    counts = HubCounts()
    outbox = MqttOutbox(store, counts, store_failed)
    try:
        async with aiomqtt.Client(**mosquitto.client_kwargs(mosquitto.url)) as client:
            sending: asyncio.Task[None] | None = None
            answered = client._client.on_publish

            def stop_as_it_is_answered(*args: object) -> None:
                answered(*args)
                assert sending is not None
                sending.cancel()

            client._client.on_publish = stop_as_it_is_answered
            sending = asyncio.create_task(outbox.run(client))
            await asyncio.wait({sending}, timeout=10)
            assert sending.cancelled(), "the outbox runs on after its stop"
        # What the broker took is not sent again.
        assert counts.published == 1
        with store.transaction() as session:
            assert session.scalars(select(OutgoingMessage.sent_at)).one() is not None
    finally:
        store.close()


async def test_a_store_error_while_sending_a_push_leaves_it_pending_and_the_hub_running(
    tmp_path, monkeypatch
):
    """A push reads its subscription (and the VAPID key) from the store as it is sent; the
    store failing then ended the deliveries task, and with it the hub."""
    store = Store(fresh_database(tmp_path))
    now = time.time()
    push = Delivery(alert_id=None, audience="family", target="webpush:1", title="t", body="b",
                    state="pending", attempts=0, next_at=now, created_at=now)  # fmt: skip
    with store.transaction() as session:
        session.add(push)

    def unreadable(_store: Store, _sub_id: int) -> None:
        raise OperationalError("SELECT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(webpush, "_subscription", unreadable)
    failed: list[str] = []

    async def store_failed(what: str, _exc: BaseException) -> bool:
        failed.append(what)
        return True

    worker = DeliveryWorker(store, HubSettings(), HubCounts(), store_failed)
    sending = asyncio.create_task(worker.run())
    try:
        for _ in range(100):
            if failed or sending.done():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a task group ends at once when one of its tasks raises
        assert not sending.done(), f"the deliveries task ended: {sending.exception()!r}"
        assert failed == [f"delivery {push.id}"]  # counted and logged as a store failure
        with store.sessions() as session:
            row = session.get(Delivery, push.id)
        assert (row.state, row.attempts) == ("pending", 0)  # no attempt was made
        assert row.next_at > now  # claimed: sent again when the claim runs out
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        store.close()
