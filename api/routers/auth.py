"""Log-in, log-out, password change and who am I. The session is an HttpOnly cookie (pages)
and the same token as a bearer token (apps, scripts).

The cookie is ``SameSite=Lax``, ``HttpOnly``, and ``Secure`` unless ``cookie_secure`` is
off (the demo and tests on plain http); it lasts as long as the session may
(``session_absolute_s``). Failed log-ins are throttled per account and per client address
(:mod:`hub.throttle`): 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hub.accounts import (
    AccessError,
    Forbidden,
    Scope,
    log_out,
    open_session,
    revoke_sessions,
    set_password,
)
from hub.districts import scope_of
from hub.passwords import PasswordPolicy
from hub.schema import User
from hub.throttle import LoginThrottled

from ..deps import SESSION_COOKIE, HubDep, ScopeDep, token_of
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/auth", tags=["auth"], route_class=LimitedJsonRoute)


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    username: str
    name: str
    role: str
    stations: list[str]
    residents: list[str]
    areas: list[str] = Field(default_factory=list, description="district / city: which ones")
    # A caregiver's institutions: there she sees the rooms of her shift (the phone page).
    institutions: list[str] = []
    acts_on_alerts: bool = Field(
        description="whether the account takes the station's actions: acknowledge, assign, "
        "comment on, resolve and reopen alerts, record visits, place and move service orders "
        "for the station (an admin and the stations' staff). A family, district or city "
        "account does not (the API answers 403); the console offers those actions only when "
        "this is true."
    )


class LoggedIn(BaseModel):
    token: str
    user: Me


def me_of(scope: Scope) -> Me:
    return Me(
        username=scope.username,
        name=scope.name,
        role=scope.role,
        stations=sorted(scope.stations),
        residents=sorted(scope.residents),
        areas=sorted(scope.areas),
        institutions=sorted(scope.ward_stations),
        acts_on_alerts=scope.acts_on_alerts,
    )


async def scope_now(hub: HubDep, username: str) -> Scope:
    """The account's scope as a session sees it (a district's stations, a caregiver's shift)."""

    def look() -> Scope:
        with hub.store.sessions() as session:
            user = session.get(User, username)
            if user is None:
                raise AccessError("the account no longer exists")
            return scope_of(session, user)

    return await asyncio.to_thread(look)


def client_address(request: Request) -> str | None:
    # Behind a reverse proxy uvicorn puts the forwarded address here (--proxy-headers,
    # trusted for 127.0.0.1 by default).
    return request.client.host if request.client else None


def set_session_cookie(response: Response, hub: HubDep, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=hub.settings.cookie_secure,
        max_age=int(hub.settings.session_absolute_s),
    )


@router.post("/login")
async def login(
    credentials: Credentials, request: Request, response: Response, hub: HubDep
) -> LoggedIn:
    # The password check runs on the hub's log-in executor, never on ingest's threads.
    token, user = await hub.log_in(
        credentials.username, credentials.password, client_address(request)
    )
    set_session_cookie(response, hub, token)
    return LoggedIn(token=token, user=me_of(await scope_now(hub, user.username)))


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, hub: HubDep) -> None:
    token = token_of(request)
    if token:
        await hub.act(lambda session: log_out(session, token))
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")


@router.post("/password")
async def change_password(
    body: PasswordChange, request: Request, response: Response, hub: HubDep, scope: ScopeDep
) -> LoggedIn:
    """Change one's own password: every session of the account ends (WebSockets at their
    next check) and this one gets a new session. The current password is checked like a
    log-in (and throttled like one)."""
    PasswordPolicy.of(hub.settings).check(body.new_password, scope.username)
    try:
        await hub.log_in(scope.username, body.current_password, client_address(request))
    except LoginThrottled:
        raise
    except AccessError:
        # 403, not 401: the session holds; the password given does not.
        raise Forbidden("the current password is wrong") from None

    def change(session: Session) -> tuple[str, User]:
        checked = set_password(session, scope.username, body.new_password)
        revoke_sessions(session, scope.username)
        return open_session(session, scope.username, checked, policy=hub.session_policy)

    token, user = await hub.act(change)
    set_session_cookie(response, hub, token)
    return LoggedIn(token=token, user=me_of(await scope_now(hub, user.username)))


@router.get("/me")
def me(scope: ScopeDep) -> Me:
    return me_of(scope)
