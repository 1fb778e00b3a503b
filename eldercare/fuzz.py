"""`eldercare fuzz`: every entry point that takes bytes from the network, fed generated and
mutated payloads, counting what escapes.

Four entry points, each with the only exception it may raise:

* ``decode``: ``devices.decode`` (a device payload on the home's local broker) may raise
  ``PayloadError``, nothing else;
* ``edge``: the edge's local handler, ``HomePipeline.handle_local``, may raise nothing;
* ``hub-parse``: ``hub.upstream.parse`` (what an edge sends the hub) may raise
  ``UpstreamError``, nothing else;
* ``hub-ingest``: ``Ingestor.take`` on a real SQLite store may raise nothing.

Payloads come from hypothesis: real messages (a simulated home's device payloads, edge
events, telemetry and statuses) with fields replaced by arbitrary JSON (huge integers, NaN,
deep nesting, wrong types), byte-level mutations of them (flips, truncations, insertions),
pathological documents (thousands of levels of nesting, numbers with hundreds of digits,
invalid UTF-8), on valid and mangled topics. The messages are generated first, in rounds of
a fresh hypothesis run each, then fed to the target while its resident memory is sampled
ten times: growth there is the target's, not the generator's. After the last message a
valid one must still work (an SOS decodes, raises an event at the edge, becomes an alert at
the hub): surviving by refusing everything is not surviving.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from contracts.home import HomeConfig
from contracts.topics import DEFAULT_PREFIX, HomeTopics

TARGETS = ("decode", "edge", "hub-parse", "hub-ingest")
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
KEPT_EXAMPLES = 5  # uncaught exceptions kept per target, with the input that raised them


@dataclass
class FuzzReport:
    target: str
    cases: int = 0
    uncaught: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, str]] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)  # after each round
    seconds: float = 0.0  # feeding the target
    generated_s: float = 0.0  # generating the messages
    still_works: bool | None = None

    @property
    def memory_growth_mb(self) -> float:
        """Growth from the second sample to the last (the first tenth of the messages pays
        for imports, caches and the store's first pages)."""
        if len(self.rss_mb) < 3:
            return 0.0
        return round(self.rss_mb[-1] - self.rss_mb[1], 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "cases": self.cases,
            "uncaught": sum(self.uncaught.values()),
            "uncaught_by_type": dict(self.uncaught),
            "examples": self.examples,
            "rss_mb": self.rss_mb,
            "memory_growth_mb": self.memory_growth_mb,
            "seconds": round(self.seconds, 1),
            "generated_s": round(self.generated_s, 1),
            "cases_per_s": round(self.cases / self.seconds) if self.seconds else None,
            "still_works": self.still_works,
        }


# -- the corpus: real messages to start from ------------------------------------------------


def fuzz_home() -> HomeConfig:
    """A simulated home with every kind of device, a belt pendant included."""
    from simulators.homes import make_home_configs

    homes = make_home_configs(10, seed=3)
    return next((home for home in homes if home.device("pendant") is not None), homes[0])


def device_corpus(home: HomeConfig) -> list[tuple[str, bytes]]:
    """A few hours of the home's real device payloads (Zigbee2MQTT and native)."""
    from simulators.payloads import encode_stream
    from simulators.simulation import simulate_home

    simulation = simulate_home(home, start=START, days=1, seed=5)
    messages: list[tuple[str, bytes]] = []
    seen_devices: Counter[str] = Counter()
    for message in encode_stream(simulation.readings(), home):
        if seen_devices[message.device] < 40:  # every device, not a day of one bracelet
            seen_devices[message.device] += 1
            messages.append((message.topic, message.payload))
    return messages


def edge_corpus(home: HomeConfig) -> list[tuple[str, bytes]]:
    """What an edge sends the hub: events (one with an accelerometer window), telemetry,
    statuses, a hosted process's will."""
    topics = HomeTopics(DEFAULT_PREFIX, home.home)
    now = START.isoformat()
    event = {
        "ts": now,
        "home": home.home,
        "kind": "fall",
        "state": "raised",
        "severity": "critical",
        "started": now,
        "detector": "fall",
        "evidence": {"source": "wearable", "peak_g": 4.2, "still_s": 45},
        "device": "band",
        "edge": home.home,
        "seq": 1,
    }
    window = {"device": "band", "rate_hz": 25, "start": now, "samples": [[0, 0, 1]] * 50}
    reading = {"ts": now, "home": home.home, "device": "band", "metric": "heart_rate"}
    telemetry = {
        "home": home.home,
        "edge": home.home,
        "seq": 2,
        "readings": [
            {**reading, "value": 72},
            {**reading, "metric": "spo2", "value": 97},
            {**reading, "device": "front_door", "metric": "contact", "value": "open"},
            {**reading, "metric": "accel", "value": [[0, 0, 1]], "rate_hz": 25},
        ],
    }
    status = {
        "state": "online",
        "home": home.home,
        "edge": home.home,
        "ts": now,
        "devices": {"band": {"last_seen": now, "battery": 80}},
    }
    documents = [
        (topics.event, event),
        (topics.event, {**event, "seq": 3, "window": window}),
        (topics.event, {**event, "seq": 4, "kind": "sos", "state": "cleared"}),
        (topics.telemetry, telemetry),
        (topics.status, status),
        (f"{DEFAULT_PREFIX}/hosted/box-1/status", {"state": "offline", "homes": [home.home]}),
    ]
    return [(topic, json.dumps(document).encode()) for topic, document in documents]


# -- strategies -----------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["open", "closed", "fall", "none", "suspected", "", "\ud800", "1e999"])
)
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _replace_fields(document: Any, draw: Callable[[Any], Any]) -> Any:
    if not isinstance(document, dict) or not document:
        return draw(json_values)
    changed = dict(document)
    keys = sorted(changed)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(keys))
        if isinstance(changed[key], dict | list) and draw(st.booleans()):
            inner = changed[key]
            if isinstance(inner, list) and inner:
                inner = list(inner)
                inner[draw(st.integers(0, len(inner) - 1))] = _replace_fields(inner[0], draw)
                changed[key] = inner
            else:
                changed[key] = _replace_fields(inner, draw)
        else:
            changed[key] = draw(json_values)
    if draw(st.booleans()):
        changed[draw(st.text(max_size=8))] = draw(json_values)
    return changed


def _encode(document: Any) -> bytes:
    try:
        return json.dumps(document, allow_nan=True).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return b"{}"


@st.composite
def structured(draw: Callable[[Any], Any], corpus: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    topic, payload = draw(st.sampled_from(corpus))
    return topic, _encode(_replace_fields(json.loads(payload), draw))


@st.composite
def mutated(draw: Callable[[Any], Any], corpus: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    topic, payload = draw(st.sampled_from(corpus))
    data = bytearray(payload)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "digits", "nest"]))
        if action == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[where:]
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == "digits":
            data[where:where] = b"9" * draw(st.integers(20, 800))
        else:
            depth = draw(st.integers(2, 3000))
            data[where:where] = b"[" * depth + b"]" * depth
    return topic, bytes(data)


@st.composite
def pathological(draw: Callable[[Any], Any], corpus: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    topic, _ = draw(st.sampled_from(corpus))
    depth = draw(st.integers(30, 5000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    payload = draw(
        st.sampled_from(
            [
                opener * depth + b"1" + closer * depth,
                b'{"battery": ' + b"9" * depth + b"}",
                b'{"ts": 1e' + str(depth).encode() + b', "sos": true}',
                b'{"heart_rate": NaN, "spo2": Infinity, "ts": -Infinity}',
                b"\xff\xfe\x00" * (depth % 50 + 1),
                b"",
                b"null",
                b'"' + b"x" * depth + b'"',
            ]
        )
    )
    return topic, payload


def _topics(corpus: list[tuple[str, bytes]]) -> st.SearchStrategy[str]:
    valid = sorted({topic for topic, _ in corpus})
    return (
        st.sampled_from(valid)
        | st.builds(
            lambda topic, extra, cut: (topic + extra)[: cut or None],
            st.sampled_from(valid),
            st.sampled_from(["", "/x", "/", "/+", "/#", "/up", "/../event", "\x00", "/" * 50]),
            st.integers(0, 40),
        )
        | st.text(max_size=60)
    )


def messages(corpus: list[tuple[str, bytes]]) -> st.SearchStrategy[tuple[str, bytes]]:
    payloads = st.one_of(
        structured(corpus),
        structured(corpus),
        mutated(corpus),
        pathological(corpus),
        st.tuples(st.sampled_from([topic for topic, _ in corpus]), st.binary(max_size=200)),
    )
    # Mostly on the topic the payload belongs to; sometimes on another, or a mangled one.
    return st.tuples(st.integers(0, 9), payloads, _topics(corpus)).map(
        lambda drawn: drawn[1] if drawn[0] < 8 else (drawn[2], drawn[1][1])
    )


# -- the entry points -----------------------------------------------------------------------


class Harness:
    """One entry point: ``check(topic, payload)`` raises only what escapes the target;
    ``still_works()`` says whether a valid message is still handled afterwards."""

    def check(self, topic: str, payload: bytes) -> None:
        raise NotImplementedError

    def still_works(self) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        pass


class DecodeHarness(Harness):
    def __init__(self, home: HomeConfig, corpus: list[tuple[str, bytes]]):
        from devices import ClockLimits, PayloadError, decode

        self.home, self.corpus = home, corpus
        self._decode, self._expected = decode, PayloadError
        self._clock = ClockLimits.unbounded()

    def check(self, topic: str, payload: bytes) -> None:
        with contextlib.suppress(self._expected):
            self._decode(topic, payload, self.home, received_at=START, clock=self._clock)

    def still_works(self) -> bool:
        topic, payload = sos_message(self.home)
        decoded = self._decode(topic, payload, self.home, received_at=START, clock=self._clock)
        return any(reading.metric == "sos" for reading in decoded.readings)


class EdgeHarness(Harness):
    """The edge as it runs: with its own clock limits and its wall clock at the end of the
    corpus's day, so a device cannot move event time far from the wall clock (a payload
    dated in the year 3026 is refused, as at a real edge, rather than making the detectors
    walk a thousand years of nights)."""

    def __init__(self, home: HomeConfig, workdir: Path):
        from edge.outbox import Outbox
        from edge.pipeline import HomePipeline
        from edge.settings import DEFAULT_CLOCK

        self.home = home
        self.now = START + timedelta(days=1)
        self.outbox = Outbox(workdir / "outbox.sqlite", edge=home.home)
        self.pipeline = HomePipeline(home, self.outbox, data_dir=workdir, clock=DEFAULT_CLOCK)
        self._flushed = 0

    def check(self, topic: str, payload: bytes) -> None:
        self.pipeline.handle_local(topic, payload, self.now)
        self._flushed += 1
        if self._flushed % 500 == 0:  # the edge drains its outbox; so does the harness
            self.pipeline.flush_telemetry()
            self._drain()

    def _drain(self) -> None:
        while items := self.outbox.pending(1000):
            self.outbox.ack_many(item.seq for item in items)

    def still_works(self) -> bool:
        # A day later, past any SOS call the fuzzing may have opened (presses within 30 min
        # are the same call): a new press must raise a new one.
        later = self.now + timedelta(days=1)
        topic, payload = sos_message(self.home, later)
        events = self.pipeline.handle_local(topic, payload, later)
        return any(event.kind == "sos" and event.state == "raised" for event in events)

    def close(self) -> None:
        self.outbox.close()


class HubParseHarness(Harness):
    def __init__(self) -> None:
        from hub.upstream import UpstreamError, parse

        self._parse, self._expected = parse, UpstreamError

    def check(self, topic: str, payload: bytes) -> None:
        with contextlib.suppress(self._expected):
            self._parse(topic, payload, prefix=DEFAULT_PREFIX)

    def still_works(self) -> bool:
        topic, payload = hub_sos(HOME_FOR_HUB, seq=10**6)
        return self._parse(topic, payload, prefix=DEFAULT_PREFIX).kind == "sos"


HOME_FOR_HUB = "h001"


class HubIngestHarness(Harness):
    def __init__(self, home: HomeConfig, workdir: Path):
        from hub.alerts import AlertManager
        from hub.ingest import Ingestor
        from hub.registry import save_home, save_station
        from hub.store import Store

        self.store = Store.sqlite(workdir / "hub.db")
        with self.store.transaction() as session:
            save_station(session, home.station, name="fuzz station")
            save_home(session, home)
        self.ingestor = Ingestor(self.store, AlertManager())
        self.home = home

    def check(self, topic: str, payload: bytes) -> None:
        self.ingestor.take([(topic, payload)])

    def still_works(self) -> bool:
        from sqlalchemy import select

        from hub.schema import Alert

        self.ingestor.take([hub_sos(self.home.home, seq=10**9)])
        with self.store.sessions() as session:
            kinds = session.scalars(select(Alert.kind).where(Alert.home_id == self.home.home))
            return "sos" in set(kinds)

    def close(self) -> None:
        self.store.close()


def sos_message(home: HomeConfig, at: datetime = START) -> tuple[str, bytes]:
    """A press of the home's SOS button, as its Zigbee2MQTT sends it."""
    from contracts.reading import Reading
    from simulators.payloads import encode

    reading = Reading(ts=at, home=home.home, device="sos_bed", metric="sos", value=True)
    (message,) = encode([reading], home)
    return message.topic, message.payload


def hub_sos(home: str, *, seq: int) -> tuple[str, bytes]:
    now = datetime.now(UTC).isoformat()
    document = {
        "ts": now,
        "home": home,
        "kind": "sos",
        "state": "raised",
        "severity": "critical",
        "started": now,
        "detector": "sos",
        "evidence": {"device": "sos_bed"},
        "edge": home,
        "seq": seq,
    }
    return HomeTopics(DEFAULT_PREFIX, home).event, json.dumps(document).encode()


# -- running --------------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def fuzz(target: str, *, cases: int, rounds: int = 10, seed_value: int = 0) -> FuzzReport:
    """Run ``cases`` generated messages through ``target``; never raises for what escapes
    the target (that is what the report counts).

    The messages are generated first (in ``rounds`` fresh hypothesis runs), then fed: the
    resident memory sampled while feeding is the target's, not the generator's.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; one of {', '.join(TARGETS)}")
    report = FuzzReport(target)
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target}-") as folder:
        workdir = Path(folder)
        home = fuzz_home()
        corpus = device_corpus(home) if target in ("decode", "edge") else edge_corpus(home)
        generating = time.perf_counter()
        generated = generate(corpus, cases=cases, rounds=rounds, seed_value=seed_value)
        report.generated_s = time.perf_counter() - generating
        harness = _harness(target, home, corpus, workdir)
        started = time.perf_counter()
        try:
            per_sample = max(len(generated) // rounds, 1)
            for start in range(0, len(generated), per_sample):
                for topic, payload in generated[start : start + per_sample]:
                    _feed(harness, report, topic, payload)
                gc.collect()
                report.rss_mb.append(_rss_mb())
            report.still_works = _safely(harness.still_works)
        finally:
            report.seconds = time.perf_counter() - started
            harness.close()
    return report


def generate(
    corpus: list[tuple[str, bytes]], *, cases: int, rounds: int, seed_value: int
) -> list[tuple[str, bytes]]:
    """``cases`` messages from :func:`messages`, in ``rounds`` fresh hypothesis runs (one
    long run would spend its time and memory on its own search tree)."""
    generated: list[tuple[str, bytes]] = []
    per_round = max(cases // rounds, 1)
    for index in range(rounds):
        target = min(len(generated) + per_round, cases) if index < rounds - 1 else cases

        @seed(seed_value * 1000 + index)
        @settings(
            max_examples=target - len(generated),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(message=messages(corpus))
        def collect(message: tuple[str, bytes]) -> None:
            generated.append(message)

        if target > len(generated):
            collect()
    return generated


def _feed(harness: Harness, report: FuzzReport, topic: str, payload: bytes) -> None:
    report.cases += 1
    try:
        harness.check(topic, payload)
    except Exception as exc:  # what escaped the entry point: the finding
        name = type(exc).__name__
        report.uncaught[name] += 1
        if len(report.examples) < KEPT_EXAMPLES:
            report.examples.append(
                {
                    "exception": f"{name}: {str(exc)[:300]}",
                    "topic": topic[:200],
                    "payload": repr(payload[:300]),
                    "where": "".join(traceback.format_tb(exc.__traceback__, limit=-3)),
                }
            )


def _harness(
    target: str, home: HomeConfig, corpus: list[tuple[str, bytes]], workdir: Path
) -> Harness:
    if target == "decode":
        return DecodeHarness(home, corpus)
    if target == "edge":
        return EdgeHarness(home, workdir)
    if target == "hub-parse":
        return HubParseHarness()
    return HubIngestHarness(home, workdir)


def _safely(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


# -- the command ----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Feed generated and mutated payloads through every entry point that takes bytes from "
        "the network (the device decoder, the edge, the hub's parse and ingest) and count the "
        "exceptions that escape and the memory used: it must be 0 and flat."
    )
    parser.add_argument(
        "--cases", type=int, default=100_000, help="messages per entry point (default 100000)"
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=TARGETS,
        help="an entry point (repeatable); default all four",
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="fresh hypothesis runs, and memory samples (10)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed of the generated payloads (default 0)"
    )
    parser.add_argument("--json", type=Path, help="also write the report to this file")


def run(args: argparse.Namespace) -> int:
    reports = []
    for target in args.target or TARGETS:
        report = fuzz(target, cases=args.cases, rounds=args.rounds, seed_value=args.seed)
        reports.append(report.as_dict())
        print(_line(report), file=sys.stderr, flush=True)
        for example in report.examples:
            print(f"  {example['exception']}\n    topic {example['topic']!r}", file=sys.stderr)
    document = {"cases_per_target": args.cases, "seed": args.seed, "targets": reports}
    text = json.dumps(document, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    failed = any(r["uncaught"] or not r["still_works"] for r in reports)
    return 1 if failed else 0


def _line(report: FuzzReport) -> str:
    first, last = (report.rss_mb[0], report.rss_mb[-1]) if report.rss_mb else (0, 0)
    return (
        f"{report.target}: {report.cases} cases in {report.seconds:.0f} s, "
        f"{sum(report.uncaught.values())} uncaught, memory {first} -> {last} MB "
        f"(growth after the first tenth: {report.memory_growth_mb} MB), "
        f"a valid message still works: {report.still_works}"
    )
