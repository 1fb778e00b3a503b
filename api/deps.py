"""Dependencies of the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session

from hub.service import Hub
from hub.settings import HubSettings


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.hub.store.sessions() as session:
        yield session


def get_actor(
    x_actor: Annotated[
        str,
        Header(
            min_length=1,
            max_length=100,
            description="who does this (recorded in the alert's history)",
        ),
    ],
) -> str:
    return x_actor


HubDep = Annotated[Hub, Depends(get_hub)]
SessionDep = Annotated[Session, Depends(get_session)]
ActorDep = Annotated[str, Depends(get_actor)]


def get_settings(request: Request) -> HubSettings:
    return request.app.state.hub.settings


SettingsDep = Annotated[HubSettings, Depends(get_settings)]


# Ids travel inside MQTT topics: letters, digits, '_' and '-' only (as in the home config).
NewId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")]
