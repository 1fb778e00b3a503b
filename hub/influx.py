"""InfluxDB, the hub's time-series store of readings: line protocol out, points back.

Readings are written as influxdb-client ``Point``s: measurement ``<prefix><metric>``, tags
``home`` and ``device``, field ``value`` (numbers, booleans as 0/1) or ``text`` ("open",
"fall"), the event time in milliseconds. Two servers, one line protocol:

* :class:`V2Api`: influxdb-client's WriteApi (synchronous: the sink batches and retries
  itself, see :mod:`hub.telemetry_sink`) and QueryApi (Flux), for InfluxDB 2.x, 3.x and
  1.8+;
* :class:`V1Api`: ``POST /write`` and ``GET /query`` (InfluxQL) with httpx, for older 1.x
  servers (Debian's 1.6.7), which influxdb-client has no writer for.

Every failure leaves here as :class:`InfluxError` (``transient``: worth trying again),
never as a library's exception; no message carries the token or the password.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

import httpx
import urllib3.exceptions
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.write_api import SYNCHRONOUS

from .errors import HubError
from .influx_settings import InfluxSettings

# (home, device, metric, event time in epoch seconds, number, text): a reading as ingest
# hands it over and as the queries give it back (without the home).
Row = tuple[str, str, str, float, float | None, str | None]
Point_ = tuple[float, str, str, float | None, str | None]  # (ts, device, metric, number, text)


class InfluxError(HubError):
    """InfluxDB did not take or answer a request. ``transient``: a server down, slow or busy
    (try again); otherwise the request itself was refused (bad data, no such database,
    wrong credentials) and trying it again would not help."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        self.transient = transient
        super().__init__(reason)


def line_of(row: Row, prefix: str = "") -> str:
    """One reading as a line of line protocol.

    >>> line_of(("h001", "band", "heart_rate", 1700000000.25, 72.0, None))
    'heart_rate,device=band,home=h001 value=72 1700000000250'
    >>> line_of(("h 1", "door", "contact", 1700000000.0, None, "open"), "eldercare_")
    'eldercare_contact,device=door,home=h\\\\ 1 text="open" 1700000000000'
    """
    home, device, metric, ts, number, text = row
    point = Point(prefix + metric).tag("home", home).tag("device", device)
    point = point.field("value", number) if number is not None else point.field("text", text)
    return point.time(round(ts * 1000), WritePrecision.MS).to_line_protocol()


class InfluxApi(Protocol):
    def write(self, lines: Sequence[str]) -> None: ...

    def points(
        self, home: str, metrics: Sequence[str], start: float, end: float
    ) -> list[Point_]: ...

    def close(self) -> None: ...


def api_for(settings: InfluxSettings) -> InfluxApi:
    return V2Api(settings) if settings.api == "v2" else V1Api(settings)


class V2Api:
    """InfluxDB 2.x/3.x/1.8+ through influxdb-client."""

    def __init__(self, settings: InfluxSettings):
        assert settings.url and settings.bucket and settings.org
        self.settings = settings
        self.bucket, self.org = settings.bucket, settings.org
        token = settings.token.get_secret_value() if settings.token else ""
        self._client = InfluxDBClient(
            url=settings.url,
            token=token,
            org=settings.org,
            timeout=int(settings.timeout_s * 1000),
            retries=False,  # the sink retries, with its own backoff and bounded buffer
        )
        self._write = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, lines: Sequence[str]) -> None:
        try:
            self._write.write(
                bucket=self.bucket, org=self.org, record=list(lines), write_precision="ms"
            )
        except Exception as exc:
            raise _translated(exc) from None

    def points(self, home: str, metrics: Sequence[str], start: float, end: float) -> list[Point_]:
        names = [self.settings.measurement_prefix + metric for metric in metrics]
        flux = (
            f"from(bucket: {json.dumps(self.bucket)})"
            f" |> range(start: time(v: {int(start * 1e9)}), stop: time(v: {int(end * 1e9)}))"
            f" |> filter(fn: (r) => contains(value: r._measurement, set: {json.dumps(names)}))"
            f" |> filter(fn: (r) => r.home == {json.dumps(home)})"
        )
        try:
            tables = self._client.query_api().query(flux, org=self.org)
        except Exception as exc:
            raise _translated(exc) from None
        found: list[Point_] = []
        for table in tables:
            for record in table.records:
                metric = str(record.get_measurement())[len(self.settings.measurement_prefix) :]
                value = record.get_value()
                number = float(value) if record.get_field() == "value" else None
                text = str(value) if record.get_field() == "text" else None
                moment = record.get_time().timestamp()
                found.append((moment, str(record.values.get("device")), metric, number, text))
        return sorted(found)

    def close(self) -> None:
        self._client.close()


class V1Api:
    """InfluxDB 1.x's own HTTP API: ``/write`` with line protocol, ``/query`` with InfluxQL."""

    def __init__(self, settings: InfluxSettings):
        assert settings.url
        self.settings = settings
        self.database = settings.database or settings.bucket or ""
        auth = None
        if settings.user is not None:
            password = settings.password.get_secret_value() if settings.password else ""
            auth = httpx.BasicAuth(settings.user, password)
        self._http = httpx.Client(
            base_url=settings.url.rstrip("/"), auth=auth, timeout=settings.timeout_s
        )

    def write(self, lines: Sequence[str]) -> None:
        body = "\n".join(lines).encode()
        params = {"db": self.database, "precision": "ms"}
        try:
            response = self._http.post("/write", params=params, content=body)
        except httpx.HTTPError as exc:
            reason = f"{self.settings.safe_url}: {type(exc).__name__}"
            raise InfluxError(reason, transient=True) from None
        if response.status_code != 204:
            raise _refused(response)

    def points(self, home: str, metrics: Sequence[str], start: float, end: float) -> list[Point_]:
        found: list[Point_] = []
        for metric in metrics:
            name = _identifier(self.settings.measurement_prefix + metric)
            query = (
                f'SELECT "value", "text", "device" FROM {name} WHERE "home" = {_string(home)} '
                f"AND time >= {int(start * 1e9)} AND time < {int(end * 1e9)}"
            )
            params = {"db": self.database, "q": query, "epoch": "ms"}
            try:
                response = self._http.get("/query", params=params)
            except httpx.HTTPError as exc:
                reason = f"{self.settings.safe_url}: {type(exc).__name__}"
                raise InfluxError(reason, transient=True) from None
            if response.status_code != 200:
                raise _refused(response)
            for series in _series(response.json()):
                columns = series["columns"]
                for values in series.get("values", []):
                    row = dict(zip(columns, values, strict=True))
                    number = row.get("value")
                    found.append(
                        (
                            row["time"] / 1000,
                            str(row.get("device")),
                            metric,
                            float(number) if number is not None else None,
                            row.get("text"),
                        )
                    )
        return sorted(found)

    def close(self) -> None:
        self._http.close()


def _series(answer: dict[str, Any]) -> list[dict[str, Any]]:
    series = []
    for result in answer.get("results", []):
        if "error" in result:
            raise InfluxError(f"query refused: {result['error']}", transient=False)
        series.extend(result.get("series", []))
    return series


def _identifier(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _refused(response: httpx.Response) -> InfluxError:
    transient = response.status_code >= 500 or response.status_code in (408, 429)
    reason = f"InfluxDB answered {response.status_code}: {response.text[:300]}"
    return InfluxError(reason, transient=transient)


def _translated(exc: Exception) -> InfluxError:
    if isinstance(exc, InfluxDBError) and exc.response is not None:
        status = int(getattr(exc.response, "status", 0) or 0)
        transient = status >= 500 or status in (408, 429)
        return InfluxError(f"InfluxDB answered {status}: {exc.message}", transient=transient)
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return InfluxError(f"InfluxDB not reachable: {type(exc).__name__}", transient=True)
    return InfluxError(f"{type(exc).__name__}: {str(exc)[:300]}", transient=False)
