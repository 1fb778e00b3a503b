"""Where a wearable is worn, and the windows, gates and model its fall detector uses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from ..errors import AnalyticsError
from .model import TRUNK_WEIGHTS, WRIST_WEIGHTS, FallWeights

Placement = Literal["waist", "wrist", "chest"]
PLACEMENTS: tuple[str, ...] = ("waist", "wrist", "chest")

_WINDOW_PAIRS = ("before_window_s", "prominence_window_s", "impulse_window_s", "series_window_s")


class FallDetectorError(AnalyticsError, ValueError):
    """Bad input or state for the fall detector; ``reason`` and the batch context say why."""

    def __init__(self, reason: str, *, t0: float | None = None, rate_hz: float | None = None):
        self.t0 = t0
        self.rate_hz = rate_hz
        ctx = []
        if t0 is not None:
            ctx.append(f"t0={t0!r}")
        if rate_hz is not None:
            ctx.append(f"rate_hz={rate_hz!r}")
        super().__init__(f"{reason} ({', '.join(ctx)})" if ctx else reason, detector="fall")
        self.reason = reason


@dataclass(frozen=True)
class FallConfig:
    """Thresholds and windows; every duration in seconds, every acceleration in g."""

    analysis_rate_hz: float = 20.0
    candidate_g: float = 1.4  # |a| peak worth examining (1 g is standing still)
    peak_window_s: float = 0.5  # an impact is the highest |a| within +-this
    # Posture before: the earliest ``before_posture_s`` of the stretch from 6 s to 1 s before
    # the impact (a faint slumps for seconds before it lands; a stream that began later
    # than 6 s before uses what it has).
    before_window_s: tuple[float, float] = (6.0, 1.0)
    before_posture_s: float = 2.0
    post_start_s: float = 1.0  # skip the bounce and the settling after the impact ...
    post_end_s: float = 5.0  # ... and decide this long after it
    after_posture_s: float = 3.0  # posture after: the last this-long of the window after
    block_s: float = 0.5  # movement is measured per block, then the median taken
    still_g: float = 0.05  # a block this quiet counts as still (evidence for a dispatcher)
    prominence_window_s: tuple[float, float] = (4.0, 1.0)  # "what was going on before"
    impulse_window_s: tuple[float, float] = (0.25, 0.25)  # the impact: this before, this after
    free_fall_window_s: float = 1.0  # where to look for the free-fall dip (evidence only)
    min_post_s: float = 1.5  # at end of stream, less data than this cannot be judged
    min_orientation_deg: float = 30.0  # gate: the body part ends at least this far turned
    # The scorer reads a larger turn as this one (None: as it is). At the wrist a turn far
    # beyond 90 degrees is the forearm raised (to the ear for a call, above the head): a
    # fall leaves it on the floor, about square to how it hung.
    max_scored_turn_deg: float | None = None
    max_post_motion_g: float | None = 0.2  # gate: moving more than this after is no fall
    # Gate against rolling over in bed: a trunk this far from her upright (the gravity
    # direction while she walks, learned from the stream: upright.py) before the impact was
    # lying already, and the impact is no fall unless its impulse is at least
    # ``lying_min_impulse_gs``. A fall out of bed onto the floor, 0.45 m, lands at 3 m/s
    # (0.3 g s); rolling over onto a mattress, at most 0.11 g s in SisFall's 150
    # roll-overs, and those the scorer takes for falls start 90-112 degrees from upright.
    # The development falls start at most 60 (a faint backwards from a chair); 80 leaves
    # room for a stooped walk and a reclined seat. None: no such gate (the wrist: a
    # forearm's posture says nothing of lying).
    lying_deg: float | None = 80.0
    lying_min_impulse_gs: float = 0.15
    # Gate against a run of hits (clapping, hammering, knocking): this many impacts of at
    # least ``series_ratio`` of this one's size in the ``series_window_s`` after it make a
    # series, not a fall, unless the body part then lies still for ``series_still_fraction``
    # of the window after (a fall with flailing arms ends still).
    max_series_hits: int | None = None
    series_window_s: tuple[float, float] = (0.25, 3.0)
    series_ratio: float = 0.3
    series_still_fraction: float = 0.2
    weights: FallWeights = field(default_factory=lambda: TRUNK_WEIGHTS)
    threshold: float = 0.5  # on the probability-like score
    refractory_s: float = 10.0  # one fall, one detection: later bounces are the same event
    max_bridge_s: float = 1.0  # gaps up to this are interpolated; longer ones leave a hole
    # Samples missing for up to this long (a lost batch or three: QoS 0, a batch refused for
    # a value beyond the range) leave a hole in the stream, its samples unknown, and an
    # impact is judged on what came around it; a longer silence ends the stream. Three
    # seconds: wherever such a hole falls, the trunk's window after an impact (1-5 s) keeps
    # at least a second of it to judge, the posture before (6-1 s) two seconds of its five.
    max_hole_s: float = 3.0

    def __post_init__(self) -> None:
        if not self.analysis_rate_hz > 0:
            raise FallDetectorError("analysis_rate_hz must be positive")
        if not 0 < self.post_start_s < self.post_end_s:
            raise FallDetectorError("need 0 < post_start_s < post_end_s")
        if not self.before_window_s[0] > self.before_window_s[1] >= 0:
            raise FallDetectorError("before_window_s must run from further back to nearer")
        if not 0 <= self.max_bridge_s <= self.max_hole_s:
            raise FallDetectorError("need 0 <= max_bridge_s <= max_hole_s")
        if not 0 < self.threshold < 1:
            raise FallDetectorError("threshold is a probability, strictly between 0 and 1")
        for name in ("post_start_s", "post_end_s", "block_s"):
            steps = getattr(self, name) * self.analysis_rate_hz
            if abs(steps - round(steps)) > 1e-9:
                raise FallDetectorError(f"{name} must be a whole number of analysis samples")

    @classmethod
    def for_placement(cls, placement: Placement, **overrides: Any) -> FallConfig:
        """Defaults for where the sensor sits; keyword overrides win."""
        if placement not in PLACEMENTS:
            raise FallDetectorError(f"unknown placement {placement!r}, expected {PLACEMENTS}")
        if placement == "wrist":
            # An arm often goes on moving after a real fall (reaching out, pushing up), so
            # there is no stillness gate and the decision waits 10 s to see where the arm
            # comes to rest: on the floor after a fall, mostly back where it was after
            # clapping, waving or raising the hands. A hand also claps and knocks: four hits
            # in the 3 s after are a series unless the arm then lies still a while. A
            # forearm held forward before a forward fall lies about as turned on the floor
            # (16-25 degrees in three of UMAFall's), so the gate asks only 20 degrees.
            base = cls(
                weights=WRIST_WEIGHTS,
                min_orientation_deg=20.0,
                post_end_s=10.0,
                max_post_motion_g=None,
                max_series_hits=4,
                max_scored_turn_deg=90.0,
                lying_deg=None,
            )
        else:
            # The trunk ends lying or slumped and stays down; moving on is a stumble.
            base = cls(weights=TRUNK_WEIGHTS)
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in _WINDOW_PAIRS:
            d[name] = list(getattr(self, name))
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FallConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise FallDetectorError(f"unknown fall detector settings {unknown}")
        try:
            d = dict(d)
            d["weights"] = FallWeights(**d["weights"])
            for name in _WINDOW_PAIRS:
                if name in d:
                    d[name] = tuple(d[name])
            return cls(**d)
        except (KeyError, TypeError) as exc:
            raise FallDetectorError(f"bad fall detector settings: {exc}") from exc
