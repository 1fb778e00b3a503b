"""The canonical reading: one measurement from one device of one home, in event time.

JSON Lines is the file format: one reading per line, as in ARCHITECTURE.md. Extension: an
``accel`` reading may carry a batch of samples (a list of [x, y, z]) together with
``rate_hz``; its ``ts`` is the time of the first sample. Wearables sample at 25-50 Hz and a
reading object per sample would cost more than the samples themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import IO, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, model_validator

from .errors import ReadingError, describe_validation_error
from .metrics import metric

Value = bool | float | str | tuple[float, float, float] | tuple[tuple[float, float, float], ...]


class Reading(BaseModel):
    """One canonical reading; validates its value against the metric's type and range.

    >>> r = Reading(ts=1764372665.0, home="h001", device="band", metric="heart_rate", value=72)
    >>> r.value, r.ts.isoformat()
    (72.0, '2025-11-28T23:31:05+00:00')
    >>> Reading(ts=0, home="h001", device="band", metric="heart_rate", value=0)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Reading
    ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ts: AwareDatetime
    home: str
    device: str
    metric: str
    value: Any
    rate_hz: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _epoch_seconds_are_utc(cls, raw: Any) -> Any:
        # Epoch seconds are UTC by definition; ISO strings must carry their own offset
        # (AwareDatetime rejects them otherwise), since a naive local time is ambiguous.
        if isinstance(raw, dict) and isinstance(raw.get("ts"), int | float):
            if isinstance(raw["ts"], bool):
                return raw
            raw = {**raw, "ts": datetime.fromtimestamp(float(raw["ts"]), UTC)}
        return raw

    @model_validator(mode="after")
    def _value_fits_metric(self) -> Reading:
        spec = metric(self.metric)
        is_batch = (
            self.metric == "accel"
            and isinstance(self.value, list | tuple)
            and bool(self.value)
            and isinstance(self.value[0], list | tuple)
        )
        if is_batch:
            if self.rate_hz is None or not 1 <= self.rate_hz <= 1000:
                raise ValueError("an accel batch needs rate_hz between 1 and 1000")
            value = spec.check_batch(self.value)
        else:
            if self.rate_hz is not None:
                raise ValueError("rate_hz is only for accel batches")
            value = spec.check(self.value)
        object.__setattr__(self, "value", value)
        return self

    @cached_property
    def epoch(self) -> float:
        """Event time as epoch seconds, the clock every detector runs on."""
        return self.ts.timestamp()

    @property
    def is_batch(self) -> bool:
        return self.rate_hz is not None

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)


def parse_reading(line: str | bytes) -> Reading:
    """Parse one JSON line; raises ReadingError with the reason."""
    try:
        return Reading.model_validate_json(line)
    except ValidationError as exc:
        raise ReadingError(describe_validation_error(exc)) from exc


def read_jsonl(
    source: str | Path | IO[str],
    *,
    on_error: Callable[[ReadingError], None] | None = None,
) -> Iterator[Reading]:
    """Yield the readings of a JSON Lines file (a path, or an open text file such as stdin).

    A bad line raises ReadingError naming the file and line, or, with ``on_error``, is
    reported there and skipped so the rest of the file is still read.
    """
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8") as lines:
            yield from _parse_lines(lines, str(source), on_error)
    else:
        yield from _parse_lines(source, getattr(source, "name", "<stream>"), on_error)


def _parse_lines(
    lines: Iterable[str], name: str, on_error: Callable[[ReadingError], None] | None
) -> Iterator[Reading]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield parse_reading(line)
        except ReadingError as exc:
            error = ReadingError(exc.reason, source=name, line=number)
            if on_error is None:
                raise error from exc
            on_error(error)


def write_jsonl(readings: Iterable[Reading], target: str | Path | IO[str]) -> int:
    """Write readings as JSON Lines; returns how many were written."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8") as out:
            return write_jsonl(readings, out)
    count = 0
    for reading in readings:
        target.write(reading.to_json())
        target.write("\n")
        count += 1
    return count
