"""Web Push to a family user's browser, checked at a local push endpoint.

Chromium's own push service is out of reach here (its network is off), so the family's
subscription names a local HTTP receiver as its endpoint, with keys this test holds as the
browser would. An alert of her mother then arrives there as a push service would get it: a
VAPID Authorization header that verifies with the hub's public key, and an aes128gcm body
that decrypts with the subscription's keys to the alert's text. The push is a delivery like
the others: recorded, retried after an error, and a subscription the service says is gone
(410) is forgotten. A family with a subscription and no other channel is not "no channel".
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select

from hub.schema import AlertChange, Delivery, PushSubscription
from tests.support.factories import (
    FAMILY,
    event_message,
    register,
    served,
    settings_for,
)
from tests.support.http_receiver import HttpReceiver
from tests.support.mqtt import publish, until


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser keeps of its push subscription: its key pair and its auth secret."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = secrets.token_bytes(16)

    def subscription(self) -> dict[str, object]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = {"p256dh": b64url(point), "auth": b64url(self.auth)}
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": keys}

    def decrypt(self, body: bytes) -> dict[str, str]:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        message: dict[str, str] = json.loads(plain)
        return message


def verified_claims(authorization: str, public_key: str, audience: str) -> dict[str, object]:
    """The VAPID header (RFC 8292: ``vapid t=<JWT>, k=<key>``) checked as a push service does."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key  # the key the browser subscribed with
    point = unb64url(public_key)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    head, payload, signature = fields["t"].split(".")
    assert json.loads(unb64url(head))["alg"] == "ES256"
    raw = unb64url(signature)  # JWS: r and s, 32 bytes each
    der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    key.verify(der, f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims: dict[str, object] = json.loads(unb64url(payload))
    assert claims["aud"] == audience
    return claims


async def subscribed(hub, receiver: HttpReceiver) -> tuple[Browser, str, int]:  # type: ignore[no-untyped-def]
    family = await hub.client_for(FAMILY)
    public_key = (await family.get("/push/key")).json()["public_key"]
    browser = Browser(receiver.url("/push/sub-1", scheme="http"))
    answer = await family.post("/push/subscriptions", json=browser.subscription())
    assert answer.status_code == 201, answer.text
    return browser, public_key, answer.json()["id"]


def deliveries_of(hub, target: str) -> list[Delivery]:  # type: ignore[no-untyped-def]
    with hub.hub.store.sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.target == target)).all()
        session.expunge_all()
        return list(rows)


async def test_an_alert_reaches_the_family_browser_signed_and_encrypted(
    mosquitto, tmp_path, http_receiver
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        browser, public_key, sub_id = await subscribed(hub, http_receiver)
        station = (await hub.http.get("/stations/st1")).json()
        family_problems = [p for p in station["channel_problems"] if p["audience"] == "family"]
        assert family_problems == []  # the browser is the family's channel

        await publish(mosquitto, [event_message("fall", seq=1)])
        (pushed,) = await asyncio.to_thread(http_receiver.wait_for, 1, 10.0)

        assert pushed.path == "/push/sub-1"
        headers = {name.lower(): value for name, value in pushed.headers.items()}
        assert headers["content-encoding"] == "aes128gcm"
        assert int(headers["ttl"]) > 0
        origin = f"http://{http_receiver.host}:{http_receiver.port}"
        claims = verified_claims(headers["authorization"], public_key, origin)
        assert claims["sub"] == hub.hub.settings.webpush_subject
        assert float(str(claims["exp"])) > time.time()
        message = browser.decrypt(pushed.body)
        await until(
            lambda: [d.state for d in deliveries_of(hub, f"webpush:{sub_id}")] == ["sent"],
            what="the push recorded as sent",
        )
        (delivery,) = deliveries_of(hub, f"webpush:{sub_id}")
        assert (message["title"], message["body"]) == (delivery.title, delivery.body)
        assert "王秀英" in message["title"] + message["body"]
        assert "跌倒" in message["title"] + message["body"]
        assert message["url"] == "/family"
        assert message["tag"] == f"alert-{delivery.alert_id}"  # one notification per alert

        with hub.hub.store.sessions() as session:
            unreached = session.scalars(
                select(AlertChange.detail).where(AlertChange.action == "no_channel")
            ).all()
        assert [d["audience"] for d in unreached] == ["station"]  # not the family


async def test_a_failed_push_is_retried_and_a_gone_subscription_forgotten(
    mosquitto, tmp_path, http_receiver
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        _, _, sub_id = await subscribed(hub, http_receiver)
        http_receiver.status = 503  # the push service is down for a moment
        await publish(mosquitto, [event_message("fall", seq=1)])
        await asyncio.to_thread(http_receiver.wait_for, 2, 10.0)  # sent, then again
        (delivery,) = deliveries_of(hub, f"webpush:{sub_id}")
        assert delivery.last_error is not None and "503" in delivery.last_error

        http_receiver.status = 410  # the browser unsubscribed: the service forgot it
        await until(
            lambda: "410" in (deliveries_of(hub, f"webpush:{sub_id}")[0].last_error or ""),
            what="the 410 recorded",
        )
        with hub.hub.store.sessions() as session:
            assert session.get(PushSubscription, sub_id) is None


async def test_only_a_family_account_subscribes_and_bad_subscriptions_are_refused(
    mosquitto, tmp_path, http_receiver
):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        family = await hub.client_for(FAMILY)
        good = Browser(http_receiver.url("/push/x", scheme="http")).subscription()
        staff = await hub.http.post("/push/subscriptions", json=good)  # the admin
        assert staff.status_code == 403
        for bad in (
            {**good, "endpoint": "http://push.example.org/x"},  # plain http, not local
            {**good, "endpoint": "file:///etc/passwd"},
            {**good, "keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}},  # type: ignore[index]
            {"endpoint": good["endpoint"]},
        ):
            answer = await family.post("/push/subscriptions", json=bad)
            assert answer.status_code == 422, bad
        assert (await family.post("/push/subscriptions", json=good)).status_code == 201
        gone = await family.request(
            "DELETE", "/push/subscriptions", json={"endpoint": good["endpoint"]}
        )
        assert gone.status_code == 204
        with hub.hub.store.sessions() as session:
            assert session.scalars(select(PushSubscription)).all() == []
