"""An institution's alerts: who is told, in which order, and the institution's severities.

For a resident in a bed of an institution (hub/places.py) an unacknowledged alert goes
first to the phone of the caregiver on duty for her room (hub/shifts.py), then to the nurse
station (the station's own channels: an institution is a station), then to the head nurse;
the head nurse is told again every ``repeat_s`` until someone acknowledges. The delays are
the institution's. A critical alert goes to the caregiver and the nurse station at once; a
warning (a device problem) to the nurse station only. With nobody on duty for the room the
nurse station is told at once, and the alert's history says why (``no_caregiver_on_duty``).

A caregiver and a head nurse are reached on their accounts' phones, through the hub's
``sms`` contact target (``contact_targets``); an account without a phone, or a hub without
that target, is a ``no_channel`` in the alert's history like any audience without a channel.
The caregiver's phone page shows her rooms' alerts live either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.alert import SEVERITY_RANK

from .channels import contact_target
from .escalation import Audience, EscalationPolicy, EscalationStep
from .places import room_of_home
from .schema import Alert, Home, Institution, User
from .shifts import on_duty

PHONE_CHANNEL = "sms"

Record = Callable[[Session, Alert, str, str, dict[str, Any]], None]


def institution_of(session: Session, home: Home) -> Institution | None:
    """The institution the home's resident lives in (None: a home in the community)."""
    if not (home.config or {}).get("place"):
        return None
    return session.get(Institution, home.station_id)


def severity_for(session: Session, home: Home, kind: str, severity: str) -> str:
    """The institution's severity for an alert kind, else the detector's."""
    institution = institution_of(session, home)
    if institution is None:
        return severity
    wanted = institution.severities.get(kind)
    return wanted if wanted in SEVERITY_RANK else severity


def policy_for(session: Session, home: Home, severity: str) -> EscalationPolicy | None:
    """The institution's ladder for an alert of ``severity``; None: not an institution's."""
    institution = institution_of(session, home)
    if institution is None:
        return None
    head = EscalationStep(after_s=institution.head_nurse_after_s, notify=("head_nurse",))
    if severity == "warning":
        steps = (EscalationStep(after_s=0, notify=("station",)),)
        return EscalationPolicy(steps=steps, repeat_every_s=None)
    if severity == "critical":
        first = EscalationStep(after_s=0, notify=("caregiver", "station"))
        return EscalationPolicy(steps=(first, head), repeat_every_s=institution.repeat_s)
    steps = (
        EscalationStep(after_s=0, notify=("caregiver",)),
        EscalationStep(after_s=institution.station_after_s, notify=("station",)),
        head,
    )
    return EscalationPolicy(steps=steps, repeat_every_s=institution.repeat_s)


def route(
    session: Session,
    home: Home,
    alert: Alert,
    audience: tuple[Audience, ...],
    *,
    now: float,
    record: Record,
) -> tuple[Audience, ...]:
    """The audiences to tell now: the caregiver on duty is named in the alert's history
    (``routed``) and becomes its assignee; with nobody on duty the nurse station instead."""
    if "caregiver" not in audience:
        return audience
    room = room_of_home(session, home.id)
    names = on_duty(session, home.station_id, room.id, now) if room is not None else []
    room_name = room.name if room is not None else None
    if not names:
        record(session, alert, "hub", "no_caregiver_on_duty", {"room": room_name})
        rest = tuple(who for who in audience if who != "caregiver")
        return rest if "station" in rest else (*rest, "station")
    record(session, alert, "hub", "routed", {"to": names, "room": room_name})
    if alert.assignee is None:
        alert.assignee = names[0]
    return audience


def staff_targets(
    session: Session,
    home: Home,
    audience: Audience,
    contact_targets: Mapping[str, str],
    now: float,
) -> list[str]:
    """The phones of the caregiver on duty for the home's room, or of the head nurses."""
    template = contact_targets.get(PHONE_CHANNEL)
    if not template:
        return []
    if audience == "caregiver":
        room = room_of_home(session, home.id)
        names = on_duty(session, home.station_id, room.id, now) if room is not None else []
        users = [session.get(User, name) for name in names]
    else:
        users = [
            user
            for user in session.scalars(
                select(User).where(User.role == "head_nurse", User.deactivated_at.is_(None))
            )
            if home.station_id in user.stations
        ]
    targets = [
        contact_target(template, phone=user.phone, name=user.name)
        for user in users
        if user is not None and user.phone
    ]
    return [target for target in targets if target is not None]
