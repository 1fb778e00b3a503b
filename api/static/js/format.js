// Words for times and alerts in the current language. The evidence's words come from the
// hub (hub/texts.py), so that a page and an SMS say the same thing.

import { getLang, named, t } from "./i18n.js";

const SEVERITY_RANK = { critical: 0, major: 1, minor: 2, warning: 3 };

export function severityRank(severity) {
  return SEVERITY_RANK[severity] ?? 4;
}

/** Epoch milliseconds of an ISO 8601 time, or NaN. */
export function ms(iso) {
  return iso ? Date.parse(iso) : NaN;
}

/** "3 分钟前" / "3 min ago" from an ISO time (clock skew counts as just now). */
export function ago(iso, now = Date.now()) {
  const then = ms(iso);
  if (Number.isNaN(then)) return "";
  const minutes = Math.floor(Math.max(0, now - then) / 60000);
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
export function todayLike(iso, now = Date.now()) {
  return new Date(now + offsetMinutes(iso) * 60000).toISOString().slice(0, 10);
}

/** "07:31", "昨天 07:31" or "11月28日 07:31": a time, with its day when not today. */
export function when(iso, now = Date.now()) {
  if (!iso) return "";
  const day = iso.slice(0, 10);
  const today = todayLike(iso, now);
  if (day === today) return hhmm(iso);
  const yesterday = todayLike(iso, now - 86400000);
  const label =
    day === yesterday
      ? t("time.yesterday")
      : t("time.date", { m: Number(day.slice(5, 7)), d: Number(day.slice(8, 10)) });
  return t("time.day_at", { day: label, time: hhmm(iso) });
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

export function kindName(kind) {
  return named("kind", kind);
}

export function severityName(severity) {
  return named("severity", severity);
}

export function stateName(state) {
  return named("state", state);
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

/** An outcome-feedback factor: 1.5625 -> "1.56", 3 -> "3". */
export function factorText(value) {
  return typeof value === "number" && Number.isFinite(value) ? String(Number(value.toFixed(2))) : "?";
}

/** One line of an alert's history in plain words. */
export function historyText(change) {
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
      return words.length ? words.join(t("ev.sep")) : t("hist.updated");
    }
    case "related":
      return t("hist.related", { kind: kindName(d.kind) });
    case "cleared":
      return t("hist.cleared");
    case "acknowledged":
      return t("hist.acknowledged");
    case "assigned":
      return t("hist.assigned", { who: d.assignee ?? "" });
    case "commented":
      return t("hist.commented", { text: d.text ?? "" });
    case "resolved":
      return d.note
        ? t("hist.resolved_note", { outcome: outcomeName(d.outcome), note: d.note })
        : t("hist.resolved", { outcome: outcomeName(d.outcome) });
    case "escalated": {
      const who = (d.notify ?? []).map((a) => named("audience", a)).join(t("common.list_sep"));
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
