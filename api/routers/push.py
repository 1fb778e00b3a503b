"""Web Push for the family app: the hub's public key, and a family user's subscriptions.

A subscription is what the browser's ``PushManager.subscribe`` gives: the push service's
endpoint and the keys its messages are encrypted to. The hub then pushes each alert of the
user's residents to it (hub/webpush.py), as a delivery like the others.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import time
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from hub.accounts import Forbidden, Scope
from hub.schema import PushSubscription
from hub.webpush import public_key

from ..deps import HubDep, ScopeDep
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/push", tags=["push"], route_class=LimitedJsonRoute)


def _endpoint(url: str) -> str:
    """https, or http to this machine (a local push relay, the tests): the hub POSTs to it."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname:
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if loopback:
            return url
    raise ValueError("the endpoint must be an https URL (http only to this machine)")


def _key_of(size: int):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not base64url") from exc
        if len(raw) != size:
            raise ValueError(f"{len(raw)} bytes, not {size}")
        return value

    return check


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")  # browsers may add keys of their own

    p256dh: Annotated[str, Field(max_length=200), AfterValidator(_key_of(65))] = Field(
        description="the browser's P-256 public key (uncompressed point, base64url)"
    )
    auth: Annotated[str, Field(max_length=100), AfterValidator(_key_of(16))] = Field(
        description="the browser's 16-byte authentication secret (base64url)"
    )


class SubscriptionBody(BaseModel):
    """``PushSubscription.toJSON()`` as the browser gives it."""

    model_config = ConfigDict(extra="ignore")  # expirationTime

    endpoint: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_endpoint)]
    keys: SubscriptionKeys


class Unsubscribe(BaseModel):
    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(min_length=1, max_length=2000)


def _family(scope: Scope) -> None:
    if scope.role != "family":
        raise Forbidden("push notifications are for family accounts (staff see the console)")


@router.get("/key")
async def application_server_key(hub: HubDep, scope: ScopeDep) -> dict[str, str]:
    """The hub's VAPID public key: ``applicationServerKey`` of ``PushManager.subscribe``."""
    return {"public_key": public_key(await hub.deliveries.vapid())}


@router.post("/subscriptions", status_code=201)
def subscribe(body: SubscriptionBody, hub: HubDep, scope: ScopeDep) -> dict[str, int]:
    """This browser takes pushes for the user's residents; the same endpoint again replaces
    its keys (and its user: one browser, one account)."""
    _family(scope)
    with hub.store.transaction() as session:
        row = session.scalars(
            select(PushSubscription).where(PushSubscription.endpoint == body.endpoint)
        ).first()
        if row is None:
            row = PushSubscription(endpoint=body.endpoint, created_at=time.time())
            session.add(row)
        row.username, row.p256dh, row.auth = scope.username, body.keys.p256dh, body.keys.auth
        session.flush()
        return {"id": row.id}


@router.delete("/subscriptions", status_code=204)
def unsubscribe(body: Unsubscribe, hub: HubDep, scope: ScopeDep) -> Response:
    """No more pushes to this browser (one's own subscriptions only; unknown is fine)."""
    _family(scope)
    with hub.store.transaction() as session:
        row = session.scalars(
            select(PushSubscription).where(
                PushSubscription.endpoint == body.endpoint,
                PushSubscription.username == scope.username,
            )
        ).first()
        if row is not None:
            session.delete(row)
    return Response(status_code=204)
