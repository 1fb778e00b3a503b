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
from analytics.whereabouts import Coverage
from contracts.home import HomeConfig
from devices import model_problems
from hub import arrivals, feedback, queries
from hub.accounts import Scope
from hub.registry import deactivate_home, get_home, reactivate_home, save_home, set_factor
from hub.schema import Home
from hub.views import local_time

from ..audit import audit_read
from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..errors import Unprocessable
from ..params import RowCursor
from ..routing import LimitedJsonRoute
from ..schemas import (
    ArrivalPublic,
    ArrivalsPublic,
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
        active=home.deactivated_at is None,
        deactivated_at=local_time(home.deactivated_at, ZoneInfo(home.timezone)),
        deactivated_by=home.deactivated_by,
        # The stored config was validated when it was saved.
        blind_spots=list(Coverage.of(HomeConfig.model_validate(home.config)).blind_spots()),
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
    problems = model_problems(config.devices)
    if problems:
        raise Unprocessable(
            [
                {"loc": ["body", "devices", index, "model"], "input": model, "msg": why,
                 "type": "unknown_model"}
                for index, model, why in problems
            ]
        )  # fmt: skip
    prefix = hub.settings.prefix
    home = await hub.act(
        lambda session: save_home(session, config, prefix=prefix, actor=scope.name)
    )
    return public(home, scope)


@router.delete("/{home_id}")
async def delete_home(home_id: str, hub: HubDep, scope: ScopeDep) -> HomePublic:
    """Deactivate, not delete: history stays; the home leaves staff and family lists and
    the queue, its open alerts stop escalating, and what its edge still sends opens no
    alert. ``POST /homes/{id}/reactivate`` undoes it."""
    scope.require_admin()
    home = await hub.act(lambda session: deactivate_home(session, home_id, actor=scope.name))
    return public(home, scope)


@router.post("/{home_id}/reactivate")
async def reactivate(home_id: str, hub: HubDep, scope: ScopeDep) -> HomePublic:
    scope.require_admin()
    prefix = hub.settings.prefix
    home = await hub.act(
        lambda session: reactivate_home(session, home_id, prefix=prefix, actor=scope.name)
    )
    return public(home, scope)


@router.get("/{home_id}/arrivals")
def list_arrivals(
    home_id: str,
    session: SessionDep,
    scope: ScopeDep,
    after_reading: RowCursor = None,
    after_event: RowCursor = None,
) -> ArrivalsPublic:
    """The readings and events the hub took in for the home after the given ids (without
    them: the newest few): the installer's check that a new device reports (admin only)."""
    scope.require_admin()
    home = get_home(session, home_id)
    tz = ZoneInfo(home.timezone)
    readings = [
        ArrivalPublic(
            id=row.id,
            type="reading",
            at=local_time(row.ts, tz),
            device=row.device,
            metric=row.metric,
            value=row.text if row.text is not None else row.number,
        )
        for row in arrivals.readings_after(session, home.id, after_reading)
    ]
    events = [
        ArrivalPublic(
            id=row.id,
            type="event",
            at=local_time(row.ts, tz),
            device=row.device,
            received_at=local_time(row.received_at, tz),
            kind=row.kind,
            state=row.state,
        )
        for row in arrivals.events_after(session, home.id, after_event)
    ]
    return ArrivalsPublic(home=home.id, status=home.status, readings=readings, events=events)


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
