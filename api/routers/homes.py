"""Homes: their config (resident, devices, contacts), the edge's status, device status, and
the outcome feedback of their limits.

Saving a config (``PUT /homes/{id}``) publishes it, retained, to ``<prefix>/<home>/config``,
where the home's edge applies it live. A config without ``thresholds.feedback`` keeps the
factors the hub has set (hub/feedback.py); an admin sees and sets those through
``/homes/{id}/feedback``, each change logged and pushed like any config change. A family
account sees the home's config without them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy.orm import Session

from analytics.context import FEEDBACK
from contracts.home import HomeConfig
from hub import feedback, queries
from hub.accounts import Scope
from hub.registry import get_home, save_home, set_factor
from hub.schema import Home
from hub.views import local_time

from ..audit import audit_read
from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute
from ..schemas import (
    DevicePublic,
    FeedbackChangePublic,
    FeedbackPublic,
    FeedbackRules,
    FeedbackSet,
    HomePublic,
)

router = APIRouter(prefix="/homes", tags=["homes"], route_class=LimitedJsonRoute)


def public(home: Home, scope: Scope) -> HomePublic:
    config = home.config
    if not scope.acts_on_alerts:  # how the station tunes its alerts is the staff's business
        thresholds = {k: v for k, v in (config.get("thresholds") or {}).items() if k != FEEDBACK}
        config = {**config, "thresholds": thresholds}
    return HomePublic(
        id=home.id,
        station=home.station_id,
        resident_name=home.resident_name,
        status=home.status,
        status_at=local_time(home.status_at, ZoneInfo(home.timezone)),
        config=config,
    )


@router.get("")
def list_homes(
    request: Request, session: SessionDep, scope: ScopeDep, station: str | None = None
) -> list[HomePublic]:
    homes = queries.visible_homes(session, scope, station)
    audit_read(request, scope, (home.id for home in homes))
    return [public(home, scope) for home in homes]


@router.get("/{home_id}")
def get_home_public(
    request: Request, home_id: str, session: SessionDep, scope: ScopeDep
) -> HomePublic:
    home = queries.visible_home(session, scope, home_id)
    audit_read(request, scope, [home.id])
    return public(home, scope)


@router.put("/{home_id}")
async def put_home(home_id: NewId, config: HomeConfig, hub: HubDep, scope: ScopeDep) -> HomePublic:
    """Without ``thresholds.feedback`` the factors the hub has set are kept."""
    scope.require_admin()
    if config.home != home_id:
        raise HTTPException(422, f"the config is for home {config.home!r}, not {home_id!r}")
    prefix = hub.settings.prefix
    home = await hub.act(
        lambda session: save_home(session, config, prefix=prefix, actor=scope.name)
    )
    return public(home, scope)


@router.get("/{home_id}/devices")
def list_devices(
    request: Request, home_id: str, session: SessionDep, scope: ScopeDep
) -> list[DevicePublic]:
    home = queries.visible_home(session, scope, home_id)
    audit_read(request, scope, [home.id])
    return device_status(session, home)


def device_status(session: Session, home: Home) -> list[DevicePublic]:
    """Devices with liveness: offline while the edge's device_offline alert is active."""
    tz = ZoneInfo(home.timezone)
    offline = queries.offline_devices(session, home.id)
    return [
        DevicePublic(
            id=device.id,
            kind=device.kind,
            role=device.role,
            source=device.source,
            model=device.model,
            last_seen=local_time(device.last_seen, tz),
            battery=device.battery,
            online=None if device.last_seen is None else device.id not in offline,
        )
        for device in queries.devices(session, home.id)
    ]


# -- outcome feedback ------------------------------------------------------------------------


@router.get("/{home_id}/feedback")
def get_feedback(home_id: str, session: SessionDep, scope: ScopeDep) -> FeedbackPublic:
    """The factors of the home's routine alerts and every change to them (admin only)."""
    scope.require_admin()
    return feedback_of(session, get_home(session, home_id))


@router.put("/{home_id}/feedback/{kind}")
async def put_feedback(
    home_id: str, kind: feedback.AdaptingKind, body: FeedbackSet, hub: HubDep, scope: ScopeDep
) -> FeedbackPublic:
    """Set (1: undo) the factor of one kind; logged, and pushed to the home's edge."""
    scope.require_admin()
    prefix = hub.settings.prefix

    def change(session: Session) -> FeedbackPublic:
        home = get_home(session, home_id)
        set_factor(
            session, home, kind, body.factor,
            actor=scope.name, reason="admin", prefix=prefix, note=body.note,
        )  # fmt: skip
        session.flush()
        return feedback_of(session, home)

    return await hub.act(change)


def feedback_of(session: Session, home: Home) -> FeedbackPublic:
    zone = ZoneInfo(home.timezone)
    current = feedback.factors(home.config)
    return FeedbackPublic(
        home=home.id,
        factors={kind: current.get(kind, 1.0) for kind in sorted(feedback.ADAPTING_KINDS)},
        changes=[
            FeedbackChangePublic(
                at=local_time(c.at, zone),
                kind=c.kind,
                factor_from=c.factor_from,
                factor_to=c.factor_to,
                actor=c.actor,
                reason=c.reason,
                note=c.note,
                alert=c.alert_id,
            )
            for c in feedback.changes(session, home.id)
        ],
        rules=FeedbackRules(
            step=feedback.STEP,
            cap=feedback.CAP,
            lowest=feedback.LOWEST,
            spacing_days=feedback.SPACING_S / feedback.DAY_S,
            decay_after_days=feedback.DECAY_AFTER_S / feedback.DAY_S,
        ),
    )
