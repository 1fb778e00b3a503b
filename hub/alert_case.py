"""What the alert manager's parts share: its errors, the update it hands back, its settings,
and the few reads and writes of an alert that each part makes.

The manager (hub/alerts.py) is split by who causes a change: the homes' events
(hub/alerts.py), people (hub/alert_actions.py) and the passing of time
(hub/alert_escalation.py). All three change the same rows in the caller's transaction, so
the ways to find an alert, to take one under its home's lock and to write its history live
here once: every history row is stamped by the same clock, and every action of a person
or a timer waits for a worker busy at that home (hub.arbiter) in the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from contracts.topics import DEFAULT_PREFIX

from . import arbiter
from .errors import HubError
from .escalation import DEFAULT_POLICIES, EscalationPolicies
from .schema import Alert, AlertChange, EventRow, Home
from .views import alert_document

# Raised by the hub itself (hub/alerts.py): a home's edge has said nothing (or "offline")
# for this long, so nothing that happens there reaches the station.
HOME_OFFLINE = "home_offline"


# What a clear's evidence says ended the condition that a page words (api/static format.js):
# which device and what kind of sign (a door, movement, steps) ended a fall, so that a
# dispatcher can judge whether it was her getting up or someone coming in.
CLEARED_BY = ("recovered_by", "metric")


def note_clear(alert: Alert, cleared: EventRow | None) -> dict[str, Any]:
    """The history detail of a clear, and what it leaves on ``alert``: a clear an announced
    absence made (analytics' ``absence_since``: its evidence has ``away_until``) means she
    is away, not back nor better. Its ``away_until`` goes in the history and, as
    ``ended_by_absence``, in the alert's evidence, so that lists tell without its history
    (a reactivation replaces the evidence). Otherwise what ended it, where the clear says
    (``CLEARED_BY``)."""
    evidence = (cleared.evidence if cleared is not None else None) or {}
    away_until = evidence.get("away_until")
    if not away_until:
        return {key: evidence[key] for key in CLEARED_BY if isinstance(evidence.get(key), str)}
    alert.evidence = {**(alert.evidence or {}), "ended_by_absence": away_until}
    return {"away_until": away_until}


class AlertError(HubError):
    """An action on an alert that cannot be done; ``status`` is the HTTP status it maps to."""

    status = 409

    def __init__(self, reason: str, *, alert_id: int | None = None):
        super().__init__(reason, alert_id=alert_id)


class AlertNotFound(AlertError):
    status = 404


@dataclass(frozen=True)
class AlertUpdate:
    """A change to publish once committed: the alert as it is now, and what happened."""

    change: str
    actor: str
    alert: Mapping[str, Any]

    @property
    def station(self) -> str:
        return self.alert["station"]

    @property
    def resident(self) -> str:
        return self.alert["resident"]


@dataclass(frozen=True)
class AlertSettings:
    """The manager's settings (the arguments of :class:`hub.alerts.AlertManager`)."""

    prefix: str = DEFAULT_PREFIX
    policies: EscalationPolicies = DEFAULT_POLICIES
    contact_targets: Mapping[str, str] = field(default_factory=dict)
    language: str = "zh"
    home_offline_after_s: float = 900.0
    clock: Callable[[], float] = time.time


class AlertCases:
    """The alerts of the caller's session, as every part of the manager reads and writes
    them. Never commits."""

    def __init__(self, settings: AlertSettings):
        self.settings = settings

    def now(self) -> float:
        return self.settings.clock()

    def open(self, session: Session, home_id: str, kind: str) -> Alert | None:
        """The home's unresolved alert of ``kind`` (there is at most one)."""
        return session.scalars(
            select(Alert).where(
                Alert.home_id == home_id, Alert.kind == kind, Alert.resolved_at.is_(None)
            )
        ).first()

    def take(self, session: Session, alert_id: int) -> tuple[Alert, Home]:
        """The alert and its home, for an action that is not a home's event."""
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertNotFound("no such alert", alert_id=alert_id)
        if arbiter.shared_store(session):  # a person's action and a worker's take turns
            arbiter.lock_homes(session, [alert.home_id])
            session.refresh(alert)
        home = session.get(Home, alert.home_id)
        assert home is not None  # a foreign key
        return alert, home

    def change(
        self,
        session: Session,
        alert: Alert,
        allowed: Callable[[Alert], None],
        *still: ColumnElement[bool],
        **values: Any,
    ) -> None:
        """Set ``values`` on the alert in one ``UPDATE`` that holds only while ``still`` does
        (the state ``allowed`` checked when the alert was read). On SQLite the read comes
        before the transaction takes the write lock, so another request may have changed the
        alert since: then ``allowed``, on the alert as it is now, refuses as it would refuse
        a request made after that one."""
        changed = session.execute(
            update(Alert).where(Alert.id == alert.id, *still).values(**values)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(alert)
            allowed(alert)
            raise AlertError("the alert changed meanwhile: try again", alert_id=alert.id)

    def record(
        self, session: Session, alert: Alert, actor: str, action: str, detail: dict[str, Any]
    ) -> None:
        """A row of the alert's history (also the ``record`` of hub.notices and
        hub.ward_routing)."""
        session.add(
            AlertChange(alert_id=alert.id, at=self.now(), actor=actor, action=action, detail=detail)
        )

    @staticmethod
    def update_of(alert: Alert, home: Home, change: str, actor: str) -> AlertUpdate:
        return AlertUpdate(change=change, actor=actor, alert=alert_document(alert, home))
