"""Write a simulated run to a folder, in the formats ``replay`` and ``eval`` read.

```
<folder>/homes/<home>.yaml        home config
<folder>/readings/<home>.jsonl    canonical readings, event-time order
<folder>/ground_truth.jsonl       scripted incidents and failing sensors, one JSON object a line
<folder>/run.json                 seed, start, days, homes, counts
```
Nothing here depends on the wall clock: the same seed writes the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from contracts.home import HomeConfig
from contracts.reading import Reading, write_jsonl

from .errors import SimulatorError


class _Truth(Protocol):
    def to_json(self) -> str: ...


class SimulatedHome(Protocol):
    """What a simulation of one home offers (simulators.simulation.Simulation)."""

    @property
    def truth(self) -> Sequence[_Truth]: ...

    def readings(self) -> Iterator[Reading]: ...


@dataclass(frozen=True)
class RunSummary:
    folder: Path
    homes: tuple[str, ...]
    readings: int
    incidents: int


def prepare_folder(folder: str | Path) -> Path:
    """Create the run's folders now, so an unwritable place is reported before simulating.

    Raises SimulatorError.
    """
    root = Path(folder)
    try:
        for part in (root / "homes", root / "readings"):
            part.mkdir(parents=True, exist_ok=True)
        probe = root / ".writable"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise SimulatorError(f"cannot write {exc.filename or root}: {exc.strerror or exc}") from exc
    return root


def write_run(
    folder: str | Path,
    runs: Sequence[tuple[HomeConfig, SimulatedHome]],
    *,
    seed: int,
    start: date,
    days: float,
) -> RunSummary:
    """Write every home's config, readings and ground truth, then run.json.

    Raises SimulatorError if the folder cannot be written.
    """
    root = prepare_folder(folder)
    readings_per_home: dict[str, int] = {}
    incidents_per_home: dict[str, int] = {}
    try:
        with open(root / "ground_truth.jsonl", "w", encoding="utf-8") as truth_file:
            for home, simulation in runs:
                (root / "homes" / f"{home.home}.yaml").write_text(home.to_yaml(), encoding="utf-8")
                readings_file = root / "readings" / f"{home.home}.jsonl"
                readings_per_home[home.home] = write_jsonl(simulation.readings(), readings_file)
                for truth in simulation.truth:
                    truth_file.write(truth.to_json())
                    truth_file.write("\n")
                incidents_per_home[home.home] = len(simulation.truth)
        run = {
            "seed": seed,
            "start": start.isoformat(),
            "days": days,
            "homes": list(readings_per_home),
            "counts": {
                "readings": sum(readings_per_home.values()),
                "incidents": sum(incidents_per_home.values()),
                "readings_per_home": readings_per_home,
                "incidents_per_home": incidents_per_home,
            },
        }
        (root / "run.json").write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        where = exc.filename or root
        raise SimulatorError(f"cannot write {where}: {exc.strerror or exc}") from exc
    return RunSummary(
        folder=root,
        homes=tuple(readings_per_home),
        readings=sum(readings_per_home.values()),
        incidents=sum(incidents_per_home.values()),
    )
