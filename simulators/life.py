"""How untidy a resident's life and a home's sensors are: the figures the simulator is
calibrated on, and the draws that give each resident and each home their own.

The figures come from the two real homes in ``../shared/data/realhomes`` (Ordóñez home A,
14 days; van Kasteren house B, 27 days; one resident each). ``python -m
eldercare.life_figures ../shared/data/realhomes/ordonez-a ../shared/data/realhomes/kasteren-b``
prints them again; only the figures are here, never the recordings. Two homes are a small
sample: where they disagree, residents are drawn between them, and where the figures of
two Western homes (a night owl, a man out most days) fit an 80-year-old in a Chinese city
badly, the choice made is said next to the number.

A *tidy* life is the simulator as it was before it was calibrated: regular habits, every
sensor working. The demo uses it, so that what a newcomer sees is the scripted incidents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .units import DAY, HOUR, MINUTE

# -- sleep ---------------------------------------------------------------------------------
# ordonez-a: asleep 01:46 +- 44 min (00:43-03:19), up 11:08 +- 56 min (09:26-12:38), 9.4 h.
# kasteren-b: asleep 02:26 +- 3.3 h, up 09:38 +- 2.4 h, 7.2 h (his nights follow his outings).
# Both are night owls; most people of 80 are not, so a share of residents keeps the late
# hours of ordonez-a and the rest the simulator's earlier ones.
CHRONOTYPES = (  # (share, usual bedtime range in hours after midnight of the evening)
    (0.60, (21.5, 22.75)),  # early, as the simulator had them
    (0.25, (23.0, 24.5)),  # late
    (0.15, (24.5, 26.0)),  # night owl, as ordonez-a (01:46)
)
SLEEP_HOURS = (7.5, 9.5)  # ordonez-a sleeps 9.4 h, kasteren-b 7.2 h
# Day-to-day spread: ordonez-a 44 min (bedtime) and 56 min (waking); the tidy simulator
# had 15 min.
BEDTIME_SD = (0.3 * HOUR, 0.8 * HOUR)
WAKE_SD = (0.3 * HOUR, 0.95 * HOUR)

# -- outings -------------------------------------------------------------------------------
# ordonez-a: 1.0 a day, median 1.7 h, log-sd 1.05, longest 4.5 h; 8 began in the afternoon
# and 6 in the evening (after 17:00; one back after midnight), none in the morning.
# kasteren-b: 1.7 a day, median 7.8 h, log-sd 1.05, longest 33 h; 6 in the morning, 14 in
# the afternoon, 4 in the evening; 14 of 24 back after 22:00.
OUTINGS_PER_DAY = (0.6, 1.68)
OUTING_LOG_SD = 1.05
OUTING_MEDIAN_H = (0.75, 2.5)  # most residents: around ordonez-a's 1.7 h
OUT_A_LOT_SHARE = 0.1  # and a few like kasteren-b, out for hours most days
OUT_A_LOT_MEDIAN_H = (4.0, 7.84)
LONGEST_OUTING = 14 * HOUR  # longer is a trip (below)
# An evening out lasts at most ordonez-a's longest (4.5 h, back at 00:56); kasteren-b's
# evenings out until the small hours are not an 80-year-old's.
EVENING_OUTING = 4.5 * HOUR
# Pooled start times: 5 morning, 22 afternoon, 10 evening of 37; older Chinese residents
# go to the morning market and out after dinner more than these two did, so each resident
# draws her own weights around both.
MORNING_SHARE = (0.1, 0.55)
EVENING_SHARE = (0.15, 0.45)

# -- days away -----------------------------------------------------------------------------
# kasteren-b: 82 h with no reading at all (away, unlabelled) and a 33 h leave-house: two
# absences of a day or more in 41 home-days of both homes. Half the residents never go away.
TRAVELLER_SHARE = 0.5
TRIPS_PER_MONTH = (0.5, 2.0)
TRIP_NIGHTS = (1, 4)  # 33 h is one night away, 82 h three

# -- naps and the armchair -------------------------------------------------------------------
# Neither home shows a nap in bed: no daytime bed use in 28 labelled home-days. ordonez-a
# sits in her armchair (its mat) for a median 84 min (log-sd 0.85), up to 8.6 h.
NAP_PROB = (0.15, 0.6)
NAP_IN_BED = 0.25
SITTING_MEDIAN = 84 * MINUTE
SITTING_LOG_SD = 0.85
LONGEST_SITTING = 8.6 * HOUR

# -- the home's sensors ----------------------------------------------------------------------
# kasteren-b's sensors pulse, stick and die; ordonez-a's did none of it in 170 sensor-days.
WORN_HARDWARE_SHARE = 0.3  # a home with kasteren-b's sensors (1 of the 2 real homes)
# Its pressure mats and PIRs report 1-2 s pulses while someone moves (94-98 % of their
# "on" intervals last at most 3 s); ordonez-a's mats hold one steady interval.
PULSING_MATS_SHARE = 0.5
MAT_PULSES_PER_HOUR = (10.0, 30.0)  # bed_left ~250 a day, bed_right ~90, in ~8 h in bed
# Stuck "on" (a lost "off"): 25 levels held past the detectors' limits (PIR 2 h, bed mat
# 16 h, kitchen appliance 3 h) in kasteren-b's 162 sensor-days of PIRs, mats and toaster:
# PIRs 2.2-220 h, mats 23-252 h, toaster 11-288 h; median 22.3 h, log-sd 1.4.
STUCK_PER_SENSOR_DAY = 25 / 162
STUCK_MEDIAN = 22.3 * HOUR
STUCK_LOG_SD = 1.4
STUCK_RANGE = (2 * HOUR, 12 * DAY)
# Silent: 12 of kasteren-b's 17 sensors went quiet for days while the rest of the home
# kept reporting (1 in 38 sensor-days), a median 9 days (log-sd 0.75, 2-18 days, most of
# them until the recording ended). Nobody repairs a sensor in the simulation: 14 days at most.
SILENT_PER_SENSOR_DAY = 1 / 38
SILENT_MEDIAN = 9 * DAY
SILENT_LOG_SD = 0.75
SILENT_RANGE = (2 * DAY, 14 * DAY)
# Sound hardware: nothing stuck and no sensor dead in ordonez-a's 170 sensor-days (its one
# quiet spell, the cooktop PIR for 3 days, is a cooktop not used): well below 1 in 170.
SOUND_FAULT_PER_SENSOR_DAY = 1 / 500

# -- homes -----------------------------------------------------------------------------------
# kasteren-b's front-door sensor never fired: its home has none in effect. Installers mostly
# fit one, so a fifth of homes go without.
NO_FRONT_DOOR_SHARE = 0.2


@dataclass(frozen=True)
class Habits:
    """A resident's ways beyond her timetable: how regular, how often out and for how long,
    days away, naps and armchair sittings."""

    bedtime_sd: float
    wake_sd: float
    outings_per_day: float
    slot_weights: tuple[float, float, float]  # morning, afternoon, evening
    outing_median: float
    trips_per_month: float
    nap_prob: float
    nap_in_bed: float


@dataclass(frozen=True)
class Hardware:
    """The state of a home's fixed sensors."""

    mats_pulse: bool = False
    stuck_per_sensor_day: float = 0.0
    silent_per_sensor_day: float = 0.0

    @property
    def worn(self) -> bool:
        return self.stuck_per_sensor_day >= STUCK_PER_SENSOR_DAY


TIDY_HARDWARE = Hardware()


def draw_habits(rng: np.random.Generator) -> Habits:
    morning = float(rng.uniform(*MORNING_SHARE))
    evening = float(rng.uniform(*EVENING_SHARE))
    if rng.random() < OUT_A_LOT_SHARE:
        median = _log_uniform(rng, *OUT_A_LOT_MEDIAN_H) * HOUR
    else:
        median = _log_uniform(rng, *OUTING_MEDIAN_H) * HOUR
    travels = rng.random() < TRAVELLER_SHARE
    return Habits(
        bedtime_sd=float(rng.uniform(*BEDTIME_SD)),
        wake_sd=float(rng.uniform(*WAKE_SD)),
        outings_per_day=float(rng.uniform(*OUTINGS_PER_DAY)),
        slot_weights=(morning, max(0.0, 1.0 - morning - evening), evening),
        outing_median=median,
        trips_per_month=float(rng.uniform(*TRIPS_PER_MONTH)) if travels else 0.0,
        nap_prob=float(rng.uniform(*NAP_PROB)),
        nap_in_bed=NAP_IN_BED,
    )


def draw_sleep(rng: np.random.Generator) -> tuple[float, float]:
    """(usual bedtime, usual waking) in seconds after midnight; bedtime may pass 24 h."""
    shares = np.array([share for share, _ in CHRONOTYPES])
    _, (low, high) = CHRONOTYPES[int(rng.choice(len(CHRONOTYPES), p=shares / shares.sum()))]
    bedtime = float(rng.uniform(low, high)) * HOUR
    wake = bedtime + float(rng.uniform(*SLEEP_HOURS)) * HOUR - DAY
    return bedtime, wake


def draw_hardware(rng: np.random.Generator) -> Hardware:
    pulsing = bool(rng.random() < PULSING_MATS_SHARE)
    if rng.random() < WORN_HARDWARE_SHARE:
        return Hardware(pulsing, STUCK_PER_SENSOR_DAY, SILENT_PER_SENSOR_DAY)
    return Hardware(pulsing, SOUND_FAULT_PER_SENSOR_DAY, SOUND_FAULT_PER_SENSOR_DAY)


def outing_length(rng: np.random.Generator, median: float) -> float:
    length = median * math.exp(float(rng.normal(0, OUTING_LOG_SD)))
    return float(np.clip(length, 15 * MINUTE, LONGEST_OUTING))


def sitting_length(rng: np.random.Generator) -> float:
    length = SITTING_MEDIAN * math.exp(float(rng.normal(0, SITTING_LOG_SD)))
    return float(np.clip(length, 10 * MINUTE, LONGEST_SITTING))


def fault_length(rng: np.random.Generator, kind: str) -> float:
    if kind == "stuck":
        median, spread, (low, high) = STUCK_MEDIAN, STUCK_LOG_SD, STUCK_RANGE
    else:
        median, spread, (low, high) = SILENT_MEDIAN, SILENT_LOG_SD, SILENT_RANGE
    return float(np.clip(median * math.exp(float(rng.normal(0, spread))), low, high))


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))
