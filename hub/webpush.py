"""Web Push to the family app when it is closed: VAPID (RFC 8292) signed, aes128gcm (RFC
8291) encrypted messages to the push service of each subscribed browser, through pywebpush.

The VAPID key pair is generated at the hub's first start and kept in the store (hub_meta),
so that subscriptions outlive restarts: a browser's subscription is bound to the public key.
A family user's subscription is a delivery target like an apprise URL, written as
``webpush:<subscription id>`` in the deliveries table: recorded, retried, given up alike.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy import select

from .errors import DeliveryError
from .schema import Meta, PushSubscription, User
from .store import Store

__all__ = ["TARGET_PREFIX", "Vapid02", "public_key", "push_targets", "send_push", "vapid_of"]

log = logging.getLogger(__name__)

TARGET_PREFIX = "webpush:"
VAPID_KEY = "vapid_private_key"  # hub_meta: the PEM of the VAPID private key
GONE = {404, 410}  # the push service forgot the subscription: the browser unsubscribed


def vapid_of(store: Store) -> Vapid02:
    """This installation's VAPID key pair: generated once, then read from the store."""
    with store.sessions() as session:
        kept = session.get(Meta, VAPID_KEY)
    if kept is not None:
        return Vapid02.from_pem(kept.value.encode())
    generated = Vapid02()
    generated.generate_keys()
    pem = generated.private_pem().decode()
    with store.transaction() as session:
        kept = session.get(Meta, VAPID_KEY)  # another process may have just made one
        if kept is not None:
            return Vapid02.from_pem(kept.value.encode())
        session.add(Meta(key=VAPID_KEY, value=pem))
    log.info("hub: VAPID keys for Web Push generated for this installation")
    return generated


def public_key(vapid: Vapid02) -> str:
    """The application server key a browser subscribes with: the uncompressed P-256 point,
    base64url without padding."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _family_subscriptions(*columns):  # type: ignore[no-untyped-def]
    """``columns`` of the push subscriptions a push reaches: active family users' (one rule
    for the targets and for /health's "no channel" warning)."""
    return (
        select(*columns)
        .select_from(PushSubscription)
        .join(User, User.username == PushSubscription.username)
        .where(User.role == "family", User.deactivated_at.is_(None))
    )


def push_targets(session, home: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The delivery targets of the active family users of ``home``'s resident."""
    rows = session.execute(
        _family_subscriptions(PushSubscription.id, User.residents).order_by(PushSubscription.id)
    ).all()
    return [f"{TARGET_PREFIX}{sub_id}" for sub_id, residents in rows if home in residents]


def homes_with_push(session) -> set[str]:  # type: ignore[no-untyped-def]
    """The homes whose resident has an active family user with a push subscription: one
    query for every home (``push_targets`` per home would be a query each)."""
    rows = session.execute(_family_subscriptions(User.residents)).all()
    return {home for (residents,) in rows for home in residents or ()}


async def send_push(
    store: Store,
    vapid: Vapid02,
    subject: str,
    target: str,
    message: dict[str, str],
    *,
    timeout_s: float,
) -> None:
    """Send one notification (``message``: its title, body, tag and url, as the service
    worker shows it); ``DeliveryError`` when it was not taken."""
    sub_id = int(target.removeprefix(TARGET_PREFIX))
    found = await asyncio.to_thread(_subscription, store, sub_id)
    if found is None:
        raise DeliveryError("the browser has unsubscribed (no such subscription)", target=target)
    endpoint, p256dh, auth = found
    try:
        await asyncio.to_thread(
            webpush,
            {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            json.dumps(message, ensure_ascii=False),
            vapid_private_key=vapid,
            vapid_claims={"sub": subject},
            timeout=timeout_s,
            ttl=24 * 3600,  # an alert a day old is not news any more
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in GONE:
            await asyncio.to_thread(_forget, store, sub_id)
        raise DeliveryError(
            f"the push service answered {status}" if status else f"push failed: {exc.message}",
            target=target,
        ) from exc
    except Exception as exc:  # requests' connection errors, a malformed key: one delivery
        raise DeliveryError(f"push failed ({type(exc).__name__})", target=target) from exc


def _subscription(store: Store, sub_id: int) -> tuple[str, str, str] | None:
    with store.sessions() as session:
        row = session.get(PushSubscription, sub_id)
        return None if row is None else (row.endpoint, row.p256dh, row.auth)


def _forget(store: Store, sub_id: int) -> None:
    with store.transaction() as session:
        row = session.get(PushSubscription, sub_id)
        if row is not None:
            session.delete(row)
