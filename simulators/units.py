"""Seconds in the spans the simulator plans with."""

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
