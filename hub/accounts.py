"""Accounts, log-in sessions and who may see what.

Roles: ``admin`` (everything, and the registry), ``dispatcher`` and ``caregiver`` (the
residents and alerts of their stations; they act on alerts), ``family`` (only the residents
they are linked to; they read, they do not act), ``district`` and ``city`` (supervisors: the
stations of their districts, or of their cities' districts, read-only; hub.districts works
out which stations those are when the session is looked up, so a station moved to another
district changes what they see at once). In an institution (a station with beds,
hub/places.py): ``nurse`` (the nurse station) and ``head_nurse`` see the institution, a
``caregiver`` of an institution sees only the residents of the rooms of the shift she is on
now (hub/shifts.py). Passwords are hashed with argon2id (argon2-cffi's defaults, which
``ELDERCARE_ARGON2_*`` can change: :class:`PasswordCost`); a log-in gives a random token
whose SHA-256 is what the store keeps.

A session ends after ``idle_s`` without use and ``absolute_s`` after the log-in at the
latest (:class:`SessionPolicy`), at log-out, and when an admin changes the account's
password, role, stations or residents (:func:`save_user` revokes every session of it).

A resident outside someone's scope does not exist for them: the API answers 404, not 403,
so a family member cannot even learn which ids are taken.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .errors import HubError
from .schema import City, District, Home, Institution, LoginSession, Station, User
from .shifts import duty_homes

Role = Literal[
    "admin", "dispatcher", "caregiver", "family", "district", "city", "nurse", "head_nurse"
]
ROLES: tuple[str, ...] = (
    "admin", "dispatcher", "caregiver", "family", "district", "city", "nurse", "head_nurse",
)  # fmt: skip
# Roles that oversee areas (districts, cities): they read their stations, they never act.
AREA_ROLES: tuple[str, ...] = ("district", "city")
STAFF_ROLES = frozenset({"dispatcher", "caregiver", "nurse", "head_nurse"})
# Staff of an institution only: their station must be an institution.
WARD_ROLES = frozenset({"nurse", "head_nurse"})
# A session's last use is written at most this often (a write per request would be many).
TOUCH_EVERY_S = 60.0


class PasswordCost(BaseSettings):
    """What an argon2id hash costs: argon2-cffi's defaults (RFC 9106's second recommended
    choice: 64 MiB, 3 passes, 4 lanes), about 0.2 s of CPU. Read from ``ELDERCARE_ARGON2_*``
    once, at the first hash. A stored hash keeps its own cost: one made with another is
    checked at that cost and made again at this one at the next log-in. The test suite
    lowers it (tests/conftest.py), except where a log-in's real cost is the point."""

    model_config = SettingsConfigDict(env_prefix="ELDERCARE_ARGON2_", frozen=True)
    time_cost: int = Field(3, ge=1)
    memory_kib: int = Field(65536, ge=8)
    parallelism: int = Field(4, ge=1)


@cache
def _hasher() -> PasswordHasher:
    cost = PasswordCost()
    return PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
    )


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a
    wrong password and the timing does not tell which names are real."""
    return _hasher().hash("not a password")


class AccessError(HubError):
    """Not logged in (401) or not allowed (403)."""

    status = 401


class Forbidden(AccessError):
    status = 403


class UnknownUser(HubError):
    status = 404


class AccountConflict(HubError):
    """An account change that contradicts the registry or itself (409)."""

    status = 409


@dataclass(frozen=True)
class Scope:
    """What one user may see and do."""

    username: str
    name: str
    role: str
    stations: frozenset[str]
    residents: frozenset[str]
    areas: frozenset[str] = frozenset()  # district / city: the districts or cities overseen
    # A caregiver's institutions among her stations, and the residents of the rooms she is
    # on duty for now: of those institutions she sees no one else.
    ward_stations: frozenset[str] = frozenset()
    duty_homes: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        user: User,
        session: Session | None = None,
        now: float | None = None,
        *,
        below: frozenset[str] | None = None,
    ) -> Scope:
        """With a session: a caregiver's shift now narrows what she sees of an institution.
        ``below``: for a district or city account, the stations of its areas (resolved by
        hub.districts.scope_of); other roles' stations are their own."""
        stations = below if user.role in AREA_ROLES else frozenset(user.stations)
        ward: frozenset[str] = frozenset()
        duty: frozenset[str] = frozenset()
        if session is not None and user.role == "caregiver" and user.stations:
            ward = frozenset(
                session.scalars(select(Institution.id).where(Institution.id.in_(user.stations)))
            )
            if ward:
                duty = duty_homes(session, user.username, time.time() if now is None else now)
        return cls(
            user.username,
            user.name,
            user.role,
            frozenset(stations or ()),
            frozenset(user.residents),
            frozenset(user.areas or ()),
            ward,
            duty,
        )

    @property
    def oversees(self) -> bool:
        """A district or city account: reads its stations' figures, acts on nothing."""
        return self.role in AREA_ROLES

    @property
    def sees_everything(self) -> bool:
        return self.role == "admin"

    def sees(self, home: Home) -> bool:
        if self.role == "admin":
            return True
        if home.deactivated_at is not None:  # out of service: only the registry keeps it
            return False
        if self.role == "family":
            return home.id in self.residents
        if home.station_id in self.ward_stations:
            return home.id in self.duty_homes
        return home.station_id in self.stations

    def sees_station(self, station_id: str) -> bool:
        return self.role == "admin" or (self.role != "family" and station_id in self.stations)

    @property
    def acts_on_alerts(self) -> bool:
        return self.role == "admin" or self.role in STAFF_ROLES

    def require_action(self) -> None:
        if not self.acts_on_alerts:
            raise Forbidden(f"a {self.role} account cannot act on alerts")

    def require_admin(self) -> None:
        if self.role != "admin":
            raise Forbidden("only an admin can change the registry")


@dataclass(frozen=True)
class SessionPolicy:
    idle_s: float = 12 * 3600.0
    absolute_s: float = 7 * 86400.0

    @classmethod
    def of(cls, settings: object) -> SessionPolicy:
        return cls(
            idle_s=getattr(settings, "session_idle_s", cls.idle_s),
            absolute_s=getattr(settings, "session_absolute_s", cls.absolute_s),
        )


def save_user(
    session: Session,
    username: str,
    *,
    name: str,
    role: str,
    password: str | None = None,
    phone: str | None = None,
    stations: list[str] | None = None,
    residents: list[str] | None = None,
    areas: list[str] | None = None,
) -> User:
    """Create or update an account; a new account needs a password. A new password, role,
    or other stations or residents end every session of the account (an open WebSocket
    too, at its next check): whoever was logged in logs in again, under the new terms."""
    if role not in ROLES:
        raise HubError(f"unknown role {role!r}; one of {list(ROLES)}")
    user = session.get(User, username)
    if user is None:
        if not password:
            raise HubError(f"a new account ({username}) needs a password")
        user = User(username=username, created_at=time.time(), stations=[], residents=[], areas=[])
        session.add(user)
        before = None
    else:
        before = (user.role, sorted(user.stations), sorted(user.residents), sorted(user.areas))
    if password:
        user.password_hash = _hasher().hash(password)
    user.name, user.role, user.phone = name, role, phone
    user.stations = list(stations or [])
    user.residents = list(residents or [])
    user.areas = list(areas or [])
    after = (role, sorted(user.stations), sorted(user.residents), sorted(user.areas))
    changed = before is not None and before != after
    if password or changed:
        revoke_sessions(session, username)
    return user


def check_links(
    session: Session,
    role: str,
    stations: list[str],
    residents: list[str],
    areas: list[str] | None = None,
) -> list[str]:
    """What is wrong with the stations and residents an account of ``role`` is linked to,
    one sentence each (empty: nothing). Staff belong to stations that exist, family to
    residents (homes) that exist, district and city accounts to districts or cities that
    exist; an admin sees everything and is linked to nothing."""
    areas = list(areas or [])
    problems = []
    if role in AREA_ROLES:
        table = District if role == "district" else City
        if not areas:
            problems.append(f"a {role} account needs at least one {role}")
        if stations or residents:
            problems.append(f"a {role} account is linked to {role} ids, not stations or residents")
        problems += [
            f"no {role} {a!r}; create it first" for a in areas if not session.get(table, a)
        ]
        return problems
    if areas:
        problems.append(f"a {role} account is not linked to districts or cities")
    if role in STAFF_ROLES:
        if not stations:
            problems.append(f"a {role} needs at least one station")
        if residents:
            problems.append(f"a {role} is linked to stations, not residents")
    elif role == "family":
        if not residents:
            problems.append("a family account needs the resident it looks after")
        if stations:
            problems.append("a family account is linked to residents, not stations")
    elif stations or residents:
        problems.append("an admin sees everything: no stations or residents")
    for station_id in stations:
        if session.get(Station, station_id) is None:
            problems.append(f"no station {station_id!r}; register the station first")
    institutions = set(
        session.scalars(select(Institution.id).where(Institution.id.in_(stations or [])))
    )
    if role in WARD_ROLES and set(stations) - institutions:
        problems.append(f"a {role} works in an institution: link only institutions")
    if role == "caregiver" and institutions and set(stations) - institutions:
        # Her shift narrows what she sees of an institution; a community station's homes
        # would be outside any shift, so the two are separate accounts.
        problems.append("a caregiver of an institution is linked to institutions only")
    for home_id in residents:
        home = session.get(Home, home_id)
        if home is None:
            problems.append(f"no resident {home_id!r}; register the home first")
        elif home.deactivated_at is not None:
            problems.append(f"the home of {home_id!r} is deactivated")
    return problems


def set_password(session: Session, username: str, password: str) -> str:
    """Set an account's password (the caller revokes its sessions); the new hash."""
    user = session.get(User, username)
    if user is None:
        raise AccessError("the account no longer exists")
    user.password_hash = _hasher().hash(password)
    return user.password_hash


def revoke_sessions(session: Session, username: str) -> int:
    """End every session of an account; how many there were."""
    session.flush()
    result = session.execute(delete(LoginSession).where(LoginSession.username == username))
    return int(getattr(result, "rowcount", 0) or 0)


def session_counts(session: Session, now: float | None = None) -> dict[str, int]:
    """Sessions not yet past their absolute end, per user name."""
    now = time.time() if now is None else now
    rows = session.execute(
        select(LoginSession.username, func.count())
        .where(LoginSession.expires_at > now)
        .group_by(LoginSession.username)
    )
    return {username: count for username, count in rows}


def password_hash(session: Session, username: str) -> str | None:
    """The stored hash of an account's password, None if there is no such account."""
    user = session.get(User, username)
    return user.password_hash if user is not None else None


def check_password(stored_hash: str | None, password: str) -> str | None:
    """Slow on purpose (argon2): call it outside any transaction. Raises 401 for a wrong
    password or a missing account (which costs as long); returns a new hash when the stored
    one was made with older parameters, else None."""
    try:
        _hasher().verify(stored_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise AccessError("wrong user name or password") from None
    if stored_hash is None:
        raise AccessError("wrong user name or password")
    return _hasher().hash(password) if _hasher().check_needs_rehash(stored_hash) else None


def open_session(
    session: Session,
    username: str,
    checked_hash: str,
    new_hash: str | None = None,
    policy: SessionPolicy | None = None,
) -> tuple[str, User]:
    """A log-in session for an account whose password was checked against
    ``checked_hash``; 401 if the password changed in the meantime."""
    user = session.get(User, username)
    if user is None or user.password_hash != checked_hash or user.deactivated_at is not None:
        # A deactivated account answers like a wrong password: nothing to learn from it.
        raise AccessError("wrong user name or password")
    if new_hash is not None:
        user.password_hash = new_hash
    policy = policy or SessionPolicy()
    token = secrets.token_urlsafe(32)
    now = time.time()
    session.add(
        LoginSession(
            token_hash=_digest(token),
            username=user.username,
            created_at=now,
            expires_at=now + policy.absolute_s,
            last_seen_at=now,
        )
    )
    return token, user


def log_in(
    session: Session, username: str, password: str, policy: SessionPolicy | None = None
) -> tuple[str, User]:
    """Check the password and open a session in one go, for scripts: it hashes inside the
    caller's transaction. The API uses :meth:`hub.service.Hub.log_in`, which does not."""
    stored = password_hash(session, username)
    new_hash = check_password(stored, password)
    return open_session(session, username, stored or "", new_hash, policy)


def user_for_token(
    session: Session, token: str, policy: SessionPolicy | None = None, now: float | None = None
) -> User:
    """The user of a live session token, or 401 (none, logged out, revoked, idle too long,
    or past its absolute end)."""
    login = live_session(session, token, policy, now)
    user = session.get(User, login.username)
    if user is None or user.deactivated_at is not None:
        raise AccessError("the account no longer exists")
    return user


def deactivate_user(session: Session, username: str, *, now: float | None = None) -> User:
    """The account can no longer log in and its open sessions end; the row stays, so the
    alert histories it wrote keep its name. Deactivating twice keeps the first time."""
    user = session.get(User, username)
    if user is None:
        raise UnknownUser(f"no user {username!r}")
    if user.deactivated_at is None:
        user.deactivated_at = time.time() if now is None else now
    revoke_sessions(session, username)
    return user


def reactivate_user(session: Session, username: str) -> User:
    user = session.get(User, username)
    if user is None:
        raise UnknownUser(f"no user {username!r}")
    user.deactivated_at = None
    return user


def live_session(
    session: Session, token: str, policy: SessionPolicy | None = None, now: float | None = None
) -> LoginSession:
    policy = policy or SessionPolicy()
    now = time.time() if now is None else now
    login = session.get(LoginSession, _digest(token)) if token else None
    if login is None or login.expires_at < now:
        raise AccessError("not logged in, or the session has expired")
    last_seen = login.last_seen_at if login.last_seen_at is not None else login.created_at
    if now - last_seen > policy.idle_s:
        raise AccessError("the session has expired (unused for too long); log in again")
    return login


def needs_touch(
    login: LoginSession, policy: SessionPolicy | None = None, now: float | None = None
) -> bool:
    """Whether the session's last use is due to be written: every TOUCH_EVERY_S, or more
    often when sessions may idle for less than a few times that."""
    policy = policy or SessionPolicy()
    now = time.time() if now is None else now
    last_seen = login.last_seen_at if login.last_seen_at is not None else login.created_at
    return now - last_seen >= min(TOUCH_EVERY_S, policy.idle_s / 4)


def touch(session: Session, token: str, now: float | None = None) -> None:
    """Note that a session is in use (idle expiry counts from here)."""
    login = session.get(LoginSession, _digest(token))
    if login is not None:
        login.last_seen_at = time.time() if now is None else now


def log_out(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
