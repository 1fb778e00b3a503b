"""Dependencies of the routers, as ``Annotated`` aliases."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hub.accounts import AccessError, Scope, live_session, needs_touch, touch
from hub.schema import User
from hub.service import Hub

log = logging.getLogger("api")

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
    scope, touch_due = scope_for_token(hub, token)
    if touch_due:
        note_use(hub, token)
    return scope


def scope_for_token(hub: Hub, token: str) -> tuple[Scope, bool]:
    """The scope of a live session, and whether its last use is due to be written."""
    with hub.store.sessions() as session:
        login = live_session(session, token, hub.session_policy)
        user = session.get(User, login.username)
        if user is None:
            raise AccessError("the account no longer exists")
        return Scope.of(user, session), needs_touch(login, hub.session_policy)


def note_use(hub: Hub, token: str) -> None:
    """Write the session's last use; a store that cannot write just now (read-only, busy)
    must not turn every read into an error, so a failure only delays idle expiry."""
    try:
        with hub.store.transaction() as session:
            touch(session, token)
    except SQLAlchemyError as exc:
        log.debug("the session's last use was not written: %r", exc)


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
