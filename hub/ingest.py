"""Ingest: a batch of MQTT messages from edges -> one transaction in the store.

Synchronous on purpose (the hub runs it in a worker thread): parse every message
(:mod:`hub.upstream`), drop duplicates by ``(edge, seq)``, and in one transaction write the
readings, the events (through the :class:`~hub.alerts.AlertManager`), the statuses and the
rejected messages. One transaction per batch is what makes ingest fast; if it fails, the
batch is taken again one message at a time, so one poisonous message costs only itself.

Nothing here raises for bad input: each refusal is counted by problem, kept in the
``rejected`` table with the first bytes of its payload, and logged once per problem.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Table, select, tuple_
from sqlalchemy.orm import Session

from contracts.topics import DEFAULT_PREFIX

from .alerts import AlertManager, AlertUpdate
from .schema import Device, EventRow, Home, ReadingRow, Received, Rejected
from .store import Store
from .upstream import EventMessage, Status, Telemetry, UpstreamError, parse

log = logging.getLogger("hub.ingest")

KEPT_PAYLOAD = 2048  # bytes of a rejected payload kept for the operator
DEDUP_CHUNK = 400  # (edge, seq) pairs per lookup: 800 parameters, well within SQLite's limit


@dataclass
class IngestCounts:
    messages: int = 0
    events: int = 0
    readings: int = 0
    statuses: int = 0
    duplicates: int = 0
    refused_readings: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by problem

    def add(self, other: IngestCounts) -> None:
        self.messages += other.messages
        self.events += other.events
        self.readings += other.readings
        self.statuses += other.statuses
        self.duplicates += other.duplicates
        self.refused_readings += other.refused_readings
        self.refused.update(other.refused)

    def copy(self) -> IngestCounts:
        copy = IngestCounts()
        copy.add(self)
        return copy

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "events": self.events,
            "readings": self.readings,
            "statuses": self.statuses,
            "duplicates": self.duplicates,
            "refused_readings": self.refused_readings,
            "refused": dict(self.refused),
        }


@dataclass(frozen=True)
class HomeChange:
    """A home's edge went online or offline."""

    home: str
    station: str
    state: str


@dataclass
class IngestResult:
    alerts: list[AlertUpdate] = field(default_factory=list)
    homes: list[HomeChange] = field(default_factory=list)


class Ingestor:
    def __init__(
        self,
        store: Store,
        manager: AlertManager,
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.manager = manager
        self.prefix = prefix
        self.clock = clock
        self.counts = IngestCounts()  # of committed work only: what /health shows is stored
        self._counting = IngestCounts()  # the batch in progress
        self._warned: set[str] = set()

    def take(self, messages: Sequence[tuple[str, bytes]]) -> IngestResult:
        """Store a batch; returns what changed for the live feed. Never raises for input."""
        self._counting = IngestCounts(messages=len(messages))
        try:
            return self._take(messages)
        finally:
            self.counts.add(self._counting)

    def _take(self, messages: Sequence[tuple[str, bytes]]) -> IngestResult:
        parsed: list[tuple[str, bytes, EventMessage | Telemetry | Status]] = []
        rejected: list[Rejected] = []
        for topic, payload in messages:
            try:
                parsed.append((topic, payload, parse(topic, payload, prefix=self.prefix)))
            except UpstreamError as exc:
                rejected.append(self._rejection(topic, payload, exc.problem, exc.reason))
        parsing = self._counting.copy()
        try:
            with self.store.transaction() as session:
                result = self._write(session, parsed, rejected)
        except Exception:
            log.exception("ingest: a batch of %d failed; taking it one by one", len(parsed))
            self._counting = parsing  # what the failed transaction counted did not happen
            result = IngestResult()
            for one in parsed:
                try:
                    with self.store.transaction() as session:
                        single = self._write(session, [one], [])
                except Exception as exc:
                    topic, payload, _ = one
                    self._keep_rejected(
                        [self._rejection(topic, payload, "store_error", repr(exc)[:500])]
                    )
                    continue
                result.alerts.extend(single.alerts)
                result.homes.extend(single.homes)
            self._keep_rejected(rejected)
        return result

    def _write(
        self,
        session: Session,
        parsed: Sequence[tuple[str, bytes, EventMessage | Telemetry | Status]],
        rejected: list[Rejected],
    ) -> IngestResult:
        result = IngestResult()
        known = self._known_homes(session, {m.home for _, _, m in parsed if m.home is not None})
        fresh = self._not_seen(session, [m for _, _, m in parsed if not isinstance(m, Status)])
        received: list[tuple[str, int, float]] = []
        readings: list[tuple[str, str, str, float, float | None, str | None]] = []
        now = self.clock()
        for topic, payload, message in parsed:
            if isinstance(message, Status):
                changes, alerts = self._status(session, message, known, now)
                result.homes.extend(changes)
                result.alerts.extend(alerts)
                continue
            if message.home not in known:
                rejected.append(
                    self._rejection(topic, payload, "unknown_home", f"no home {message.home!r}")
                )
                continue
            if (message.edge, message.seq) not in fresh:
                self._counting.duplicates += 1
                continue
            fresh.discard((message.edge, message.seq))  # the same seq twice in one batch
            received.append((message.edge, message.seq, now))
            if isinstance(message, Telemetry):
                readings.extend(_reading_rows(message))
                self._refused_readings(message)
                continue
            home = session.get(Home, message.home)
            assert home is not None  # known
            event = EventRow(
                edge=message.edge,
                seq=message.seq,
                home_id=home.id,
                kind=message.kind,
                state=message.state,
                severity=message.severity,
                ts=message.epoch,
                started=message.started_epoch,
                detector=message.detector,
                device=message.device,
                evidence=message.evidence,
                window=message.window.model_dump(mode="json") if message.window else None,
                received_at=now,
            )
            session.add(event)
            self._counting.events += 1
            result.alerts.extend(self.manager.on_event(session, home, event))
        # Core executemany for the bulk: the ORM's unit of work costs more than the rows.
        if received:
            _insert_many(session, Received.__table__, RECEIVED_COLUMNS, received)
        if readings:
            _insert_many(session, ReadingRow.__table__, READING_COLUMNS, readings)
            self._counting.readings += len(readings)
        for row in rejected:
            session.add(row)
        return result

    def _known_homes(self, session: Session, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        return set(session.scalars(select(Home.id).where(Home.id.in_(ids))))

    def _not_seen(
        self, session: Session, messages: Iterable[EventMessage | Telemetry]
    ) -> set[tuple[str, int]]:
        wanted = {(message.edge, message.seq) for message in messages}
        pairs = list(wanted)
        for start in range(0, len(pairs), DEDUP_CHUNK):
            chunk = pairs[start : start + DEDUP_CHUNK]
            seen = session.execute(
                select(Received.edge, Received.seq).where(
                    tuple_(Received.edge, Received.seq).in_(chunk)
                )
            )
            wanted.difference_update((edge, seq) for edge, seq in seen)
        return wanted

    def _status(
        self, session: Session, status: Status, known: set[str], now: float
    ) -> tuple[list[HomeChange], list[AlertUpdate]]:
        self._counting.statuses += 1
        if status.hosted is not None:
            # The will of a hosted process speaks for all its homes (edge.hosted).
            targets = list(session.scalars(select(Home).where(Home.id.in_(status.homes))))
            if status.state == "offline":
                targets += list(
                    session.scalars(select(Home).where(Home.hosted_by == status.hosted))
                )
        else:
            home = session.get(Home, status.home) if status.home in known else None
            if home is None:
                self._counting.refused["unknown_home"] += 1
                return [], []
            targets = [home]
        changes = []
        alerts: list[AlertUpdate] = []
        for home in {h.id: h for h in targets}.values():
            if status.hosted is not None:
                home.hosted_by = status.hosted
            else:
                home.status_document = status.document
                if "hosted" in status.document:
                    home.hosted_by = str(status.document["hosted"])
                self._device_status(session, home, status.document)
            if home.status != status.state:
                changes.append(HomeChange(home.id, home.station_id, status.state))
            home.status, home.status_at = status.state, now
            if status.state == "online":
                alerts.extend(self.manager.home_online(session, home))
        return changes, alerts

    def _device_status(self, session: Session, home: Home, document: dict) -> None:
        """Device liveness and battery from the edge's heartbeat (``devices`` in its status):
        once a minute per home, rather than a row update for every reading."""
        devices = document.get("devices")
        if not isinstance(devices, dict):
            return
        for device in session.scalars(select(Device).where(Device.home_id == home.id)):
            reported = devices.get(device.id)
            if not isinstance(reported, dict):
                continue
            battery = reported.get("battery")
            if isinstance(battery, int | float) and not isinstance(battery, bool):
                device.battery = float(battery)
            last_seen = _epoch(reported.get("last_seen"))
            if last_seen is not None and (device.last_seen or 0) < last_seen:
                device.last_seen = last_seen

    def _refused_readings(self, telemetry: Telemetry) -> None:
        if not telemetry.refused:
            return
        self._counting.refused_readings += len(telemetry.refused)
        self._warn_once(
            "refused_reading",
            f"home {telemetry.home}: {len(telemetry.refused)} refused readings in seq "
            f"{telemetry.seq}, e.g. {telemetry.refused[0]}",
        )

    def _rejection(self, topic: str, payload: bytes, problem: str, reason: str) -> Rejected:
        self._counting.refused[problem] += 1
        self._warn_once(problem, f"refused {topic}: {problem}: {reason}")
        return Rejected(
            at=self.clock(),
            topic=topic[:300],
            problem=problem,
            reason=reason,
            payload=bytes(payload[:KEPT_PAYLOAD]),
        )

    def _keep_rejected(self, rows: list[Rejected]) -> None:
        if not rows:
            return
        try:
            with self.store.transaction() as session:
                session.add_all(rows)
        except Exception:
            log.exception("ingest: cannot keep %d rejected messages", len(rows))

    def _warn_once(self, problem: str, message: str) -> None:
        if problem in self._warned:  # a burst must not flood the log; the counts say how many
            log.debug(message)
            return
        self._warned.add(problem)
        log.warning("%s (further ones are counted)", message)


def _reading_rows(
    telemetry: Telemetry,
) -> list[tuple[str, str, str, float, float | None, str | None]]:
    home = telemetry.home
    return [(home, *reading) for reading in telemetry.readings]


RECEIVED_COLUMNS = ("edge", "seq", "at")
READING_COLUMNS = ("home_id", "device", "metric", "ts", "number", "text")
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_many(session: Session, table: Table, columns: Sequence[str], rows: list) -> None:
    """One driver-level executemany of plain tuples.

    The hottest write of the hub (every reading of every home): SQLAlchemy's per-row
    parameter processing costs more than SQLite's insert itself, so the statement goes to the
    driver directly, in its own parameter style (SQLite's ``?``, psycopg's ``%s``).
    """
    connection = session.connection()
    marker = _MARKERS[connection.dialect.paramstyle]
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    connection.exec_driver_sql(statement, rows)


def _epoch(moment: object) -> float | None:
    if not isinstance(moment, str):
        return None
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None
