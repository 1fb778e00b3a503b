"""Bodies of the cities, districts, reports and morning-summary routes (create / update /
public), apart from api/schemas.py so that each part of the care operations keeps its own."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CityCreate(_Body):
    name: str = Field(min_length=1, max_length=200)


class CityPublic(BaseModel):
    id: str
    name: str
    districts: list[str]


class DistrictCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=64, description="the city it belongs to")


class DistrictUpdate(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    city: str | None = Field(default=None, min_length=1, max_length=64)


class DistrictPublic(BaseModel):
    id: str
    name: str
    city: str
    stations: list[str] = Field(description="the stations below it that the caller sees")


class StationOverview(BaseModel):
    """One station as a supervisor sees it now: read-only counts."""

    id: str
    name: str
    district: str | None
    district_name: str | None = None  # what the page shows (颍州区), the id being "yingzhou"
    homes: int
    open_alerts: int
    unacknowledged: int
    devices_offline: int
    homes_with_devices_offline: int


class MonthlyReport(BaseModel):
    month: str = Field(description="YYYY-MM")
    timezone: str
    start: str
    end: str
    areas: list[dict[str, Any]] = Field(
        description="per station, district and city: alerts (by kind and outcome), "
        "acknowledge (median_s, p90_s, critical: share_within_5min), offline_homes, and "
        "sections (visits, orders: available false when that part is not on this hub)"
    )


class SummaryTimeUpdate(_Body):
    at: str | None = Field(
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="HH:MM in the resident's time zone; null: no morning summary",
    )


class SummaryTimePublic(BaseModel):
    at: str | None


class SummaryPublic(BaseModel):
    id: int
    resident: str
    resident_name: str
    day: str = Field(description="the day summed up (the night after it too)")
    made_at: str
    text: dict[str, str] = Field(description="zh and en")
    facts: dict[str, Any] = Field(description="the figures; null: no data")
    channels: int = Field(description="deliveries queued for it (0: shown on the app only)")
    sent: int = Field(description="of those, how many were sent")
    failed: int
