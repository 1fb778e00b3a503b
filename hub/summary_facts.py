"""What the family's morning summary says, and in which words (hub.family_summary sends it).

The facts of one resident's previous day (``day``) and the night that followed: when she went
to rest and got up (the whereabouts model, analytics.whereabouts.recap, the rule the not_up
detector and the family page's "got up" use), her stays in the bathroom in that night, her
outings, steps, heart rate range and activity per hour of the day (hub.telemetry_history:
readings or their hourly aggregates), what was unusual against her previous week, and the
open alerts. **A figure with no data says it has none**: ``None`` here, "no data" in the text,
never a zero or "fine".
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.whereabouts.recap import recap
from contracts.home import HomeConfig

from . import queries
from .influx import InfluxApi
from .schema import Alert, Home
from .telemetry_history import hourly
from .texts import kind_name, outcome_name

ACTIVITY_METRICS = ("contact", "motion", "presence", "in_use")
HISTORY_DAYS = 7  # her usual days: the week before
LEARN_DAYS = 8  # readings replayed before the night, for the model to learn her nights
LATE_WAKE_H = 1.5  # got up this much later than usual: worth saying
LOW_SHARE = 0.5  # steps or activity under half her usual: worth saying
MIN_USUAL_DAYS = 3  # fewer days with data: no "usual" to compare with


def _bounds(day: date, tz: ZoneInfo) -> tuple[float, float]:
    start = datetime.combine(day, time(0), tz)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def _hhmm(epoch: float | None, tz: ZoneInfo) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz).strftime("%H:%M")


def day_facts(
    session: Session, influx: InfluxApi | None, home: Home, day: date, now: float
) -> dict[str, Any]:
    """The facts of ``day`` and the night after it, as known at ``now``."""
    tz = ZoneInfo(home.timezone)
    start, end = _bounds(day, tz)
    night = _night(session, home, day, now, tz)
    steps = _steps_by_day(session, home, day, tz)
    activity = _activity_by_day(session, influx, home, day, tz)
    hours = hourly(session, influx, home.id, ("heart_rate",), start, end).hours
    lows = [h.low for h in hours if h.low is not None]
    highs = [h.high for h in hours if h.high is not None]
    open_alerts = session.scalars(
        select(Alert.kind).where(Alert.home_id == home.id, Alert.resolved_at.is_(None))
    ).all()
    # The day's alerts however they ended: "no open alerts" alone reads as a quiet day after
    # a fall that took her to hospital.
    day_alerts = session.execute(
        select(Alert.kind, Alert.outcome)
        .where(Alert.home_id == home.id, Alert.started >= start, Alert.started < end)
        .order_by(Alert.started, Alert.id)
    ).all()
    facts: dict[str, Any] = {
        "resident": home.id,
        "resident_name": home.resident_name,
        "day": day.isoformat(),
        "made_at": _hhmm(now, tz),
        **night,
        "steps": steps[day],
        "heart_rate": {"low": min(lows), "high": max(highs)} if lows and highs else None,
        "activity_by_hour": activity[day],
        "open_alerts": sorted(open_alerts),
        "day_alerts": [{"kind": kind, "outcome": outcome} for kind, outcome in day_alerts],
    }
    facts["unusual"], facts["compared"] = unusual(facts, steps, activity, day)
    return facts


def _night(session: Session, home: Home, day: date, now: float, tz: ZoneInfo) -> dict[str, Any]:
    """Her night after ``day``: rest, getting up, bathroom stays, and ``day``'s outings."""
    nothing = {"night_known": False, "went_to_rest": None, "up_at": None,
               "bathroom_night": None, "outings": None, "usual_wake": None}  # fmt: skip
    try:
        config = HomeConfig.model_validate(home.config)
    except ValidationError:
        return nothing
    start, end = _bounds(day, tz)
    learn_from = start - LEARN_DAYS * 86400.0
    rows = queries.readings(session, home.id, queries.WHEREABOUTS_METRICS, learn_from, now)
    if not rows:
        return nothing
    found = recap(config, queries.as_readings(home.id, rows), day + timedelta(days=1), until=now)
    outings = [o for o in found.outings if start <= o.start < end]
    # Outings only count when the readings cover the day: the first reading before it began.
    covered = rows[0].ts <= start
    wake = found.usual_wake_h
    facts = {
        "night_known": found.night_known,
        "went_to_rest": _hhmm(found.went_to_rest, tz),
        "up_at": _hhmm(found.up_at, tz),
        "bathroom_night": None,
        "outings": [[_hhmm(o.start, tz), _hhmm(o.end, tz)] for o in outings] if covered else None,
        "usual_wake": f"{int(wake):02d}:{int(wake % 1 * 60):02d}" if wake is not None else None,
    }
    if found.night_known and found.went_to_rest is not None:
        until = found.up_at if found.up_at is not None else now
        facts["bathroom_night"] = sum(
            1 for o in found.bathroom if found.went_to_rest <= o.start < until
        )
    return facts


def _steps_by_day(session: Session, home: Home, day: date, tz: ZoneInfo) -> dict[date, int | None]:
    """Per day of the week before and ``day``: the wearable's highest count (its counter
    starts again each day), None without a reading."""
    out: dict[date, int | None] = {}
    for back in range(HISTORY_DAYS, -1, -1):
        d = day - timedelta(days=back)
        start, end = _bounds(d, tz)
        rows = queries.readings(session, home.id, ("steps",), start, end)
        numbers = [r.number for r in rows if r.number is not None and r.number == r.number]
        out[d] = int(max(numbers)) if numbers else None
    return out


def _activity_by_day(
    session: Session, influx: InfluxApi | None, home: Home, day: date, tz: ZoneInfo
) -> dict[date, list[int] | None]:
    """Per day: 24 counts of door, motion, presence and appliance readings by local hour;
    None for a day without a single one (no data, not a still day)."""
    first, _ = _bounds(day - timedelta(days=HISTORY_DAYS), tz)
    _, last = _bounds(day, tz)
    found = hourly(session, influx, home.id, ACTIVITY_METRICS, first, last, numbers=False)
    out: dict[date, list[int] | None] = {}
    for back in range(HISTORY_DAYS, -1, -1):
        out[day - timedelta(days=back)] = None
    for hour in found.hours:
        local = datetime.fromtimestamp(hour.start, tz)
        counts = out.get(local.date())
        if local.date() not in out:
            continue
        if counts is None:
            counts = out[local.date()] = [0] * 24
        counts[local.hour] += hour.count
    return out


def unusual(
    facts: dict[str, Any],
    steps: dict[date, int | None],
    activity: dict[date, list[int] | None],
    day: date,
) -> tuple[list[dict[str, Any]], list[str]]:
    """What differs from her usual days (the week before, days with data only), and what
    could be compared at all (without it, "nothing unusual" would be a claim without
    evidence)."""
    notes: list[dict[str, Any]] = []
    compared: list[str] = []
    usual_steps = [s for d, s in steps.items() if d != day and s is not None]
    if steps[day] is not None and len(usual_steps) >= MIN_USUAL_DAYS:
        compared.append("steps")
        usual = statistics.median(usual_steps)
        if usual > 0 and steps[day] < LOW_SHARE * usual:
            notes.append({"what": "few_steps", "value": steps[day], "usual": int(usual)})
    totals = [sum(a) for d, a in activity.items() if d != day and a is not None]
    today = activity[day]
    if today is not None and len(totals) >= MIN_USUAL_DAYS:
        compared.append("activity")
        usual = statistics.median(totals)
        if usual > 0 and sum(today) < LOW_SHARE * usual:
            notes.append({"what": "little_activity", "value": sum(today), "usual": int(usual)})
    if facts.get("up_at") and facts.get("usual_wake"):
        compared.append("up_at")
        up, usual_wake = _minutes(facts["up_at"]), _minutes(facts["usual_wake"])
        if up - usual_wake >= LATE_WAKE_H * 60:
            notes.append({"what": "late_up", "value": facts["up_at"], "usual": facts["usual_wake"]})
    return notes, compared


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


# -- words ---------------------------------------------------------------------------------

_NO_DATA = {"zh": "无数据", "en": "no data"}
_KINDS = {
    "zh": {"few_steps": "步数 {value}，平时约 {usual}", "little_activity":
           "家中活动 {value} 次，平时约 {usual} 次", "late_up": "起床 {value}，平时约 {usual}"},
    "en": {"few_steps": "{value} steps, usually about {usual}", "little_activity":
           "{value} movements at home, usually about {usual}", "late_up":
           "up at {value}, usually about {usual}"},
}  # fmt: skip


def summary_text(facts: dict[str, Any], lang: str = "zh") -> str:
    """The summary in plain words; every figure without data says so.

    >>> facts = {"resident_name": "王秀英", "day": "2026-03-01", "made_at": "07:30",
    ...     "night_known": True, "went_to_rest": "22:10", "up_at": "06:45",
    ...     "bathroom_night": 2, "outings": [["09:00", "10:15"]], "steps": 3120,
    ...     "heart_rate": {"low": 58.0, "high": 96.0}, "open_alerts": [], "unusual": [],
    ...     "compared": ["steps", "activity", "up_at"]}
    >>> import textwrap
    >>> print(textwrap.fill(summary_text(facts, "en"), 88))
    王秀英, 2026-03-01 and the night after: slept 22:10–06:45, got up at 06:45; bathroom at
    night: 2 times; steps: 3120; outings: 1 (09:00–10:15); heart rate 58–96 bpm. Nothing
    unusual against her past week. No alerts that day; no open alerts.
    """
    no = _NO_DATA[lang]
    zh = lang == "zh"
    went, up, made = facts.get("went_to_rest"), facts.get("up_at"), facts.get("made_at")
    if not facts.get("night_known") or (went is None and up is None and made is None):
        sleep = "夜间睡眠：无数据" if zh else f"sleep: {no}"
    elif up is None:
        # no sign of her getting up yet: said as what the sensors show, not as a verdict
        rest = (f"{went} 入睡，" if zh else f"went to rest at {went}, ") if went else ""
        sleep = rest + (f"到 {made} 未见起床迹象" if zh else f"no sign of getting up by {made}")
    elif went is None:
        sleep = f"{up} 起床（入睡时间：{no}）" if zh else f"got up at {up} (went to rest: {no})"
    else:
        sleep = f"睡眠 {went}–{up}，{up} 起床" if zh else f"slept {went}–{up}, got up at {up}"
    bath = facts.get("bathroom_night")
    bath_text = (
        (f"夜间如厕 {bath} 次" if zh else f"bathroom at night: {bath} times")
        if bath is not None
        else (f"夜间如厕：{no}" if zh else f"bathroom at night: {no}")
    )
    steps = facts.get("steps")
    steps_text = f"步数 {steps if steps is not None else no}" if zh else (
        f"steps: {steps if steps is not None else no}")  # fmt: skip
    outings = facts.get("outings")
    if outings is None:
        out_text = f"外出：{no}" if zh else f"outings: {no}"
    else:
        spans = ", ".join(f"{a}–{b}" for a, b in outings)
        out_text = (f"外出 {len(outings)} 次" if zh else f"outings: {len(outings)}") + (
            f" ({spans})" if spans else "")  # fmt: skip
    heart = facts.get("heart_rate")
    if heart:
        heart_text = (f"心率 {heart['low']:.0f}–{heart['high']:.0f} 次/分" if zh else
                      f"heart rate {heart['low']:.0f}–{heart['high']:.0f} bpm")  # fmt: skip
    else:
        heart_text = f"心率：{no}" if zh else f"heart rate: {no}"
    notes = [_KINDS[lang][n["what"]].format(**n) for n in facts.get("unusual", [])]
    if notes:
        unusual_text = ("与前一周相比：" if zh else "Unlike her past week: ") + (
            "；" if zh else "; ").join(notes)  # fmt: skip
    elif not facts.get("compared"):
        unusual_text = ("前一周数据不足，无法比较" if zh else
                        "Too little data from her past week to compare")  # fmt: skip
    else:
        unusual_text = "与前一周相比没有发现异常" if zh else "Nothing unusual against her past week"
    alert_text = _alerts_text(facts, lang)
    who = facts.get("resident_name") or facts.get("resident")
    if zh:
        parts = "；".join((sleep, bath_text, steps_text, out_text, heart_text))
        return f"{who}，{facts['day']} 及当晚：{parts}。{unusual_text}。{alert_text}。"
    parts = "; ".join((sleep, bath_text, steps_text, out_text, heart_text))
    return f"{who}, {facts['day']} and the night after: {parts}. {unusual_text}. {alert_text}."


def _alerts_text(facts: dict[str, Any], lang: str) -> str:
    """The day's alerts with how each ended (跌倒（送医）), then those still open, of any day."""
    zh = lang == "zh"
    sep = "、" if zh else ", "
    day = facts.get("day_alerts") or []
    if day:
        ended = [
            (f"{kind_name(a['kind'], lang)}（{_outcome(a.get('outcome'), lang)}）" if zh
             else f"{kind_name(a['kind'], lang)} ({_outcome(a.get('outcome'), lang)})")
            for a in day
        ]  # fmt: skip
        day_text = (f"当天告警 {len(day)} 条：{sep.join(ended)}" if zh
                    else f"{len(day)} alert{'s' if len(day) > 1 else ''} that day: "
                         f"{sep.join(ended)}")  # fmt: skip
    else:
        day_text = "当天没有告警" if zh else "No alerts that day"
    still = facts.get("open_alerts") or []
    if still:
        kinds = sep.join(kind_name(kind, lang) for kind in still)
        open_text = (f"未处理的告警 {len(still)} 条：{kinds}" if zh
                     else f"open alerts: {len(still)} ({kinds})")  # fmt: skip
    else:
        open_text = "没有未处理的告警" if zh else "no open alerts"
    return f"{day_text}；{open_text}" if zh else f"{day_text}; {open_text}"


def _outcome(outcome: str | None, lang: str) -> str:
    if outcome is None:
        return "未处理" if lang == "zh" else "open"
    return outcome_name(outcome, lang)
