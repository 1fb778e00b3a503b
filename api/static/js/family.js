// The family app: "Is Mum OK today?" on a phone. What the hub honestly knows of her (fine
// only with evidence), today's facts, her heart rate, open alerts and who is handling them
// (tap one for its story), past alerts, a call to the station; live over /ws, with browser
// notifications. The family's words, not the dispatcher's.

import { api, onLogout } from "./api.js";
import { $, h, replace } from "./dom.js";
import { vitalsChart } from "./chart.js";
import {
  ago,
  awayUntilText,
  byNeed,
  clockIsSimulated,
  earlierEvidenceLines,
  evidenceLine,
  historyText,
  hhmm,
  kindName,
  numberText,
  outcomeName,
  severityName,
  syncClock,
  tickMs,
  when,
  zoneLabel,
} from "./format.js";
import { inline, named, onLangChange, t } from "./i18n.js";
import { LiveFeed } from "./live.js";
import { factTiles } from "./resident.js";
import { startPage } from "./shell.js";
import { loadSummary, renderSummary } from "./summary.js";
import { familyBanner } from "./wellbeing.js";
import { followOrders, onOrderFrame, renderOrders } from "./family_orders.js";
import { followVisits, onVisitFrame, renderVisits } from "./family_visits.js";
import { followAway, onAwayFrame, renderAway } from "./family_away.js";

const PICK_KEY = "eldercare.family.resident";
// Kinds whose clear does not show she is better: an SOS not pressed again, a fall after
// which a door opened (she, or someone coming in).
const UNSURE_WHEN_CLEARED = new Set(["sos", "fall"]);
// Which changes are worth a notification on the phone: not every update or reminder.
const NOTIFY_CHANGES = new Set(["raised", "acknowledged", "assigned", "cleared", "resolved"]);
const PAST_SHOWN = 20; // past alerts listed, newest first

const state = {
  user: null,
  residents: [], // [{id, name, ...}] this user may see
  residentId: null,
  resident: null,
  today: undefined,
  hr: undefined,
  alerts: [],
  feed: null,
  loadToken: 0,
  notified: 0,
  station: undefined, // {name, phone} of her station (GET /residents/{id}/station)
  expanded: new Set(), // alert ids whose story is open
  details: new Map(), // alert id -> GET /alerts/{id}
};

// A part that fails (or a 401, already on its way to the log-in page) shows as missing.
const settle = (promise) => promise.then((value) => value, () => null);

async function load() {
  const token = ++state.loadToken;
  const id = state.residentId;
  syncClock();
  const [resident, today, hr, open, past] = await Promise.all([
    settle(api(`/residents/${id}`)),
    settle(api(`/residents/${id}/today`)),
    settle(api(`/residents/${id}/history`, { query: { metric: "heart_rate" } })),
    settle(api("/alerts", { query: { resident: id, state: "open", limit: 50 } })),
    // Her newest closed cases, by when each happened (not by the station's need order).
    settle(api("/alerts", { query: { resident: id, state: "resolved", order: "newest", limit: PAST_SHOWN } })),
  ]);
  if (token !== state.loadToken) return;
  // One entry an alert, should it close between the two answers.
  const alerts = open && past ? [...new Map([...open, ...past].map((a) => [a.id, a])).values()] : null;
  Object.assign(state, { resident, today, hr, alerts: alerts ?? state.alerts });
  if (state.station === undefined) loadStation(id);
  loadSummary(id);
  for (const alertId of state.expanded) loadDetail(alertId);
  render();
  renderUpdated();
}

/** "更新于 14:22（家中时间 UTC+8）": the home's time, from the hub, labelled. */
function renderUpdated() {
  const at = state.today?.now;
  const el = $("#updated");
  if (!at) return (el.textContent = "");
  const zone = t(clockIsSimulated() ? "family.zone_simulated" : "family.zone", { offset: zoneLabel(at) });
  el.textContent = t("family.updated_at", { time: hhmm(at), zone });
}

async function loadStation(residentId) {
  state.station = null; // asked once per resident
  try {
    state.station = await api(`/residents/${residentId}/station`);
  } catch {
    state.station = null; // shown without the button: the page still works
  }
  renderCall();
}

async function loadDetail(alertId) {
  try {
    state.details.set(alertId, await api(`/alerts/${alertId}`));
  } catch {
    state.details.delete(alertId);
  }
  render();
}

function toggle(alertId) {
  if (state.expanded.has(alertId)) state.expanded.delete(alertId);
  else {
    state.expanded.add(alertId);
    loadDetail(alertId);
  }
  render();
}

function openAlerts() {
  return state.alerts
    .filter((a) => !a.resolved)
    .sort(byNeed);
}

/** Her closed cases, newest first by when each happened (one closed while the page is
 * open joins them from the live feed, in its place). */
function pastAlerts() {
  const began = (a) => Date.parse(a.started || a.raised_at) || 0;
  return state.alerts
    .filter((a) => a.resolved)
    .sort((a, b) => began(b) - began(a) || b.id - a.id)
    .slice(0, PAST_SHOWN);
}

function handledText(alert) {
  if (!alert.acknowledged) return t("family.waiting");
  const parts = [t("family.acked_by", { who: inline(alert.acknowledged_by) })];
  if (alert.assignee) parts.push(t("family.assignee", { who: alert.assignee }));
  return parts.join(t("ev.sep"));
}

/** Until when her absence is announced, when one announced over the alert ended it (the
 * hub's ``ended_by_absence``); "" otherwise. Ended so, she is away: not back, not better. */
function awayEnded(alert) {
  if (alert.active) return "";
  return awayUntilText(alert.evidence?.ended_by_absence);
}

/** The kind in a family's words: a cleared night wandering is no longer "未归". */
function familyKind(alert) {
  if (alert.active) return kindName(alert.kind);
  const until = awayEnded(alert);
  if (until) return t("family.kind_away", { kind: kindName(alert.kind), until });
  const cleared = named("fkind_cleared", alert.kind);
  return cleared === alert.kind ? kindName(alert.kind) : cleared;
}

/** Where things stand, in a family's words. A call for help that stopped ringing is not
 * "better": only the station can say so. */
function familyState(alert) {
  const state = alert.kind === "sos" && alert.state.startsWith("cleared_") ? alert.state.replace("cleared_", "active_") : alert.state;
  if (state.startsWith("cleared_") && awayEnded(alert)) {
    return t(alert.acknowledged ? "fstate.away_acknowledged" : "fstate.away_unacknowledged");
  }
  return named("fstate", state);
}

/** An alert's story for the family: what happened and who did what (GET /alerts/{id}). */
function storyOf(alert) {
  if (!state.expanded.has(alert.id)) return null;
  const detail = state.details.get(alert.id);
  const changes = (detail?.history ?? []).filter((c) => !["no_channel", "channel_failing", "escalated"].includes(c.action));
  return h("div", { class: "fa-story", "data-testid": "family-alert-detail" },
    // What another device saw of it (her band's impact, once the bathroom radar's fall
    // updated the alert): the item above shows the newest device's evidence only.
    earlierEvidenceLines(detail).map((line) => h("p", { class: "fa-evidence", "data-testid": "family-earlier-evidence" }, line.text)),
    h("h3", { class: "fa-story-title" }, t("family.history_title")),
    detail
      ? h("ol", { class: "fa-history", "data-testid": "family-alert-history" },
          changes.map((c) => h("li", {}, h("time", { datetime: c.at ?? "" }, when(c.at)), " ", historyText(c, alert.kind))))
      : h("p", { class: "muted" }, t("common.loading")));
}

function render() {
  const name = state.resident?.name ?? state.residents.find((r) => r.id === state.residentId)?.name ?? "";
  $("#question").textContent = t("family.question", { name });
  document.title = `${t("family.question", { name })} · ${t("app.name")}`;

  const open = openAlerts();
  const banner = $("#status");
  if (!open.length) {
    // "Fine" only with evidence of her (hub/wellbeing.py); otherwise what is known.
    const [status, words] = familyBanner(state.resident?.wellbeing, name);
    banner.dataset.status = status;
    banner.textContent = words;
  } else {
    banner.dataset.status = `alert-${open[0].severity}`;
    const waiting = open.some((a) => !a.acknowledged);
    // "Better" only where what ended it shows she is better (her heart rate back in range,
    // home again): an SOS not pressed again, or a fall after which a door opened, is not.
    const allCleared = open.every((a) => !a.active && !UNSURE_WHEN_CLEARED.has(a.kind));
    // Ended by her announced absence is not "better": she is away, as announced.
    const away = open.filter((a) => awayEnded(a)).length;
    banner.textContent = waiting
      ? t("family.status_waiting")
      : allCleared && away === open.length
        ? t("family.status_away_alert")
        : allCleared && !away
          ? t("family.status_cleared")
          : t("family.status_handled");
  }

  replace($("#today"), state.today ? factTiles(state.today) : h("p", { class: "empty" }, t("common.not_available")));

  const hours = (state.hr?.hours ?? []).filter((x) => typeof x.mean === "number");
  replace($("#trend"),
    hours.length
      ? vitalsChart(state.hr.hours, state.hr.start, state.hr.end, {
          compact: true,
          width: 340,
          height: 120,
          normal: [45, 120],
          cls: "chart-hr",
          label: t("vitals.summary", {
            name: t("vitals.heart_rate"),
            min: numberText(Math.min(...hours.map((x) => x.min ?? x.mean))),
            max: numberText(Math.max(...hours.map((x) => x.max ?? x.mean))),
          }),
        })
      : h("p", { class: "empty" }, t("common.not_available")));

  replace($("#open-alerts"),
    open.length ? open.map(openItem) : h("li", { class: "empty" }, t("family.no_open")));
  const past = pastAlerts();
  replace($("#past-alerts"),
    past.length ? past.map(pastItem) : h("li", { class: "empty" }, t("family.no_history")));
  renderNotify();
  renderCall();
}

/** The head of an alert: a button that opens its story (thumb-sized). */
function itemHead(alert, ...parts) {
  return h("button", {
    type: "button",
    class: "fa-head",
    "aria-expanded": String(state.expanded.has(alert.id)),
    "data-testid": "family-alert-open",
    onclick: () => toggle(alert.id),
  }, ...parts);
}

function openItem(alert) {
  const started = alert.started || alert.raised_at;
  const evidence = evidenceLine(alert);
  return h("li", {
    class: `family-alert sev-${alert.severity}`,
    "data-testid": "family-alert",
    "data-alert-id": alert.id,
    "data-kind": alert.kind,
    "data-state": alert.state,
  },
    itemHead(alert,
      h("span", { class: "sev-badge" }, severityName(alert.severity)),
      h("span", { class: "fa-kind", "data-testid": "family-alert-kind" }, familyKind(alert)),
      h("span", { class: "fa-time" }, when(started), " · ", h("span", { "data-ago": started }, ago(started)))),
    evidence ? h("p", { class: "fa-evidence" }, evidence) : null,
    h("p", { class: `fa-handled${alert.acknowledged ? "" : " waiting"}` },
      h("span", { class: `state-pill st-${alert.state}`, "data-testid": "alert-state" }, familyState(alert)),
      alert.acknowledged ? h("span", { "data-testid": "handled-by" }, handledText(alert)) : null),
    storyOf(alert));
}

function pastItem(alert) {
  // Closed: who handled it, not "is handling it".
  const who = alert.resolved_by || alert.acknowledged_by;
  return h("li", {
    class: `family-alert sev-${alert.severity}`,
    "data-testid": "family-alert",
    "data-alert-id": alert.id,
    "data-kind": alert.kind,
    "data-state": alert.state,
    "data-started": alert.started || alert.raised_at,
  },
    itemHead(alert,
      h("span", { class: "sev-dot" }),
      h("span", { class: "fa-kind", "data-testid": "family-alert-kind" }, familyKind(alert)),
      h("span", { class: "fa-time" }, when(alert.started || alert.raised_at))),
    h("p", { class: "fa-outcome" },
      t("family.outcome", { outcome: outcomeName(alert.outcome) }),
      who && who !== "hub" ? h("span", { "data-testid": "handled-by" }, ` · ${t("family.closed_by", { who: inline(who) })}`) : null),
    storyOf(alert));
}

function renderCall() {
  const link = $("#call-station");
  const phone = state.station?.phone ?? "";
  link.hidden = !phone;
  if (phone) {
    link.href = `tel:${phone.replace(/[^\d+]/g, "")}`;
    link.textContent = t("family.call_station", { phone });
    link.title = t("family.station", { name: state.station.name });
  }
}

// -- notifications -------------------------------------------------------------------------

function renderNotify() {
  const button = $("#notify");
  const line = $("#notify-state");
  if (!("Notification" in globalThis)) {
    button.hidden = true;
    line.textContent = t("family.notify_unsupported");
    return;
  }
  const permission = Notification.permission;
  button.hidden = permission !== "default";
  const granted = state.push === "on" ? t("family.notify_push_on") : t("family.notify_on");
  line.textContent = permission === "granted" ? granted : permission === "denied" ? t("family.notify_denied") : "";
  line.dataset.permission = permission;
  line.dataset.push = state.push ?? "off";
}

async function askNotify() {
  try {
    await Notification.requestPermission();
    await subscribePush();
  } finally {
    renderNotify();
  }
}

// Web Push: the hub pushes this user's alerts to this browser while the app is closed. The
// browser's push service may be out of reach (no network to it, a browser without one):
// then notifications come only while the app is open, and the line under the button says so.
async function subscribePush() {
  if (!("Notification" in globalThis) || Notification.permission !== "granted") return;
  try {
    const registration = await navigator.serviceWorker?.getRegistration("/family");
    if (!registration?.pushManager) throw new Error("no push manager");
    let subscription = await registration.pushManager.getSubscription();
    if (!subscription) {
      const { public_key: key } = await api("/push/key");
      subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    }
    await api("/push/subscriptions", { method: "POST", body: subscription.toJSON() });
    state.push = "on";
  } catch {
    state.push = "unavailable";
  }
}

// Logging out of a shared phone: the next user must not get this user's alerts.
async function unsubscribePush() {
  const registration = await navigator.serviceWorker?.getRegistration("/family");
  const subscription = await registration?.pushManager?.getSubscription();
  if (!subscription) return;
  await api("/push/subscriptions", { method: "DELETE", body: { endpoint: subscription.endpoint } });
  await subscription.unsubscribe();
}

async function notify(alert, change) {
  if (!NOTIFY_CHANGES.has(change) || !("Notification" in globalThis) || Notification.permission !== "granted") return;
  const vars = {
    severity: severityName(alert.severity),
    name: alert.resident_name,
    kind: familyKind(alert),
    change: named("change", change),
  };
  const title = change === "raised" ? t("notif.title", vars) : t("notif.title_change", vars);
  let body = evidenceLine(alert);
  if (change === "resolved") body = t("family.outcome", { outcome: outcomeName(alert.outcome) });
  else body = [body, handledText(alert)].filter(Boolean).join("\n");
  const options = {
    body,
    tag: `alert-${alert.id}`,
    renotify: true,
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: { url: "/family" },
  };
  state.notified += 1;
  document.body.dataset.notified = String(state.notified);
  try {
    const registration = await navigator.serviceWorker?.getRegistration("/family");
    if (registration) return await registration.showNotification(title, options);
  } catch {
    // fall back to a page notification below
  }
  try {
    new Notification(title, options);
  } catch {
    // Android Chrome allows only service worker notifications; nothing more to do
  }
}

// -- live ----------------------------------------------------------------------------------

let reloadTimer = null;
function scheduleLoad(delay = 800) {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(load, delay);
}

function onFrame(frame) {
  if (onOrderFrame(frame)) return; // an order of hers: the services card, nothing else
  if (onVisitFrame(frame)) return scheduleLoad(); // a visit to her: the card, and today
  if (onAwayFrame(frame)) return scheduleLoad(0); // her absences: the card, and the banner
  if (frame.type === "alert") {
    const { alert, change } = frame.data ?? {};
    if (!alert || alert.resident !== state.residentId) return;
    const index = state.alerts.findIndex((a) => a.id === alert.id);
    if (index >= 0) state.alerts[index] = alert;
    else state.alerts.unshift(alert);
    if (state.expanded.has(alert.id)) loadDetail(alert.id);
    render();
    notify(alert, change);
    scheduleLoad();
  } else if (frame.resident === state.residentId) {
    scheduleLoad();
  }
}

function setConnection(status) {
  const el = $("#conn");
  el.dataset.status = status;
  el.textContent = named("conn", status);
}

function follow(residentId) {
  state.residentId = residentId;
  state.alerts = [];
  state.station = undefined;
  state.expanded.clear();
  state.details.clear();
  try {
    localStorage.setItem(PICK_KEY, residentId);
  } catch {
    // not remembered
  }
  state.feed?.stop();
  const zone = state.residents.find((r) => r.id === residentId)?.timezone ?? null;
  const reload = () => {
    load();
    followOrders(residentId);
    followVisits(residentId);
    followAway(residentId, () => scheduleLoad(0), zone);
  };
  state.feed = new LiveFeed({ params: { resident: residentId }, onOpen: reload, onFrame, onStatus: setConnection });
  reload();
  state.feed.start();
}

async function main() {
  state.user = await startPage();
  const all = await api("/residents");
  const mine = state.user?.residents?.length ? state.user.residents : all.map((r) => r.id);
  state.residents = mine.map((id) => all.find((r) => r.id === id) ?? { id, name: id });
  if (!state.residents.length) {
    $("#status").dataset.status = "none";
    $("#status").textContent = t("family.no_resident");
    return;
  }
  const picker = $("#resident-select");
  picker.hidden = false;
  $("#picker").hidden = state.residents.length < 2;
  replace(picker, state.residents.map((r) => h("option", { value: r.id }, r.name)));
  let saved = null;
  try {
    saved = localStorage.getItem(PICK_KEY);
  } catch {
    // first resident
  }
  const first = state.residents.some((r) => r.id === saved) ? saved : state.residents[0].id;
  picker.value = first;
  picker.addEventListener("change", () => follow(picker.value));

  $("#notify").addEventListener("click", askNotify);
  onLogout(unsubscribePush);
  onLangChange(() => {
    setConnection($("#conn").dataset.status);
    render();
    renderSummary();
    renderUpdated();
    renderOrders({ form: true });
    renderVisits();
    renderAway({ form: true });
  });
  await syncClock();
  const tick = () => {
    for (const el of document.querySelectorAll("[data-ago]")) if (el.dataset.ago) el.textContent = ago(el.dataset.ago);
    setTimeout(tick, tickMs());
  };
  setTimeout(tick, tickMs());
  setInterval(() => scheduleLoad(0), 5 * 60000); // today's facts move without alerts too
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") scheduleLoad(0);
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register("/family/sw.js", { scope: "/family" })
      .then(() => navigator.serviceWorker.ready)
      .then(subscribePush) // renewed at each start: the hub may have forgotten a stale one
      .then(renderNotify)
      .catch(() => {});
  }
  follow(first);
}

main().catch((error) => {
  if (error?.status !== 401) {
    console.error(error);
    $("#status").dataset.status = "error";
    $("#status").textContent = t("common.load_failed");
  }
});
