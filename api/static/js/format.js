// Words for times and alerts in the current language. The evidence's words come from the
// hub (hub/texts.py), so that a page and an SMS say the same thing.

import { getLang, named, t } from "./i18n.js";

const SEVERITY_RANK = { critical: 0, major: 1, minor: 2, warning: 3 };

export function severityRank(severity) {
  return SEVERITY_RANK[severity] ?? 4;
}

/** What needs a person first (as the hub's queue, hub/queries.py): what nobody has
 * acknowledged, the most severe first (a critical fall that has cleared still needs a call
 * before a minor overdue visit does); of one severity, what is still going on before what
 * has cleared; then newest. What someone is handling comes after, in the same order. */
export function byNeed(a, b) {
  return (
    Number(!!a.resolved) - Number(!!b.resolved) ||
    Number(!!a.acknowledged) - Number(!!b.acknowledged) ||
    severityRank(a.severity) - severityRank(b.severity) ||
    Number(!a.active) - Number(!b.active) ||
    ms(b.raised_at) - ms(a.raised_at)
  );
}

// -- the homes' clock ----------------------------------------------------------------------
// "3 min ago" and "today" are counted on the hub's clock of the homes (GET /clock), not the
// browser's: in the demo the homes live a replayed morning at 300x, and a browser's clock
// may be wrong. Between two readings of it the clock runs at its rate.
const homeClock = { server: null, local: 0, rate: 1, simulated: false };

export async function syncClock() {
  try {
    const response = await fetch("/clock", { credentials: "same-origin" });
    if (!response.ok) return homeClock;
    const data = await response.json();
    if (typeof data.now === "number") {
      Object.assign(homeClock, { server: data.now * 1000, local: Date.now(), rate: data.rate || 1, simulated: !!data.simulated });
    }
  } catch {
    // the browser's clock stands in until the hub answers
  }
  return homeClock;
}

/** Epoch milliseconds now on the homes' clock. */
export function now() {
  if (homeClock.server === null) return Date.now();
  return homeClock.server + (Date.now() - homeClock.local) * homeClock.rate;
}

export function clockIsSimulated() {
  return homeClock.simulated;
}

/** How often ages should be redrawn: every 30 s in real time, more often in fast time. */
export function tickMs() {
  return homeClock.rate > 1 ? 2000 : 30000;
}

/** "UTC+8" from an ISO time's offset. */
export function zoneLabel(iso) {
  const minutes = offsetMinutes(iso);
  const sign = minutes < 0 ? "-" : "+";
  const h = Math.floor(Math.abs(minutes) / 60);
  const m = Math.abs(minutes) % 60;
  return `UTC${sign}${h}${m ? `:${String(m).padStart(2, "0")}` : ""}`;
}

// -- a place's wall clock ---------------------------------------------------------------------
// A form that asks for a time in a place (an institution's shift) reads it as that place's
// wall clock, whatever the browser's own zone: an operator abroad, or a laptop set to the
// wrong zone, must not plan a shift hours off.

/** How far ahead of UTC ``zone``'s wall clock is at epoch ``at`` (ms), in ms. */
function zoneOffsetMs(zone, at) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(at));
  const get = (type) => Number(parts.find((part) => part.type === type)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - Math.floor(at / 1000) * 1000;
}

/** Epoch ms of a datetime-local value ("2026-12-05T20:00") read as ``zone``'s wall clock;
 * NaN for an empty or malformed value or a zone this browser does not know. As the hub's
 * zoneinfo reads one (fold 0): a time the clocks skip is read with the offset before the
 * change, a time they repeat is its first occurrence. */
export function wallClockMs(value, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value ?? "");
  if (!m) return NaN;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  try {
    const before = zoneOffsetMs(zone, asUtc - 86400e3);
    const after = zoneOffsetMs(zone, asUtc + 86400e3);
    const fits = [before, after].map((offset) => asUtc - offset).filter((at) => asUtc - zoneOffsetMs(zone, at) === at);
    return fits.length ? Math.min(...fits) : asUtc - before;
  } catch {
    return NaN;
  }
}

/** Epoch ms as ISO 8601 in ``zone``, with its offset: "2026-12-05T20:00:00+08:00". */
export function zonedIso(at, zone) {
  const offset = Math.round(zoneOffsetMs(zone, at) / 60000);
  const wall = new Date(Math.floor(at / 1000) * 1000 + offset * 60000).toISOString().slice(0, 19);
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  return `${wall}${sign}${hours}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
}

/** "GMT+08:00": a zone's offset from UTC now, as Chromium names it (throws for a zone this
 * browser does not know). */
export function offsetName(zone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(new Date());
  const name = parts.find((part) => part.type === "timeZoneName")?.value ?? "";
  return name === "GMT" ? "GMT+00:00" : name;
}

/** Epoch milliseconds of an ISO 8601 time, or NaN. */
export function ms(iso) {
  return iso ? Date.parse(iso) : NaN;
}

/** "3 分钟前" / "3 min ago" from an ISO time (clock skew counts as just now). */
export function ago(iso, at = now()) {
  const then = ms(iso);
  if (Number.isNaN(then)) return "";
  const minutes = Math.floor(Math.max(0, at - then) / 60000);
  if (minutes < 1) return t("time.just_now");
  if (minutes < 60) return t("time.min_ago", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const m = minutes % 60;
    return m && hours < 6 ? t("time.h_min_ago", { h: hours, m }) : t("time.h_ago", { h: hours });
  }
  return t("time.d_ago", { n: Math.floor(hours / 24) });
}

/** HH:MM as written in the ISO time, i.e. in the home's own time zone. */
export function hhmm(iso) {
  const match = /T(\d{2}):(\d{2})/.exec(iso ?? "");
  return match ? `${match[1]}:${match[2]}` : "";
}

export function hhmmss(iso) {
  const match = /T(\d{2}:\d{2}:\d{2})/.exec(iso ?? "");
  return match ? match[1] : hhmm(iso);
}

/** Offset of an ISO time in minutes ("+08:00" -> 480, "Z" -> 0). */
export function offsetMinutes(iso) {
  const match = /([+-])(\d{2}):?(\d{2})$/.exec(iso ?? "");
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

/** The calendar date (YYYY-MM-DD) of now in the time zone an ISO time was written in. */
export function todayLike(iso, at = now()) {
  return new Date(at + offsetMinutes(iso) * 60000).toISOString().slice(0, 10);
}

/** "07:31", "昨天 07:31" or "11月28日 07:31": a time, with its day when not today. */
export function when(iso, at = now()) {
  if (!iso) return "";
  const day = iso.slice(0, 10);
  const today = todayLike(iso, at);
  if (day === today) return hhmm(iso);
  const yesterday = todayLike(iso, at - 86400000);
  const label =
    day === yesterday
      ? t("time.yesterday")
      : t("time.date", { m: Number(day.slice(5, 7)), d: Number(day.slice(8, 10)) });
  return t("time.day_at", { day: label, time: hhmm(iso) });
}

/** "12月6日 18:00": a time with its date always (an absence's end may be any day). */
export function dateAt(iso) {
  if (!iso) return "";
  const date = t("time.date", { m: Number(iso.slice(5, 7)), d: Number(iso.slice(8, 10)) });
  return t("time.day_at", { day: date, time: hhmm(iso) });
}

/** An edge's "12-08 18:00" (the home's time; "18:00" when the same day) as a date is
 * written on the pages, "12月8日 18:00"; any other text as it is. */
export function awayUntilText(text) {
  if (!text) return "";
  const match = /^(\d{2})-(\d{2}) (\d{2}:\d{2})$/.exec(String(text));
  if (!match) return String(text);
  const day = t("time.date", { m: Number(match[1]), d: Number(match[2]) });
  return t("time.day_at", { day, time: match[3] });
}

/** Python's round(x, 1) shown as hub/texts.py's _number: 4.23 -> "4.2", 45.0 -> "45". */
export function numberText(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  let text;
  if (Number.isInteger(value * 4) && !Number.isInteger(value * 2)) {
    // x.25 and x.75 are exact ties in binary: Python rounds them half to even.
    const scaled = value * 10; // exact: k + 0.5
    const down = Math.floor(scaled);
    text = ((down % 2 === 0 ? down : down + 1) / 10).toFixed(1);
  } else {
    text = value.toFixed(1); // the nearest of the exact binary value, as Python does
  }
  if (text.endsWith(".0")) text = text.slice(0, -2);
  return text === "-0" ? "0" : text;
}

/** Seconds in the unit a reader thinks in: 45 s, 30 min, 2.5 h (hub/texts.py _duration). */
/** "冲击 4.2 g，静止 45 秒": the hub words the evidence (hub/texts.py, the same words as its
 * SMS); a page only picks the language, and names the kind when there are no words. */
export function evidenceText(alert) {
  const words = alert?.evidence_text ?? {};
  return words[getLang()] ?? words.zh ?? named("kind", alert?.kind);
}

/** The evidence as a line under the kind's name: empty when it would only repeat the name
 * (an SOS press has no measurement: "紧急呼叫" once is enough). */
export function evidenceLine(alert) {
  const text = evidenceText(alert);
  return text === kindName(alert?.kind) ? "" : text;
}

/** What the alert's other devices saw of it, one line each ("智能手环：冲击 4.7 g，静止 30 秒"):
 * the band's impact once the bathroom radar's fall updated the alert, whose own evidence
 * is then the radar's (GET /alerts/{id}'s earlier_evidence, worded by the hub). */
export function earlierEvidenceLines(alert) {
  // Each has an alert's device_name and evidence_text, of the alert's kind.
  return (alert?.earlier_evidence ?? []).map((earlier) => {
    const device = deviceName(earlier) || t("card.other_device");
    const evidence = evidenceText({ ...earlier, kind: alert.kind });
    return { device: earlier.device ?? "", text: t("card.earlier_evidence", { device, evidence }) };
  });
}

/** A catalogue entry's name in the page's language (a service type, a visit tier: its
 * name_zh / name_en); "" if it has none. */
export function localName(entry) {
  return (getLang() === "en" ? entry?.name_en : entry?.name_zh) ?? "";
}

/** The alert's device as the home config describes it ("卫生间的跌倒雷达"), never its id. */
export function deviceName(alert) {
  const names = alert?.device_name ?? {};
  return names[getLang()] ?? names.zh ?? "";
}

export function kindName(kind) {
  return named("kind", kind);
}

export function severityName(severity) {
  return named("severity", severity);
}

/** An alert's state in words. Cleared says what ended it, kind by kind, and claims no more
 * than that: an SOS that was not pressed again for a while is not "recovered", nor is a
 * fall after which a door opened (she may have got up, or a neighbour came in). */
export function stateName(state, alert = null) {
  if (!alert || !state?.startsWith("cleared_")) return named("state", state);
  const waiting = t(state === "cleared_unacknowledged" ? "state.needs_ack" : "state.acked");
  return `${clearedWord(alert)} · ${waiting}`;
}

/** What ended an alert's condition, in a few words (the alert's kind and evidence). */
export function clearedWord(alert) {
  if (alert?.evidence?.ended_by_absence) return t("cleared.away");
  const word = named("cleared", alert?.kind);
  return word && word !== alert?.kind ? word : t("cleared.other");
}

export function outcomeName(outcome) {
  return named("outcome", outcome);
}

/** Who did it, in words: the hub and the home gateway are not people. */
export function actorName(actor) {
  if (!actor) return "";
  if (actor === "hub") return t("actor.hub");
  if (actor.startsWith("edge:")) return t("actor.edge");
  return actor;
}

/** What ended the condition, as its clear said (hub/alert_case.py note_clear): a fall
 * ended by activity says which kind of activity, so that a dispatcher can judge whether it
 * was her. */
function clearedText(kind, detail) {
  if (!kind) return t("hist.cleared");
  const word = clearedWord({ kind });
  const seen = named("cleared_by", detail.metric);
  return detail.metric && seen !== detail.metric ? t("hist.cleared_by", { what: word, how: seen }) : word;
}

/** An outcome-feedback factor: 1.5625 -> "1.56", 3 -> "3". */
export function factorText(value) {
  return typeof value === "number" && Number.isFinite(value) ? String(Number(value.toFixed(2))) : "?";
}

/** One line of an alert's history in plain words (``kind``: the alert's). */
export function historyText(change, kind = null) {
  const d = change.detail ?? {};
  switch (change.action) {
    case "raised":
      return t("hist.raised", { severity: severityName(d.severity) });
    case "updated": {
      const words = [];
      if (Array.isArray(d.severity)) {
        words.push(t("hist.updated_severity", { severity: severityName(d.severity[1]) }));
      }
      if (d.reactivated) words.push(t("hist.reactivated"));
      // The alert now names that device; what the first one saw is d.replaced_evidence.
      if (Array.isArray(d.device)) {
        const device = deviceName(d); // the hub names it: GET /alerts/{id}'s history
        words.push(device ? t("hist.updated_by_device", { device }) : t("hist.updated_device"));
      }
      return words.length ? words.join(t("ev.sep")) : t("hist.updated");
    }
    case "related":
      return t("hist.related", { kind: kindName(d.kind) });
    case "unrelated":
      return t("hist.unrelated", { kind: kindName(d.kind) });
    case "cleared":
      // Ended by her announced absence: she is away, not recovered.
      if (d.away_until) return t("hist.cleared_away", { until: awayUntilText(d.away_until) });
      return clearedText(kind, d);
    case "acknowledged":
      return t("hist.acknowledged");
    case "unacknowledged":
      return t("hist.unacknowledged", { who: d.acknowledged_by ?? "" });
    case "assigned":
      return t("hist.assigned", { who: d.assignee ?? "" });
    case "commented":
      return t("hist.commented", { text: d.text ?? "" });
    case "reopened":
      return d.note
        ? t("hist.reopened_note", { outcome: outcomeName(d.outcome), note: d.note })
        : t("hist.reopened", { outcome: outcomeName(d.outcome) });
    case "routed":
      return t("hist.routed", { who: (d.to ?? []).join(t("common.list_sep")), room: d.room ?? "" });
    case "no_caregiver_on_duty":
      return t("hist.no_caregiver_on_duty", { room: d.room ?? "" });
    case "no_channel":
      return t("hist.no_channel", { who: named("audience", d.audience) });
    case "channel_failing":
      return t("hist.channel_failing", { who: named("audience", d.audience), n: d.attempts, target: d.target ?? "", error: d.error ?? "" }) +
        (d.paged ? t("hist.channel_paged", { n: d.paged }) : t("hist.channel_not_paged"));
    case "resolved":
      return d.note
        ? t("hist.resolved_note", { outcome: outcomeName(d.outcome), note: d.note })
        : t("hist.resolved", { outcome: outcomeName(d.outcome) });
    case "escalated": {
      const list = (audiences) => (audiences ?? []).map((a) => named("audience", a)).join(t("common.list_sep"));
      const who = list(d.notify);
      const none = list(d.no_channel);
      if (!who && none) return t("hist.escalated_none", { who: none });
      if (who && none) return t("hist.escalated_partly", { who, none });
      return who ? t("hist.escalated", { who }) : t("hist.escalated_plain");
    }
    case "adapted":
      return t("hist.adapted", { kind: kindName(d.kind), from: factorText(d.from), to: factorText(d.to) });
    case "not_adapted":
      return d.held === "at_cap"
        ? t("hist.not_adapted_cap", { kind: kindName(d.kind), factor: factorText(d.factor) })
        : t("hist.not_adapted_soon", { kind: kindName(d.kind), factor: factorText(d.factor), until: when(d.until) });
    default:
      return change.action;
  }
}

/** A number with thousands separators: 12,345. */
export function count(value) {
  return typeof value === "number" ? Math.round(value).toLocaleString("en-US") : "";
}
