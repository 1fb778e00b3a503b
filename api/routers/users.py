"""Accounts (admin only): dispatchers and caregivers of stations, family of residents.

Accounts are deactivated, never deleted (``DELETE /users/{username}``): the alert
histories keep the names of who acted, and a deactivated account cannot log in.

Each account shows its failed log-ins and, while one holds, until when it is locked
(``locked_until``); ``DELETE /users/{username}/lock`` lifts the lock. A new password, role,
stations or residents end the account's sessions (hub.accounts.save_user).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session

from hub import channels, queries, throttle
from hub.accounts import (
    AccountConflict,
    check_links,
    deactivate_user,
    reactivate_user,
    save_user,
    session_counts,
)
from hub.passwords import PasswordPolicy
from hub.schema import User
from hub.views import local_time

from ..deps import HubDep, ScopeDep, SessionDep, Username
from ..errors import Unprocessable
from ..routing import LimitedJsonRoute
from ..schemas import UserPublic, UserSave

UTC = ZoneInfo("UTC")

router = APIRouter(prefix="/users", tags=["users"], route_class=LimitedJsonRoute)


def public(
    user: User,
    problems: Sequence[channels.ChannelProblem] = (),
    lock: throttle.LockState | None = None,
    sessions: int = 0,
) -> UserPublic:
    if user.role == "family":
        mine = [p for p in problems if p.audience == "family" and p.home in user.residents]
    else:
        mine = [p for p in problems if p.station in user.stations]
    locked = lock.locked_until if lock is not None else None
    return UserPublic(
        username=user.username,
        name=user.name,
        role=user.role,
        phone=user.phone,
        stations=user.stations,
        residents=user.residents,
        areas=list(user.areas or []),
        channel_problems=[p.as_dict() for p in mine],
        active=user.deactivated_at is None,
        deactivated_at=local_time(user.deactivated_at, UTC),
        failed_logins=lock.failures if lock is not None else 0,
        locked_until=(
            datetime.fromtimestamp(locked, UTC).isoformat(timespec="seconds") if locked else None
        ),
        sessions=sessions,
    )


@router.get("")
def list_users(session: SessionDep, scope: ScopeDep, hub: HubDep) -> list[UserPublic]:
    scope.require_admin()
    problems = channels.problems(session, hub.settings.contact_targets)
    locks = throttle.lock_states(session)
    counts = session_counts(session)
    return [
        public(user, problems, locks.get(user.username), counts.get(user.username, 0))
        for user in queries.users(session)
    ]


@router.put("/{username}")
async def put_user(username: Username, body: UserSave, hub: HubDep, scope: ScopeDep) -> UserPublic:
    """Create or update an account. Staff must belong to stations that exist, family to
    residents that exist (422, with each problem, otherwise); a password must pass the
    hub's password rules."""
    scope.require_admin()
    if body.password is not None:
        PasswordPolicy.of(hub.settings).check(body.password, username)

    def save(session: Session) -> User:
        problems = check_links(session, body.role, body.stations, body.residents, body.areas)
        if problems:
            raise Unprocessable(problems)
        existing = session.get(User, username)
        if existing is not None and existing.deactivated_at is not None:
            raise AccountConflict(f"{username} is deactivated; reactivate the account first")
        return save_user(session, username, **body.model_dump())

    return public(await hub.act(save))


@router.delete("/{username}")
async def delete_user(username: Username, hub: HubDep, scope: ScopeDep) -> UserPublic:
    """Deactivate: the account cannot log in any more and its sessions end."""
    scope.require_admin()
    if username == scope.username:
        raise AccountConflict("an admin cannot deactivate their own account")
    return public(await hub.act(lambda session: deactivate_user(session, username)))


@router.post("/{username}/reactivate")
async def reactivate(username: Username, hub: HubDep, scope: ScopeDep) -> UserPublic:
    scope.require_admin()
    return public(await hub.act(lambda session: reactivate_user(session, username)))


@router.delete("/{username}/lock", status_code=204)
async def unlock(username: Username, hub: HubDep, scope: ScopeDep) -> None:
    """Forget the account's failed log-ins, which lifts its lock (the client addresses'
    counts stay)."""
    scope.require_admin()
    if not await hub.act(lambda session: throttle.clear(session, username)):
        raise HTTPException(404, f"{username} has no failed log-ins")
