"""Activity and routine: silence, not getting up, wandering at night, long bathroom stays,
not coming home.

Every detector here reads the one whereabouts model of the home (analytics.whereabouts:
what the sensors say about where the resident is), which the HomeMonitor feeds once per
reading, and keeps the analytics.routine baseline it needs (what is usual for this
resident). Thresholds come from the home config, ``thresholds.<detector name>``; the
whereabouts rules from ``thresholds.whereabouts``.

Division of labour, so one incident is one alert:

- ``no_activity``: at home, up for the day, not in the bathroom, not at night;
- ``not_up``: at home, morning, not yet up for the day;
- ``long_bathroom_stay``: in the bathroom, day or night;
- ``night_wandering``: left through the front door at night;
- ``not_returned_home``: left in the day (or evening) and not back.
"""

from ..detector import Detector
from .base import ActivityDetector
from .long_bathroom_stay import LongBathroomStayDetector, LongBathroomStaySettings
from .night_wandering import NightWanderingDetector, NightWanderingSettings
from .no_activity import NoActivityDetector, NoActivitySettings
from .not_returned_home import NotReturnedHomeDetector, NotReturnedHomeSettings
from .not_up import NotUpDetector, NotUpSettings

ACTIVITY_DETECTORS: tuple[type[Detector], ...] = (
    NoActivityDetector,
    NotUpDetector,
    NightWanderingDetector,
    LongBathroomStayDetector,
    NotReturnedHomeDetector,
)

__all__ = [
    "ACTIVITY_DETECTORS",
    "ActivityDetector",
    "LongBathroomStayDetector",
    "LongBathroomStaySettings",
    "NightWanderingDetector",
    "NightWanderingSettings",
    "NoActivityDetector",
    "NoActivitySettings",
    "NotReturnedHomeDetector",
    "NotReturnedHomeSettings",
    "NotUpDetector",
    "NotUpSettings",
]
