"""Outcome feedback: a dispatcher's false alarm loosens that home's limit for that kind, within
bounds, in the same transaction as the resolve; quiet weeks tighten it back; an admin sees
and undoes it; the edge gets it; a family never sees it.

The rules on a real SQLite file with a hand-turned clock; the push on a real hub and broker.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from analytics.monitor import HomeMonitor
from contracts.home import HomeConfig
from hub import feedback
from hub.alerts import AlertManager
from hub.feedback import FeedbackError
from hub.registry import decay_feedback, save_home, save_station, set_factor
from hub.schema import Alert, AlertChange, FeedbackChange, Home, OutgoingMessage
from hub.store import Store
from tests.support.factories import (
    DISPATCHER,
    FAMILY,
    HOME,
    PREFIX,
    STATION,
    Clock,
    event_message,
    event_row,
    home_config,
    make_home,
    register,
    register_homes,
    served,
    settings_for,
)
from tests.support.mqtt import Collector, publish, running, until
from tests.support.stores import fresh_database

DAY = 86_400.0
ROUTINE = ("no_activity", "not_up", "long_bathroom_stay", "not_returned_home", "night_wandering")
NEVER = (
    "fall", "sos", "abnormal_heart_rate", "low_spo2", "device_offline", "battery_low",
    "sensor_stuck", "sensor_flapping",
)  # fmt: skip


class World:
    """A station and a home in a real store, and an alert manager on a hand-turned clock."""

    def __init__(self, store: Store):
        self.store = store
        self.clock = Clock(1_760_000_000.0)
        self.manager = AlertManager(clock=self.clock)
        self.seq = 0

    def false_alarm(self, kind: str = "no_activity", outcome: str = "false_alarm") -> Alert:
        """An alert of ``kind`` raised now and resolved with ``outcome`` by the dispatcher."""
        with self.store.transaction() as session:
            home = session.get(Home, HOME)
            self.seq += 1
            row = event_row(kind, seq=self.seq, ts=self.clock.now, severity="major")
            session.add(row)
            self.manager.on_event(session, home, row)
            alert_id = row.alert_id
        with self.store.transaction() as session:
            self.manager.resolve(session, alert_id, outcome, "张丽")
        with self.store.sessions() as session:
            return session.get(Alert, alert_id)

    def factors(self) -> dict[str, float]:
        with self.store.sessions() as session:
            return feedback.factors(session.get(Home, HOME).config)

    def history(self, alert: Alert) -> list[AlertChange]:
        with self.store.sessions() as session:
            query = select(AlertChange).where(AlertChange.alert_id == alert.id)
            return list(session.scalars(query.order_by(AlertChange.id)))

    def configs_queued(self) -> list[dict]:
        with self.store.sessions() as session:
            rows = session.scalars(
                select(OutgoingMessage)
                .where(OutgoingMessage.topic == f"{PREFIX}/{HOME}/config")
                .order_by(OutgoingMessage.id)
            )
            return [json.loads(row.payload) for row in rows]

    def log(self) -> list[FeedbackChange]:
        with self.store.sessions() as session:
            return list(session.scalars(select(FeedbackChange).order_by(FeedbackChange.id)))

    def decay(self) -> list[FeedbackChange]:
        with self.store.transaction() as session:
            return decay_feedback(session, prefix=PREFIX, now=self.clock.now)


@pytest.fixture
def world(tmp_path):
    store = Store(fresh_database(tmp_path))
    world = World(store)
    register_homes(store, now=0.0)
    yield world
    store.close()


def edge_factor(config: dict, kind: str) -> float:
    """What the edge's detector of ``kind`` multiplies its limit by, given this config."""
    monitor = HomeMonitor(HomeConfig.parse(json.dumps(config)))
    (detector,) = [d for d in monitor.detectors if getattr(d, "kind", None) == kind]
    return detector.feedback


# -- the step -------------------------------------------------------------------------------


def test_a_false_alarm_loosens_its_kind_and_says_so_in_the_alert_history(world):
    queued_before = len(world.configs_queued())
    alert = world.false_alarm("no_activity")
    assert world.factors() == {"no_activity": 1.25}
    # Queued for the edge, and the edge's detector takes it.
    pushed = world.configs_queued()
    assert len(pushed) == queued_before + 1
    assert pushed[-1]["thresholds"]["feedback"] == {"no_activity": 1.25}
    assert edge_factor(pushed[-1], "no_activity") == 1.25
    assert edge_factor(pushed[-1], "not_up") == 1.0  # the other kinds keep their limits
    # The alert's history: who, from -> to, why.
    (adapted,) = [c for c in world.history(alert) if c.action == "adapted"]
    assert adapted.actor == "张丽"
    assert adapted.detail == {
        "kind": "no_activity",
        "from": 1.0,
        "to": 1.25,
        "reason": "false_alarm",
    }
    (logged,) = world.log()[-1:]
    assert (logged.kind, logged.factor_from, logged.factor_to, logged.reason, logged.alert_id) == (
        "no_activity", 1.0, 1.25, "false_alarm", alert.id,
    )  # fmt: skip


def test_the_resolve_and_the_adaptation_are_one_transaction(world):
    with world.store.transaction() as session:
        home = session.get(Home, HOME)
        row = event_row("not_up", seq=1, ts=1.0, severity="major")
        session.add(row)
        world.manager.on_event(session, home, row)
    queued = len(world.configs_queued())
    with pytest.raises(RuntimeError), world.store.transaction() as session:
        world.manager.resolve(session, row.alert_id, "false_alarm", "张丽")
        raise RuntimeError("the hub stops before the commit")
    assert world.factors() == {}
    assert len(world.configs_queued()) == queued
    with world.store.sessions() as session:
        assert session.get(Alert, row.alert_id).resolved_at is None


def test_one_bad_week_loosens_once_and_the_cap_takes_five_false_alarms_over_four_weeks(world):
    trail = []
    for _day in range(35):  # a false alarm every day for five weeks
        alert = world.false_alarm("long_bathroom_stay")
        trail.append(world.factors()["long_bathroom_stay"])
        world.clock.now += DAY
    assert trail[:7] == [1.25] * 7  # the first week: one step, however many false alarms
    assert trail[7] == 1.5625
    steps = [day for day in range(1, 35) if trail[day] != trail[day - 1]]
    assert steps == [7, 14, 21, 28]  # with day 0, five false alarms reach the cap
    assert trail[28:] == [3.0] * 7
    assert max(trail) == feedback.CAP
    # A held false alarm says why in its history: the last one, at the cap.
    (held,) = [c for c in world.history(alert) if c.action == "not_adapted"]
    assert held.detail == {"kind": "long_bathroom_stay", "factor": 3.0, "held": "at_cap"}


def test_a_false_alarm_soon_after_a_step_says_when_the_next_may_come(world):
    world.false_alarm("not_returned_home")
    world.clock.now += 2 * DAY
    alert = world.false_alarm("not_returned_home")
    (held,) = [c for c in world.history(alert) if c.action == "not_adapted"]
    assert held.detail["held"] == "too_soon"
    assert held.detail["until"].startswith("2025-10-16")  # the first step + 7 days, local
    assert world.factors() == {"not_returned_home": 1.25}


def test_kinds_adapt_apart(world):
    world.false_alarm("not_up")
    world.false_alarm("night_wandering")  # the same day: another kind, its own step
    assert world.factors() == {"not_up": 1.25, "night_wandering": 1.25}


@pytest.mark.parametrize("kind", NEVER)
def test_falls_sos_vitals_and_device_kinds_never_adapt(world, kind):
    queued = len(world.configs_queued())
    alert = world.false_alarm(kind)
    assert world.factors() == {}
    assert len(world.configs_queued()) == queued
    assert not [c for c in world.history(alert) if c.action in feedback.STAFF_ONLY_ACTIONS]
    assert world.log() == []


@pytest.mark.parametrize("outcome", ["handled", "hospital", "no_answer_visited", "other"])
def test_only_a_false_alarm_adapts(world, outcome):
    world.false_alarm("no_activity", outcome)
    assert world.factors() == {}


def test_the_adapting_kinds_are_those_whose_detectors_read_feedback(world):
    """The hub's list and the detectors agree: each kind's detector takes its factor."""
    config = home_config(thresholds={"feedback": dict.fromkeys(ROUTINE, 2.0)})
    for kind in ROUTINE:
        assert edge_factor(config, kind) == 2.0, kind
    assert set(ROUTINE) == feedback.ADAPTING_KINDS


# -- decay ----------------------------------------------------------------------------------


def test_quiet_weeks_step_the_limit_back_and_a_false_alarm_restarts_the_count(world):
    world.false_alarm("no_activity")
    world.clock.now += 7 * DAY
    world.false_alarm("no_activity")
    assert world.factors() == {"no_activity": 1.5625}
    world.clock.now += 27 * DAY
    assert world.decay() == []
    world.clock.now += 1 * DAY
    (decayed,) = world.decay()
    assert (decayed.factor_from, decayed.factor_to, decayed.actor, decayed.reason) == (
        1.5625, 1.25, "hub", "decay",
    )  # fmt: skip
    assert decayed.note == "28 days without a false alarm"
    assert world.configs_queued()[-1]["thresholds"]["feedback"] == {"no_activity": 1.25}
    assert world.decay() == []  # once per 28 quiet days
    # Spacing counts from the last step, not from the decay: a false alarm steps up again.
    world.clock.now += 20 * DAY
    world.false_alarm("no_activity")
    assert world.factors() == {"no_activity": 1.5625}
    world.clock.now += 3 * DAY
    world.false_alarm("no_activity")  # held (too soon), but it counts as a false alarm
    world.clock.now += 26 * DAY
    assert world.decay() == []  # 29 days since the step, 26 since the last false alarm
    world.clock.now += 2 * DAY
    assert [c.factor_to for c in world.decay()] == [1.25]
    world.clock.now += 28 * DAY
    assert [c.factor_to for c in world.decay()] == [1.0]
    assert world.factors() == {}  # back to the detector's own limit
    assert "feedback" not in world.configs_queued()[-1]["thresholds"]
    world.clock.now += 100 * DAY
    assert world.decay() == []


def test_a_more_watchful_limit_set_by_an_admin_never_decays(world):
    with world.store.transaction() as session:
        home = session.get(Home, HOME)
        set_factor(session, home, "night_wandering", 0.5, actor="Administrator",
                   reason="admin", prefix=PREFIX, now=world.clock.now)  # fmt: skip
    world.clock.now += 365 * DAY
    assert world.decay() == []
    assert world.factors() == {"night_wandering": 0.5}


# -- setting it by hand -----------------------------------------------------------------------


def test_an_admin_undoes_a_step_and_the_next_waits_a_week_after_that(world):
    alert = world.false_alarm("not_up")
    world.clock.now += 8 * DAY
    with world.store.transaction() as session:
        home = session.get(Home, HOME)
        change = set_factor(
            session, home, "not_up", 1.0, actor="Administrator", reason="admin",
            prefix=PREFIX, now=world.clock.now, note="she was at her daughter's",
        )  # fmt: skip
        assert change is not None
    assert world.factors() == {}
    assert "feedback" not in world.configs_queued()[-1]["thresholds"]
    undo = world.log()[-1]
    assert (undo.factor_from, undo.factor_to, undo.actor, undo.note) == (
        1.25, 1.0, "Administrator", "she was at her daughter's",
    )  # fmt: skip
    world.clock.now += 1 * DAY
    world.false_alarm("not_up")  # a person decided a day ago: held
    assert world.factors() == {}
    world.clock.now += 7 * DAY
    world.false_alarm("not_up")
    assert world.factors() == {"not_up": 1.25}
    assert alert.id  # the first alert's history is not rewritten by the undo
    assert [c.action for c in world.history(alert)][-1] == "adapted"


def test_a_saved_config_keeps_the_hubs_factors_unless_it_sets_them(world):
    world.false_alarm("no_activity")
    edited = make_home(night={"start": "23:00", "end": "06:30"})
    with world.store.transaction() as session:
        save_home(session, edited, prefix=PREFIX, now=world.clock.now, actor="Administrator")
    assert world.factors() == {"no_activity": 1.25}  # the installer's YAML knows nothing of it
    assert world.configs_queued()[-1]["thresholds"]["feedback"] == {"no_activity": 1.25}
    explicit = make_home(thresholds={"feedback": {"not_up": 2}})
    with world.store.transaction() as session:
        save_home(session, explicit, prefix=PREFIX, now=world.clock.now, actor="Administrator")
    assert world.factors() == {"not_up": 2.0}
    logged = {(c.kind, c.factor_from, c.factor_to, c.reason) for c in world.log()[-2:]}
    assert logged == {("no_activity", 1.25, 1.0, "config"), ("not_up", 1.0, 2.0, "config")}
    for wrong in ({"fall": 2.0}, {"no_activity": 5}, {"no_activity": "more"}, {"not_up": 0.1}):
        config = make_home(thresholds={"feedback": wrong})
        with pytest.raises(FeedbackError), world.store.transaction() as session:
            save_home(session, config, prefix=PREFIX, now=world.clock.now)
    assert world.factors() == {"not_up": 2.0}


# -- through the running hub ------------------------------------------------------------------


def retained_factors(collector: Collector) -> list[dict]:
    return [c.get("thresholds", {}).get("feedback", {}) for c in collector.of(CONFIG_TOPIC)]


CONFIG_TOPIC = f"{PREFIX}/{HOME}/config"


async def test_the_edge_gets_the_new_limit_and_only_the_staff_see_why(mosquitto, tmp_path):
    async with served(settings_for(mosquitto, tmp_path)) as hub:
        await register(hub)
        dispatcher = await hub.client_for(DISPATCHER)
        family = await hub.client_for(FAMILY)
        await publish(mosquitto, [event_message("no_activity", seq=1, severity="major")])
        await until(lambda: hub.hub.ingestor.counts.events == 1, what="the alert")
        (alert,) = (await dispatcher.get("/alerts")).json()
        response = await dispatcher.post(
            f"/alerts/{alert['id']}/resolve", json={"outcome": "false_alarm"}
        )
        assert response.status_code == 200, response.text

        # The edge, connecting now, gets the config with the new factor (retained).
        edge_side = Collector(mosquitto, CONFIG_TOPIC)
        async with running(edge_side.run):
            await until(
                lambda: {"no_activity": 1.25} in retained_factors(edge_side),
                what="the loosened limit on the config topic",
            )
        pushed = edge_side.of(CONFIG_TOPIC)[-1]
        assert edge_factor(pushed, "no_activity") == 1.25

        # The dispatcher's card says so; the family's does not, nor does her config.
        story = (await dispatcher.get(f"/alerts/{alert['id']}")).json()["history"]
        (adapted,) = [c for c in story if c["action"] == "adapted"]
        assert (adapted["actor"], adapted["detail"]["to"]) == ("张丽", 1.25)
        their = (await family.get(f"/alerts/{alert['id']}")).json()
        assert their["outcome"] == "false_alarm"
        assert [c["action"] for c in their["history"]] == ["raised", "resolved"]
        assert "feedback" in (await dispatcher.get(f"/homes/{HOME}")).json()["config"]["thresholds"]
        for path in (f"/homes/{HOME}", "/homes"):
            body = (await family.get(path)).json()
            for home in body if isinstance(body, list) else [body]:
                assert "feedback" not in json.dumps(home), path
        assert (await family.get(f"/homes/{HOME}/feedback")).status_code == 403

        # The admin sees it, and undoes it: logged, and pushed to the edge.
        seen = (await hub.http.get(f"/homes/{HOME}/feedback")).json()
        assert seen["factors"] == {**dict.fromkeys(ROUTINE, 1.0), "no_activity": 1.25}
        (change,) = seen["changes"]
        assert (change["from"], change["to"], change["actor"], change["reason"]) == (
            1.0, 1.25, "张丽", "false_alarm",
        )  # fmt: skip
        assert change["alert"] == alert["id"]
        assert seen["rules"]["step"] == 1.25 and seen["rules"]["cap"] == 3.0
        assert (
            await dispatcher.put(f"/homes/{HOME}/feedback/no_activity", json={"factor": 1})
        ).status_code == 403
        for kind, factor in (("fall", 1.0), ("no_activity", 3.5), ("no_activity", 0.1)):
            wrong = await hub.http.put(f"/homes/{HOME}/feedback/{kind}", json={"factor": factor})
            assert wrong.status_code == 422, (kind, factor)
        undone = await hub.http.put(
            f"/homes/{HOME}/feedback/no_activity", json={"factor": 1, "note": "visitors"}
        )
        assert undone.status_code == 200, undone.text
        assert undone.json()["factors"]["no_activity"] == 1.0
        assert undone.json()["changes"][0]["note"] == "visitors"
        edge_side = Collector(mosquitto, CONFIG_TOPIC)
        async with running(edge_side.run):
            await until(
                lambda: edge_side.of(CONFIG_TOPIC) and retained_factors(edge_side)[-1] == {},
                what="the undone limit on the config topic",
            )


async def test_the_running_hub_steps_a_quiet_limit_back_by_itself(mosquitto, tmp_path):
    settings = settings_for(mosquitto, tmp_path)
    store = Store(settings.database)
    weeks_ago = time.time() - 30 * DAY
    with store.transaction() as session:
        save_station(session, STATION, name="站")
        home = save_home(session, make_home(), prefix=PREFIX)
        session.flush()
        set_factor(session, home, "not_up", 1.5625, actor="Administrator", reason="admin",
                   prefix=PREFIX, now=weeks_ago)  # fmt: skip
    store.close()
    async with served(settings):
        edge_side = Collector(mosquitto, CONFIG_TOPIC)
        async with running(edge_side.run):
            await until(
                lambda: {"not_up": 1.25} in retained_factors(edge_side),
                what="the decayed limit on the config topic",
            )
