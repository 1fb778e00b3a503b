"""Accounts (admin only): dispatchers and caregivers of stations, family of residents."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hub import queries
from hub.accounts import save_user
from hub.schema import User

from ..deps import HubDep, ScopeDep, SessionDep, Username
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/users", tags=["users"], route_class=LimitedJsonRoute)


class UserSave(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "dispatcher", "caregiver", "family"]
    password: str | None = Field(default=None, min_length=8, max_length=200)
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


def public(user: User) -> UserPublic:
    return UserPublic(
        username=user.username,
        name=user.name,
        role=user.role,
        phone=user.phone,
        stations=user.stations,
        residents=user.residents,
    )


@router.get("")
def list_users(session: SessionDep, scope: ScopeDep) -> list[UserPublic]:
    scope.require_admin()
    return [public(user) for user in queries.users(session)]


@router.put("/{username}")
async def put_user(username: Username, body: UserSave, hub: HubDep, scope: ScopeDep) -> UserPublic:
    scope.require_admin()
    user = await hub.act(lambda session: save_user(session, username, **body.model_dump()))
    return public(user)
