// The dispatcher console: the station's live queue of open alerts, one alert's card with
// what to do about it, and an overview of every home of the station.

import { api, setActor } from "./api.js";
import { $, h, replace } from "./dom.js";
import {
  actorName,
  ago,
  byNeed,
  deviceName,
  earlierEvidenceLines,
  evidenceLine,
  factorText,
  historyText,
  hhmm,
  hhmmss,
  kindName,
  ms,
  now,
  outcomeName,
  severityName,
  severityRank,
  stateName,
  syncClock,
  tickMs,
  when,
} from "./format.js";
import { applyI18n, inline, named, onLangChange, t } from "./i18n.js";
import { explain } from "./problems.js";
import { LiveFeed } from "./live.js";
import { accelPanel, awayNextTag, awayTag, devicesPanel, residentPanel, sizeBatteries, todayPanel, vitalsPanel } from "./resident.js";
import { startPage, toast } from "./shell.js";
import { showUnacknowledged } from "./badge.js";
import { armAudio, beep } from "./sound.js";
import { wellbeingLines } from "./wellbeing.js";
import { onCareFrame, reloadCare, renderCare, startCare } from "./care_console.js";

const OUTCOMES = ["handled", "false_alarm", "hospital", "no_answer_visited", "visited", "other"];

const state = {
  soundOn: false, // the browser lets the console beep (sound.js)
  user: null,
  station: null,
  stationName: "",
  alerts: new Map(), // the open alerts of the station, by id
  loaded: false,
  residents: [],
  selectedAlert: null, // alert id
  selectedResident: null, // home id
  detail: null, // what the card shows, see loadDetail()
  detailToken: 0,
  tab: "queue",
  fresh: new Set(), // alert ids to highlight as just arrived
  health: null, // the hub's GET /health, polled
};

// -- queue ---------------------------------------------------------------------------------

/** What needs a person first (hub/queries.py's order, format.js byNeed): an unacknowledged
 * fall above an overdue visit, cleared or not; an active fall above a cleared one, which
 * stays in the queue until someone acknowledges it. */
function sortedAlerts() {
  return [...state.alerts.values()].sort(byNeed);
}

function renderQueue() {
  const list = $("#queue");
  const alerts = sortedAlerts();
  const focused = document.activeElement?.closest?.("#queue") ? document.activeElement.dataset.alertId : null;
  replace(
    list,
    alerts.map((alert) =>
      h("li", {},
        h("button", {
          type: "button",
          class: `alert-item sev-${alert.severity}${alert.id === state.selectedAlert ? " selected" : ""}${state.fresh.has(alert.id) ? " fresh" : ""}${alert.active ? "" : " cleared"}`,
          "data-testid": "alert-item",
          "data-alert-id": alert.id,
          "data-kind": alert.kind,
          "data-severity": alert.severity,
          "data-state": alert.state,
          "aria-pressed": alert.id === state.selectedAlert ? "true" : "false",
          // A click from the keyboard (Enter, Space) has no mouse detail: the card takes the
          // focus, so that the next Tab is its 受理 button.
          onclick: (event) => selectAlert(alert.id, { focusCard: event.detail === 0 }),
        },
          h("span", { class: "item-row" },
            h("span", { class: "item-name" }, alert.resident_name),
            h("span", { class: `state-pill st-${alert.state}`, "data-testid": "alert-state" }, stateName(alert.state, alert))),
          h("span", { class: "item-row" },
            h("span", { class: "sev-badge" }, severityName(alert.severity)),
            h("span", { class: "item-kind" }, kindName(alert.kind)),
            h("span", { class: "item-age", "data-ago": alert.started || alert.raised_at }, ago(alert.started || alert.raised_at))),
        ))),
  );
  if (focused) $(`[data-alert-id="${focused}"]`, list)?.focus(); // a redraw keeps the focus
  $("#queue-empty").hidden = !state.loaded || alerts.length > 0;
  $("#queue-count").textContent = alerts.length ? String(alerts.length) : "";
  // Unacknowledged, cleared or not: each still waits for a human (the queue's first rows).
  const waiting = alerts.filter((a) => !a.acknowledged).length;
  document.body.dataset.unacknowledged = String(waiting);
  showUnacknowledged(waiting, `${t("console.title")} · ${state.stationName || state.station || ""}`);
  renderSound();
}

// While the browser blocks the sound (after every reload, until a click or a key), a control
// says so; with an alert waiting it turns red and pulses, as the beep could not be heard.
function renderSound() {
  const control = $("#sound-hint");
  const on = state.soundOn;
  control.dataset.sound = on ? "on" : "blocked";
  control.dataset.i18n = on ? "console.sound_on" : "console.sound_hint";
  control.textContent = t(control.dataset.i18n);
  control.disabled = on;
  control.classList.toggle("on", on);
  control.classList.toggle("urgent", !on && document.body.dataset.unacknowledged !== "0");
}

// Alerts that came over the live feed while a reload was in flight: the snapshot may have
// been taken before them, so they are applied again on top of it, in the order they came.
let arrivedDuringReload = null;

async function reloadQueue() {
  const arrived = [];
  arrivedDuringReload = arrived;
  let alerts;
  try {
    alerts = await api("/alerts", { query: { station: state.station, state: "open", limit: 1000 } });
  } finally {
    if (arrivedDuringReload === arrived) arrivedDuringReload = null;
  }
  state.alerts = new Map(alerts.map((a) => [a.id, a]));
  arrived.forEach(keepAlert);
  state.loaded = true;
  renderQueue();
  renderOverview();
}

function keepAlert(alert) {
  if (alert.resolved) state.alerts.delete(alert.id);
  else state.alerts.set(alert.id, alert);
}

function onFrame(frame) {
  onCareFrame(frame); // orders and overdue visits: the care tab
  if (frame.type === "alert") {
    const { alert, change } = frame.data ?? {};
    if (!alert || alert.station !== state.station) return;
    const known = state.alerts.has(alert.id);
    keepAlert(alert);
    arrivedDuringReload?.push(alert);
    if (change === "raised" && !known && !alert.resolved) {
      state.fresh.add(alert.id);
      setTimeout(() => {
        state.fresh.delete(alert.id);
        renderQueue();
      }, 8000);
      beep(alert.severity === "critical");
      toast(t("console.new_alert", { name: alert.resident_name, kind: kindName(alert.kind) }), alert.severity);
    }
    renderQueue();
    scheduleOverview();
    if (state.detail?.alert?.id === alert.id) refreshAlert();
    if (state.selectedResident === alert.resident) scheduleSide();
  } else if (frame.type === "home" || frame.type === "device" || frame.type === "away") {
    scheduleOverview();
    if (state.selectedResident && state.selectedResident === frame.resident) scheduleSide();
  }
}

// -- the card ------------------------------------------------------------------------------

/** Whether this account takes the station's actions (acknowledge, assign, comment, resolve,
 * reopen; the care tab's visits and orders): the API says so (GET /auth/me
 * `acts_on_alerts`, hub/accounts.py Scope.acts_on_alerts) and refuses them otherwise. A
 * district or city account reads the queue: it is offered nothing it would be refused. */
function mayAct() {
  return !state.user || state.user.acts_on_alerts === true;
}

function selectAlert(id, { focusCard = false } = {}) {
  const alert = state.alerts.get(id);
  state.selectedAlert = id;
  state.selectedResident = alert?.resident ?? null;
  history.replaceState(null, "", `#alert-${id}`);
  renderQueue();
  loadDetail({ focusCard });
}

// -- keyboard: the queue as alarm-centre software has it ------------------------------------
// J / ↓ next alert, K / ↑ previous, A acknowledges the open card, Enter on an item opens it.

function moveSelection(step) {
  const alerts = sortedAlerts();
  if (!alerts.length) return;
  const at = alerts.findIndex((a) => a.id === state.selectedAlert);
  const next = alerts[at < 0 ? 0 : Math.min(alerts.length - 1, Math.max(0, at + step))];
  selectAlert(next.id);
  $(`#queue [data-alert-id="${next.id}"]`)?.focus();
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (event.target.closest?.("input, select, textarea, [contenteditable]")) return;
  if (state.tab !== "queue") return;
  const key = event.key.toLowerCase();
  if (key === "j" || key === "arrowdown") moveSelection(1);
  else if (key === "k" || key === "arrowup") moveSelection(-1);
  else if (key === "a") {
    const ack = $("[data-testid=ack-button]");
    if (ack && !ack.disabled && !$("#card-actions")?.hidden) ack.click();
  } else return;
  event.preventDefault();
}

function selectResident(residentId) {
  const open = sortedAlerts().find((a) => a.resident === residentId);
  showTab("queue");
  if (open) return selectAlert(open.id);
  state.selectedAlert = null;
  state.selectedResident = residentId;
  history.replaceState(null, "", `#resident-${residentId}`);
  renderQueue();
  loadDetail();
}

const settle = (promise) => promise.then((value) => value, (error) => (error.status === 404 ? undefined : null));

// A fall's accelerometer window never changes: fetched once per alert, not on every update.
// Only an alert that has one (has_window) asks: a radar's fall makes no request, no 404. A
// failed fetch (null) is tried again later.
const accelWindows = new Map(); // alert id -> promise of GET /alerts/{id}/window
function accelWindow(alert) {
  if (alert?.kind !== "fall" || !alert.has_window) return Promise.resolve(undefined);
  if (!accelWindows.has(alert.id)) {
    const promise = settle(api(`/alerts/${alert.id}/window`));
    accelWindows.set(alert.id, promise);
    promise.then((value) => value === null && accelWindows.delete(alert.id));
  }
  return accelWindows.get(alert.id);
}

async function loadDetail({ focusCard = false } = {}) {
  const token = ++state.detailToken;
  const alertId = state.selectedAlert;
  let alert = null;
  if (alertId !== null) {
    // An id that is no alert (#alert-99999, #alert-x) or not this station's is a 404.
    alert = Number.isInteger(alertId) && alertId > 0 ? await settle(api(`/alerts/${alertId}`)) : undefined;
    if (token !== state.detailToken) return;
    if (alert === undefined) {
      state.detail = null;
      // Keyed, with its id, so that a switch of language rewords it as any other text.
      const vars = { id: String(alertId) };
      return replace($("#detail"), h("p", { class: "empty", "data-testid": "alert-not-found", "data-i18n": "console.alert_not_found", "data-i18n-vars": JSON.stringify(vars) }, t("console.alert_not_found", vars)));
    }
    if (!alert) return replace($("#detail"), h("p", { class: "empty", "data-i18n": "common.load_failed" }, t("common.load_failed")));
    state.selectedResident = alert.resident;
  }
  const rid = state.selectedResident;
  buildCard(alert);
  state.detail = { alert, accel: undefined, resident: undefined, hr: undefined, spo2: undefined, today: undefined, devices: undefined, recent: undefined };
  fillAlert();
  if (focusCard) $("#card-alert")?.focus();
  const loads = {
    accel: accelWindow(alert),
    resident: api(`/residents/${rid}`),
    hr: api(`/residents/${rid}/history`, { query: { metric: "heart_rate" } }),
    spo2: api(`/residents/${rid}/history`, { query: { metric: "spo2" } }),
    today: api(`/residents/${rid}/today`),
    devices: api(`/homes/${rid}/devices`),
    recent: alert ? Promise.resolve(null) : api("/alerts", { query: { resident: rid, state: "all", limit: 8 } }),
  };
  await Promise.all(
    Object.entries(loads).map(async ([key, promise]) => {
      const value = await settle(promise);
      if (token !== state.detailToken) return;
      state.detail[key] = value ?? null;
      fillSide(key);
    }),
  );
}

async function refreshAlert() {
  const id = state.detail?.alert?.id;
  if (id === undefined) return;
  const token = state.detailToken;
  const alert = await settle(api(`/alerts/${id}`));
  if (alert && token === state.detailToken) {
    state.detail.alert = alert;
    fillAlert();
  }
}

let sideTimer = null;
function scheduleSide() {
  clearTimeout(sideTimer);
  sideTimer = setTimeout(async () => {
    const rid = state.selectedResident;
    const token = state.detailToken;
    if (!rid || !state.detail) return;
    const [resident, today, devices] = await Promise.all([
      settle(api(`/residents/${rid}`)),
      settle(api(`/residents/${rid}/today`)),
      settle(api(`/homes/${rid}/devices`)),
    ]);
    if (token !== state.detailToken) return;
    Object.assign(state.detail, { resident: resident ?? null, today: today ?? null, devices: devices ?? null });
    for (const key of ["resident", "today", "devices"]) fillSide(key);
  }, 1500);
}

/** The card's frame: panels filled by fillAlert() and fillSide(); the action form stays. */
function buildCard(alert) {
  const main = h("div", { class: "detail-col detail-main" });
  if (alert) {
    main.append(
      h("article", { class: `panel alert-panel sev-${alert.severity}`, id: "card-alert", "data-alert-id": alert.id, tabindex: "-1" },
        h("div", { id: "card-head" }),
        h("div", { id: "card-accel" }),
        h("div", { id: "card-handled" }),
        mayAct() ? actionForm(alert) : h("p", { class: "muted small read-only", "data-testid": "read-only", "data-i18n": "card.read_only" }, t("card.read_only"))),
    );
  } else {
    main.append(h("article", { class: "panel", id: "card-recent" }));
  }
  main.append(h("section", { class: "panel", id: "card-resident" }, h("p", { class: "muted" }, t("common.loading"))));
  if (alert) main.append(h("section", { class: "panel", id: "card-history" }));
  const side = h("div", { class: "detail-col detail-side" },
    h("section", { class: "panel", id: "card-vitals" }, h("p", { class: "muted" }, t("common.loading"))),
    h("section", { class: "panel", id: "card-today" }),
    h("section", { class: "panel", id: "card-devices" }));
  replace($("#detail"), main, side);
  $("#detail").dataset.alertId = alert ? alert.id : "";
  $("#detail").scrollTop = 0;
}

function actionForm(alert) {
  const byEnter = (button) => (event) => {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      button.click();
    }
  };
  const ackButton = h("button", { type: "button", class: "btn btn-primary btn-ack", "data-testid": "ack-button", "data-i18n": "btn.ack" }, t("btn.ack"));
  const assignInput = h("input", { type: "text", maxlength: 100, "data-testid": "assign-input", "data-i18n-placeholder": "ph.assign", placeholder: t("ph.assign"), "aria-label": t("ph.assign") });
  const assignButton = h("button", { type: "button", class: "btn", "data-testid": "assign-button", "data-i18n": "btn.assign" }, t("btn.assign"));
  const commentInput = h("input", { type: "text", maxlength: 2000, "data-testid": "comment-input", "data-i18n-placeholder": "ph.comment", placeholder: t("ph.comment"), "aria-label": t("ph.comment") });
  const commentButton = h("button", { type: "button", class: "btn", "data-testid": "comment-button", "data-i18n": "btn.comment" }, t("btn.comment"));
  // No outcome is preselected: closing a case is a decision, said explicitly.
  const outcomeSelect = h("select", { "data-testid": "outcome-select", "aria-label": t("label.outcome"), "data-i18n-aria-label": "label.outcome", required: true },
    h("option", { value: "", disabled: true, selected: true, "data-i18n": "label.choose_outcome" }, t("label.choose_outcome")),
    OUTCOMES.map((o) => h("option", { value: o, "data-i18n": `outcome.${o}` }, outcomeName(o))));
  const noteInput = h("input", { type: "text", maxlength: 2000, "data-testid": "resolve-note", "data-i18n-placeholder": "ph.note", placeholder: t("ph.note"), "aria-label": t("ph.note") });
  const resolveButton = h("button", { type: "button", class: "btn btn-resolve", "data-testid": "resolve-button", "data-i18n": "btn.resolve" }, t("btn.resolve"));

  ackButton.addEventListener("click", () => act(ackButton, "acknowledge"));
  assignButton.addEventListener("click", async () => {
    const assignee = assignInput.value.trim();
    if (!assignee) return toast(t("msg.need_assignee"), "warning"), assignInput.focus();
    if (await act(assignButton, "assign", { assignee })) assignInput.value = "";
  });
  commentButton.addEventListener("click", async () => {
    const text = commentInput.value.trim();
    if (!text) return toast(t("msg.need_comment"), "warning"), commentInput.focus();
    if (await act(commentButton, "comment", { text })) commentInput.value = "";
  });
  resolveButton.addEventListener("click", async () => {
    if (!outcomeSelect.value) return toast(t("msg.need_outcome"), "warning"), outcomeSelect.focus();
    const note = noteInput.value.trim();
    const body = { outcome: outcomeSelect.value, ...(note ? { note } : {}) };
    if (await act(resolveButton, "resolve", body)) noteInput.value = "";
  });
  assignInput.addEventListener("keydown", byEnter(assignButton));
  commentInput.addEventListener("keydown", byEnter(commentButton));
  noteInput.addEventListener("keydown", byEnter(resolveButton));

  return h("div", { class: "actions", id: "card-actions", "data-testid": "actions" },
    h("div", { class: "action-row" }, ackButton),
    h("div", { class: "action-row" }, assignInput, assignButton),
    h("div", { class: "action-row" }, commentInput, commentButton),
    h("div", { class: "action-row resolve-row" },
      h("label", { class: "label", "data-i18n": "label.outcome" }, t("label.outcome")),
      outcomeSelect, noteInput, resolveButton));
}

async function act(button, action, body) {
  const alert = state.detail?.alert;
  if (!alert) return false;
  button.disabled = true;
  try {
    const updated = await api(`/alerts/${alert.id}/${action}`, { method: "POST", body });
    if (updated.resolved) state.alerts.delete(updated.id);
    else state.alerts.set(updated.id, updated);
    state.detail.alert = { ...state.detail.alert, ...updated };
    renderQueue();
    fillAlert();
    await refreshAlert();
    return true;
  } catch (error) {
    if (error.status !== 401) toast(t("msg.action_failed", { detail: explain(error) }), "error");
    await refreshAlert();
    return false;
  } finally {
    fillAlert();
  }
}

function handledText(alert) {
  const parts = [];
  if (alert.resolved) {
    parts.push(t("card.resolved_by", { who: inline(actorName(alert.resolved_by)), outcome: outcomeName(alert.outcome) }));
  }
  if (alert.acknowledged) parts.push(t("card.acked_by", { who: inline(alert.acknowledged_by) }));
  else if (!alert.resolved) parts.push(t("card.not_acked"));
  if (alert.assignee) parts.push(t("card.assignee", { who: alert.assignee }));
  return parts.join(t("ev.sep"));
}

function fillAlert() {
  const alert = state.detail?.alert;
  if (!alert || !$("#card-head")) return;
  const started = alert.started || alert.raised_at;
  $("#card-alert").className = `panel alert-panel sev-${alert.severity}`;
  replace($("#card-head"),
    h("div", { class: "card-title" },
      h("span", { class: "sev-badge" }, severityName(alert.severity)),
      h("h2", {}, h("span", { "data-testid": "card-resident" }, alert.resident_name), h("span", { class: "sep" }, " · "),
        h("span", { "data-testid": "card-kind" }, kindName(alert.kind))),
      h("span", { class: `state-pill st-${alert.state}`, "data-testid": "alert-state", "data-state": alert.state }, stateName(alert.state, alert))),
    h("p", { class: "evidence", "data-testid": "evidence" }, evidenceLine(alert)),
    // What another device saw of it before (the band's impact under the radar's fall).
    earlierEvidenceLines(alert).map((line) =>
      h("p", { class: "evidence evidence-earlier", "data-testid": "earlier-evidence", "data-device": line.device }, line.text)),
    h("p", { class: "meta" },
      h("span", {}, t("card.started", { time: when(started) })), " · ",
      h("span", { "data-ago": started }, ago(started)),
      deviceName(alert) ? [" · ", h("span", { "data-testid": "card-device" }, t("card.device", { device: deviceName(alert) }))] : null,
      alert.related?.length ? [" · ", h("span", {}, t("card.related", { kinds: alert.related.map(kindName).join(t("common.list_sep")) }))] : null),
  );
  replace($("#card-handled"),
    h("p", { class: "handled", "data-testid": "handled-by" }, handledText(alert)),
    deliveredLine(alert),
    reopenLine(alert),
    adaptedLine(alert));
  const open = !alert.resolved;
  const form = $("#card-actions");
  if (form) {
    form.hidden = !open;
    $("[data-testid=ack-button]", form).disabled = !open || alert.acknowledged;
    for (const el of form.querySelectorAll("input, select, button:not([data-testid=ack-button])")) {
      el.disabled = !open;
    }
  }
  const historyPanel = $("#card-history");
  if (historyPanel && alert.history) {
    replace(historyPanel,
      h("h3", { class: "panel-title" }, t("card.history")),
      alert.history.length
        ? h("ol", { class: "history", "data-testid": "history" },
            [...alert.history].reverse().map((c) =>
              h("li", { class: `hist hist-${c.action}` },
                h("time", { datetime: c.at ?? "" }, c.at ? `${when(c.at).replace(hhmm(c.at), hhmmss(c.at))}` : ""),
                h("span", { class: "hist-actor" }, actorName(c.actor)),
                h("span", { class: "hist-what" }, historyText(c, alert.kind)))))
        : h("p", { class: "empty small" }, t("card.no_history")));
  }
}

/** What was actually sent, per audience: "通知：服务站 已发送 2 · 家属 未配置通知渠道".
 * Not for an account that does not act on alerts (a district's): the hub does not tell it
 * what the station's staff were sent (GET /alerts/{id}), so it would read 未通知任何人
 * where the station was paged. */
function deliveredLine(alert) {
  const delivered = alert.delivered;
  if (!delivered || !mayAct()) return null;
  const parts = ["caregiver", "station", "head_nurse", "family"].filter((who) => delivered[who]).map((who) => {
    const d = delivered[who];
    const words = [];
    if (d.sent) words.push(t("delivered.sent", { n: d.sent }));
    if (d.failed) words.push(t("delivered.failed", { n: d.failed }));
    if (d.pending) words.push(t("delivered.pending", { n: d.pending }));
    if (d.no_channel && !d.sent) words.push(t("delivered.no_channel"));
    return h("span", { class: `delivered-part${d.no_channel || d.failed ? " problem" : ""}`, "data-audience": who },
      `${named("audience", who)} ${words.join(t("common.list_sep"))}`);
  });
  return h("p", { class: "delivered small", "data-testid": "delivered" },
    h("span", { class: "label" }, t("card.delivered")), " ",
    parts.length ? parts.flatMap((part, i) => (i ? [" · ", part] : [part])) : t("delivered.none"));
}

/** A resolved case can be reopened within a day (hub/alerts.py: reopen). */
function reopenLine(alert) {
  if (!mayAct() || !alert.resolved || !alert.reopen_until || ms(alert.reopen_until) <= now()) return null;
  const button = h("button", { type: "button", class: "btn btn-small", "data-testid": "reopen-button" }, t("btn.reopen"));
  button.addEventListener("click", () => act(button, "reopen"));
  return h("p", { class: "reopen small muted" }, button, " ", t("card.reopen_until", { time: when(alert.reopen_until) }));
}

// -- outcome feedback ------------------------------------------------------------------------
// A false alarm of a routine kind loosens that home's limit for the kind (hub/feedback.py):
// the card says so, and an admin can undo it there.

function adaptedLine(alert) {
  const change = (alert.history ?? []).findLast((c) => c.action === "adapted" || c.action === "not_adapted");
  if (!change) return null;
  const line = h("p", { class: "adapted", "data-testid": "adapted", "data-action": change.action }, historyText(change));
  if (change.action !== "adapted" || state.user?.role !== "admin") return line;
  const feedback = state.detail.feedback;
  if (feedback === undefined) loadFeedback(alert);
  if (!feedback) return line;
  const now = feedback.factors?.[change.detail.kind];
  line.append(" ", h("span", { class: "muted", "data-testid": "adapt-now" }, t("card.adapt_now", { factor: factorText(now) })));
  if (now === change.detail.to) {
    const undo = h("button", { type: "button", class: "btn btn-small", "data-testid": "undo-adapt", "data-i18n": "btn.undo_adapt" }, t("btn.undo_adapt"));
    undo.addEventListener("click", () => undoAdaptation(alert, change, undo));
    line.append(" ", undo);
  }
  return line;
}

async function loadFeedback(alert) {
  const detail = state.detail;
  detail.feedback = null; // asked once per card
  const feedback = await settle(api(`/homes/${alert.home}/feedback`));
  if (state.detail !== detail) return;
  detail.feedback = feedback ?? null;
  fillAlert();
}

async function undoAdaptation(alert, change, button) {
  const { kind, from } = change.detail;
  const detail = state.detail;
  button.disabled = true;
  try {
    const body = { factor: from, note: `undone from the console (alert ${alert.id})` };
    detail.feedback = await api(`/homes/${alert.home}/feedback/${kind}`, { method: "PUT", body });
    toast(t("msg.adapt_undone", { kind: kindName(kind), factor: factorText(from) }), "info");
  } catch (error) {
    if (error.status !== 401) toast(t("msg.action_failed", { detail: explain(error) }), "error");
    button.disabled = false;
  }
  if (state.detail === detail) fillAlert();
}

function fillSide(key) {
  const d = state.detail;
  if (!d) return;
  if (key === "accel" && $("#card-accel")) accelPanel($("#card-accel"), d.accel);
  if (key === "resident" && $("#card-resident")) residentPanel($("#card-resident"), d.resident);
  if ((key === "hr" || key === "spo2") && $("#card-vitals") && d.hr !== undefined && d.spo2 !== undefined) {
    vitalsPanel($("#card-vitals"), d.hr, d.spo2);
  }
  if (key === "today" && $("#card-today")) todayPanel($("#card-today"), d.today);
  if (key === "devices" && $("#card-devices")) {
    devicesPanel($("#card-devices"), d.devices);
    sizeBatteries($("#card-devices"));
  }
  if (key === "recent" && $("#card-recent")) fillRecent();
}

function fillRecent() {
  const recent = state.detail?.recent ?? [];
  replace($("#card-recent"),
    h("p", { class: "handled" }, t("card.no_open_alert")),
    recent.length ? h("h3", { class: "panel-title" }, t("card.recent_alerts")) : null,
    recent.length
      ? h("ul", { class: "recent" },
          recent.map((a) => h("li", { class: `recent-item sev-${a.severity}` },
            h("span", { class: "sev-dot" }), " ",
            h("span", {}, kindName(a.kind)), " ",
            h("span", { class: "muted" }, when(a.raised_at)), " ",
            h("span", { class: "muted" }, a.outcome ? outcomeName(a.outcome) : stateName(a.state, a)))))
      : null);
}

function renderDetailAgain() {
  if (!state.detail) return;
  applyI18n($("#detail"));
  fillAlert();
  for (const key of ["accel", "resident", "hr", "today", "devices", "recent"]) fillSide(key);
}

// -- overview ------------------------------------------------------------------------------

let overviewTimer = null;
function scheduleOverview() {
  clearTimeout(overviewTimer);
  overviewTimer = setTimeout(reloadOverview, 1000);
}

async function reloadOverview() {
  try {
    state.residents = await api("/residents", { query: { station: state.station } });
  } catch (error) {
    if (error.status !== 401) toast(t("common.load_failed"), "error");
    return;
  }
  renderOverview();
  renderChannels(); // names the families it warns about
}

// A tile is "fine" only with evidence of her (hub/wellbeing.py): activity today and every
// device reporting; otherwise it says what is known. Announced away, she is neither.
const WELLBEING_LEVEL = { in_hospital: "hospital", no_data: "nodata", offline: "offline", away: "away", quiet: "quiet" };

function residentStatus(resident) {
  const open = sortedAlerts().filter((a) => a.resident === resident.id);
  const lowBattery = resident.low_battery ?? [];
  const offline = resident.devices_offline ?? 0;
  const openCount = Math.max(open.length, resident.open_alerts ?? 0);
  const wellbeing = resident.wellbeing ?? { state: "no_data" };
  let level = "fine";
  if (openCount) level = open[0]?.severity ?? "major";
  else if (WELLBEING_LEVEL[wellbeing.state]) level = WELLBEING_LEVEL[wellbeing.state];
  else if (lowBattery.length) level = "battery";
  return { open, openCount, lowBattery, offline, level, wellbeing };
}

const LEVEL_RANK = { hospital: 5, nodata: 6, offline: 7, quiet: 8, battery: 9, away: 10, fine: 11 };

function renderOverview() {
  const grid = $("#overview");
  if (!grid) return;
  const residents = [...state.residents].sort((a, b) => {
    const sa = residentStatus(a);
    const sb = residentStatus(b);
    const rank = (s) => (s.openCount ? severityRank(s.level) : LEVEL_RANK[s.level] ?? 10);
    return rank(sa) - rank(sb) || a.id.localeCompare(b.id);
  });
  $("#overview-head").textContent = residents.length ? t("overview.legend", { n: residents.length }) : "";
  replace(grid,
    residents.length
      ? residents.map((r) => {
          const s = residentStatus(r);
          const lines = [];
          if (s.openCount) {
            lines.push(h("li", { class: "ov-alerts" }, t("overview.open_alerts", { n: s.openCount }),
              s.open[0] ? h("span", { class: "muted" }, ` · ${kindName(s.open[0].kind)}`) : null));
          }
          // So that her silence surprises nobody, and nobody visits an empty flat.
          const away = awayTag(r.away) || awayNextTag(r.away_next);
          if (away) lines.push(h("li", { class: "ov-away" }, away));
          for (const line of wellbeingLines(s.wellbeing)) {
            if (line.cls === "ov-fine" && (s.openCount || s.lowBattery.length)) continue;
            lines.push(h("li", { class: line.cls, "data-testid": "wellbeing" }, line.text));
          }
          if (s.lowBattery.length) {
            lines.push(h("li", { class: "ov-battery" }, t("overview.low_battery", { devices: s.lowBattery.join(t("common.list_sep")) })));
          }
          return h("button", {
            type: "button",
            class: `tile tile-${s.level}`,
            "data-testid": "resident-tile",
            "data-resident-id": r.id,
            "data-status": s.level,
            "data-wellbeing": s.wellbeing.state,
            onclick: () => selectResident(r.id),
          },
            h("span", { class: "tile-name" }, r.name),
            h("span", { class: "tile-id muted" }, `${r.id} · ${t("card.age_years", { n: r.age })}`),
            h("ul", { class: "tile-lines" }, lines));
        })
      : h("p", { class: "empty" }, t("overview.empty")));
}

// -- page ----------------------------------------------------------------------------------

function showTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll(".tab")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  $("#view-queue").hidden = tab !== "queue";
  $("#view-overview").hidden = tab !== "overview";
  $("#view-care").hidden = tab !== "care";
  if (tab === "overview") reloadOverview();
  if (tab === "care") reloadCare();
}

// -- the hub's health ----------------------------------------------------------------------
// While the hub is degraded (its store cannot write, the broker is gone, another client took
// its MQTT session) alerts may come late: the dispatcher must know, and phone round.

const HEALTH_EVERY_MS = 5000;

function clock(epoch) {
  const at = new Date(epoch * 1000);
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}

function renderHealth() {
  const problems = state.health?.state === "degraded" ? state.health.problems ?? [] : [];
  let banner = $("#health-banner");
  if (!problems.length) {
    banner?.remove();
    return;
  }
  if (!banner) {
    banner = h("div", { id: "health-banner", class: "health-banner", role: "alert", "data-testid": "health-banner" });
    $(".topbar").after(banner);
  }
  banner.dataset.kinds = problems.map((problem) => problem.kind).join(" ");
  replace(
    banner,
    h("strong", {}, t("console.degraded")),
    problems.map((problem) =>
      h("span", { class: "health-problem", "data-kind": problem.kind, title: problem.detail },
        t(`console.degraded_${problem.kind}`, { since: clock(problem.since) })),
    ),
  );
}

// -- notification channels -------------------------------------------------------------------
// The station, or a family of its homes, with no channel, or a channel that keeps failing
// (GET /stations/{id}: channel_problems): the dispatcher must know that nobody else is told.

const CHANNELS_EVERY_MS = 30000;

function residentName(home) {
  return state.residents.find((r) => r.id === home)?.name ?? home;
}

/** One line per problem, the families without a channel in one line. */
function channelLines(problems) {
  const lines = [];
  for (const p of problems) {
    if (p.kind === "channel_failing") {
      const who = p.audience === "family" ? residentName(p.home) : named("audience", "station");
      lines.push({ kind: p.kind, audience: p.audience, title: p.error ?? "", text: t("channel.failing", { who, target: p.target ?? "", n: p.failures }) });
    } else if (p.audience === "station") {
      lines.push({ kind: p.kind, audience: "station", title: "", text: t("channel.no_channel_station") });
    }
  }
  const families = problems.filter((p) => p.kind === "no_channel" && p.audience === "family").map((p) => residentName(p.home));
  if (families.length) {
    lines.push({ kind: "no_channel", audience: "family", title: "", text: t("channel.no_channel_family", { name: families.join(t("common.list_sep")) }) });
  }
  return lines;
}

function renderChannels() {
  const problems = state.channelProblems ?? [];
  let banner = $("#channel-banner");
  if (!problems.length) return banner?.remove();
  if (!banner) {
    banner = h("div", { id: "channel-banner", class: "channel-banner", role: "status", "data-testid": "channel-banner" });
    ($("#health-banner") ?? $(".topbar")).after(banner);
  }
  banner.dataset.kinds = [...new Set(problems.map((p) => p.kind))].join(" ");
  replace(banner, h("strong", {}, t("console.channels")),
    channelLines(problems).map((line) => h("span", { class: "channel-problem", "data-kind": line.kind, "data-audience": line.audience, title: line.title }, line.text)));
}

async function pollChannels() {
  try {
    const station = await api(`/stations/${state.station}`);
    state.channelProblems = station.channel_problems ?? [];
  } catch {
    return; // shown again at the next poll
  }
  renderChannels();
}

async function pollHealth() {
  syncClock();
  try {
    const response = await fetch("/health", { credentials: "same-origin" });
    if (response.ok) state.health = await response.json();
  } catch {
    // the hub itself is unreachable: the connection indicator says so
  }
  renderHealth();
}

function setConnection(status) {
  const el = $("#conn");
  el.dataset.status = status;
  el.textContent = named("conn", status);
}

function tickAges() {
  for (const el of document.querySelectorAll("[data-ago]")) {
    if (el.dataset.ago) el.textContent = ago(el.dataset.ago);
  }
  setTimeout(tickAges, tickMs()); // faster while the demo's clock runs fast
}

async function main() {
  state.user = await startPage(); // a family account: sent to /family
  setActor(state.user?.username ?? "dispatcher");
  state.station = state.user?.stations?.[0] ?? null;
  if (!state.station) {
    // An admin belongs to no station: the first one there is.
    const stations = await api("/stations").catch(() => []);
    state.station = stations[0]?.id ?? null;
  }
  if (!state.station) {
    replace($("#detail"), h("p", { class: "empty", "data-i18n": "console.no_station" }, t("console.no_station")));
    return;
  }
  await syncClock();
  try {
    const station = await api(`/stations/${state.station}`);
    state.stationName = station.name;
    state.channelProblems = station.channel_problems ?? [];
  } catch {
    state.stationName = state.station;
  }
  renderChannels();
  setInterval(pollChannels, CHANNELS_EVERY_MS);
  document.addEventListener("keydown", onKey);
  $("[data-testid=station-name]").textContent = state.stationName;

  for (const button of document.querySelectorAll(".tab")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  armAudio((running) => {
    state.soundOn = running;
    renderSound();
  });
  onLangChange(() => {
    setConnection($("#conn").dataset.status);
    renderHealth();
    renderChannels();
    renderQueue();
    renderOverview();
    renderCare();
    renderDetailAgain();
  });
  setTimeout(tickAges, tickMs());
  pollHealth();
  setInterval(pollHealth, HEALTH_EVERY_MS);

  const hash = /^#(alert|resident)-(.+)$/.exec(location.hash);
  const feed = new LiveFeed({
    params: { station: state.station },
    onStatus: setConnection,
    onFrame,
    onOpen: async () => {
      await reloadQueue();
      reloadOverview();
      reloadCare();
      if (state.detail) {
        refreshAlert();
        scheduleSide();
      }
    },
  });
  await reloadQueue().catch(() => {});
  reloadOverview();
  startCare(state.station, { mayAct: mayAct() }).catch(() => {});
  if (hash?.[1] === "alert") {
    state.selectedAlert = /^\d+$/.test(hash[2]) ? Number(hash[2]) : decodeURIComponent(hash[2]);
    renderQueue();
    loadDetail();
  } else if (hash?.[1] === "resident") {
    selectResident(decodeURIComponent(hash[2]));
  }
  feed.start();
}

main().catch((error) => {
  if (error?.status !== 401) {
    console.error(error);
    replace($("#detail"), h("p", { class: "empty", "data-i18n": "common.load_failed" }, t("common.load_failed")));
  }
});
