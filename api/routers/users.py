"""Accounts (admin only): dispatchers and caregivers of stations, family of residents.

Each account shows its failed log-ins and, while one holds, until when it is locked
(``locked_until``); ``DELETE /users/{username}/lock`` lifts the lock. A new password, role,
stations or residents end the account's sessions (hub.accounts.save_user).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from hub import queries, throttle
from hub.accounts import save_user, session_counts
from hub.passwords import PasswordPolicy
from hub.schema import User

from ..deps import HubDep, ScopeDep, SessionDep, Username
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/users", tags=["users"], route_class=LimitedJsonRoute)


class UserSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "dispatcher", "caregiver", "family"]
    # The length and the list of common passwords are checked against the hub's settings
    # (hub.passwords), with a 422 that never quotes the password.
    password: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    stations: list[str] = Field(default_factory=list)
    residents: list[str] = Field(default_factory=list)


class UserPublic(BaseModel):
    username: str
    name: str
    role: str
    phone: str | None
    stations: list[str]
    residents: list[str]
    failed_logins: int = 0
    locked_until: str | None = None  # ISO 8601 UTC while log-ins must wait
    sessions: int = 0


def public(user: User, lock: throttle.LockState | None = None, sessions: int = 0) -> UserPublic:
    locked = lock.locked_until if lock is not None else None
    return UserPublic(
        username=user.username,
        name=user.name,
        role=user.role,
        phone=user.phone,
        stations=user.stations,
        residents=user.residents,
        failed_logins=lock.failures if lock is not None else 0,
        locked_until=(
            datetime.fromtimestamp(locked, UTC).isoformat(timespec="seconds") if locked else None
        ),
        sessions=sessions,
    )


@router.get("")
def list_users(session: SessionDep, scope: ScopeDep) -> list[UserPublic]:
    scope.require_admin()
    locks = throttle.lock_states(session)
    counts = session_counts(session)
    return [
        public(user, locks.get(user.username), counts.get(user.username, 0))
        for user in queries.users(session)
    ]


@router.put("/{username}")
async def put_user(username: Username, body: UserSave, hub: HubDep, scope: ScopeDep) -> UserPublic:
    scope.require_admin()
    if body.password is not None:
        PasswordPolicy.of(hub.settings).check(body.password, username)
    user = await hub.act(lambda session: save_user(session, username, **body.model_dump()))
    return public(user)


@router.delete("/{username}/lock", status_code=204)
async def unlock(username: Username, hub: HubDep, scope: ScopeDep) -> None:
    """Forget the account's failed log-ins, which lifts its lock (the client addresses'
    counts stay)."""
    scope.require_admin()
    if not await hub.act(lambda session: throttle.clear(session, username)):
        raise HTTPException(404, f"{username} has no failed log-ins")
