"""Where the resident is and what they last did: one model per home, read by every
activity detector."""

from .clock import NightClock
from .model import Moment, Whereabouts
from .settings import SETTINGS_NAME, Observation, WhereaboutsSettings

__all__ = [
    "SETTINGS_NAME",
    "Moment",
    "NightClock",
    "Observation",
    "Whereabouts",
    "WhereaboutsSettings",
]
