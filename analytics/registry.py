"""The detectors a home runs by default, in the order they see each reading."""

from __future__ import annotations

from .detector import Detector
from .device_health import DeviceHealthDetector
from .sos import SosDetector

DETECTORS: tuple[type[Detector], ...] = (SosDetector, DeviceHealthDetector)
