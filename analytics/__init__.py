"""Real-time distress detection for one home, in event time: no I/O, no wall clock."""

from .condition import Condition
from .context import HomeContext
from .detector import Detector
from .errors import AnalyticsError
from .events import Event, EventState, Severity
from .monitor import HomeMonitor
from .whereabouts import Morning, got_up, morning

__all__ = [
    "AnalyticsError",
    "Condition",
    "Detector",
    "Event",
    "EventState",
    "HomeContext",
    "HomeMonitor",
    "Morning",
    "Severity",
    "got_up",
    "morning",
]
