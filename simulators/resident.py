"""The simulated resident: body and habits that stay the same for the whole run.

Everything random in the simulator is drawn from a generator keyed by (seed, home, stream,
...), never from shared state, so any day of any home can be regenerated on its own and
adding a device or an incident to one part does not reshuffle the rest.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace

import numpy as np

from contracts.home import HomeConfig

from .life import Habits, draw_habits, draw_sleep
from .units import DAY, HOUR, MINUTE

__all__ = ["DAY", "HOUR", "MINUTE", "ResidentProfile", "clock", "make_resident", "rng_for"]


# Independent random streams: one per concern, so they never consume each other's numbers.
STREAM_PROFILE = 1
STREAM_ROUTINE = 2
STREAM_RENDER = 3
STREAM_INCIDENT = 4
STREAM_SCHEDULE = 5
STREAM_DEVICE = 6
STREAM_HOMES = 7


def rng_for(seed: int, home: str, *stream: int) -> np.random.Generator:
    """A generator for one (seed, home, stream...) key; crc32 because hash() is salted."""
    key = [seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, zlib.crc32(home.encode("utf-8")), *stream]
    return np.random.default_rng(np.random.SeedSequence(key))


@dataclass(frozen=True)
class ResidentProfile:
    """What distinguishes this resident from the next: physiology, habits, their devices' clocks."""

    home: str
    hr_offset: float  # bpm above or below the norm, for life
    hr_noise: float  # spread of minute-to-minute heart rate, bpm
    spo2_base: float  # % awake at rest
    skin_temp_base: float  # °C at the wrist, awake indoors
    wake_mean: float  # seconds after local midnight
    bedtime_mean: float  # seconds after the midnight before it: past 86400 after midnight
    cadence: float  # steps per minute while walking
    outing_prob: float  # chance of a walk or market trip on a given day
    nap_prob: float
    night_visits_mean: float  # bathroom visits per night
    charge_prob: float  # chance she charges the bracelet on a given day
    charges_in_evening: bool  # otherwise after lunch
    bracelet_rate_hz: float  # accelerometer rate of her bracelet
    bracelet_drain: float  # % battery per day
    # Devices report on their own clocks: offsets within each reporting period, in seconds.
    hr_phase: float
    vitals_phase: float
    steps_phase: float
    # The pendant never sits perfectly upright: its reading when she stands still, in g.
    waist_upright: tuple[float, float, float]
    # Her untidy ways (simulators/life.py); None: the tidy resident of the demo.
    habits: Habits | None = None

    @property
    def usual_wake(self) -> str:
        return clock(self.wake_mean)


def make_resident(home: HomeConfig, seed: int, *, messy: bool = True) -> ResidentProfile:
    """The resident of ``home``; ``messy`` gives her habits calibrated on real homes
    (simulators/life.py), otherwise the regular ones of the demo. Both draw the same body."""
    rng = rng_for(seed, home.home, STREAM_PROFILE)
    tilt = np.radians(rng.uniform(3, 12))
    azimuth = rng.uniform(0, 2 * np.pi)
    upright = np.array(
        [np.sin(tilt) * np.cos(azimuth), -np.cos(tilt), np.sin(tilt) * np.sin(azimuth)]
    )
    profile = ResidentProfile(
        home=home.home,
        hr_offset=float(np.clip(rng.normal(0, 3), -6, 6)),
        hr_noise=float(rng.uniform(1.8, 3.0)),
        spo2_base=float(rng.uniform(96.5, 98.0)),
        skin_temp_base=float(rng.uniform(32.8, 34.2)),
        wake_mean=float(rng.uniform(6.3, 7.2) * HOUR),
        bedtime_mean=float(rng.uniform(21.8, 22.7) * HOUR),
        cadence=float(rng.uniform(85, 105)),
        outing_prob=float(rng.uniform(0.7, 0.9)),
        nap_prob=float(rng.uniform(0.5, 0.9)),
        night_visits_mean=float(rng.uniform(0.6, 1.8)),
        charge_prob=float(rng.uniform(0.8, 0.95)),
        charges_in_evening=bool(rng.random() < 0.5),
        bracelet_rate_hz=float(rng.choice([25.0, 50.0])),
        bracelet_drain=float(rng.uniform(10, 15)),
        hr_phase=float(rng.uniform(0, 59)),
        vitals_phase=float(rng.uniform(0, 590)),
        steps_phase=float(rng.uniform(0, 890)),
        waist_upright=(float(upright[0]), float(upright[1]), float(upright[2])),
    )
    if not messy:
        return profile
    # Drawn from streams of their own: the tidy resident's body stays hers.
    bedtime, wake = draw_sleep(rng_for(seed, home.home, STREAM_PROFILE, 1))
    habits = draw_habits(rng_for(seed, home.home, STREAM_PROFILE, 2))
    return replace(
        profile,
        wake_mean=wake,
        bedtime_mean=bedtime,
        nap_prob=habits.nap_prob,
        outing_prob=1 - math.exp(-habits.outings_per_day),
        habits=habits,
    )


def clock(seconds: float) -> str:
    """Seconds after midnight as HH:MM, for people reading ground truth."""
    minutes = int(seconds // MINUTE)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
