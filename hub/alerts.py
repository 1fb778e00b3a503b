"""The alert manager: events from homes and actions of people -> alert life cycle.

An explicit state machine in the spirit of ThingsBoard's alarms and Home Assistant's alert
entity. An alert is **active or cleared** (what the home's detector says) × **unacknowledged
or acknowledged** (what people did), until someone **resolves** it with an outcome. One
unresolved alert per home and kind: a repeat of the condition updates (or re-activates) it.

=================  ==========================================  ============================
action             allowed when                                effect
=================  ==========================================  ============================
raise / update     (from the edge) always                      new alert, or update the open
                                                               one (re-activate if cleared:
                                                               unacknowledged again, and
                                                               escalation from its first step)
clear              (from the edge) the alert is active         cleared; escalation stops
                                                               unless critical (one sent
                                                               while it is resolved is kept,
                                                               for a reopen)
acknowledge        not resolved, not yet acknowledged          escalation stops; the home
                                                               hears "help is coming"
assign / comment   not resolved                                recorded
resolve            not resolved; with an outcome               closed; a false alarm of a
                                                               routine kind loosens that
                                                               home's limit for the kind
reopen             resolved by a person less than a day ago,   open again as it was before
                   and no other open alert of its home and     the resolve (acknowledged
                   kind                                        or not), but cleared if its
                                                               edge cleared it meanwhile
                                                               (home_offline: if the home
                                                               is online again); no new
                                                               escalation
=================  ==========================================  ============================

Every change is a row of ``alert_history`` (who, when, what). A notification that cannot be
sent because nobody configured a channel for its audience is a change too (``no_channel``,
once per alert and audience): the history tells what was sent, not what was meant to be.
Escalation timers and notifications are rows too, written in the same transaction as the
change that caused them, so a hub killed at any moment loses neither. The manager works
inside a caller's session and never commits; the caller publishes the returned
:class:`AlertUpdate` s after commit.

The manager is the one entry point, split by what causes a change: the homes' events are
here (they decide whether an alert is active); people's actions, with the outcome feedback
of a resolve, are hub/alert_actions.py; the passing of time, escalation, is
hub/alert_escalation.py; what the three share is hub/alert_case.py.

A few kinds are consequences of a fall rather than news: while a fall alert of the home is
active, ``no_activity``, ``long_bathroom_stay`` and ``not_up`` are recorded on it
(``related``) instead of opening alerts of their own (with several workers: active when
they happened, in event time; hub.event_order).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from contracts.alert import OUTCOMES, SEVERITY_RANK
from contracts.topics import DEFAULT_PREFIX

from . import arbiter, event_order, ward_routing
from .alert_actions import REOPEN_WITHIN_S, AlertActions
from .alert_case import (
    HOME_OFFLINE,
    AlertCases,
    AlertError,
    AlertNotFound,
    AlertSettings,
    AlertUpdate,
    note_clear,
)
from .alert_escalation import Escalation
from .escalation import DEFAULT_POLICIES, EscalationPolicies
from .schema import Alert, EventRow, Home

__all__ = [
    "HOME_OFFLINE",
    "OUTCOMES",
    "REOPEN_WITHIN_S",
    "RESOLVED_ON_CLEAR",
    "SUBSUMED_BY",
    "AlertError",
    "AlertManager",
    "AlertNotFound",
    "AlertUpdate",
]

SUBSUMED_BY: dict[str, tuple[str, ...]] = {
    "no_activity": ("fall",),
    "long_bathroom_stay": ("fall",),
    "not_up": ("fall",),
}
# A device back online or a battery replaced needs nobody to close the case.
RESOLVED_ON_CLEAR = frozenset(
    {"device_offline", "battery_low", "home_offline", "sensor_stuck", "sensor_flapping"}
)


class AlertManager:
    def __init__(
        self,
        *,
        prefix: str = DEFAULT_PREFIX,
        policies: EscalationPolicies = DEFAULT_POLICIES,
        contact_targets: Mapping[str, str] | None = None,
        language: str = "zh",
        home_offline_after_s: float = 900.0,
        clock: Callable[[], float] = time.time,
    ):
        """``contact_targets`` maps a contact's notify channel ("sms", "call", "wechat") to
        an apprise URL template with ``{phone}`` and ``{name}``; without one, that channel
        reaches the contact through the family app only."""
        self.settings = AlertSettings(
            prefix=prefix,
            policies=policies,
            contact_targets=dict(contact_targets or {}),
            language=language,
            home_offline_after_s=home_offline_after_s,
            clock=clock,
        )
        self._cases = AlertCases(self.settings)
        self._escalation = Escalation(self._cases)
        self._actions = AlertActions(self._cases, self._escalation)

    # The settings, read-only: the parts were given them at construction.
    @property
    def prefix(self) -> str:
        return self.settings.prefix

    @property
    def policies(self) -> EscalationPolicies:
        return self.settings.policies

    @property
    def contact_targets(self) -> Mapping[str, str]:
        return self.settings.contact_targets

    @property
    def language(self) -> str:
        return self.settings.language

    @property
    def home_offline_after_s(self) -> float:
        return self.settings.home_offline_after_s

    @property
    def clock(self) -> Callable[[], float]:
        return self.settings.clock

    # -- from the homes -------------------------------------------------------------------

    def on_event(self, session: Session, home: Home, event: EventRow) -> list[AlertUpdate]:
        """Apply one stored event; links it to its alert (``event.alert_id``).

        A deactivated home's events are kept as a record but open or change no alert: nobody
        is paged about a home the station no longer looks after (hub.registry)."""
        if home.deactivated_at is not None:
            return []
        actor = f"edge:{event.edge}"
        alert = self._cases.open(session, home.id, event.kind)
        # Several workers (hub.arbiter): the home is locked, and event time decides.
        ordered = arbiter.shared_store(session)
        if event.state == "cleared":
            if alert is None:
                # Kept unlinked: a raise handled later finds it, and so does a reopen of
                # the alert resolved before it (hub.event_order).
                return []
            stale = ordered and event_order.stale_clear(session, alert, event)
            event.alert_id = alert.id
            return [] if stale else self._clear(session, home, alert, event, actor)
        if alert is None:
            parent = self._subsuming(session, home.id, event, ordered)
            if parent is not None:
                event.alert_id = parent.id
                return self._relate(session, home, parent, event, actor)
            return self._raise_in_order(session, home, event, actor, ordered)
        return self._update_in_order(session, home, alert, event, actor, ordered)

    def _update_in_order(
        self,
        session: Session,
        home: Home,
        alert: Alert,
        event: EventRow,
        actor: str,
        ordered: bool,
    ) -> list[AlertUpdate]:
        """Apply ``event`` to its open ``alert``: an update older than the alert's clear
        (event time, where it is asked) is only recorded on it."""
        event.alert_id = alert.id
        if ordered and not alert.active and event_order.cleared_since(session, alert, event):
            return self._relate(session, home, alert, event, actor)  # older than its clear
        return self._update(session, home, alert, event, actor)

    def _raise_in_order(
        self, session: Session, home: Home, event: EventRow, actor: str, ordered: bool
    ) -> list[AlertUpdate]:
        """Raise ``event`` as a new alert, then its clear if that was handled first."""
        updates = self._raise(session, home, event, actor)
        early = event_order.early_clear(session, event) if ordered else None
        if early is not None and event.alert_id is not None:
            raised = session.get(Alert, event.alert_id)
            assert raised is not None
            early.alert_id = raised.id
            updates += self._clear(session, home, raised, early, f"edge:{early.edge}")
        return updates

    def clear_refused(self, session: Session, home_id: str, kind: str, edge: str) -> str | None:
        """Why a ``cleared`` from ``edge`` may not clear the home's open alert of ``kind``
        (None: it may). Only the edge that raised an alert clears it: a second box of the
        home, or anyone else who can write on its topic, cannot stop its escalation."""
        first_edge = (
            select(EventRow.edge)
            .where(EventRow.alert_id == Alert.id)
            .order_by(EventRow.id)
            .limit(1)
            .scalar_subquery()
        )
        found = session.execute(  # the open alert and its raiser in one query
            select(Alert, first_edge).where(
                Alert.home_id == home_id, Alert.kind == kind, Alert.resolved_at.is_(None)
            )
        ).first()
        if found is None:
            return None
        alert, raiser = found
        if raiser == edge:
            return None
        if raiser is None:
            return f"alert {alert.id} ({kind}) is the hub's own, not an edge's to clear"
        return f"alert {alert.id} ({kind}) was raised by edge {raiser!r}, not {edge!r}"

    def _subsuming(
        self, session: Session, home_id: str, event: EventRow, ordered: bool
    ) -> Alert | None:
        for parent_kind in SUBSUMED_BY.get(event.kind, ()):
            parent = self._cases.open(session, home_id, parent_kind)
            if parent is None:
                continue
            # Several workers: whether she was down when it happened, not when it was handled.
            if event_order.active_at(session, parent, event) if ordered else parent.active:
                return parent
        return None

    def _raise(
        self, session: Session, home: Home, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        now = self._cases.now()
        alert = Alert(
            home_id=home.id,
            station_id=home.station_id,
            kind=event.kind,
            severity=ward_routing.severity_for(session, home, event.kind, event.severity),
            active=True,
            acknowledged=False,
            started=event.started,
            raised_at=now,
            updated_at=now,
            detector=event.detector,
            device=event.device,
            evidence=dict(event.evidence),
            related=[],
            escalation_step=0,
        )
        if arbiter.shared_store(session):
            inserted, existing = self._insert_unless_open(session, alert)
            if existing is not None:  # another transaction opened it first: update that one
                event.alert_id = existing.id
                return self._update(session, home, existing, event, actor)
            assert inserted is not None
            alert = inserted
        else:
            session.add(alert)
            session.flush()  # the id, for the history and the event
        event.alert_id = alert.id
        self._cases.record(session, alert, actor, "raised", {"severity": alert.severity})
        self._escalation.run(session, home, alert, step=0, change="raised", new=True)
        return [self._cases.update_of(alert, home, "raised", actor)]

    def _insert_unless_open(
        self, session: Session, alert: Alert
    ) -> tuple[Alert | None, Alert | None]:
        """Insert the new alert (the row inserted, None), or, when the partial unique index
        says one of its home and kind is open already (a writer that did not hold the
        home's lock), leave it (None, that one). One ``INSERT ... ON CONFLICT DO NOTHING``
        on that index: the refusal needs no savepoint, and a concurrent insert of the same
        home and kind is waited for as before."""
        state = inspect(alert)
        values = {c.key: state.dict[c.key] for c in Alert.__table__.columns if c.key in state.dict}
        statement = (
            postgresql.insert(Alert)
            .values(values)
            .on_conflict_do_nothing(
                index_elements=["home_id", "kind"], index_where=Alert.resolved_at.is_(None)
            )
            .returning(Alert)
        )
        for _ in range(2):  # an open one resolved between the insert and the read: again
            inserted = session.scalars(statement).first()
            if inserted is not None:
                return inserted, None
            existing = self._cases.open(session, alert.home_id, alert.kind)
            if existing is not None:
                return None, existing
        raise AlertError(f"the open {alert.kind} alert of {alert.home_id} keeps changing")

    def _update(
        self, session: Session, home: Home, alert: Alert, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        now = self._cases.now()
        detail: dict[str, Any] = {}
        severity = ward_routing.severity_for(session, home, event.kind, event.severity)
        rose = SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]
        if rose:
            detail["severity"] = [alert.severity, severity]
            alert.severity = severity
        if not alert.active:
            alert.active, alert.cleared_at = True, None
            detail["reactivated"] = True
        if event.device is not None and event.device != alert.device:
            # Another device saw it (the band's impact, then the bathroom radar): the alert
            # shows the newest evidence, so it names that evidence's device; what the other
            # one saw stays in the history. An update that names no device (an edge of an
            # older release) leaves the device as it is.
            detail["device"] = [alert.device, event.device]
            detail["replaced_evidence"] = dict(alert.evidence or {})
            alert.device = event.device
        alert.evidence = dict(event.evidence)
        alert.updated_at = now
        self._cases.record(session, alert, actor, "updated", detail)
        if detail.get("reactivated") and alert.acknowledged:
            # A new occurrence (she fell again hours later): whoever acknowledged the first
            # knows nothing of this one, and an acknowledged case escalates to nobody.
            self._cases.record(
                session, alert, "hub", "unacknowledged",
                {"reason": "reactivated", "acknowledged_by": alert.acknowledged_by},
            )  # fmt: skip
            alert.acknowledged, alert.acknowledged_at, alert.acknowledged_by = False, None, None
        if not alert.acknowledged and (rose or detail.get("reactivated")):
            # Worse than before, or back again: the new severity's policy starts over.
            self._escalation.run(session, home, alert, step=0, change="updated")
        return [self._cases.update_of(alert, home, "updated", actor)]

    def _relate(
        self, session: Session, home: Home, parent: Alert, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        """Record the event on ``parent`` without changing its state (a consequence of a
        fall, or an update older than the alert's clear)."""
        if event.kind not in parent.related and event.kind != parent.kind:
            parent.related = [*parent.related, event.kind]
        parent.updated_at = self._cases.now()
        self._cases.record(
            session, parent, actor, "related", {"kind": event.kind, "evidence": event.evidence}
        )
        return [self._cases.update_of(parent, home, "updated", actor)]

    def _clear(
        self, session: Session, home: Home, alert: Alert, event: EventRow, actor: str
    ) -> list[AlertUpdate]:
        if not alert.active:
            return []
        now = self._cases.now()
        alert.active, alert.cleared_at, alert.updated_at = False, now, now
        self._cases.record(session, alert, actor, "cleared", note_clear(alert, event))
        if alert.kind in RESOLVED_ON_CLEAR:
            self._actions.close(session, alert, "hub", "recovered", now)
            return [self._cases.update_of(alert, home, "resolved", "hub")]
        if alert.severity != "critical":
            # She came out of the bathroom, the pulse settled: no one else needs waking.
            # A fall or an SOS stays on the escalation path until a person acknowledges it.
            self._escalation.cancel(session, alert)
        updates = [self._cases.update_of(alert, home, "cleared", actor)]
        return updates + self._consequences_after(session, home, alert, event)

    def _consequences_after(
        self, session: Session, home: Home, alert: Alert, cleared: EventRow
    ) -> list[AlertUpdate]:
        """A no_activity recorded on the fall before the fall's older clear was handled (a
        second worker, a broker that held the clear back) happened after she got up: left
        on a case that says she is up, it would be closed with it unseen. It is an alert of
        its own, as it would have been in event order: its events are applied in their
        order, then its own clear if that was handled before them."""
        if not alert.related:
            return []  # nothing recorded on it: no statement spent on the common clear
        later = event_order.consequences_after(session, alert, cleared)
        kinds = list(dict.fromkeys(event.kind for event in later))
        updates: list[AlertUpdate] = []
        for kind in kinds:
            self._cases.record(session, alert, "hub", "unrelated", {"kind": kind})
        for event in later:
            actor = f"edge:{event.edge}"
            own = self._cases.open(session, home.id, event.kind)
            if own is None:
                event.alert_id = None
                updates += self._raise(session, home, event, actor)
            else:  # event time decides on either store: these came out of order
                updates += self._update_in_order(session, home, own, event, actor, True)
        for kind in kinds:
            newest = [event for event in later if event.kind == kind][-1]
            own = self._cases.open(session, home.id, kind)
            early = event_order.early_clear(session, newest)
            if own is not None and own.active and early is not None:
                early.alert_id = own.id
                updates += self._clear(session, home, own, early, f"edge:{early.edge}")
        # A kind stays on the fall if one of its events happened while she was down.
        still = set(session.scalars(select(EventRow.kind).where(EventRow.alert_id == alert.id)))
        alert.related = [kind for kind in alert.related if kind in still]
        return updates

    # -- what the hub sees of the homes' edges ---------------------------------------------

    def homes_offline(self, session: Session, now: float | None = None) -> list[AlertUpdate]:
        """Raise ``home_offline`` for each home whose edge has been offline long enough, once
        per spell offline."""
        now = self._cases.now() if now is None else now
        # A person closed this spell's alert (the family says the router is off while she
        # is away): not again until the home has been back.
        handled = (
            select(Alert.id)
            .where(
                Alert.home_id == Home.id,
                Alert.kind == HOME_OFFLINE,
                Alert.resolved_by != "hub",
                Alert.resolved_at >= Home.status_at,
            )
            .exists()
        )
        homes = session.scalars(
            select(Home).where(
                Home.status == "offline",
                Home.status_at <= now - self.settings.home_offline_after_s,
                Home.deactivated_at.is_(None),
                ~handled,
            )
        )
        updates = []
        for home in homes:
            if not arbiter.try_lock_home(session, home.id):
                continue  # another worker is at this home: the next tick sees its result
            since = home.status_at or now
            alert = self._cases.open(session, home.id, HOME_OFFLINE)
            if alert is None:
                event = self._hub_event(home, "raised", since, {"offline_since": since})
                updates.extend(self._raise(session, home, event, "hub"))
            elif not alert.active:
                # A case reopened after the home was back (hub/alert_actions.py): offline
                # again, it is a return, as an edge's repeat re-activates its cleared case.
                event = self._hub_event(home, "updated", since, {"offline_since": since})
                updates.extend(self._update(session, home, alert, event, "hub"))
        return updates

    def raise_hub_alert(
        self, session: Session, home: Home, kind: str, severity: str, started: float, evidence: dict
    ) -> list[AlertUpdate]:
        """The hub's own alert of ``kind`` (e.g. ``visit_overdue``), unless one is open."""
        if home.deactivated_at is not None or self._cases.open(session, home.id, kind) is not None:
            return []
        event = self._hub_event(home, "raised", started, evidence)
        event.kind, event.severity = kind, severity
        return self._raise(session, home, event, "hub")

    def home_online(self, session: Session, home: Home) -> list[AlertUpdate]:
        alert = self._cases.open(session, home.id, HOME_OFFLINE)
        if alert is None:
            return []
        event = self._hub_event(home, "cleared", self._cases.now(), {})
        return self._clear(session, home, alert, event, "hub")

    @staticmethod
    def _hub_event(home: Home, state: str, started: float, evidence: dict) -> EventRow:
        # Not stored: the hub's own observation, shaped like an edge's event for _raise.
        return EventRow(
            edge="hub", seq=0, home_id=home.id, kind=HOME_OFFLINE, state=state,
            severity="warning", ts=started, started=started, detector="hub",
            device=None, evidence=evidence, received_at=started,
        )  # fmt: skip

    # -- from people (hub/alert_actions.py) and the passing of time (hub/alert_escalation.py)

    def acknowledge(self, session: Session, alert_id: int, actor: str) -> AlertUpdate:
        return self._actions.acknowledge(session, alert_id, actor)

    def assign(self, session: Session, alert_id: int, assignee: str, actor: str) -> AlertUpdate:
        return self._actions.assign(session, alert_id, assignee, actor)

    def comment(self, session: Session, alert_id: int, text: str, actor: str) -> AlertUpdate:
        return self._actions.comment(session, alert_id, text, actor)

    def resolve(
        self, session: Session, alert_id: int, outcome: str, actor: str, note: str | None = None
    ) -> AlertUpdate:
        return self._actions.resolve(session, alert_id, outcome, actor, note)

    def reopen(
        self, session: Session, alert_id: int, actor: str, note: str | None = None
    ) -> AlertUpdate:
        """Undo a resolve (REOPEN_WITHIN_S; see the table of the module docstring)."""
        return self._actions.reopen(session, alert_id, actor, note)

    def fire_due(self, session: Session, now: float | None = None) -> list[AlertUpdate]:
        """Escalation steps whose time has come: notify, and set the next step's timer."""
        return self._escalation.fire_due(session, now)
