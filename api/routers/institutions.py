"""Institutions: care homes whose residents have beds (hub/places.py). An institution is a
registered station (same id) with its escalation delays and severities."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from hub.accounts import Scope
from hub.places import EscalationDelays, save_institution
from hub.schema import Institution
from hub.ward_queries import places_tree, station_name, visible_institution, visible_institutions

from ..deps import HubDep, NewId, ScopeDep, SessionDep
from ..routing import LimitedJsonRoute
from ..ward_schemas import InstitutionCreate, InstitutionPublic

router = APIRouter(prefix="/institutions", tags=["institutions"], route_class=LimitedJsonRoute)


def public(session: Session, scope: Scope, institution: Institution) -> InstitutionPublic:
    return InstitutionPublic(
        id=institution.id,
        name=station_name(session, institution.id),
        timezone=institution.timezone,
        station_after_s=institution.station_after_s,
        head_nurse_after_s=institution.head_nurse_after_s,
        repeat_s=institution.repeat_s,
        severities=institution.severities,
        units=places_tree(session, scope, institution),
    )


@router.get("")
def list_institutions(session: SessionDep, scope: ScopeDep) -> list[InstitutionPublic]:
    return [public(session, scope, i) for i in visible_institutions(session, scope)]


@router.get("/{institution_id}")
def get_institution(institution_id: str, session: SessionDep, scope: ScopeDep) -> InstitutionPublic:
    return public(session, scope, visible_institution(session, scope, institution_id))


@router.put("/{institution_id}")
async def put_institution(
    institution_id: NewId, body: InstitutionCreate, hub: HubDep, scope: ScopeDep
) -> InstitutionPublic:
    """Make the station ``institution_id`` an institution, or change its delays."""
    scope.require_admin()
    delays = EscalationDelays(body.station_after_s, body.head_nurse_after_s, body.repeat_s)

    def change(session: Session) -> InstitutionPublic:
        institution = save_institution(
            session, institution_id, timezone=body.timezone, delays=delays,
            severities=dict(body.severities),
        )  # fmt: skip
        session.flush()
        return public(session, scope, institution)

    return await hub.act(change)
