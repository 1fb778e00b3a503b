"""Ingest: a batch of MQTT messages from edges -> one transaction in the store.

Synchronous on purpose (the hub runs it in a worker thread of its own): parse every message
(:mod:`hub.upstream`), drop duplicates by ``(home, edge, seq)`` (the home of the topic, not
of the payload), and in one transaction write the readings, the events (through the
:class:`~hub.alerts.AlertManager`), the statuses (:mod:`hub.edge_status`) and the rejected
messages. One transaction per batch is what makes ingest fast. On PostgreSQL, where several
hub workers may share the homes' traffic, the batch first locks the homes whose alerts it
may change and claims its messages in ``received`` (:mod:`hub.arbiter`): a message another
worker took is skipped as a duplicate, never a failed batch.

When a batch cannot be committed, the ingestor asks the store whether it can write at all
(:meth:`~hub.store.Store.can_write`):

* **the store cannot store anything** (a full disk, a read-only file): nothing of the batch
  is stored and every message is returned as ``pending``; the hub must not acknowledge
  them, says it is degraded and tries again later;
* **the store works**: one message is to blame, so the batch is taken again one message at
  a time; a message that still cannot be stored is refused (``unstorable``) like any other
  bad input, and costs only itself.

Nothing here raises, whatever the topics and bytes: each refusal is counted by problem,
kept in the ``rejected`` table (the newest ``rejected_max`` rows, the first bytes of each
payload) and logged once per problem.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Row, Table, delete, select, tuple_
from sqlalchemy.orm import Session

from contracts.topics import DEFAULT_PREFIX

from . import arbiter
from .alerts import AlertManager, AlertUpdate
from .edge_status import StatusApplier
from .ingest_counts import IngestCounts, IngestResult
from .reading_hours import KEPT_IN_SQL, add_hours
from .schema import EventRow, Home, ReadingRow, Received, Rejected, Station
from .store import Store
from .telemetry_sink import TelemetrySink
from .upstream import EventMessage, Status, Telemetry, Upstream, UpstreamError, parse

log = logging.getLogger("hub.ingest")

KEPT_PAYLOAD = 1024  # bytes of a rejected payload kept for the operator
KEPT_REASON = 500  # characters of the reason
REJECTED_MAX = 1000  # rows kept in ``rejected``: the newest; the counts say how many in all
DEDUP_CHUNK = 300  # (home, edge, seq) per lookup: 900 parameters, within SQLite's limit


@dataclass(frozen=True)
class _Item:
    """One message of a batch: parsed, or refused with its problem and reason."""

    index: int
    topic: str
    payload: bytes
    message: Upstream | None
    problem: str | None = None
    reason: str | None = None


class Ingestor:
    def __init__(
        self,
        store: Store,
        manager: AlertManager,
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] = time.time,
        rejected_max: int = REJECTED_MAX,
        telemetry: TelemetrySink | None = None,
    ):
        self.store = store
        self.manager = manager
        self.prefix = prefix
        self.clock = clock
        self.rejected_max = rejected_max
        self.counts = IngestCounts()  # of committed work only: what /health shows is stored
        self._warned: set[str] = set()
        self.statuses = StatusApplier(manager, self._warn_once)
        # With InfluxDB (hub.telemetry_sink): readings go there after the commit, the store
        # keeps hourly aggregates and the readings the pages replay (hub.reading_hours).
        self.telemetry = telemetry
        self._committed_readings: list[tuple] = []
        self._known: set[str] = set()  # ids of homes in the store (_known_homes)

    def take(self, messages: Sequence[tuple[str, bytes]]) -> IngestResult:
        """Store a batch; returns what changed for the live feed and what is still pending.
        Never raises."""
        try:
            return self._take(messages)
        except Exception as exc:  # a bug of ours: keep the batch for another try, say why
            log.exception("ingest: a batch of %d could not be taken", len(messages))
            return IngestResult(pending=list(range(len(messages))), store_error=_described(exc))

    def _take(self, messages: Sequence[tuple[str, bytes]]) -> IngestResult:
        now = self.clock()
        items = [
            self._parsed(n, topic, payload, now) for n, (topic, payload) in enumerate(messages)
        ]
        try:
            return self._commit(items, now)
        except Exception as exc:
            failure = exc
            self._known.clear()  # whatever the store now holds, ask it again
        if not self._store_works():
            return IngestResult(
                pending=[item.index for item in items], store_error=_described(failure)
            )
        log.warning(
            "ingest: a batch of %d failed (%s); taking it one by one",
            len(items),
            _described(failure),
        )
        result = IngestResult()
        for position, item in enumerate(items):
            try:
                single = self._commit([item], now)
            except Exception as exc:
                if not self._store_works():
                    result.pending.extend(later.index for later in items[position:])
                    result.store_error = _described(exc)
                    break
                single = self._unstorable(item, exc, now)
                if single is None:
                    result.pending.extend(later.index for later in items[position:])
                    break
            result.alerts.extend(single.alerts)
            result.homes.extend(single.homes)
        return result

    def _store_works(self) -> bool:
        return self.store.can_write()  # on fresh connections, as the next try will be

    def _unstorable(self, item: _Item, exc: Exception, now: float) -> IngestResult | None:
        """A message the store refuses while it stores others: refused like bad input.
        None if even that cannot be written now."""
        refused = replace(item, message=None, problem="unstorable", reason=_described(exc))
        try:
            return self._commit([refused], now)
        except Exception as again:
            if not self._store_works():
                return None
            # Not even its rejection row can be kept: count it, log it, let it go.
            log.error("ingest: refused %s, and cannot keep it: %r", item.topic[:300], again)
            self.counts.messages += 1
            self.counts.refused["unstorable"] += 1
            return IngestResult()

    def _parsed(self, index: int, topic: str, payload: bytes, now: float) -> _Item:
        try:
            message = parse(topic, payload, prefix=self.prefix, now=now)
        except UpstreamError as exc:
            self._warn_once(exc.problem, f"refused {topic[:300]}: {exc.problem}: {exc.reason}")
            return _Item(index, topic, payload, None, exc.problem, exc.reason)
        return _Item(index, topic, payload, message)

    def _commit(self, items: Sequence[_Item], now: float) -> IngestResult:
        tally = IngestCounts(messages=len(items))
        self._committed_readings = []
        with self.store.transaction() as session:
            result = self._write(session, items, tally, now)
        self.counts.add(tally)  # committed: now it happened
        if self.telemetry is not None and self._committed_readings:
            self.telemetry.offer(self._committed_readings)
        return result

    def _write(
        self, session: Session, items: Sequence[_Item], tally: IngestCounts, now: float
    ) -> IngestResult:
        result = IngestResult()
        parsed = [item for item in items if item.message is not None]
        messages = [item.message for item in parsed if item.message is not None]
        shared = arbiter.shared_store(session)
        if shared:  # several workers: the store decides who handles what (hub.arbiter)
            arbiter.lock_homes(session, self._homes_to_lock(session, messages))
        # The rows of the homes whose events and statuses this batch applies (read under
        # their locks), held here so that session.get finds them in the identity map.
        rows = self._home_rows(session, messages)
        homes: dict[str, Home] = {home.id: home for home, _station in rows}
        known = self._known_homes(session, {m.home for m in messages if m.home is not None})
        if shared:
            fresh = arbiter.claim_received(session, _keys(messages, known), now)
        else:
            fresh = self._not_seen(session, [m for m in messages if not isinstance(m, Status)])
        received: list[tuple[str, str, int, float]] = []
        readings: list[tuple[str, str, str, float, float | None, str | None]] = []
        rejected = [
            self._rejection(item, item.problem or "invalid", item.reason or "", tally, now)
            for item in items
            if item.message is None
        ]
        for item in parsed:
            message = item.message
            if isinstance(message, Status):
                changes, alerts = self.statuses.apply(session, message, known, now, tally)
                result.homes.extend(changes)
                result.alerts.extend(alerts)
                continue
            assert isinstance(message, EventMessage | Telemetry)
            if message.home not in known:
                reason = f"no home {message.home!r}"
                rejected.append(self._rejection(item, "unknown_home", reason, tally, now))
                continue
            if isinstance(message, EventMessage) and message.state == "cleared":
                why = self.manager.clear_refused(session, message.home, message.kind, message.edge)
                if why is not None:
                    rejected.append(self._rejection(item, "foreign_clear", why, tally, now))
                    continue
            key = (message.home, message.edge, message.seq)  # the home of the topic
            if key not in fresh:
                tally.duplicates += 1
                continue
            fresh.discard(key)  # the same seq twice in one batch
            received.append((*key, now))
            if isinstance(message, Telemetry):
                readings.extend(_reading_rows(message))
                self._refused_readings(message, tally)
                continue
            result.alerts.extend(self._event(session, homes[message.home], message, tally, now))
        # Core executemany for the bulk: the ORM's unit of work costs more than the rows.
        if received and not shared:  # shared: claimed above
            _insert_many(session, Received.__table__, RECEIVED_COLUMNS, received)
        if readings and self.telemetry is not None:
            add_hours(session, readings)
            self._committed_readings = readings
            readings = [row for row in readings if row[2] in KEPT_IN_SQL]
            tally.readings += len(self._committed_readings) - len(readings)
        if readings:
            _insert_many(session, ReadingRow.__table__, READING_COLUMNS, readings)
            tally.readings += len(readings)
        if rejected:
            session.add_all(rejected)
            session.flush()
            self._trim_rejected(session)
        return result

    def _event(
        self, session: Session, home: Home, message: EventMessage, tally: IngestCounts, now: float
    ) -> list[AlertUpdate]:
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
        updates = self.manager.on_event(session, home, event)
        # Added once linked: one INSERT with its alert_id, not an INSERT and an UPDATE
        # (nothing on_event reads needs the event's own row; the next event's first query
        # flushes it, so a batch's later events see it).
        session.add(event)
        tally.events += 1
        return updates

    def _trim_rejected(self, session: Session) -> None:
        """Keep the newest ``rejected_max`` rows: a flood of junk costs a bounded table."""
        oldest_kept = session.scalar(
            select(Rejected.id).order_by(Rejected.id.desc()).offset(self.rejected_max - 1).limit(1)
        )
        if oldest_kept is not None:
            session.execute(delete(Rejected).where(Rejected.id < oldest_kept))

    def _home_rows(self, session: Session, messages: Sequence[Upstream]) -> list[Row]:
        """(home, station) of the homes of the batch's events and statuses: one query for
        the rows an alert's work reads (its notices read the station)."""
        wanted = {
            m.home for m in messages if isinstance(m, EventMessage | Status) and m.home is not None
        }
        if not wanted:
            return []
        rows = session.execute(
            select(Home, Station)
            .join(Station, Station.id == Home.station_id)
            .where(Home.id.in_(wanted))
        ).all()
        self._known.update(home.id for home, _station in rows)
        return list(rows)

    def _known_homes(self, session: Session, ids: set[str]) -> set[str]:
        """Which of ``ids`` are homes of the store. A home once stored stays (deactivated,
        never deleted: hub.registry), so the homes seen are remembered and only the others
        are asked for: a telemetry batch of known homes costs no look-up."""
        unknown = ids - self._known
        if unknown:
            self._known.update(session.scalars(select(Home.id).where(Home.id.in_(unknown))))
        return ids & self._known

    def _homes_to_lock(self, session: Session, messages: Sequence[Upstream]) -> set[str]:
        """The homes whose alerts or status this batch may change: those of its events and
        statuses, and every home of a hosted process whose status it carries (a home that
        is not in the store costs a lock of its own and changes nothing)."""
        homes = {
            m.home for m in messages if isinstance(m, EventMessage | Status) and m.home is not None
        }
        hosts = {m.hosted for m in messages if isinstance(m, Status) and m.hosted is not None}
        if hosts:
            homes.update(session.scalars(select(Home.id).where(Home.hosted_by.in_(hosts))))
        return homes

    def _not_seen(
        self, session: Session, messages: Iterable[EventMessage | Telemetry]
    ) -> set[tuple[str, str, int]]:
        wanted = {(message.home, message.edge, message.seq) for message in messages}
        pairs = list(wanted)
        for start in range(0, len(pairs), DEDUP_CHUNK):
            chunk = pairs[start : start + DEDUP_CHUNK]
            seen = session.execute(
                select(Received.home, Received.edge, Received.seq).where(
                    tuple_(Received.home, Received.edge, Received.seq).in_(chunk)
                )
            )
            wanted.difference_update((home, edge, seq) for home, edge, seq in seen)
        return wanted

    def _refused_readings(self, telemetry: Telemetry, tally: IngestCounts) -> None:
        if not telemetry.refused:
            return
        tally.refused_readings += len(telemetry.refused)
        self._warn_once(
            "refused_reading",
            f"home {telemetry.home}: {len(telemetry.refused)} refused readings in seq "
            f"{telemetry.seq}, e.g. {telemetry.refused[0]}",
        )

    def _rejection(
        self, item: _Item, problem: str, reason: str, tally: IngestCounts, now: float
    ) -> Rejected:
        tally.refused[problem] += 1
        if item.message is not None or problem == "unstorable":  # parse warned already
            self._warn_once(problem, f"refused {item.topic[:300]}: {problem}: {reason}")
        return Rejected(
            at=now,
            topic=item.topic[:300],
            problem=problem,
            reason=reason[:KEPT_REASON],
            payload=bytes(item.payload[:KEPT_PAYLOAD]),
        )

    def _warn_once(self, problem: str, message: str) -> None:
        if problem in self._warned:  # a burst must not flood the log; the counts say how many
            log.debug(message)
            return
        self._warned.add(problem)
        log.warning("%s (further ones are counted)", message)


def _keys(messages: Iterable[Upstream], known: set[str]) -> list[tuple[str, str, int]]:
    return [
        (m.home, m.edge, m.seq)
        for m in messages
        if isinstance(m, EventMessage | Telemetry) and m.home in known
    ]


def _reading_rows(
    telemetry: Telemetry,
) -> list[tuple[str, str, str, float, float | None, str | None]]:
    home = telemetry.home
    return [(home, *reading) for reading in telemetry.readings]


RECEIVED_COLUMNS = ("home", "edge", "seq", "at")
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


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:KEPT_REASON]}"
