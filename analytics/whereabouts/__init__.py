"""Where the resident is and what the sensors can tell: one model per home, read by every
activity detector."""

from .clock import NightClock
from .coverage import Coverage
from .model import Moment, Whereabouts
from .morning import Morning, got_up, morning
from .settings import SETTINGS_NAME, Observation, SensorSettings, WhereaboutsSettings

__all__ = [
    "SETTINGS_NAME",
    "Coverage",
    "Moment",
    "Morning",
    "NightClock",
    "Observation",
    "SensorSettings",
    "Whereabouts",
    "WhereaboutsSettings",
    "got_up",
    "morning",
]
