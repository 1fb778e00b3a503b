"""Real-time distress detection for one home, in event time: no I/O, no wall clock."""

from .condition import Condition
from .context import HomeContext
from .detector import Detector
from .errors import AnalyticsError
from .events import Event, EventState, Severity
from .monitor import HomeMonitor
from .whereabouts import got_up

__all__ = [
    "AnalyticsError",
    "Condition",
    "Detector",
    "Event",
    "EventState",
    "HomeContext",
    "HomeMonitor",
    "Severity",
    "got_up",
]
