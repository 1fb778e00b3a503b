"""An edge's status message applied to the store: a home online or offline (each home's own
status, or a hosted process's will speaking for the homes it hosts), and its devices'
liveness and battery from the heartbeat. Part of one ingest transaction (hub.ingest)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .alerts import AlertManager, AlertUpdate
from .ingest_counts import HomeChange, IngestCounts
from .schema import Device, Home
from .upstream import Status


class StatusApplier:
    """Applies status messages for one ingestor (its alert manager, its once-per-problem
    log)."""

    def __init__(self, manager: AlertManager, warn_once: Callable[[str, str], None]):
        self.manager = manager
        self.warn_once = warn_once

    def apply(
        self, session: Session, status: Status, known: set[str], now: float, tally: IngestCounts
    ) -> tuple[list[HomeChange], list[AlertUpdate]]:
        """Apply one status message; the homes whose state changed, and the alerts that
        coming online cleared. ``known``: the homes of the batch that are registered."""
        tally.statuses += 1
        if status.refused:
            tally.refused_status_values += len(status.refused)
            self.warn_once(
                "refused_status_value",
                f"home {status.home}: status values refused, e.g. {status.refused[0]}",
            )
        if status.hosted is not None:
            # The will of a hosted process speaks for all its homes (edge.hosted), but only
            # for those whose own status (a topic only the home and its hosting process may
            # write) named this process: a status listing other homes moves none of them.
            targets = list(session.scalars(select(Home).where(Home.hosted_by == status.hosted)))
            strangers = sorted(set(status.homes) - {home.id for home in targets})
            # A process says "online" for its homes before their own statuses name it (at
            # every start): only a will or an "offline" for strangers would have moved them.
            if strangers and status.state != "online":
                tally.refused["not_hosted_there"] += 1
                self.warn_once(
                    "not_hosted_there",
                    f"hosted process {status.hosted!r} spoke for homes it does not host "
                    f"(ignored): {', '.join(strangers[:10])}",
                )
        else:
            home = session.get(Home, status.home) if status.home in known else None
            if home is None:
                tally.refused["unknown_home"] += 1
                return [], []
            targets = [home]
        changes = []
        alerts: list[AlertUpdate] = []
        for home in {h.id: h for h in targets}.values():
            if status.hosted is None:
                home.status_document = status.document
                hosted = status.document.get("hosted")  # who speaks for it when it dies
                home.hosted_by = str(hosted)[:64] if hosted is not None else None
                _device_status(session, home, status)
            if home.status != status.state:
                changes.append(HomeChange(home.id, home.station_id, status.state))
                # Since when, not when last said: a heartbeat repeats "online", and the
                # broker hands a retained will over again when the hub reconnects, which
                # would move the start of an offline spell (home_offline counts from it).
                home.status_at = now
            home.status = status.state
            if status.state == "online":
                alerts.extend(self.manager.home_online(session, home))
        return changes, alerts


def _device_status(session: Session, home: Home, status: Status) -> None:
    """Device liveness and battery from the edge's heartbeat (``devices`` in its status):
    once a minute per home, rather than a row update for every reading."""
    devices = status.document.get("devices")
    if not isinstance(devices, dict):
        return
    for device in session.scalars(select(Device).where(Device.home_id == home.id)):
        reported = devices.get(device.id)
        if not isinstance(reported, dict):
            continue
        battery = reported.get("battery")
        if isinstance(battery, int | float) and not isinstance(battery, bool):
            device.battery = float(battery)
        last_seen = status.last_seen.get(device.id)
        if last_seen is not None and (device.last_seen or 0) < last_seen:
            device.last_seen = last_seen
