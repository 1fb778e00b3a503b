"""What the hub deletes, and when: every table that grows has a retention setting.

:func:`sweep` deletes what is older than its retention, ``chunk`` rows per transaction, so
ingest (which writes to the same store) never waits behind a long delete:

- ``received`` (``retention_received_days``): the ``(home, edge, seq)`` ids of dedup;
- ``rejected`` (``retention_rejected_days``): refused messages, also capped by count at ingest;
- ``events`` (``retention_events_days``): events whose alert is resolved, or that have none;
- ``deliveries`` (``retention_deliveries_days``): notifications sent or given up;
- ``mqtt_outbox`` (``retention_outgoing_days``): configs and commands already published;
- ``login_sessions`` (``retention_sessions_days``): log-ins, counted from when they expired;
- ``read_audit`` (``retention_audit_days``): who read which resident's data;
- ``login_failures`` (``retention_login_failures_days``): failed log-ins, from the last one;
- ``alerts`` (``retention_alerts_days``, unset: kept): resolved alerts, with their history,
  events and deliveries;
- ``readings`` (``retention_readings_days``, 30; unset: kept), by their event time, up to
  a boundary found by bisecting their ids (see :func:`_first_id_not_older`).

Nothing pending is ever deleted: an unsent
notification or command, an open alert and its events stay whatever their age.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from .schema import (
    Alert,
    AlertChange,
    Delivery,
    EscalationTimer,
    EventRow,
    LoginFailure,
    LoginSession,
    OutgoingMessage,
    ReadAudit,
    ReadingRow,
    Received,
    Rejected,
)
from .settings import HubSettings
from .store import Store

DAY_S = 86_400.0


def sweep(
    store: Store,
    settings: HubSettings,
    now: float | None = None,
    *,
    pause: Callable[[], None] = lambda: time.sleep(0.005),
) -> dict[str, int]:
    """Delete what is past its retention; rows deleted per table. ``pause`` runs between
    chunks (a moment for other writers)."""
    now = time.time() if now is None else now

    def before(days: float) -> float:
        return now - days * DAY_S

    deleted: dict[str, int] = {}
    resolved_before_events = select(Alert.id).where(
        Alert.resolved_at.is_not(None), Alert.resolved_at < before(settings.retention_events_days)
    )
    plan: list[tuple[str, Any, ColumnElement[bool]]] = [
        (
            "received",
            (Received.home, Received.edge, Received.seq),
            Received.at < before(settings.retention_received_days),
        ),
        ("rejected", Rejected.id, Rejected.at < before(settings.retention_rejected_days)),
        (
            "events",
            EventRow.id,
            (EventRow.received_at < before(settings.retention_events_days))
            & or_(EventRow.alert_id.is_(None), EventRow.alert_id.in_(resolved_before_events)),
        ),
        (
            "deliveries",
            Delivery.id,
            (Delivery.created_at < before(settings.retention_deliveries_days))
            & Delivery.state.in_(("sent", "failed")),
        ),
        (
            "mqtt_outbox",
            OutgoingMessage.id,
            OutgoingMessage.sent_at < before(settings.retention_outgoing_days),
        ),
        (
            "login_sessions",
            LoginSession.token_hash,
            LoginSession.expires_at < before(settings.retention_sessions_days),
        ),
        ("read_audit", ReadAudit.id, ReadAudit.at < before(settings.retention_audit_days)),
        (
            "login_failures",
            LoginFailure.key,
            (LoginFailure.last_failed_at < before(settings.retention_login_failures_days))
            & (LoginFailure.locked_until < now),
        ),
    ]
    for name, key, condition in plan:
        deleted[name] = _delete_in_chunks(store, key, condition, settings.retention_chunk, pause)
    if settings.retention_readings_days is not None:
        deleted["readings"] = _old_readings(
            store, before(settings.retention_readings_days), settings.retention_chunk, pause
        )
    if settings.retention_alerts_days is not None:
        deleted["alerts"] = _resolved_alerts(
            store, before(settings.retention_alerts_days), settings.retention_chunk, pause
        )
    return deleted


def _delete_in_chunks(
    store: Store,
    key: InstrumentedAttribute[Any] | tuple[InstrumentedAttribute[Any], ...],
    condition: ColumnElement[bool],
    chunk: int,
    pause: Callable[[], None],
) -> int:
    columns = key if isinstance(key, tuple) else (key,)
    table = columns[0].class_
    total = 0
    while True:
        with store.transaction() as session:
            keys = session.execute(select(*columns).where(condition).limit(chunk)).all()
            if keys:
                target = tuple_(*columns) if len(columns) > 1 else columns[0]
                values = [tuple(row) if len(columns) > 1 else row[0] for row in keys]
                session.execute(delete(table).where(target.in_(values)))
        total += len(keys)
        if len(keys) < chunk:
            return total
        pause()


def _old_readings(store: Store, older: float, chunk: int, pause: Callable[[], None]) -> int:
    boundary = _first_id_not_older(store, older)
    if boundary is None:
        return 0
    return _delete_in_chunks(
        store, ReadingRow.id, (ReadingRow.id < boundary) & (ReadingRow.ts < older), chunk, pause
    )


def _first_id_not_older(store: Store, older: float) -> int | None:
    """Where the readings stop being older than ``older``, found by bisecting their ids on
    the primary key (a few dozen index probes, whatever the table's size); None when the
    oldest reading is not older.

    Ids follow arrival, which follows event time but for an outbox replayed late: such a
    reading is deleted by a later sweep, once the boundary has moved past it. A scan for
    the time (no index of its own, which every stored reading would pay for) or a walk
    over every home and metric cost ingest three quarters of its rate and alerts seconds
    while it ran (eldercare bench)."""

    def time_at(session: Session, at_least: int) -> float | None:
        found = select(ReadingRow.ts).where(ReadingRow.id >= at_least)
        return session.scalar(found.order_by(ReadingRow.id).limit(1))

    with store.sessions() as session:
        low = session.scalar(select(func.min(ReadingRow.id)))
        high = session.scalar(select(func.max(ReadingRow.id)))
        if low is None or high is None:
            return None
        first = time_at(session, low)
        if first is None or first >= older:
            return None
        low, high = low + 1, high + 1
        while low < high:
            middle = (low + high) // 2
            moment = time_at(session, middle)
            if moment is None or moment >= older:
                high = middle
            else:
                low = middle + 1
        return low


def _resolved_alerts(
    store: Store, resolved_before: float, chunk: int, pause: Callable[[], None]
) -> int:
    """Resolved alerts and everything that refers to them, a chunk of alerts at a time."""
    total = 0
    while True:
        with store.transaction() as session:
            ids = list(
                session.scalars(
                    select(Alert.id)
                    .where(Alert.resolved_at.is_not(None), Alert.resolved_at < resolved_before)
                    .limit(chunk)
                )
            )
            if ids:
                for table, column in (
                    (AlertChange, AlertChange.alert_id),
                    (EscalationTimer, EscalationTimer.alert_id),
                    (Delivery, Delivery.alert_id),
                    (EventRow, EventRow.alert_id),
                ):
                    session.execute(delete(table).where(column.in_(ids)))
                session.execute(delete(Alert).where(Alert.id.in_(ids)))
        total += len(ids)
        if len(ids) < chunk:
            return total
        pause()
