"""Visit plans: per resident, a tier of her station and who is responsible; with when the
next visit is due (hub/visits.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from hub import queries, visits
from hub.schema import Home, VisitPlan, VisitTier
from hub.views import local_time

from ..audit import audit_read
from ..care_schemas import VisitPlanPublic, VisitPlanSave, VisitTierPublic
from ..care_scope import staff_resident, visible_resident
from ..deps import ClockDep, HubDep, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/visit-plans", tags=["visits"], route_class=LimitedJsonRoute)


def tier_public(tier: VisitTier) -> VisitTierPublic:
    return VisitTierPublic(
        id=tier.id, station=tier.station_id, name_zh=tier.name_zh, name_en=tier.name_en,
        every_days=tier.every_days, method=tier.method, active=tier.active,
    )  # fmt: skip


def plan_public(session: Session, plan: VisitPlan, home: Home, now: float) -> VisitPlanPublic:
    tier = session.get(VisitTier, plan.tier_id)
    assert tier is not None  # a foreign key
    due = visits.due_visit(session, plan, tier, home)
    zone = ZoneInfo(home.timezone)
    return VisitPlanPublic(
        resident=home.id,
        resident_name=home.resident_name,
        station=home.station_id,
        tier=tier_public(tier),
        responsible=plan.responsible,
        responsible_kind=plan.responsible_kind,
        since=local_time(plan.since, zone),
        due_day=due.due_day.isoformat(),
        state=due.state_on(datetime.fromtimestamp(now, zone).date()),  # type: ignore[arg-type]
        method=due.method,
        misses=due.misses,
        last_reached_at=local_time(due.last_reached_at, zone),
    )


@router.get("")
def list_plans(
    request: Request, session: SessionDep, scope: ScopeDep, clock: ClockDep
) -> list[VisitPlanPublic]:
    homes = {h.id: h for h in queries.visible_homes(session, scope)}
    plans = [p for p in visits.plans_of(session, homes)]
    audit_read(request, scope, (p.home_id for p in plans))
    now = clock()
    return [plan_public(session, p, homes[p.home_id], now) for p in plans]


@router.get("/{resident_id}")
def get_plan(
    request: Request, resident_id: str, session: SessionDep, scope: ScopeDep, clock: ClockDep
) -> VisitPlanPublic:
    home = visible_resident(session, scope, resident_id)
    plan = session.get(VisitPlan, home.id)
    if plan is None:
        raise visits.VisitNotFound(f"{home.id} has no visit plan", home=home.id)
    audit_read(request, scope, [home.id])
    return plan_public(session, plan, home, clock())


@router.put("/{resident_id}")
async def put_plan(
    resident_id: str, body: VisitPlanSave, hub: HubDep, scope: ScopeDep, clock: ClockDep
) -> VisitPlanPublic:
    """Set her tier and who is responsible; a new plan's first visit is due today."""
    now = clock()

    def save(session: Session) -> VisitPlanPublic:
        home = staff_resident(session, scope, resident_id)
        plan = visits.save_plan(
            session, home, tier_id=body.tier, responsible=body.responsible,
            responsible_kind=body.responsible_kind, actor=scope.name, now=now,
        )  # fmt: skip
        return plan_public(session, plan, home, now)

    return await hub.act(save)
