"""The contracts every part of the hub shares: canonical readings and home configs."""

from .errors import ContractError, HomeConfigError, ReadingError
from .home import AwayPeriod, Contact, DeviceConfig, FallRisk, HomeConfig, Night, Place, Resident
from .metrics import METRICS, MetricSpec
from .reading import Reading, parse_reading, read_jsonl, write_jsonl

__all__ = [
    "METRICS",
    "AwayPeriod",
    "Contact",
    "ContractError",
    "DeviceConfig",
    "FallRisk",
    "HomeConfig",
    "HomeConfigError",
    "MetricSpec",
    "Night",
    "Place",
    "Reading",
    "ReadingError",
    "Resident",
    "parse_reading",
    "read_jsonl",
    "write_jsonl",
]
