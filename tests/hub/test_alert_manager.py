"""The alert life cycle and escalation, on a real SQLite file, with a hand-turned clock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from hub import texts
from hub.accounts import Scope
from hub.alert_case import AlertCases
from hub.alerts import AlertError, AlertManager, AlertNotFound
from hub.escalation import DEFAULT_POLICIES
from hub.registry import deactivate_home, reactivate_home
from hub.schema import (
    Alert,
    AlertChange,
    Delivery,
    EscalationTimer,
    Home,
    OutgoingMessage,
)
from hub.store import Store
from hub.views import alert_document, as_seen_by, earlier_evidence
from tests.support.factories import FAMILY, HOME, Clock, event_row, register_homes
from tests.support.stores import fresh_database, on_postgresql


@pytest.fixture
def world(tmp_path):
    store = Store(fresh_database(tmp_path))
    clock = Clock(1_000_000.0)
    manager = AlertManager(
        contact_targets={"sms": "json://127.0.0.1:9/sms?to={phone}"}, clock=clock
    )
    register_homes(store, notify=["json://127.0.0.1:9/station"], now=clock.now)
    seq = iter(range(1, 10_000))

    def event(
        kind: str,
        state: str = "raised",
        severity: str = "critical",
        *,
        on_device: str | None = None,
        **evidence,
    ):
        with store.transaction() as session:
            home = session.get(Home, HOME)
            row = event_row(
                kind,
                state,
                seq=next(seq),
                ts=clock.now,
                severity=severity,
                evidence=evidence,
                device=on_device,
            )
            session.add(row)
            return manager.on_event(session, home, row)

    yield store, clock, manager, event
    store.close()


def alerts(store: Store) -> list[Alert]:
    with store.sessions() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def deliveries(store: Store) -> list[tuple[str, str]]:
    with store.sessions() as session:
        return [(d.audience, d.target) for d in session.scalars(select(Delivery))]


def test_a_repeat_updates_the_open_alert_and_a_clear_keeps_it_open_until_resolved(world):
    store, _clock, manager, event = world
    event("long_bathroom_stay", severity="minor", minutes=40)
    event("long_bathroom_stay", "updated", severity="major", minutes=70)
    event("long_bathroom_stay", "cleared", severity="major")
    (alert,) = alerts(store)
    assert (alert.severity, alert.active, alert.acknowledged) == ("major", False, False)
    assert alert.resolved_at is None  # someone still has to look at it
    event("long_bathroom_stay", severity="minor", minutes=45)  # back again: same case
    (alert,) = alerts(store)
    assert alert.active and alert.severity == "major"  # severity never steps down
    with store.transaction() as session:
        manager.resolve(session, alert.id, "handled", "zhang.li")
    event("long_bathroom_stay", severity="minor", minutes=41)
    assert [a.resolved_at is None for a in alerts(store)] == [False, True]  # a new case


def test_while_she_is_down_no_activity_joins_the_fall_instead_of_a_second_alert(world):
    store, _clock, _manager, event = world
    event("fall", source="radar")
    event("no_activity", severity="major", silent_min=130)
    (fall,) = alerts(store)
    assert fall.kind == "fall" and fall.related == ["no_activity"]


def test_a_fall_the_radar_saw_after_the_band_names_the_radar_and_keeps_the_band_in_history(
    world,
):
    """One fall, two devices (the bathroom fall of the demo): the band's impact raised it,
    the bathroom radar's fall updated it. The alert shows the radar's evidence, so it names
    the radar, not the band; the band's evidence stays in the update's history row."""
    store, clock, _manager, event = world
    band = {"source": "accelerometer", "placement": "wrist", "peak_g": 4.9, "still_s": 8.5}
    (raised,) = event("fall", on_device="band", **band)
    assert (raised.alert["device"], raised.alert["device_name"]["zh"]) == ("band", "智能手环")
    clock.now += 30
    radar = {"source": "radar", "device": "radar_bath", "role": "bathroom"}
    (updated,) = event("fall", "updated", on_device="radar_bath", **radar)
    assert updated.alert["evidence"] == radar
    assert (updated.alert["device"], updated.alert["device_name"]["zh"]) == (
        "radar_bath", "卫生间的跌倒雷达",
    )  # fmt: skip
    # The radar's evidence in words: where she lies (its room), not just 跌倒.
    assert updated.alert["evidence_text"] == {"zh": "在卫生间", "en": "in the bathroom"}
    (fall,) = alerts(store)
    assert fall.device == "radar_bath"
    with store.sessions() as session:
        change = session.scalars(select(AlertChange).where(AlertChange.action == "updated")).one()
    assert change.detail == {"device": ["band", "radar_bath"], "replaced_evidence": band}
    clock.now += 30  # the same radar again: nothing more to say of the device
    event("fall", "updated", on_device="radar_bath", **radar)
    with store.sessions() as session:
        details = session.scalars(
            select(AlertChange.detail).where(AlertChange.action == "updated")
        ).all()
    assert details[1] == {}
    clock.now += 30  # an update that names no device leaves the radar named
    (again,) = event("fall", "updated", **radar)
    assert again.alert["device"] == "radar_bath"


def earlier(store: Store) -> list[tuple[str | None, str, str]]:
    """The alert's other devices and what each saw, in words (zh, en), as its card says."""
    with store.sessions() as session:
        alert = session.scalars(select(Alert)).one()
        history = session.scalars(select(AlertChange).order_by(AlertChange.id)).all()
        found = earlier_evidence(alert, session.get(Home, HOME), history)
    return [(e["device"], e["device_name"]["zh"], e["evidence_text"]["zh"]) for e in found]


def test_the_first_devices_evidence_stays_with_the_alert_after_another_device_updates_it(
    world,
):
    """The band raised the fall, the bathroom radar updated it: the alert shows the radar's
    evidence, and what the band saw (冲击 4.9 g) is still the alert's, by device, until the
    band reports again (its newest then is the alert's own) or the fall comes back after a
    clear (another occurrence)."""
    store, clock, _manager, event = world
    band = {"source": "accelerometer", "placement": "wrist", "peak_g": 4.9, "still_s": 8.5}
    radar = {"source": "radar", "device": "radar_bath", "role": "bathroom"}
    event("fall", on_device="band", **band)
    assert earlier(store) == []
    clock.now += 30
    event("fall", "updated", on_device="radar_bath", **radar)
    assert earlier(store) == [("band", "智能手环", "冲击 4.9 g，静止 8.5 秒")]
    clock.now += 30  # the radar again: the band's stays
    event("fall", "updated", on_device="radar_bath", **radar)
    assert earlier(store) == [("band", "智能手环", "冲击 4.9 g，静止 8.5 秒")]
    clock.now += 30  # the band again, harder: its own now, the radar's the other
    event("fall", "updated", on_device="band", **{**band, "peak_g": 5.2})
    assert earlier(store) == [("radar_bath", "卫生间的跌倒雷达", "在卫生间")]
    clock.now += 30
    event("fall", "cleared", on_device="band", **band)
    clock.now += 3600  # she falls again, the radar sees it: nothing of the first fall
    event("fall", "updated", on_device="radar_bath", **radar)
    assert earlier(store) == []


def test_escalation_repeats_until_acknowledged_and_the_home_is_told(world):
    store, clock, manager, event = world
    (update,) = event("sos")
    # Critical: the station and the son (SMS) at once.
    assert sorted(deliveries(store)) == [
        ("family", "json://127.0.0.1:9/sms?to=13800000000"),
        ("station", "json://127.0.0.1:9/station"),
    ]
    with store.transaction() as session:
        assert manager.fire_due(session) == []  # nothing is due yet
    clock.now += DEFAULT_POLICIES.critical.repeat_every_s
    with store.transaction() as session:
        (escalated,) = manager.fire_due(session)
    assert escalated.change == "escalated" and len(deliveries(store)) == 4
    with store.transaction() as session:
        manager.acknowledge(session, update.alert["id"], "zhang.li")
    clock.now += 10 * DEFAULT_POLICIES.critical.repeat_every_s
    with store.transaction() as session:
        assert manager.fire_due(session) == []
        assert session.scalars(select(EscalationTimer)).all() == []
        (command,) = session.scalars(select(OutgoingMessage).where(
            OutgoingMessage.topic == f"eldercare/v1/{HOME}/command")).all()  # fmt: skip
    assert b"voice_prompt" in command.payload
    # After the ack only the family hears more ("acknowledged"), the station is not paged.
    assert deliveries(store)[4:] == [("family", "json://127.0.0.1:9/sms?to=13800000000")]


def test_a_cleared_minor_alert_stops_escalating_but_a_cleared_fall_does_not(world):
    store, clock, manager, event = world
    event("abnormal_heart_rate", severity="minor", heart_rate=135)
    event("abnormal_heart_rate", "cleared", severity="minor")
    event("fall", source="radar")
    event("fall", "cleared")  # she got up, or the rescuer's door opened: still a fall
    clock.now += 3600
    with store.transaction() as session:
        escalated = manager.fire_due(session)
    assert [u.alert["kind"] for u in escalated] == ["fall"]


def test_a_new_fall_after_an_acknowledged_and_cleared_one_is_told_and_escalated_again(world):
    store, clock, manager, event = world
    (update,) = event("fall", source="radar")
    alert_id = update.alert["id"]
    with store.transaction() as session:
        manager.acknowledge(session, alert_id, "zhang.li")
    event("fall", "cleared")  # she got up; the case stays open, acknowledged
    told = len(deliveries(store))
    clock.now += 6 * 3600
    (again,) = event("fall", source="radar", impact_g=4.0)  # she fell again hours later
    assert again.alert["state"] == "active_unacknowledged"
    with store.sessions() as session:
        history = session.scalars(select(AlertChange).order_by(AlertChange.id)).all()
    assert [(c.actor, c.action, c.detail) for c in history[-3:]] == [
        ("edge:h001", "cleared", {}),
        ("edge:h001", "updated", {"reactivated": True}),
        ("hub", "unacknowledged", {"reason": "reactivated", "acknowledged_by": "zhang.li"}),
    ]
    assert history[-1].at == clock.now
    assert sorted(deliveries(store)[told:]) == [  # the first step, as for a new fall
        ("family", "json://127.0.0.1:9/sms?to=13800000000"),
        ("station", "json://127.0.0.1:9/station"),
    ]
    clock.now += DEFAULT_POLICIES.critical.repeat_every_s
    with store.transaction() as session:
        (escalated,) = manager.fire_due(session)  # and again until someone acknowledges
    assert escalated.alert["id"] == alert_id
    with store.transaction() as session:
        manager.acknowledge(session, alert_id, "wang.fang")  # the new fall can be taken


def test_a_home_back_in_service_escalates_its_open_unacknowledged_fall_again(world):
    store, clock, manager, event = world
    event("fall", source="radar")
    event("abnormal_heart_rate", severity="minor", heart_rate=135)
    event("abnormal_heart_rate", "cleared", severity="minor")  # had stopped escalating
    with store.transaction() as session:
        deactivate_home(session, HOME, actor="admin", now=clock.now)
    clock.now += 3600
    with store.transaction() as session:
        assert manager.fire_due(session) == []  # out of service: nobody is paged
    with store.transaction() as session:
        reactivate_home(session, HOME, actor="admin")
    with store.transaction() as session:
        escalated = manager.fire_due(session)  # the next tick, without waiting for an event
    assert [(u.alert["kind"], u.alert["escalation_step"]) for u in escalated] == [("fall", 0)]
    clock.now += DEFAULT_POLICIES.critical.repeat_every_s
    with store.transaction() as session:
        (again,) = manager.fire_due(session)  # and on, until someone acknowledges it
    assert (again.alert["kind"], again.alert["escalation_step"]) == ("fall", 1)


def test_a_device_back_online_resolves_its_alert_by_itself(world):
    store, _clock, _manager, event = world
    event("device_offline", severity="minor", device="radar_bath")
    event("device_offline", "cleared", severity="minor")
    (alert,) = alerts(store)
    assert alert.resolved_at is not None and alert.outcome == "recovered"
    assert alert.resolved_by == "hub"


def family_view(store: Store, kind: str) -> tuple[dict, list[tuple[str, dict]]]:
    """The open alert of ``kind`` as its family reads it, and its history's changes."""
    family = Scope(FAMILY, "李明", "family", frozenset(), frozenset({HOME}))
    with store.sessions() as session:
        alert = session.scalars(select(Alert).where(Alert.kind == kind)).one()
        document = as_seen_by(alert_document(alert, session.get(Home, HOME)), family)
        changes = session.scalars(
            select(AlertChange).where(AlertChange.alert_id == alert.id).order_by(AlertChange.id)
        ).all()
        return document, [(c.action, as_seen_by(c.detail, family)) for c in changes]


def test_an_alert_an_announced_absence_ended_says_so_and_a_plain_clear_does_not(world):
    """Ended by an absence announced over it, she is away, not back home: her family's
    pages can tell only if the hub keeps what the edge's clear said."""
    store, _clock, _manager, event = world
    baseline = "usual 5.0 h (p95 of 20); limit x1.5 after outcomes"  # the staff's
    event("not_returned_home", severity="major", left_at="10:00", out_h=6.0, baseline=baseline)
    event("not_returned_home", "cleared", severity="major",
          summary="announced away until 12-08 18:00: at her daughter's",
          away_until="12-08 18:00")  # fmt: skip
    document, history = family_view(store, "not_returned_home")
    assert document["evidence"]["ended_by_absence"] == "12-08 18:00"
    assert document["evidence"]["baseline"] == "usual 5.0 h (p95 of 20)"  # still redacted
    assert document["evidence_text"]["zh"] == "10:00 出门，已外出 6 小时"  # the raise's words
    assert ("cleared", {"away_until": "12-08 18:00"}) in history
    # Out again after it: the new raise's evidence, not the old announcement's end.
    event("not_returned_home", severity="major", left_at="19:00", out_h=3.0)
    document, _ = family_view(store, "not_returned_home")
    assert "ended_by_absence" not in document["evidence"]

    event("long_bathroom_stay", severity="minor", minutes=40)
    event("long_bathroom_stay", "cleared", severity="minor", summary="out at 10:45")
    document, history = family_view(store, "long_bathroom_stay")
    assert "ended_by_absence" not in document["evidence"]
    assert ("cleared", {}) in history


@pytest.mark.parametrize(
    ("kind", "problem", "zh"),
    [("sensor_stuck", "stuck", "读数长时间不变"), ("sensor_flapping", "flapping", "读数频繁跳变")],
)
def test_a_stuck_or_flapping_sensor_asks_for_a_repair_and_closes_when_it_behaves(
    world, kind, problem, zh
):
    store, clock, manager, _event = world
    summary = "pir (bathroom) has read 'motion' since 09:00 (2.0 h): probably stuck"
    evidence = {"summary": summary, "device": "pir", "role": "bathroom", "state": problem}
    for seq, state in enumerate(("raised", "cleared"), start=1):
        with store.transaction() as session:
            row = event_row(
                kind, state, seq=seq, ts=clock.now, severity="warning", evidence=evidence,
                detector="sensor_health", device="pir",
            )  # fmt: skip
            session.add(row)
            manager.on_event(session, session.get(Home, HOME), row)
        if state == "raised":
            with store.sessions() as session:
                (told,) = session.scalars(select(Delivery)).all()  # the station's installer
            assert told.title == f"【提示】王秀英：{texts.KIND_NAMES[kind]['zh']}"
            assert f"设备 pir {zh}" in told.body and "请安排检查设备" in told.body
    (alert,) = alerts(store)
    assert alert.resolved_at is not None and alert.outcome == "recovered"
    en = texts.alert_text(alert_document(alert, home_of(store)), "raised", lang="en")[1]
    assert summary in en and "device check" in en


def home_of(store: Store) -> Home:
    with store.sessions() as session:
        return session.get(Home, HOME)


def test_actions_that_make_no_sense_are_refused_with_a_reason(world):
    store, _clock, manager, event = world
    (update,) = event("sos")
    alert_id = update.alert["id"]
    with store.transaction() as session:
        manager.acknowledge(session, alert_id, "zhang.li")
    with (
        pytest.raises(AlertError, match=r"already acknowledged by zhang\.li"),
        store.transaction() as s,
    ):
        manager.acknowledge(s, alert_id, "wang.fang")
    with pytest.raises(AlertError, match="unknown outcome"), store.transaction() as s:
        manager.resolve(s, alert_id, "fixed it", "zhang.li")
    with store.transaction() as session:
        manager.resolve(session, alert_id, "false_alarm", "zhang.li", "pressed by mistake")
    with pytest.raises(AlertError, match="already resolved"), store.transaction() as s:
        manager.assign(s, alert_id, "volunteer 3", "zhang.li")
    with pytest.raises(AlertNotFound), store.transaction() as s:
        manager.acknowledge(s, 999, "zhang.li")


def test_a_resolved_case_takes_no_more_comments_as_it_takes_no_assignment(world):
    store, _clock, manager, event = world
    (update,) = event("sos")
    alert_id = update.alert["id"]
    with store.transaction() as session:
        manager.comment(session, alert_id, "已电话联系", "zhang.li")
        manager.resolve(session, alert_id, "handled", "zhang.li")
    with pytest.raises(AlertError, match=r"already resolved \(handled\)"), store.transaction() as s:
        manager.comment(s, alert_id, "late note", "zhang.li")
    with store.sessions() as session:
        said = session.scalars(
            select(AlertChange.detail["text"].as_string()).where(AlertChange.action == "commented")
        ).all()
    assert said == ["已电话联系"]


def rival_after_the_read(monkeypatch, store: Store, rival) -> None:
    """Run ``rival`` (a request of someone else), committed, in another thread while the
    next action is between reading its alert and changing it: as the API's threads may."""
    original = AlertCases.take

    def take(self, session, alert_id):
        taken = original(self, session, alert_id)
        monkeypatch.setattr(AlertCases, "take", original)  # once
        errors = []

        def other() -> None:
            try:
                with store.transaction() as session:
                    rival(session)
            except Exception as exc:
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert not errors, errors
        return taken

    monkeypatch.setattr(AlertCases, "take", take)


ONE_AT_A_TIME = pytest.mark.skipif(
    on_postgresql(), reason="PostgreSQL serializes them by the home's lock (hub.arbiter)"
)


@ONE_AT_A_TIME
def test_two_dispatchers_acknowledging_at_once_one_is_told_the_other_has_it(world, monkeypatch):
    store, _clock, manager, event = world
    (update,) = event("sos")
    alert_id = update.alert["id"]
    told = len(deliveries(store))
    rival_after_the_read(
        monkeypatch, store, lambda session: manager.acknowledge(session, alert_id, "wang.fang")
    )
    with (
        pytest.raises(AlertError, match=r"already acknowledged by wang\.fang"),
        store.transaction() as session,
    ):
        manager.acknowledge(session, alert_id, "zhang.li")
    with store.sessions() as session:
        acknowledged = session.scalars(
            select(AlertChange.actor).where(AlertChange.action == "acknowledged")
        ).all()
        prompts = session.scalars(select(OutgoingMessage.topic)).all()
    assert acknowledged == ["wang.fang"]
    assert prompts.count(f"eldercare/v1/{HOME}/command") == 1  # she hears it once
    assert deliveries(store)[told:] == [("family", "json://127.0.0.1:9/sms?to=13800000000")]


@ONE_AT_A_TIME
def test_an_acknowledge_racing_a_resolve_does_not_acknowledge_a_resolved_case(world, monkeypatch):
    store, _clock, manager, event = world
    (update,) = event("sos")
    alert_id = update.alert["id"]
    rival_after_the_read(
        monkeypatch,
        store,
        lambda session: manager.resolve(session, alert_id, "false_alarm", "wang.fang"),
    )
    with (
        pytest.raises(AlertError, match=r"already resolved \(false_alarm\)"),
        store.transaction() as session,
    ):
        manager.acknowledge(session, alert_id, "zhang.li")
    (alert,) = alerts(store)
    assert (alert.acknowledged, alert.outcome, alert.resolved_by) == (
        False,
        "false_alarm",
        "wang.fang",
    )


def test_a_home_whose_edge_stays_offline_gets_an_alert_that_resolves_when_it_returns(world):
    store, clock, manager, _event = world
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "offline", clock.now
    clock.now += manager.home_offline_after_s - 1
    with store.transaction() as session:
        assert manager.homes_offline(session) == []  # a short outage is not news yet
    clock.now += 2
    with store.transaction() as session:
        (raised,) = manager.homes_offline(session)
        assert manager.homes_offline(session) == []  # once, not at every tick
    assert (raised.change, raised.alert["kind"]) == ("raised", "home_offline")
    assert deliveries(store) == [("station", "json://127.0.0.1:9/station")]
    with store.transaction() as session:
        (back,) = manager.home_online(session, session.get(Home, HOME))
    assert back.change == "resolved" and back.alert["outcome"] == "recovered"


def test_a_home_offline_alert_resolved_by_hand_is_not_raised_again_until_the_home_was_back(
    world,
):
    store, clock, manager, _event = world
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "offline", clock.now
    clock.now += manager.home_offline_after_s + 1
    with store.transaction() as session:
        (raised,) = manager.homes_offline(session)
        manager.resolve(session, raised.alert["id"], "handled", "zhang.li", "router off")
    for _ in range(3):  # the next ticks, hours later: the same spell, already handled
        clock.now += 3600
        with store.transaction() as session:
            assert manager.homes_offline(session) == []
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "online", clock.now
        assert manager.home_online(session, home) == []
    clock.now += 60
    with store.transaction() as session:
        home = session.get(Home, HOME)
        home.status, home.status_at = "offline", clock.now  # a new spell
    clock.now += manager.home_offline_after_s + 1
    with store.transaction() as session:
        (again,) = manager.homes_offline(session)
    assert again.alert["id"] != raised.alert["id"] and again.alert["kind"] == "home_offline"
