"""What ingesting a batch reports: its counts (what /health shows), the homes whose edge went
online or offline, the alert changes to publish, and the messages left pending."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .alerts import AlertUpdate


@dataclass
class IngestCounts:
    messages: int = 0
    events: int = 0
    readings: int = 0
    statuses: int = 0
    duplicates: int = 0
    refused_readings: int = 0
    refused_status_values: int = 0  # a device's last_seen or battery dropped from a status
    refused: Counter[str] = field(default_factory=Counter)  # by problem

    def add(self, other: IngestCounts) -> None:
        self.messages += other.messages
        self.events += other.events
        self.readings += other.readings
        self.statuses += other.statuses
        self.duplicates += other.duplicates
        self.refused_readings += other.refused_readings
        self.refused_status_values += other.refused_status_values
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
            "refused_status_values": self.refused_status_values,
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
    # Indexes (into the batch) of messages not stored because the store failed as a whole:
    # not to be acknowledged; ``store_error`` says what the store answered.
    pending: list[int] = field(default_factory=list)
    store_error: str | None = None
