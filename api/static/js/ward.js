// The nurse station's floor view (data-mode="station") and the caregiver's phone page
// (data-mode="phone"): rooms and beds with their state now, the alert queue, night rounds.
// What a bed shows is the hub's (hub/floor.py): never "in bed" without a recent reading.

import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { hhmm, kindName, severityName } from "./format.js";
import { named, onLangChange, t } from "./i18n.js";
import { explain } from "./problems.js";
import { LiveFeed } from "./live.js";
import { startPage, toast } from "./shell.js";

const POLL_MS = 5000;
const mode = document.body.dataset.mode;
const state = { user: null, institution: null, unit: null, floors: [], loading: null };

function unitsOf(institution) {
  return institution?.units ?? [];
}

async function loadPlaces() {
  const institutions = await api("/institutions");
  state.institution = institutions[0] ?? null;
  const units = unitsOf(state.institution);
  const wanted = Number(new URLSearchParams(location.search).get("unit"));
  if (mode === "station") state.unit = units.find((u) => u.id === wanted) ?? units[0] ?? null;
}

async function reload() {
  // One reload at a time; a frame arriving meanwhile asks for one more after it.
  if (state.loading) {
    state.again = true;
    return state.loading;
  }
  state.loading = (async () => {
    try {
      const units = mode === "station" ? (state.unit ? [state.unit] : []) : unitsOf(state.institution);
      state.floors = await Promise.all(units.map((u) => api(`/units/${u.id}/floor`)));
      render();
    } catch (error) {
      if (error.status !== 401) toast(t("ward.load_failed", { error: explain(error) }), "error");
    } finally {
      state.loading = null;
      if (state.again) {
        state.again = false;
        reload();
      }
    }
  })();
  return state.loading;
}

function render() {
  $("[data-testid=institution-name]")?.replaceChildren(state.institution?.name ?? "");
  renderUnits();
  const rooms = state.floors.flatMap((floor) => floor.rooms);
  replace($("#floor"), rooms.map(roomCard));
  const empty = $("#floor-empty");
  empty.hidden = rooms.length > 0;
  // No institution she may see (an admin before any is set up): not "no rooms on this floor".
  empty.dataset.page ??= empty.dataset.i18n;
  empty.dataset.i18n = state.institution ? empty.dataset.page : "ward.no_institution";
  empty.textContent = t(empty.dataset.i18n);
  const floor = state.floors[0];
  $("#floor-head").textContent = floor
    ? t("ward.night", { start: hhmm(floor.night.start), end: hhmm(floor.night.end), every: Math.round(floor.rounds_every_s / 60) })
    : "";
  const myRooms = $("#my-rooms");
  if (myRooms) myRooms.textContent = rooms.length ? t("ward.my_rooms", { rooms: rooms.map((r) => r.name).join(t("common.list_sep")) }) : "";
  const alerts = state.floors.flatMap((floor) => floor.alerts);
  replace($("#queue"), alerts.map(alertItem));
  $("#queue-empty").hidden = alerts.length > 0;
}

function renderUnits() {
  const nav = $("#units");
  if (!nav) return;
  replace(nav, unitsOf(state.institution).map((unit) =>
    h("button", {
      type: "button", role: "tab", class: "tab", "data-testid": "unit-tab",
      "aria-selected": String(unit.id === state.unit?.id),
      onclick: () => {
        state.unit = unit;
        history.replaceState(null, "", `?unit=${unit.id}`);
        reload();
      },
    }, unit.name)));
}

function roomCard(room) {
  return h("article", { class: "room", "data-testid": "room", "data-room": room.name },
    h("header", { class: "room-head" },
      h("strong", {}, t("ward.room", { room: room.name })),
      room.missed_rounds
        ? h("span", { class: "missed", "data-testid": "missed-rounds" }, t("ward.missed_rounds", { n: room.missed_rounds }))
        : null),
    h("div", { class: room.on_duty.length ? "muted small" : "missed", "data-testid": "on-duty" },
      room.on_duty.length ? t("ward.on_duty", { who: room.on_duty.join(t("common.list_sep")) }) : t("ward.nobody_on_duty")),
    h("div", { class: "beds" }, room.beds.map((bed) => bedChip(room, bed))),
    h("div", { class: "rounds", "data-testid": "rounds" },
      room.rounds.map((slot) => h("span", {
        class: `slot slot-${slot.state}`, "data-testid": "round-slot", "data-state": slot.state,
        title: `${hhmm(slot.start)}–${hhmm(slot.end)} ${named("round", slot.state)}`,
      }, hhmm(slot.start))),
      room.last_round
        ? h("span", { class: "muted small", "data-testid": "last-round" }, t("ward.last_round", { at: hhmm(room.last_round.at), by: room.last_round.by }))
        : h("span", { class: "muted small" }, t("ward.no_round"))),
    h("button", { type: "button", class: "btn", "data-testid": "round-button", onclick: () => recordRound(room) }, t("ward.record_round")));
}

function bedChip(room, bed) {
  const label = named("bed", bed.state);
  return h("div", {
    class: `bed bed-${bed.state}`, "data-testid": "bed", "data-bed": `${room.name}-${bed.name}`, "data-state": bed.state,
  },
  h("div", { class: "bed-name" }, t("ward.bed", { bed: bed.name })),
  h("div", { class: "bed-resident" }, bed.resident_name ?? ""),
  h("div", { class: "bed-state", "data-testid": "bed-state" }, label),
  bed.problem ? h("div", { class: "small" }, named("bed_problem", bed.problem)) : null,
  bed.fall_risk && bed.fall_risk !== "none" ? h("div", { class: "small risk" }, named("fall_risk", bed.fall_risk)) : null);
}

function alertItem(alert) {
  return h("li", {
    class: `ward-alert sev-${alert.severity}${alert.acknowledged ? " acked" : ""}`, "data-testid": "ward-alert",
    "data-alert": alert.id, "data-kind": alert.kind, "data-acknowledged": String(alert.acknowledged),
  },
  h("div", { class: "ward-alert-head" },
    h("span", { class: "sev-badge" }, severityName(alert.severity)),
    h("strong", {}, kindName(alert.kind)),
    h("span", { class: "place" }, t("ward.place", { room: alert.room, bed: alert.bed }))),
  h("div", {}, alert.resident_name, " · ", t("ward.since", { at: hhmm(alert.raised_at) }),
    alert.active ? "" : ` · ${t("ward.cleared")}`),
  alert.acknowledged
    ? [h("div", { class: "muted small", "data-testid": "acked-by" }, t("ward.acked_by", { who: alert.acknowledged_by ?? "" })),
      h("button", { type: "button", class: "btn", "data-testid": "resolve-button", onclick: () => resolve(alert) }, t("ward.resolve"))]
    : h("button", { type: "button", class: "btn btn-primary", "data-testid": "ack-button", onclick: () => acknowledge(alert) }, t("ward.acknowledge")));
}

/** Closed as handled (the console has the other outcomes, and notes). */
async function resolve(alert) {
  try {
    await api(`/alerts/${alert.id}/resolve`, { method: "POST", body: { outcome: "handled" } });
    toast(t("ward.resolved", { kind: kindName(alert.kind), room: alert.room, bed: alert.bed }));
  } catch (error) {
    toast(t("ward.action_failed", { error: explain(error) }), "error");
  }
  await reload();
}

async function acknowledge(alert) {
  try {
    await api(`/alerts/${alert.id}/acknowledge`, { method: "POST" });
    toast(t("ward.acked", { kind: kindName(alert.kind), room: alert.room, bed: alert.bed }));
  } catch (error) {
    toast(t("ward.action_failed", { error: explain(error) }), "error");
  }
  await reload();
}

async function recordRound(room) {
  try {
    await api("/rounds", { method: "POST", body: { room: room.id } });
    toast(t("ward.round_recorded", { room: room.name }));
  } catch (error) {
    toast(t("ward.action_failed", { error: explain(error) }), "error");
  }
  await reload();
}

function setConnection(status) {
  const el = $("#conn");
  el.dataset.status = status;
  el.textContent = named("conn", status);
}

async function main() {
  state.user = await startPage();
  await loadPlaces();
  onLangChange(() => render());
  await reload();
  const params = state.institution ? { station: state.institution.id } : {};
  new LiveFeed({ params, onOpen: reload, onFrame: reload, onStatus: setConnection }).start();
  // Bed states change with readings, which the feed does not carry: look again every few s.
  setInterval(reload, POLL_MS);
}

main();
