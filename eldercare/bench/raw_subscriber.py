"""What the broker alone does, measured with plain paho: a raw subscriber that drains its
queued backlog counting messages, the publisher that queues that backlog, and the end of a
persistent session."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from transport.broker_url import BrokerUrl

from .sizes import STALL_S


def _paho_client(url: BrokerUrl, client_id: str, *, clean: bool) -> paho.Client:
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean,
        protocol=paho.MQTTv311,
    )
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        client.tls_set_context(url.tls_context())  # the CA and client certificate given
    return client


def _connect(client: paho.Client, url: BrokerUrl, timeout: float = 10.0) -> None:
    """Connect with paho's network thread running; return once the CONNACK is in."""
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    client.connect(url.host, url.port, keepalive=60)
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise TimeoutError(f"no CONNACK from {url} within {timeout} s")


def _close(client: paho.Client) -> None:
    client.disconnect()
    client.loop_stop()


def forget_session(url: BrokerUrl, client_id: str) -> None:
    """End a persistent session, so the broker stops queuing traffic for it."""
    client = _paho_client(url, client_id, clean=True)
    _connect(client, url)
    _close(client)


class RawSubscriber:
    """A plain paho subscriber with a persistent QoS 1 session: what the broker alone does."""

    def __init__(self, url: BrokerUrl, client_id: str, topic: str):
        self.url = url
        self.client_id = client_id
        self.topic = topic
        self.expected = 0
        self.received = 0
        self.last_at = 0.0
        self._done = threading.Event()

    def create_session(self) -> None:
        client = _paho_client(self.url, self.client_id, clean=False)
        _connect(client, self.url)
        subscribed = threading.Event()
        client.on_subscribe = lambda *_: subscribed.set()
        client.subscribe(self.topic, qos=1)
        if not subscribed.wait(10):
            raise TimeoutError("no SUBACK for the raw subscriber")
        _close(client)

    def _on_message(self, _client: object, _userdata: object, _message: object) -> None:
        # Counting is all it does: the broker's delivery rate to a Python consumer.
        self.received += 1
        self.last_at = time.perf_counter()
        if self.received >= self.expected:
            self._done.set()

    def drain(self, expected: int) -> tuple[int, float]:
        """Reconnect and take the queued backlog: (messages received, seconds)."""
        self.expected, self.received = expected, 0
        self._done.clear()
        client = _paho_client(self.url, self.client_id, clean=False)
        client.on_message = self._on_message
        started = time.perf_counter()
        _connect(client, self.url)
        seen = -1
        while not self._done.wait(STALL_S):
            if self.received == seen:
                break  # nothing more arrives: the broker did not keep all of it
            seen = self.received
        _close(client)
        return self.received, (self.last_at or time.perf_counter()) - started


def publish_all(url: BrokerUrl, messages: Sequence[tuple[str, bytes]], client_id: str) -> float:
    """Publish QoS 1 and wait for every PUBACK (then the broker has queued them); seconds."""
    client = _paho_client(url, client_id, clean=True)
    client.max_inflight_messages_set(1000)
    acked = 0
    done = threading.Event()

    def on_publish(*_: object) -> None:
        nonlocal acked
        acked += 1
        if acked >= len(messages):
            done.set()

    client.on_publish = on_publish
    _connect(client, url)
    started = time.perf_counter()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    if not done.wait(max(60.0, len(messages) / 500)):
        raise TimeoutError(f"only {acked} of {len(messages)} messages acknowledged by the broker")
    elapsed = time.perf_counter() - started
    _close(client)
    return elapsed
