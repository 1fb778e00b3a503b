// The family app: "Is Mum OK today?" on a phone. Today's facts, her heart rate, open
// alerts and who is handling them, past alerts; live over /ws, with browser notifications.

import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { vitalsChart } from "./chart.js";
import { ago, evidenceText, kindName, ms, numberText, outcomeName, severityName, severityRank, stateName, when } from "./format.js";
import { inline, named, onLangChange, t } from "./i18n.js";
import { LiveFeed } from "./live.js";
import { factTiles } from "./resident.js";
import { startPage } from "./shell.js";

const PICK_KEY = "eldercare.family.resident";
// Which changes are worth a notification on the phone: not every update or reminder.
const NOTIFY_CHANGES = new Set(["raised", "acknowledged", "assigned", "cleared", "resolved"]);

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
};

// A part that fails (or a 401, already on its way to the log-in page) shows as missing.
const settle = (promise) => promise.then((value) => value, () => null);

async function load() {
  const token = ++state.loadToken;
  const id = state.residentId;
  const [resident, today, hr, alerts] = await Promise.all([
    settle(api(`/residents/${id}`)),
    settle(api(`/residents/${id}/today`)),
    settle(api(`/residents/${id}/history`, { query: { metric: "heart_rate" } })),
    settle(api("/alerts", { query: { resident: id, state: "all", limit: 50 } })),
  ]);
  if (token !== state.loadToken) return;
  Object.assign(state, { resident, today, hr, alerts: alerts ?? state.alerts });
  if (resident?.station && !state.stationPhone) loadStation(resident.station);
  render();
  $("#updated").textContent = t("family.updated_at", { time: new Date().toTimeString().slice(0, 5) });
  $("#updated").dataset.at = String(Date.now());
}

async function loadStation(stationId) {
  try {
    const station = await api(`/stations/${stationId}`);
    state.stationPhone = station.phone || "";
  } catch {
    state.stationPhone = ""; // not every account may read the station
  }
  renderCall();
}

function openAlerts() {
  return state.alerts
    .filter((a) => !a.resolved)
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || ms(b.raised_at) - ms(a.raised_at));
}

function handledText(alert) {
  if (!alert.acknowledged) return t("family.waiting");
  const parts = [t("family.acked_by", { who: inline(alert.acknowledged_by) })];
  if (alert.assignee) parts.push(t("family.assignee", { who: alert.assignee }));
  return parts.join(t("ev.sep"));
}

function render() {
  const name = state.resident?.name ?? state.residents.find((r) => r.id === state.residentId)?.name ?? "";
  $("#question").textContent = t("family.question", { name });
  document.title = `${t("family.question", { name })} · ${t("app.name")}`;

  const open = openAlerts();
  const banner = $("#status");
  if (!open.length) {
    banner.dataset.status = "fine";
    banner.textContent = t("family.status_fine");
  } else {
    banner.dataset.status = `alert-${open[0].severity}`;
    const waiting = open.some((a) => !a.acknowledged);
    const allCleared = open.every((a) => !a.active);
    banner.textContent = waiting ? t("family.status_waiting") : allCleared ? t("family.status_cleared") : t("family.status_handled");
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
  const past = state.alerts.filter((a) => a.resolved).slice(0, 20);
  replace($("#past-alerts"),
    past.length ? past.map(pastItem) : h("li", { class: "empty" }, t("family.no_history")));
  renderNotify();
  renderCall();
}

function openItem(alert) {
  const started = alert.started || alert.raised_at;
  return h("li", {
    class: `family-alert sev-${alert.severity}`,
    "data-testid": "family-alert",
    "data-alert-id": alert.id,
    "data-kind": alert.kind,
    "data-state": alert.state,
  },
    h("div", { class: "fa-head" },
      h("span", { class: "sev-badge" }, severityName(alert.severity)),
      h("span", { class: "fa-kind" }, kindName(alert.kind)),
      h("span", { class: "fa-time" }, when(started), " · ", h("span", { "data-ago": started }, ago(started)))),
    h("p", { class: "fa-evidence" }, evidenceText(alert)),
    h("p", { class: `fa-handled${alert.acknowledged ? "" : " waiting"}` },
      h("span", { class: `state-pill st-${alert.state}`, "data-testid": "alert-state" }, stateName(alert.state)),
      h("span", { "data-testid": "handled-by" }, handledText(alert))));
}

function pastItem(alert) {
  return h("li", {
    class: `family-alert sev-${alert.severity}`,
    "data-testid": "family-alert",
    "data-alert-id": alert.id,
    "data-kind": alert.kind,
    "data-state": alert.state,
  },
    h("div", { class: "fa-head" },
      h("span", { class: "sev-dot" }),
      h("span", { class: "fa-kind" }, kindName(alert.kind)),
      h("span", { class: "fa-time" }, when(alert.started || alert.raised_at))),
    h("p", { class: "fa-outcome" },
      t("family.outcome", { outcome: outcomeName(alert.outcome) }),
      alert.acknowledged_by ? h("span", { "data-testid": "handled-by" }, ` · ${t("family.acked_by", { who: inline(alert.acknowledged_by) })}`) : null));
}

function renderCall() {
  const link = $("#call-station");
  link.hidden = !state.stationPhone;
  if (state.stationPhone) {
    link.href = `tel:${state.stationPhone.replace(/[^\d+]/g, "")}`;
    link.textContent = t("family.call_station", { phone: state.stationPhone });
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
  line.textContent = permission === "granted" ? t("family.notify_on") : permission === "denied" ? t("family.notify_denied") : "";
  line.dataset.permission = permission;
}

async function askNotify() {
  try {
    await Notification.requestPermission();
  } finally {
    renderNotify();
  }
}

async function notify(alert, change) {
  if (!NOTIFY_CHANGES.has(change) || !("Notification" in globalThis) || Notification.permission !== "granted") return;
  const vars = {
    severity: severityName(alert.severity),
    name: alert.resident_name,
    kind: kindName(alert.kind),
    change: named("change", change),
  };
  const title = change === "raised" ? t("notif.title", vars) : t("notif.title_change", vars);
  let body = evidenceText(alert);
  if (change === "resolved") body = t("family.outcome", { outcome: outcomeName(alert.outcome) });
  else if (alert.acknowledged) body += `\n${handledText(alert)}`;
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
  if (frame.type === "alert") {
    const { alert, change } = frame.data ?? {};
    if (!alert || alert.resident !== state.residentId) return;
    const index = state.alerts.findIndex((a) => a.id === alert.id);
    if (index >= 0) state.alerts[index] = alert;
    else state.alerts.unshift(alert);
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
  state.stationPhone = undefined;
  try {
    localStorage.setItem(PICK_KEY, residentId);
  } catch {
    // not remembered
  }
  state.feed?.stop();
  state.feed = new LiveFeed({ params: { resident: residentId }, onOpen: load, onFrame, onStatus: setConnection });
  load();
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
  onLangChange(() => {
    setConnection($("#conn").dataset.status);
    render();
    if ($("#updated").dataset.at) {
      const at = new Date(Number($("#updated").dataset.at));
      $("#updated").textContent = t("family.updated_at", { time: at.toTimeString().slice(0, 5) });
    }
  });
  setInterval(() => {
    for (const el of document.querySelectorAll("[data-ago]")) if (el.dataset.ago) el.textContent = ago(el.dataset.ago);
  }, 30000);
  setInterval(() => scheduleLoad(0), 5 * 60000); // today's facts move without alerts too
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") scheduleLoad(0);
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/family/sw.js", { scope: "/family" }).catch(() => {});
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
