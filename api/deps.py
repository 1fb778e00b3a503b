"""Dependencies of the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from hub.accounts import AccessError, Scope, user_for_token
from hub.service import Hub

SESSION_COOKIE = "eldercare_session"


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.hub.store.sessions() as session:
        yield session


def token_of(request: Request) -> str | None:
    """The session token: the browser's cookie, or ``Authorization: Bearer`` for apps."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def get_scope(request: Request) -> Scope:
    token = token_of(request)
    if not token:
        raise AccessError("not logged in")
    hub: Hub = request.app.state.hub
    with hub.store.sessions() as session:
        return Scope.of(user_for_token(session, token))


def get_clock(request: Request) -> Callable[[], float]:
    """The homes' clock (the app's ``clock``: the wall clock, or the demo's simulated one)."""
    return request.app.state.clock


HubDep = Annotated[Hub, Depends(get_hub)]
ClockDep = Annotated[Callable[[], float], Depends(get_clock)]
SessionDep = Annotated[Session, Depends(get_session)]
ScopeDep = Annotated[Scope, Depends(get_scope)]

# Ids travel inside MQTT topics: letters, digits, '_' and '-' only (as in the home config).
NewId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]


Username = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}$")]
