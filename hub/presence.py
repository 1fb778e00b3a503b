"""Who holds the hub's MQTT client id.

MQTT lets a second client with the same client id take over a session: the broker closes
the first connection and hands the session (its subscriptions, and what is queued for it)
to the newcomer, which then receives, and acknowledges, alerts meant for the hub. So:

* **The id is unique per installation.** Unless ``ELDERCARE_CLIENT_ID`` names one, the hub
  generates ``eldercare-hub-<random>`` at its first start and keeps it in the store
  (:func:`client_id_of`); a tool started with some default id cannot collide with it.
* **A hub says it holds the id**: retained on ``<prefix>/hub/<client id>/presence``,
  ``{"state": "online", "instance": ..., "pid": ..., "host": ..., "since": ...}``, with a
  will that says ``offline`` when its connection is lost. A killed process's socket is
  closed by the kernel, so the broker sends that will at once.
* **A second hub is refused** (:func:`claim`, before its first session): through a
  connection of its own it reads the presence and sends a probe on
  ``<prefix>/hub/<client id>/probe``; a live holder answers by publishing its presence again
  with the probe's nonce. An answer within ``presence_probe_s``: :class:`ClientIdInUse`,
  and ``eldercare hub`` exits non-zero. No presence, ``offline``, or no answer (a stale
  retained presence: a machine that crashed, a broker that kept it across a restart): the
  id is free. A hub restarting after SIGKILL or after a broker restart is not refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import aiomqtt
from sqlalchemy.exc import IntegrityError

from contracts.topics import hub_presence, hub_probe
from transport.broker_url import BrokerUrl
from transport.cancels import mqtt_call
from transport.sessions import connected

from .errors import HubError
from .schema import Meta
from .store import Store

log = logging.getLogger("hub")

CLIENT_ID_KEY = "mqtt_client_id"


class ClientIdInUse(HubError):
    """Another live hub holds this MQTT client id; taking it would split the alerts."""

    def __init__(self, client_id: str, holder: dict[str, object]):
        self.client_id = client_id
        self.holder = holder
        where = f"pid {holder.get('pid')} on {holder.get('host')}"
        since = holder.get("since")
        if isinstance(since, int | float):
            where += ", up since " + datetime.fromtimestamp(since, UTC).isoformat(
                timespec="seconds"
            )
        super().__init__(
            f"another hub ({where}) is connected with the MQTT "
            f"client id {client_id!r}; refusing to take its session. Stop that hub, or give "
            "this one another id (ELDERCARE_CLIENT_ID) and a store of its own"
        )


def client_id_of(store: Store, configured: str | None) -> str:
    """The configured id, or this installation's own, generated once and kept."""
    if configured:
        return configured
    with store.sessions() as session:
        kept = session.get(Meta, CLIENT_ID_KEY)
        if kept is not None:
            return kept.value
    generated = f"eldercare-hub-{secrets.token_hex(6)}"
    try:
        with store.transaction() as session:
            kept = session.get(Meta, CLIENT_ID_KEY)  # another process may have just made one
            if kept is not None:
                return kept.value
            session.add(Meta(key=CLIENT_ID_KEY, value=generated))
    except IntegrityError:  # a worker starting beside this one made it first: theirs
        with store.sessions() as session:
            kept = session.get(Meta, CLIENT_ID_KEY)
            if kept is None:
                raise
            return kept.value
    log.info("hub: MQTT client id %s generated for this installation", generated)
    return generated


def worker_client_id(installation: str, group: str, worker: str) -> str:
    """A shared-subscription worker's client id: the installation's, its group and its
    slot. Never the installation's own id (that of a single hub), and the same at every
    start of the slot, so the worker gets back the persistent session the broker kept
    for it; a second worker started in a slot already live is refused like a second hub."""
    return f"{installation}-{group}-{worker}"[:128]


@dataclass(frozen=True)
class Presence:
    """This hub process's presence under its client id."""

    prefix: str
    client_id: str
    instance: str
    since: float

    @classmethod
    def new(cls, prefix: str, client_id: str) -> Presence:
        return cls(prefix, client_id, secrets.token_hex(8), time.time())

    @property
    def topic(self) -> str:
        return hub_presence(self.prefix, self.client_id)

    @property
    def probe_topic(self) -> str:
        return hub_probe(self.prefix, self.client_id)

    def document(self, state: str, nonce: str | None = None) -> bytes:
        body: dict[str, object] = {
            "state": state,
            "instance": self.instance,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": self.since,
        }
        if nonce is not None:
            body["probe"] = nonce
        return json.dumps(body).encode()

    def will(self) -> aiomqtt.Will:
        return aiomqtt.Will(self.topic, self.document("offline"), qos=1, retain=True)

    def answer(self, probe_payload: bytes) -> bytes | None:
        """What to publish (retained) for a probe: our presence with its nonce."""
        try:
            nonce = json.loads(probe_payload).get("nonce")
        except (ValueError, AttributeError):
            return None
        return self.document("online", str(nonce)[:64]) if nonce else None


async def claim(presence: Presence, url: BrokerUrl, *, wait_s: float) -> None:
    """Raise :class:`ClientIdInUse` when another live hub holds the id; MqttError when the
    broker cannot be reached (the caller tries again before its first session)."""
    nonce = secrets.token_hex(8)
    identifier = f"{presence.client_id}-claim-{nonce[:6]}"
    async with connected(aiomqtt.Client(**url.client_kwargs(), identifier=identifier)) as client:
        await mqtt_call(client.subscribe(presence.topic, qos=1))
        await mqtt_call(client.subscribe(presence.probe_topic, qos=1))
        # Retained presence, if any, comes before the echo of our own probe.
        probe = json.dumps({"nonce": nonce})
        await mqtt_call(client.publish(presence.probe_topic, probe, qos=1))
        holder: dict[str, object] | None = None
        deadline = asyncio.get_running_loop().time() + wait_s
        try:
            async with asyncio.timeout_at(deadline):
                async for message in client.messages:
                    body = _document(message.payload)
                    if str(message.topic) == presence.probe_topic:
                        if holder is None:
                            return  # no presence before our probe: nobody holds the id
                        continue
                    if body.get("instance") == presence.instance:
                        continue
                    if body.get("probe") == nonce:
                        raise ClientIdInUse(presence.client_id, body)
                    online = body.get("state") == "online"
                    holder = body if online else None
                    if not online and message.retain:
                        return  # the last holder said offline (its will)
        except TimeoutError:
            pass
    if holder is not None:
        log.warning(
            "hub: the presence of an earlier hub with client id %s (pid %s on %s) is stale: "
            "it did not answer within %.1f s; taking the id",
            presence.client_id,
            holder.get("pid"),
            holder.get("host"),
            wait_s,
        )


def _document(payload: object) -> dict[str, object]:
    try:
        body = json.loads(payload if isinstance(payload, bytes | bytearray | str) else b"")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
