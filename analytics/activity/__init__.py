"""Activity and routine: silence, not getting up, wandering at night, long bathroom stays,
not coming home.

Every detector here reads the one whereabouts model of the home (analytics.whereabouts:
where the resident is, on evidence, and what the sensors can tell), which the HomeMonitor
feeds once per reading, and keeps the analytics.routine baseline it needs (what is usual
for this resident). Thresholds come from the home config, ``thresholds.<detector name>``;
the whereabouts rules from ``thresholds.whereabouts``, the stuck and flapping rules from
``thresholds.sensor_health``; outcome feedback from ``thresholds.feedback.<alert kind>``.

Division of labour, so one incident is one alert:

- ``no_activity``: at home, awake, not in the bathroom on evidence, any hour;
- ``not_up``: at home, resting after her night, not yet up for the day;
- ``long_bathroom_stay``: in the bathroom on evidence, day or night;
- ``night_wandering``: left through the front door in her night;
- ``not_returned_home``: left at another time and not back;
- ``sensor_stuck``, ``sensor_flapping``: a sensor whose readings are ignored meanwhile.
"""

from ..detector import Detector
from .base import ActivityDetector
from .long_bathroom_stay import LongBathroomStayDetector, LongBathroomStaySettings
from .night_wandering import NightWanderingDetector, NightWanderingSettings
from .no_activity import NoActivityDetector
from .not_returned_home import NotReturnedHomeDetector, NotReturnedHomeSettings
from .not_up import NotUpDetector, NotUpSettings
from .sensor_health import SensorHealthDetector
from .silence_limits import NoActivitySettings

ACTIVITY_DETECTORS: tuple[type[Detector], ...] = (
    NoActivityDetector,
    NotUpDetector,
    NightWanderingDetector,
    LongBathroomStayDetector,
    NotReturnedHomeDetector,
    SensorHealthDetector,
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
    "SensorHealthDetector",
]
