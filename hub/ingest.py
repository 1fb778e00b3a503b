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

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .alerts import AlertManager, AlertUpdate
from .schema import Device, EventRow, Home, ReadingRow, Received, Rejected
from .store import Store
from .upstream import EventMessage, Status, Telemetry, UpstreamError, parse

log = logging.getLogger("hub.ingest")

KEPT_PAYLOAD = 2048  # bytes of a rejected payload kept for the operator


@dataclass
class IngestCounts:
    messages: int = 0
    events: int = 0
    readings: int = 0
    statuses: int = 0
    duplicates: int = 0
    refused_readings: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # by problem

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
        prefix: str = "eldercare/v1",
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.manager = manager
        self.prefix = prefix
        self.clock = clock
        self.counts = IngestCounts()
        self._warned: set[str] = set()

    def take(self, messages: Sequence[tuple[str, bytes]]) -> IngestResult:
        """Store a batch; returns what changed for the live feed. Never raises for input."""
        self.counts.messages += len(messages)
        parsed: list[tuple[str, bytes, EventMessage | Telemetry | Status]] = []
        rejected: list[Rejected] = []
        for topic, payload in messages:
            try:
                parsed.append((topic, payload, parse(topic, payload, prefix=self.prefix)))
            except UpstreamError as exc:
                rejected.append(self._rejection(topic, payload, exc.problem, exc.reason))
        try:
            with self.store.transaction() as session:
                result = self._write(session, parsed, rejected)
        except Exception:
            log.exception("ingest: a batch of %d failed; taking it one by one", len(parsed))
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
        homes = self._homes(session, {m.home for _, _, m in parsed if m.home is not None})
        fresh = self._not_seen(session, [m for _, _, m in parsed if not isinstance(m, Status)])
        readings: list[dict[str, object]] = []
        now = self.clock()
        for topic, payload, message in parsed:
            if isinstance(message, Status):
                changes, alerts = self._status(session, message, homes, now)
                result.homes.extend(changes)
                result.alerts.extend(alerts)
                continue
            home = homes.get(message.home)
            if home is None:
                rejected.append(
                    self._rejection(topic, payload, "unknown_home", f"no home {message.home!r}")
                )
                continue
            if (message.edge, message.seq) not in fresh:
                self.counts.duplicates += 1
                continue
            fresh.discard((message.edge, message.seq))  # the same seq twice in one batch
            session.add(Received(edge=message.edge, seq=message.seq, at=now))
            if isinstance(message, Telemetry):
                readings.extend(_reading_rows(message))
                self._refused_readings(message)
                continue
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
                received_at=now,
            )
            session.add(event)
            self.counts.events += 1
            result.alerts.extend(self.manager.on_event(session, home, event))
        if readings:
            session.execute(insert(ReadingRow), readings)
            self._track_devices(session, readings)
            self.counts.readings += len(readings)
        for row in rejected:
            session.add(row)
        return result

    def _homes(self, session: Session, ids: set[str]) -> dict[str, Home]:
        if not ids:
            return {}
        return {home.id: home for home in session.scalars(select(Home).where(Home.id.in_(ids)))}

    def _not_seen(
        self, session: Session, messages: Iterable[EventMessage | Telemetry]
    ) -> set[tuple[str, int]]:
        wanted: dict[str, set[int]] = {}
        for message in messages:
            wanted.setdefault(message.edge, set()).add(message.seq)
        fresh: set[tuple[str, int]] = set()
        for edge, seqs in wanted.items():
            seen = set(
                session.scalars(
                    select(Received.seq).where(Received.edge == edge, Received.seq.in_(seqs))
                )
            )
            fresh.update((edge, seq) for seq in seqs - seen)
        return fresh

    def _status(
        self, session: Session, status: Status, homes: dict[str, Home], now: float
    ) -> tuple[list[HomeChange], list[AlertUpdate]]:
        self.counts.statuses += 1
        if status.hosted is not None:
            # The will of a hosted process speaks for all its homes (edge.hosted).
            targets = list(session.scalars(select(Home).where(Home.id.in_(status.homes))))
            if status.state == "offline":
                targets += list(
                    session.scalars(select(Home).where(Home.hosted_by == status.hosted))
                )
        else:
            home = homes.get(status.home or "")
            if home is None:
                self.counts.refused["unknown_home"] += 1
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

    def _track_devices(self, session: Session, readings: list[dict[str, object]]) -> None:
        seen: dict[tuple[str, str], float] = {}
        battery: dict[tuple[str, str], tuple[float, float]] = {}  # (ts, level)
        for row in readings:
            key = (str(row["home_id"]), str(row["device"]))
            ts = float(row["ts"])  # type: ignore[arg-type]
            seen[key] = max(ts, seen.get(key, ts))
            if row["metric"] == "battery" and ts >= battery.get(key, (ts, 0.0))[0]:
                battery[key] = (ts, float(row["number"]))  # type: ignore[arg-type]
        for (home_id, device_id), ts in seen.items():
            device = Device.home_id == home_id, Device.id == device_id
            session.execute(
                update(Device)
                .where(*device, (Device.last_seen.is_(None)) | (Device.last_seen < ts))
                .values(last_seen=ts)
            )
        for (home_id, device_id), (_ts, level) in battery.items():
            # Batches arrive in order per edge, so the batch's latest level is the news.
            session.execute(
                update(Device)
                .where(Device.home_id == home_id, Device.id == device_id)
                .values(battery=level)
            )

    def _refused_readings(self, telemetry: Telemetry) -> None:
        if not telemetry.refused:
            return
        self.counts.refused_readings += len(telemetry.refused)
        self._warn_once(
            "refused_reading",
            f"home {telemetry.home}: {len(telemetry.refused)} refused readings in seq "
            f"{telemetry.seq}, e.g. {telemetry.refused[0]}",
        )

    def _rejection(self, topic: str, payload: bytes, problem: str, reason: str) -> Rejected:
        self.counts.refused[problem] += 1
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


def _reading_rows(telemetry: Telemetry) -> list[dict[str, object]]:
    rows = []
    for reading in telemetry.readings:
        if reading.is_batch or reading.metric == "accel":
            continue  # raw accelerometer samples stay at the edge
        value = reading.value
        number = float(value) if isinstance(value, bool | int | float) else None
        rows.append(
            {
                "home_id": telemetry.home,
                "device": reading.device,
                "metric": reading.metric,
                "ts": reading.epoch,
                "number": number,
                "text": value if isinstance(value, str) else None,
            }
        )
    return rows
