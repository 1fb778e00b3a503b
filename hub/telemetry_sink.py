"""The InfluxDB sink: readings handed over by ingest, written on a thread of the sink's own.

Ingest's part is :meth:`TelemetrySink.offer`: append the committed readings to a bounded
buffer and return (no I/O, no formatting). The sink's thread takes batches of up to
``batch_max`` readings (or what ``flush_s`` gathered), makes line protocol
(:func:`hub.influx.line_of`) and writes it. So a slow or dead InfluxDB never delays an
alert, an acknowledgement or the next batch of ingest:

* a write that fails for a passing reason (server down, 5xx, timeout) is tried again after
  a jittered delay doubling up to ``retry_max_s``; the batch waits, it is not lost;
* meanwhile new readings fill the buffer; past ``buffer_max`` the **oldest** are dropped
  and counted (``dropped``): memory stays bounded, the newest readings are the ones kept;
* a batch InfluxDB refuses as such (bad data, wrong database or credentials: a 4xx) is
  dropped and counted (``refused``), with the reason in ``last_error``: retrying it would
  block every later reading behind it.

influxdb-client's own batching WriteApi is not used for this: its buffer has no bound and it
reports what it gave up only per batch to a callback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from transport.reconnect import Backoff

from .influx import InfluxApi, InfluxError, Row, api_for, line_of
from .influx_settings import InfluxSettings

log = logging.getLogger("hub.telemetry")


class TelemetrySink:
    def __init__(
        self,
        api: InfluxApi,
        *,
        target: str,
        buffer_max: int = 200_000,
        batch_max: int = 5_000,
        flush_s: float = 1.0,
        retry_max_s: float = 30.0,
        measurement_prefix: str = "",
    ):
        self.api = api
        self.target = target  # for /health and the log: no secret in it
        self.buffer_max = buffer_max
        self.batch_max = batch_max
        self.flush_s = flush_s
        self.prefix = measurement_prefix
        self._backoff = Backoff(0.5, max(0.5, retry_max_s))
        self._buffer: deque[Row] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.offered = 0
        self.written = 0
        self.dropped = 0
        self.refused = 0
        self.failures = 0  # writes that failed and were tried again
        self.last_error: str | None = None
        self.failing_since: float | None = None  # wall clock; None while writes succeed

    # -- ingest's side ----------------------------------------------------------------------

    def offer(self, rows: Iterable[Row]) -> None:
        """Take committed readings; never blocks on InfluxDB, never raises."""
        with self._lock:
            before = len(self._buffer)
            self._buffer.extend(rows)
            self.offered += len(self._buffer) - before
            over = len(self._buffer) - self.buffer_max
            for _ in range(max(0, over)):
                self._buffer.popleft()
            self.dropped += max(0, over)
            ready = len(self._buffer) >= self.batch_max
        if ready:
            self._wake.set()

    # -- the sink's thread ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hub-influx", daemon=True)
            self._thread.start()
            log.info("telemetry: writing readings to InfluxDB at %s", self.target)

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is buffered (for at most ``timeout``), then end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.api.close()

    def _run(self) -> None:
        lines: list[str] = []  # made once per batch, not again for each try
        while True:
            if not lines:
                if not self._stop.is_set():
                    self._wake.wait(self.flush_s)
                    self._wake.clear()
                lines = [line_of(row, self.prefix) for row in self._take()]
                if not lines:
                    if self._stop.is_set():
                        return
                    continue
            if self._write(lines):
                lines = []
                continue
            if self._stop.wait(self._backoff.next_delay()):
                return  # stopping while InfluxDB is down: what is left is not written

    def _take(self) -> list[Row]:
        with self._lock:
            count = min(self.batch_max, len(self._buffer))
            return [self._buffer.popleft() for _ in range(count)]

    def _write(self, batch: list[str]) -> bool:
        """True when the batch is done with (written or refused); False: try it again."""
        try:
            self.api.write(batch)
        except InfluxError as exc:
            self.last_error = exc.reason
            if exc.transient:
                self.failures += 1
                if self.failing_since is None:
                    self.failing_since = time.time()
                    log.error("telemetry: InfluxDB at %s failing: %s", self.target, exc.reason)
                return False
            self.refused += len(batch)
            log.error("telemetry: InfluxDB refused %d readings: %s", len(batch), exc.reason)
            return True
        except Exception as exc:  # a bug of ours: the batch goes, the thread must not
            self.refused += len(batch)
            self.last_error = f"{type(exc).__name__}: {str(exc)[:300]}"
            log.exception("telemetry: %d readings could not be written", len(batch))
            return True
        self.written += len(batch)
        self._backoff.reset()
        if self.failing_since is not None:
            log.warning(
                "telemetry: InfluxDB at %s writing again after %.0f s",
                self.target,
                time.time() - self.failing_since,
            )
            self.failing_since = None
        return True

    # -- what /health shows -----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            buffered = len(self._buffer)
        return {
            "target": self.target,
            "state": "failing" if self.failing_since is not None else "ok",
            "failing_since": self.failing_since,
            "offered": self.offered,
            "written": self.written,
            "buffered": buffered,
            "buffer_max": self.buffer_max,
            "dropped": self.dropped,
            "refused": self.refused,
            "failures": self.failures,
            "last_error": self.last_error,
        }


def sink_for(settings: InfluxSettings) -> TelemetrySink | None:
    """The sink these settings ask for; None without an InfluxDB URL."""
    if not settings.enabled:
        return None
    return TelemetrySink(
        api_for(settings),
        target=settings.target,
        buffer_max=settings.buffer_max,
        batch_max=settings.batch_max,
        flush_s=settings.flush_s,
        retry_max_s=settings.retry_max_s,
        measurement_prefix=settings.measurement_prefix,
    )
