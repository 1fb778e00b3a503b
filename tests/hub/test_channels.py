"""The channel warnings `/health` carries (homes whose family no alert can reach) cost the
store the same few queries however many homes there are: a load balancer polls `/health`
every few seconds, and at 10,000 homes a query per home kept a worker's health answer
waiting past its callers' timeouts and its store's pool."""

from __future__ import annotations

from hub import channels
from hub.registry import save_home, save_station
from hub.store import Store
from tests.support.factories import STATION, make_home
from tests.support.round_trips import Statements


def store_with_homes(tmp_path, homes: int) -> Store:
    store = Store.sqlite(tmp_path / f"hub-{homes}.db")
    with store.transaction() as session:
        save_station(session, STATION, name="颍州社区养老服务站", notify=[])
        for n in range(homes):
            save_home(session, make_home(f"h{n:04d}"))
    return store


def test_the_channel_warnings_cost_the_same_queries_for_3_homes_and_for_300(tmp_path):
    sent = []
    for homes in (3, 300):
        store = store_with_homes(tmp_path, homes)
        try:
            with Statements(store.engine) as counted, store.sessions() as session:
                found = channels.problems(session, {})
            assert sum(p.home is not None for p in found) == homes  # no family is reachable
            sent.append(len(counted.sent))
        finally:
            store.close()
    assert sent[0] == sent[1] <= 5, sent
