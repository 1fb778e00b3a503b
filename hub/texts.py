"""Notification texts for alert changes, in Simplified Chinese (default) and English.

Short enough for an SMS or a DingTalk/WeCom card, plain words for a daughter reading on
her phone, and what a dispatcher needs at a glance: who, since when, what was measured,
what to do. Pure functions: no clock, no I/O.

>>> alert = {"kind": "fall", "severity": "critical", "resident_name": "王秀英",
...          "home": "h001", "started": "2025-11-29T08:42:10+08:00",
...          "evidence": {"peak_g": 4.23, "still_s": 45.0}}
>>> title, body = alert_text(alert, "raised")
>>> print(title)
【紧急】王秀英：跌倒
>>> print(body)
住户：王秀英（h001）
发生时间：08:42
情况：跌倒（冲击 4.2 g，静止 45 秒）
请立即电话联系或上门查看。
>>> title, body = alert_text({**alert, "acked_by": "李站长"}, "acknowledged", lang="en")
>>> print(title)
[Critical] 王秀英: Fall (acknowledged)
>>> print(body)
Resident: 王秀英 (h001)
Started: 08:42
What: Fall (impact 4.2 g, lying still for 45 s)
Acknowledged by 李站长.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

KIND_NAMES: dict[str, dict[str, str]] = {
    "fall": {"zh": "跌倒", "en": "Fall"},
    "sos": {"zh": "紧急呼叫", "en": "SOS call"},
    "abnormal_heart_rate": {"zh": "心率异常", "en": "Abnormal heart rate"},
    "low_spo2": {"zh": "血氧偏低", "en": "Low blood oxygen"},
    "no_activity": {"zh": "长时间无活动", "en": "No activity"},
    "not_up": {"zh": "未按时起床", "en": "Not up in the morning"},
    "night_wandering": {"zh": "夜间外出未归", "en": "Night wandering"},
    "long_bathroom_stay": {"zh": "卫生间停留过久", "en": "Long bathroom stay"},
    "not_returned_home": {"zh": "外出未归", "en": "Not returned home"},
    "device_offline": {"zh": "设备离线", "en": "Device offline"},
    "home_offline": {"zh": "家庭网关离线", "en": "Home gateway offline"},
    "battery_low": {"zh": "电量低", "en": "Low battery"},
    "sensor_stuck": {"zh": "传感器卡住", "en": "Sensor stuck"},
    "sensor_flapping": {"zh": "传感器频繁跳变", "en": "Sensor flapping"},
    # An institution's (hub/ward_routing.py): raised by the ward detectors.
    "bed_exit": {"zh": "夜间离床", "en": "Out of bed at night"},
    "not_back_in_bed": {"zh": "离床未归", "en": "Not back in bed"},
    "left_unit_at_night": {"zh": "夜间离开病区", "en": "Left the unit at night"},
    "call": {"zh": "床头呼叫", "en": "Bed call"},
    "visit_overdue": {"zh": "探访逾期", "en": "Visit overdue"},
}

# A device as the home config describes it (kind, role): what a family and a dispatcher call
# it, never its id ("band").
DEVICE_KIND_NAMES: dict[str, dict[str, str]] = {
    "door": {"zh": "门磁", "en": "door sensor"},
    "motion": {"zh": "人体感应器", "en": "motion sensor"},
    "presence": {"zh": "人体存在传感器", "en": "presence sensor"},
    "appliance": {"zh": "智能插座", "en": "smart plug"},
    "fall_radar": {"zh": "跌倒雷达", "en": "fall radar"},
    "fall_pendant": {"zh": "跌倒报警器", "en": "fall pendant"},
    "bracelet": {"zh": "智能手环", "en": "bracelet"},
    "sos_button": {"zh": "紧急按钮", "en": "SOS button"},
}
ROLE_NAMES: dict[str, dict[str, str]] = {
    "front_door": {"zh": "入户门", "en": "front door"},
    "bathroom_door": {"zh": "卫生间门", "en": "bathroom door"},
    "toilet_door": {"zh": "厕所门", "en": "toilet door"},
    "bedroom_door": {"zh": "卧室门", "en": "bedroom door"},
    "fridge": {"zh": "冰箱", "en": "fridge"},
    "kitchen": {"zh": "厨房", "en": "kitchen"},
    "bathroom": {"zh": "卫生间", "en": "bathroom"},
    "toilet": {"zh": "厕所", "en": "toilet"},
    "bedroom": {"zh": "卧室", "en": "bedroom"},
    "bed": {"zh": "床", "en": "bed"},
    "chair": {"zh": "椅子", "en": "chair"},
    "living_room": {"zh": "客厅", "en": "living room"},
    "bedside": {"zh": "床头", "en": "bedside"},
    "unit_door": {"zh": "病区门", "en": "unit door"},
    "wrist": {"zh": "手腕", "en": "wrist"},
    "waist": {"zh": "腰间", "en": "waist"},
    "chest": {"zh": "胸前", "en": "chest"},
}


def device_name(kind: str | None, role: str | None, *, lang: str = "zh") -> str | None:
    """ "卫生间的跌倒雷达" / "bathroom fall radar"; None for a device the config lacks.

    >>> device_name("fall_radar", "bathroom"), device_name("bracelet", "wrist", lang="en")
    ('卫生间的跌倒雷达', 'wrist bracelet')
    >>> device_name("sos_button", None), device_name(None, None)
    ('紧急按钮', None)
    """
    if not kind:
        return None
    lang = _lang(lang)
    name = _name(DEVICE_KIND_NAMES, kind, lang)
    where = ROLE_NAMES.get(role or "", {}).get(lang)
    if not where or (lang == "zh" and kind == "bracelet"):
        return name  # "手腕的智能手环" says nothing more than 智能手环
    return f"{where}的{name}" if lang == "zh" else f"{where} {name}"


SEVERITY_NAMES: dict[str, dict[str, str]] = {
    "critical": {"zh": "紧急", "en": "Critical"},
    "major": {"zh": "严重", "en": "Major"},
    "minor": {"zh": "一般", "en": "Minor"},
    "warning": {"zh": "提示", "en": "Warning"},
}

OUTCOME_NAMES: dict[str, dict[str, str]] = {
    "handled": {"zh": "已处理", "en": "handled"},
    "false_alarm": {"zh": "误报", "en": "false alarm"},
    "hospital": {"zh": "送医", "en": "taken to hospital"},
    "no_answer_visited": {"zh": "电话未接通，已上门探访", "en": "no answer, visited at home"},
    "visited": {"zh": "已探访", "en": "visited"},
    "other": {"zh": "其他", "en": "other"},
}

# How each change shows in the title; a new alert needs no label.
CHANGE_NAMES: dict[str, dict[str, str]] = {
    "raised": {"zh": "", "en": ""},
    "updated": {"zh": "更新", "en": "update"},
    "escalated": {"zh": "已升级", "en": "escalated"},
    "acknowledged": {"zh": "已确认", "en": "acknowledged"},
    "assigned": {"zh": "已派单", "en": "assigned"},
    "commented": {"zh": "新备注", "en": "note added"},
    "cleared": {"zh": "已解除", "en": "cleared"},
    "resolved": {"zh": "已结案", "en": "resolved"},
    "reopened": {"zh": "重新打开", "en": "reopened"},
    "reminder": {"zh": "提醒", "en": "reminder"},
}

_URGENT = frozenset({"critical", "major"})
# About a device, not the resident: even a major one asks for a repair, not a home visit.
_DEVICE_KINDS = frozenset(
    {"device_offline", "battery_low", "home_offline", "sensor_stuck", "sensor_flapping"}
)

_LINES: dict[str, dict[str, str]] = {
    "resident": {"zh": "住户：{who}", "en": "Resident: {who}"},
    "resident_home": {"zh": "住户：{who}（{home}）", "en": "Resident: {who} ({home})"},
    "started": {"zh": "发生时间：{at}", "en": "Started: {at}"},
    "what": {"zh": "情况：{what}", "en": "What: {what}"},
    "unknown_resident": {"zh": "未知住户", "en": "unknown resident"},
    "act_urgent": {
        "zh": "请立即电话联系或上门查看。",
        "en": "Please call or visit at once.",
    },
    "act_calm": {"zh": "请留意，方便时处理。", "en": "Please check when convenient."},
    "act_device": {
        "zh": "请安排检查设备或更换电池。",
        "en": "Please arrange a device check or a battery change.",
    },
    "updated": {"zh": "情况有新进展。", "en": "There is new information."},
    "escalated": {
        "zh": "仍无人确认，已升级通知，请尽快处理。",
        "en": "Still not acknowledged, so it was escalated. Please respond.",
    },
    "reminder": {
        "zh": "仍无人确认，请尽快处理。",
        "en": "Still not acknowledged. Please respond.",
    },
    "acknowledged_by": {"zh": "已由{who}确认。", "en": "Acknowledged by {who}."},
    "acknowledged": {"zh": "已有人确认。", "en": "Acknowledged."},
    "assigned_to": {"zh": "已指派{who}处理。", "en": "Assigned to {who}."},
    "assigned": {"zh": "已指派处理人员。", "en": "Someone was assigned."},
    "commented": {"zh": "处理记录有新备注。", "en": "A note was added."},
    "cleared": {"zh": "情况已解除。", "en": "The condition has ended."},
    "resolved_as": {"zh": "已结案，结果：{outcome}。", "en": "Resolved: {outcome}."},
    "resolved": {"zh": "已结案。", "en": "Resolved."},
    "reopened": {"zh": "服务站已重新打开此案。", "en": "The station reopened the case."},
}

AUDIENCE_NAMES: dict[str, dict[str, str]] = {
    "station": {"zh": "服务站", "en": "the station"},
    "family": {"zh": "家属", "en": "the family"},
}


def channel_failing_text(
    alert: Mapping[str, Any],
    audience: str,
    target: str,
    attempts: int,
    error: str,
    *,
    lang: str = "zh",
) -> tuple[str, str]:
    """The page to a station about a channel that keeps failing: (title, body).

    >>> title, body = channel_failing_text({"resident_name": "王秀英", "kind": "fall"},
    ...                                    "family", "json://sms.example.org/", 3, "HTTP 500")
    >>> print(title)
    【通知失败】王秀英：跌倒
    >>> print(body.replace("。", "。\\n"))
    发给家属的通知连续 3 次发送失败（json://sms.example.org/：HTTP 500）。
    请电话联系家属，并检查该通知渠道。
    <BLANKLINE>
    """
    lang = _lang(lang)
    who = alert.get("resident_name") or alert.get("home") or _LINES["unknown_resident"][lang]
    kind = _name(KIND_NAMES, str(alert.get("kind") or ""), lang)
    to = _name(AUDIENCE_NAMES, audience, lang)
    if lang == "zh":
        return (
            f"【通知失败】{who}：{kind}",
            f"发给{to}的通知连续 {attempts} 次发送失败（{target}：{error}）。"
            f"请电话联系{to}，并检查该通知渠道。",
        )
    return (
        f"[Delivery failing] {who}: {kind}",
        f"The notification to {to} failed {attempts} times in a row ({target}: {error}). "
        f"Please phone {to} and check the channel.",
    )


def alert_text(alert: Mapping[str, Any], change: str, *, lang: str = "zh") -> tuple[str, str]:
    """The (title, body) telling of ``change`` to ``alert`` in ``lang``.

    ``lang`` may be a locale ("zh-CN", "en_GB"); any other language falls back to Chinese:
    an alert in the wrong language still beats no alert. Unknown kinds, severities and
    outcomes show their raw codes; an unknown ``change`` is a bug and raises ValueError.

    >>> alert = {"kind": "low_spo2", "severity": "major", "resident_name": "Li Hua",
    ...          "home": "h002", "started": "2025-11-29T23:05:00+08:00",
    ...          "evidence": {"spo2": 86, "duration_min": 12}, "outcome": "hospital"}
    >>> print(*alert_text(alert, "resolved", lang="en"), sep="\\n")
    [Major] Li Hua: Low blood oxygen (resolved)
    Resident: Li Hua (h002)
    Started: 23:05
    What: Low blood oxygen (SpO2 86%, for 12 min)
    Resolved: taken to hospital.
    >>> print(*alert_text(alert, "resolved"), sep="\\n")
    【严重】Li Hua：血氧偏低（已结案）
    住户：Li Hua（h002）
    发生时间：23:05
    情况：血氧偏低（血氧 86%，持续 12 分钟）
    已结案，结果：送医。
    >>> print(alert_text({"kind": "battery_low", "severity": "minor", "home": "h003",
    ...                   "evidence": {"device": "sos1", "battery_pct": 12}}, "raised")[1])
    住户：h003
    情况：电量低（设备 sos1 电量 12%）
    请安排检查设备或更换电池。
    >>> print(*alert_text({"kind": "gas_leak", "home": "h4", "acked_by": "Zhang"}, "acknowledged"))
    h4：gas_leak（已确认） 住户：h4
    情况：gas_leak
    已由 Zhang 确认。
    """
    if change not in CHANGE_NAMES:
        raise ValueError(f"unknown alert change {change!r}; expected one of {list(CHANGE_NAMES)}")
    lang = _lang(lang)
    kind = str(alert.get("kind") or "")
    severity = alert.get("severity")
    home = alert.get("home")
    who = alert.get("resident_name") or home or _LINES["unknown_resident"][lang]
    kind_name = _name(KIND_NAMES, kind, lang)

    label = CHANGE_NAMES[change][lang]
    if lang == "zh":
        title = f"【{_name(SEVERITY_NAMES, severity, lang)}】" if severity else ""
        title += f"{who}：{kind_name}" + (f"（{label}）" if label else "")
    else:
        title = f"[{_name(SEVERITY_NAMES, severity, lang)}] " if severity else ""
        title += f"{who}: {kind_name}" + (f" ({label})" if label else "")

    if home and home != who:
        lines = [_LINES["resident_home"][lang].format(who=who, home=home)]
    else:
        lines = [_LINES["resident"][lang].format(who=who)]
    at = _local_hhmm(alert.get("started"))
    if at:
        lines.append(_LINES["started"][lang].format(at=at))
    what = kind_name
    evidence = alert.get("evidence") or {}
    named = (alert.get("device_name") or {}).get(lang)
    if named and evidence.get("device"):
        evidence = {**evidence, "device": named}
    details = _evidence_parts(kind, evidence, lang)
    if details and lang == "zh":
        what += f"（{'，'.join(details)}）"
    elif details:
        what += f" ({', '.join(details)})"
    lines.append(_LINES["what"][lang].format(what=what))
    lines.append(_action(alert, change, lang))
    return title, "\n".join(lines)


def _action(alert: Mapping[str, Any], change: str, lang: str) -> str:
    """The closing line: what happened to the alert, or what the reader should do."""
    if change == "raised":
        if alert.get("kind") in _DEVICE_KINDS:
            return _LINES["act_device"][lang]
        urgent = alert.get("severity") in _URGENT
        return _LINES["act_urgent" if urgent else "act_calm"][lang]
    if change == "acknowledged" and alert.get("acked_by"):
        return _LINES["acknowledged_by"][lang].format(who=_inline(alert["acked_by"], lang))
    if change == "assigned" and alert.get("assignee"):
        return _LINES["assigned_to"][lang].format(who=_inline(alert["assignee"], lang))
    if change == "resolved" and alert.get("outcome"):
        outcome = _name(OUTCOME_NAMES, alert["outcome"], lang)
        return _LINES["resolved_as"][lang].format(outcome=outcome)
    return _LINES[change][lang]


def _inline(name: Any, lang: str) -> str:
    """A name inside a sentence: Chinese sets Latin words off with spaces, not Han ones."""
    text = str(name)
    return f" {text} " if lang == "zh" and text.isascii() else text


def evidence_text(
    kind: str, evidence: Mapping[str, Any], *, lang: str = "zh", device: str | None = None
) -> str:
    """The measurements behind an alert in plain words; the kind's name when there are none.

    >>> evidence_text("fall", {"peak_g": 4.2, "still_s": 45}, lang="en")
    'impact 4.2 g, lying still for 45 s'
    >>> evidence_text("fall", {"peak_g": 4.2, "still_s": 45})
    '冲击 4.2 g，静止 45 秒'
    >>> evidence_text("fall", {"source": "radar", "device": "radar_bath", "role": "bathroom"})
    '在卫生间'
    >>> evidence_text("fall", {"source": "radar", "role": "bedroom", "suspected_for_s": 60},
    ...               lang="en")
    'in the bedroom, a suspected fall for 60 s'
    >>> evidence_text("abnormal_heart_rate", {"heart_rate": 135.0}, lang="en")
    'heart rate 135 bpm'
    >>> evidence_text("no_activity", {"inactive_h": 3.5})
    '已 3.5 小时无活动'
    >>> evidence_text("fall", {}), evidence_text("gas_leak", {"ppm": 300}, lang="en")
    ('跌倒', 'gas_leak')
    """
    lang = _lang(lang)
    if device and evidence.get("device"):
        evidence = {**evidence, "device": device}  # its name, not its id
    parts = _evidence_parts(kind, evidence, lang)
    if not parts:
        return _name(KIND_NAMES, kind, lang)
    return ("，" if lang == "zh" else ", ").join(parts)


# Per kind: (evidence key, zh template, en template); {v} is the value in plain words, a
# template of None leaves the key out in that language (a detector's English summary).
# Detectors put more in evidence than a message should carry: these are the telling ones.
_EVIDENCE: dict[str, tuple[tuple[str, str | None, str | None], ...]] = {
    "fall": (
        ("radar_room", "在{v}", "in the {v}"),  # not the detector's: _fall_place
        ("peak_g", "冲击 {v} g", "impact {v} g"),
        ("still_s", "静止 {s}", "lying still for {s}"),
        ("suspected_for_s", "疑似跌倒已持续 {s}", "a suspected fall for {s}"),
    ),
    "abnormal_heart_rate": (
        ("heart_rate", "心率 {v} 次/分", "heart rate {v} bpm"),
        ("duration_min", "持续 {v} 分钟", "for {v} min"),
    ),
    "low_spo2": (
        ("spo2", "血氧 {v}%", "SpO2 {v}%"),
        ("duration_min", "持续 {v} 分钟", "for {v} min"),
    ),
    "no_activity": (("inactive_h", "已 {v} 小时无活动", "no activity for {v} h"),),
    "not_up": (("deadline", "到 {v} 仍未起床", "not up by {v}"),),
    "night_wandering": (("door_opened", "{v} 出门", "front door opened at {v}"),),
    "long_bathroom_stay": (("minutes", "在卫生间已 {v} 分钟", "in the bathroom for {v} min"),),
    "visit_overdue": (
        ("due_day", "应于 {v} 探访", "due on {v}"),
        ("misses", "已 {v} 次未联系上", "not reached {v} times"),
        ("responsible", "负责人 {v}", "responsible: {v}"),
    ),
    "not_returned_home": (
        ("left_at", "{v} 出门", "went out at {v}"),
        ("out_h", "已外出 {v} 小时", "out for {v} h"),
    ),
    "device_offline": (
        ("device", "设备 {v}", "device {v}"),
        ("silent_s", "已 {s}无消息", "silent for {s}"),
    ),
    "battery_low": (
        ("device", "设备 {v}", "device {v}"),
        ("battery_pct", "电量 {v}%", "battery {v}%"),
    ),
    # The English summary says what the sensor read and since when; Chinese names the state.
    "sensor_stuck": (
        ("device", "设备 {v}", None),
        ("state", "{v}", None),
        ("summary", None, "{v}"),
    ),
    "sensor_flapping": (
        ("device", "设备 {v}", None),
        ("state", "{v}", None),
        ("summary", None, "{v}"),
    ),
}

# Coded evidence values in words.
_VALUE_NAMES: dict[str, dict[str, str]] = {
    "stuck": {"zh": "读数长时间不变，已暂不采信", "en": "stuck"},
    "flapping": {"zh": "读数频繁跳变，已暂不采信", "en": "flapping"},
}

# Parts of one kind that read as one phrase in Chinese ("设备 sos1 电量 12%").
_ZH_JOINED = frozenset({"device_offline", "battery_low", "sensor_stuck", "sensor_flapping"})


def _fall_place(evidence: Mapping[str, Any], lang: str) -> str | None:
    """Where she fell, when a radar saw it: the room it watches (its role). A wearable's
    role is where it is worn, not where she is."""
    if evidence.get("source") != "radar":
        return None
    return ROLE_NAMES.get(str(evidence.get("role")), {}).get(lang)


def _evidence_parts(kind: str, evidence: Mapping[str, Any], lang: str) -> list[str]:
    if kind == "fall" and (room := _fall_place(evidence, lang)):
        evidence = {**evidence, "radar_room": room}
    parts = []
    for key, zh, en in _EVIDENCE.get(kind, ()):
        value = evidence.get(key)
        if value is None or value == "" or isinstance(value, bool):
            continue
        template = zh if lang == "zh" else en
        if template is None:
            continue
        coded = _VALUE_NAMES.get(value) if isinstance(value, str) else None
        words = coded[lang] if coded else _number(value)
        parts.append(template.format(v=words, s=_duration(value, lang)))
    if lang == "zh" and kind in _ZH_JOINED and parts:
        return [" ".join(parts)]
    return parts


def _number(value: Any) -> str:
    """4.23 -> '4.2', 45.0 -> '45'; text stays as it is."""
    if isinstance(value, int | float):
        rounded = round(float(value), 1)
        return str(int(rounded)) if rounded.is_integer() else f"{rounded}"
    return str(value)


def _duration(value: Any, lang: str) -> str:
    """Seconds in the unit a reader thinks in: 45 s, 30 min, 2.5 h."""
    if not isinstance(value, int | float):
        return str(value)
    seconds = float(value)
    if seconds >= 2 * 3600:
        size, unit = 3600, {"zh": "{n} 小时", "en": "{n} h"}
    elif seconds >= 120:
        size, unit = 60, {"zh": "{n} 分钟", "en": "{n} min"}
    else:
        size, unit = 1, {"zh": "{n} 秒", "en": "{n} s"}
    return unit[lang].format(n=_number(seconds / size))


def _local_hhmm(started: Any) -> str | None:
    """HH:MM in the home's own time, i.e. in the offset ``started`` was written with."""
    if isinstance(started, datetime):
        return f"{started:%H:%M}"
    if not started:
        return None
    try:
        return f"{datetime.fromisoformat(str(started)):%H:%M}"
    except ValueError:
        return str(started)  # shown as given: better than dropping when it began


def _name(names: Mapping[str, Mapping[str, str]], code: Any, lang: str) -> str:
    entry = names.get(code) if isinstance(code, str) else None
    return entry[lang] if entry else str(code)


def kind_name(kind: str, lang: str = "zh") -> str:
    """An alert kind in words (跌倒, "Fall"); an unknown kind as its code."""
    return _name(KIND_NAMES, kind, _lang(lang))


def outcome_name(outcome: str, lang: str = "zh") -> str:
    """A case's outcome in words (送医, "taken to hospital"); an unknown one as its code."""
    return _name(OUTCOME_NAMES, outcome, _lang(lang))


def _lang(lang: str) -> str:
    short = (lang or "").replace("_", "-").split("-")[0].lower()
    return short if short in LANGS else DEFAULT_LANG
