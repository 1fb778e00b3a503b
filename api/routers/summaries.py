"""The family's morning summaries (hub.family_summary): when each family user wants theirs,
and the ones made for them. A family account's own; the others have none (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import family_summary, queries
from hub.accounts import Forbidden, Scope
from hub.schema import Delivery, FamilySummary, Home, User

from ..area_schemas import SummaryPublic, SummaryTimePublic, SummaryTimeUpdate
from ..deps import HubDep, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute

router = APIRouter(prefix="/summaries", tags=["summaries"], route_class=LimitedJsonRoute)


def _family(scope: Scope) -> None:
    if scope.role != "family":
        raise Forbidden("morning summaries are for family accounts")


def public(session: Session, row: FamilySummary) -> SummaryPublic:
    rows = session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.summary_id == row.id)
        .group_by(Delivery.state)
    )
    states = {state: int(n) for state, n in rows}
    found = session.get(Home, row.home_id)
    assert found is not None
    body = family_summary.public(row, found)
    return SummaryPublic(**body, sent=states.get("sent", 0), failed=states.get("failed", 0))


@router.get("")
def list_summaries(
    session: SessionDep,
    scope: ScopeDep,
    resident: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=60)] = 7,
) -> list[SummaryPublic]:
    """The caller's summaries, newest first (of one resident with ``resident``)."""
    _family(scope)
    query = select(FamilySummary).where(FamilySummary.username == scope.username)
    if resident is not None:
        queries.visible_home(session, scope, resident)  # 404 outside the scope
        query = query.where(FamilySummary.home_id == resident)
    query = query.where(FamilySummary.home_id.in_(scope.residents))
    rows = session.scalars(query.order_by(FamilySummary.day.desc()).limit(limit)).all()
    return [public(session, row) for row in rows]


@router.get("/time")
def get_time(session: SessionDep, scope: ScopeDep) -> SummaryTimePublic:
    _family(scope)
    user = session.get(User, scope.username)
    return SummaryTimePublic(at=user.summary_at if user is not None else None)


@router.put("/time")
async def put_time(body: SummaryTimeUpdate, hub: HubDep, scope: ScopeDep) -> SummaryTimePublic:
    """When the morning summary comes (the resident's time zone); null: never."""
    _family(scope)

    def save(session: Session) -> SummaryTimePublic:
        user = session.get(User, scope.username)
        assert user is not None  # the session was just checked
        user.summary_at = body.at
        return SummaryTimePublic(at=user.summary_at)

    saved = await hub.act(save)
    hub.summaries.wake.set()  # a time already passed today: yesterday's summary comes now
    return saved
