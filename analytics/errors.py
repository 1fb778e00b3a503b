"""Errors of the analytics package."""

from __future__ import annotations


class AnalyticsError(Exception):
    """Root of analytics errors: bad detector settings, unusable saved state."""

    def __init__(self, reason: str, *, home: str | None = None, detector: str | None = None):
        self.reason = reason
        self.home = home
        self.detector = detector
        where = " ".join(p for p in (f"home={home}" if home else "", detector or "") if p)
        super().__init__(f"{where}: {reason}" if where else reason)
