"""Log-in, log-out and who am I. The session is an HttpOnly cookie (pages) and the same
token as a bearer token (apps, scripts)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from hub.accounts import Scope, log_out

from ..deps import SESSION_COOKIE, HubDep, ScopeDep, token_of
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/auth", tags=["auth"], route_class=LimitedJsonRoute)


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    username: str
    name: str
    role: str
    stations: list[str]
    residents: list[str]


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
    )


@router.post("/login")
async def login(credentials: Credentials, response: Response, hub: HubDep) -> LoggedIn:
    # The password check runs on the hub's log-in executor, never on ingest's threads.
    token, user = await hub.log_in(credentials.username, credentials.password)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=30 * 24 * 3600
    )
    return LoggedIn(token=token, user=me_of(Scope.of(user)))


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, hub: HubDep) -> None:
    token = token_of(request)
    if token:
        await hub.act(lambda session: log_out(session, token))
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me")
def me(scope: ScopeDep) -> Me:
    return me_of(scope)
