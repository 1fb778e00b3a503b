"""The registry: stations and homes (with their resident, devices and contacts).

Saving a home config stores it, brings the home's device rows in line with it and queues it
for the home's edge, retained on ``<prefix>/<home>/config``, in the same transaction: the
edge gets exactly what the store says, even if the hub stops in between.

Every change of a home config goes through here, outcome feedback included
(``thresholds.feedback``, whose rules are hub/feedback.py's): the hub's own adaptations live
in the stored config, so a saved config that does not mention ``thresholds.feedback`` keeps
the stored factors (an installer's YAML knows nothing of them); one that does sets them,
logged like any other change. Announced absences (``away``, whose rules are
hub/absences.py's) are kept the same way: a saved config without ``away`` keeps the stored
ones, one with it replaces them.
"""

from __future__ import annotations

import time

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from analytics.context import FEEDBACK
from contracts.home import AwayPeriod, HomeConfig
from contracts.topics import DEFAULT_PREFIX

from . import feedback
from .errors import HubError
from .places import bed_taken, config_with_place, leave_bed, place_of, sync_place
from .schema import (
    Alert,
    Bed,
    Device,
    EscalationTimer,
    FeedbackChange,
    Home,
    OutgoingMessage,
    Station,
)


class RegistryError(HubError):
    """A registry change that cannot be made; ``status`` is the HTTP status it maps to."""

    status = 409


class NotFound(RegistryError):
    status = 404


def save_station(
    session: Session,
    station_id: str,
    *,
    name: str,
    address: str | None = None,
    phone: str | None = None,
    notify: list[str] | None = None,
) -> Station:
    station = session.get(Station, station_id)
    if station is None:
        station = Station(id=station_id, name=name, notify=[])
        session.add(station)
    station.name, station.address, station.phone = name, address, phone
    station.notify = list(notify or [])
    return station


def lock_config(session: Session, home: Home) -> None:
    """Read the home's config again, locked until the commit (PostgreSQL; SQLite has one
    writer anyway). Every change to it is a read, a change and a write of the whole
    document: a feedback step, an announced absence and an admin's save at the same moment
    must each see the others' change, not undo it."""
    session.refresh(home, with_for_update=True)


def locked_home(session: Session, home_id: str) -> Home | None:
    """The home read afresh and locked until the commit (:func:`lock_config`), for a
    change to its config that has not read it yet."""
    return session.get(Home, home_id, with_for_update=True, populate_existing=True)


def move_into_bed(
    session: Session, bed: Bed, home_id: str | None, *, prefix: str, actor: str
) -> None:
    """``home_id`` moves into ``bed`` (out of her old one, if any), or (None) the bed's
    resident leaves it: her config's place follows, saved and queued for her edge. Her
    config is read locked (:func:`locked_home`): an absence announced or a limit loosened
    while she moves is in the config saved, not written over by one read before it
    committed (PostgreSQL)."""
    moving = home_id if home_id is not None else bed.home_id
    if moving is None:
        return  # an empty bed freed: nothing changes
    home = get_home(session, moving, locked=True)
    place = place_of(session, bed) if home_id is not None else None
    save_home(session, config_with_place(home, place), prefix=prefix, actor=actor)


def save_home(
    session: Session,
    config: HomeConfig,
    *,
    prefix: str = DEFAULT_PREFIX,
    now: float | None = None,
    actor: str = "registry",
) -> Home:
    """Create or replace a home from its config, and queue the config for its edge.

    Without ``thresholds.feedback`` the stored factors are kept; with it, they are set (and
    each change logged with ``actor``). Factors the detectors would refuse: FeedbackError.
    Without ``away`` the announced absences are kept; with it, they are replaced.
    """
    now = time.time() if now is None else now
    if session.get(Station, config.station) is None:
        raise NotFound(f"no station {config.station!r}; register the station first")
    # Locked until the commit, as hub.absences does: the absences and factors kept are the
    # ones stored now, not ones an announce committing meanwhile writes over (PostgreSQL).
    home = locked_home(session, config.home)
    if home is not None and home.deactivated_at is not None:
        raise RegistryError(
            f"home {config.home!r} is deactivated; reactivate it before changing its config"
        )
    stored = feedback.factors(home.config) if home is not None else {}
    if FEEDBACK in config.thresholds:
        wanted = feedback.checked(config.thresholds[FEEDBACK])
    else:
        wanted = stored
    document = feedback.with_factors(config.model_dump(mode="json"), wanted)
    if home is not None and "away" not in config.model_fields_set:
        document["away"] = home.config.get("away") or []
    config = HomeConfig.model_validate(document)
    if home is None:
        home = Home(id=config.home, status="unknown")
        session.add(home)
    home.station_id = config.station
    _publish(session, home, config, prefix=prefix, now=now)
    # After the row is whole (it may be flushed): a bed it cannot have undoes it all.
    sync_place(session, config, actor=actor, now=now)
    _sync_devices(session, config)
    for kind in sorted(stored.keys() | wanted.keys()):
        old, new = stored.get(kind, 1.0), wanted.get(kind, 1.0)
        if feedback.tidy(old) != feedback.tidy(new):
            feedback.record(
                session, config.home, kind, old, feedback.tidy(new),
                actor=actor, reason="config", now=now,
            )  # fmt: skip
    return home


def deactivate_home(
    session: Session, home_id: str, *, actor: str, now: float | None = None
) -> Home:
    """Take a home out of service without losing its history.

    Its alerts, readings and events stay (retention ages them as usual); the home leaves
    the lists of staff and family and the queue; its open alerts stop escalating; events its
    edge still sends are recorded but open no alert (hub.alerts). Deactivating twice is a
    no-op: the first time and actor stay."""
    home = get_home(session, home_id)
    if home.deactivated_at is not None:
        return home
    home.deactivated_at = time.time() if now is None else now
    home.deactivated_by = actor
    leave_bed(session, home_id, actor=actor, now=home.deactivated_at)
    open_alerts = select(Alert.id).where(Alert.home_id == home_id, Alert.resolved_at.is_(None))
    for timer in session.scalars(
        select(EscalationTimer).where(EscalationTimer.alert_id.in_(open_alerts))
    ):
        session.delete(timer)
    return home


def reactivate_home(
    session: Session, home_id: str, *, prefix: str = DEFAULT_PREFIX, actor: str = "registry"
) -> Home:
    """Back in service: lists, queue and alerts as before, and the open alerts that
    deactivating stopped escalate again from their first step. In an institution she is
    back in the bed her config names, or, when it was given to someone else meanwhile,
    without a bed: her config's place is removed (and sent to her edge), so that the config
    and the beds never disagree. Her config is read locked (:func:`locked_home`): a limit
    stepped down or loosened meanwhile is kept in what is written back."""
    home = get_home(session, home_id, locked=True)
    if home.deactivated_at is not None:
        _escalate_again(session, home_id, due_at=home.deactivated_at)
    home.deactivated_at = None
    home.deactivated_by = None
    config = HomeConfig.model_validate(home.config)
    now = time.time()
    if bed_taken(session, config):
        config = HomeConfig.model_validate({**home.config, "place": None})
        _publish(session, home, config, prefix=prefix, now=now)
    sync_place(session, config, actor=actor, now=now)
    return home


def _escalate_again(session: Session, home_id: str, *, due_at: float) -> None:
    """A first-step timer, due since ``due_at``, for each open alert of the home that nobody
    acknowledged and that was escalating when its timer was removed (a cleared one that is
    not critical had stopped already, hub.alerts); hub.alert_escalation fires it."""
    waiting = select(Alert.id).where(
        Alert.home_id == home_id,
        Alert.resolved_at.is_(None),
        Alert.acknowledged.is_(False),
        or_(Alert.active.is_(True), Alert.severity == "critical"),
    )
    for alert_id in session.scalars(waiting).all():
        if session.get(EscalationTimer, alert_id) is None:
            session.add(EscalationTimer(alert_id=alert_id, step=0, due_at=due_at))


def set_factor(
    session: Session,
    home: Home,
    kind: str,
    factor: float,
    *,
    actor: str,
    reason: feedback.Reason,
    prefix: str = DEFAULT_PREFIX,
    now: float | None = None,
    alert_id: int | None = None,
    note: str | None = None,
) -> FeedbackChange | None:
    """Set the home's outcome-feedback factor for ``kind``: the config stored and queued for
    the edge, the change logged; None when the factor already is that."""
    now = time.time() if now is None else now
    lock_config(session, home)
    current = feedback.factors(home.config)
    old = current.get(kind, 1.0)
    new = feedback.tidy(feedback.checked({kind: factor})[kind])
    if new == old:
        return None
    document = feedback.with_factors(home.config, {**current, kind: new})
    _publish(session, home, HomeConfig.model_validate(document), prefix=prefix, now=now)
    return feedback.record(
        session, home.id, kind, old, new,
        actor=actor, reason=reason, now=now, alert_id=alert_id, note=note,
    )  # fmt: skip


def set_away(
    session: Session,
    home: Home,
    periods: tuple[AwayPeriod, ...],
    *,
    prefix: str = DEFAULT_PREFIX,
    now: float | None = None,
) -> None:
    """Set the home's announced absences (hub/absences.py decides the list): the config
    stored and queued for the edge, as :func:`set_factor` does."""
    now = time.time() if now is None else now
    document = {**home.config, "away": [period.model_dump(mode="json") for period in periods]}
    _publish(session, home, HomeConfig.model_validate(document), prefix=prefix, now=now)


def decay_feedback(
    session: Session, *, prefix: str = DEFAULT_PREFIX, now: float | None = None
) -> list[FeedbackChange]:
    """Step back every factor whose kind has been quiet long enough (hub/feedback.py)."""
    now = time.time() if now is None else now
    done = []
    for due in feedback.decays_due(session, now):
        # Locked, as save_home: an absence announced meanwhile is not written over.
        home = locked_home(session, due.home_id)
        if home is None:
            continue
        old = feedback.factor(home.config, due.kind)
        if old <= 1.0:  # set back by hand since: nothing to decay
            continue
        quiet_days = round((now - due.quiet_since) / feedback.DAY_S)
        change = set_factor(
            session, home, due.kind, feedback.Decay.of(old),
            actor="hub", reason="decay", prefix=prefix, now=now,
            note=f"{quiet_days} days without a false alarm",
        )  # fmt: skip
        if change is not None:
            done.append(change)
    return done


def _publish(session: Session, home: Home, config: HomeConfig, *, prefix: str, now: float) -> None:
    """Store the config on the home's row and queue it, retained, for its edge."""
    home.config = config.model_dump(mode="json")
    home.resident_name = config.resident.name
    home.timezone = config.timezone
    home.updated_at = now
    session.add(
        OutgoingMessage(
            topic=f"{prefix}/{config.home}/config",
            payload=config.to_json().encode(),
            retain=True,
            created_at=now,
        )
    )


def _sync_devices(session: Session, config: HomeConfig) -> None:
    existing = {
        device.id: device
        for device in session.scalars(select(Device).where(Device.home_id == config.home))
    }
    for device in config.devices:
        row = existing.pop(device.id, None)
        if row is None:
            row = Device(home_id=config.home, id=device.id, offline=False)
            session.add(row)
        row.kind, row.role, row.source, row.model = (
            device.kind,
            device.role,
            device.source,
            device.model,
        )
    for gone in existing.values():
        session.delete(gone)


def get_home(session: Session, home_id: str, *, locked: bool = False) -> Home:
    """The home, or NotFound; ``locked``: read afresh and locked until the commit
    (:func:`locked_home`), for a change to its config."""
    home = locked_home(session, home_id) if locked else session.get(Home, home_id)
    if home is None:
        raise NotFound(f"no home {home_id!r}", home=home_id)
    return home
