"""Schemathesis over the API's OpenAPI schema, with every role: no request gets a 500.

The real app (uvicorn, a real Mosquitto, a real SQLite store) seeded with stations, homes,
residents, devices, alerts and readings, and with the odd values a store with history may
hold (tests/support/api_seed.py). For every operation and every role (admin, dispatcher, caregiver,
family, anonymous) schemathesis draws requests that fit the schema (random ids, and the
seeded ids so that the handlers run past their 404s) and requests that do not.

Short by default (CI). The long check, whose figures are in docs/hub.md (API)::

    ELDERCARE_FUZZ_EXAMPLES=100 .venv/bin/python -m pytest -s tests/api/test_api_fuzz.py

``ELDERCARE_FUZZ_SEED`` replays a run (each run prints its seed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.api_seed import Seeded, bearer_tokens, credentials_of, seed
from tests.support.factories import served, settings_for

EXAMPLES = int(os.environ.get("ELDERCARE_FUZZ_EXAMPLES", "3"))
SEED = int(os.environ.get("ELDERCARE_FUZZ_SEED", random.randrange(2**32)))
ROLES = ("admin", "dispatcher", "caregiver", "family", "anonymous")
# Accounts the walk itself logs in with: changing them would lock the walk out.
WALKING_ACCOUNTS = {"admin", "zhang.li", "wang.fang", "li.ming"}


@dataclass
class Tally:
    """What the walk sent and got back."""

    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> str:
        by_class = Counter(f"{status // 100}xx" for status in self.statuses.elements())
        return (
            f"{self.cases} cases (seed {SEED}, {EXAMPLES} examples per operation, role and "
            f"kind), {len(self.server_errors)} server errors; {dict(sorted(by_class.items()))}"
        )


def known_ids(seeded: Seeded) -> dict[str, str]:
    """Path parameters that reach past the 404 of an unknown id: the caller's own."""
    return {
        "alert_id": str(seeded.alerts["h001"]),
        "home_id": "h001",
        "resident_id": "h001",
        "station_id": "st1",
    }


def strategies(operation, seeded: Seeded) -> list:  # type: ignore[no-untyped-def]
    drawn = [operation.as_strategy(GenerationMode.POSITIVE)]
    names = {p.name for p in operation.path_parameters}
    if names and names <= set(known_ids(seeded)):
        ids = {name: known_ids(seeded)[name] for name in names}
        drawn.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=ids))
        if operation.path.startswith("/alerts/"):
            odd = {"alert_id": str(seeded.odd_alert)}
            drawn.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=odd))
    drawn.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return drawn


def walk(
    schema: schemathesis.BaseSchema,
    url: str,
    tokens: dict[str, str | None],
    seeded: Seeded,
    fresh_token: Callable[[str], str | None],
) -> Tally:
    """Every operation, every role, every kind of case; never stops at the first 500."""
    tally = Tally()
    # One connection for the whole walk: opening and closing one per operation and role
    # was a good part of its time.
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            # Each case drawn once and sent with every role (drawing is most of the time).
            for strategy in strategies(operation, seeded):
                _run(operation, strategy, url, session, tokens, fresh_token, tally)
    return tally


def _run(operation, strategy, url, session, tokens, fresh_token, tally: Tally) -> None:  # type: ignore[no-untyped-def]
    @hypothesis_seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy.filter(_harmless))
    def one(case) -> None:  # type: ignore[no-untyped-def]
        for role in ROLES:
            token = fresh_token(role) if operation.path == "/auth/logout" else tokens[role]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = case.call(base_url=url, session=session, headers=headers, timeout=30)
            tally.statuses[response.status_code] += 1
            if response.status_code >= 500:
                tally.server_errors.append(
                    f"{role}: {case.as_curl_command(base_url=url)} -> {response.status_code} "
                    f"{response.text[:200]}"
                )

    with contextlib.suppress(Unsatisfiable):  # no invalid request for a route without input
        one()


def _harmless(case) -> bool:  # type: ignore[no-untyped-def]
    """Not one of the walk's own accounts rewritten (that would only lock the walk out)."""
    return (case.path_parameters or {}).get("username") not in WALKING_ACCOUNTS


async def test_no_server_error_for_any_role_or_request(mosquitto, tmp_path):
    # Drawn log-ins and password changes fail by the hundred: no throttling of the walk's
    # own accounts (tests/api/test_login_throttle.py checks it).
    unthrottled = {"login_free_failures": 10**6, "login_free_failures_per_address": 10**6}
    async with served(settings_for(mosquitto, tmp_path, **unthrottled)) as hub:
        seeded = await seed(hub, mosquitto)
        tokens = await bearer_tokens(hub)
        document = (await hub.http.get("/openapi.json")).json()
        schema = schemathesis.openapi.from_dict(document)

        def fresh_token(role: str) -> str | None:
            if role == "anonymous":
                return None
            with httpx.Client(base_url=hub.url, timeout=30) as client:
                response = client.post("/auth/login", json=credentials_of(role))
                return response.json()["token"]

        tally = await asyncio.to_thread(walk, schema, hub.url, tokens, seeded, fresh_token)
    print(tally.summary())
    operations = len(list(schema.get_all_operations()))
    # Every operation was reached with every role, not only refused before it ran.
    assert tally.cases >= operations * len(ROLES) * 2, tally.summary()
    assert tally.statuses[200] > operations, tally.summary()
    assert not tally.server_errors, "\n".join([tally.summary(), *tally.server_errors[:20]])
