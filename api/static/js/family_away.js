// The family app's absences card (外出登记): announce that she is away (at a daughter's, in
// hospital) from one time until another, see the absences going on and to come with who
// announced them, and end one when she is back (or call off one to come). Her routine
// reminders are off meanwhile on her home's edge; falls and SOS calls never are.

import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { dateAt, offsetName } from "./format.js";
import { named, t } from "./i18n.js";
import { explain } from "./problems.js";

const away = { residentId: null, zone: null, list: [], token: 0, changed: () => {} };

/** Load her absences; ``changed`` is told after each change made here (the banner);
 * ``zone``: her home's time zone, in which the form's times are read. */
export async function followAway(residentId, changed = () => {}, zone = null) {
  Object.assign(away, { residentId, zone, list: [], changed });
  const token = ++away.token;
  const list = await api(`/residents/${residentId}/away`).catch(() => []);
  if (token !== away.token) return;
  away.list = list;
  renderAway({ form: true });
}

/** A live frame about her absences (another phone, the station): show them at once. */
export function onAwayFrame(frame) {
  if (frame.type !== "away" || frame.resident !== away.residentId) return false;
  away.list = frame.data?.away ?? away.list;
  renderAway();
  return true;
}

export function renderAway({ form = false } = {}) {
  const list = $("#away-list");
  if (!list) return;
  const shown = away.list.filter((a) => a.state !== "ended");
  replace(list, shown.length ? shown.map(item) : h("li", { class: "empty", "data-testid": "away-none" }, t("away.none")));
  if (form || !$("#away-form").childElementCount) renderForm();
}

function item(absence) {
  const who = absence.by_name || absence.by;
  const label = absence.state === "current" ? t("away.back") : t("away.call_off");
  return h("li", { class: "away-item", "data-testid": "away-item", "data-away-id": absence.id, "data-state": absence.state },
    h("div", { class: "order-head" },
      h("strong", {}, t("away.span", { from: dateAt(absence.start), until: dateAt(absence.end) })),
      h("span", { class: `pill away-${absence.state}`, "data-testid": "away-state" }, named("away_state", absence.state))),
    absence.note ? h("div", { class: "small", "data-testid": "away-note" }, absence.note) : null,
    who ? h("div", { class: "muted small", "data-testid": "away-by" }, t("away.by", { who })) : null,
    h("button", {
      type: "button",
      class: absence.state === "current" ? "btn btn-primary" : "btn",
      "data-testid": "away-end",
      onclick: (event) => end(event.currentTarget, absence),
    }, label));
}

async function end(button, absence) {
  button.disabled = true;
  try {
    away.list = await api(`/residents/${away.residentId}/away/${absence.id}/end`, { method: "POST" });
    $("#away-message").textContent = t("away.ended");
    renderAway();
    away.changed();
  } catch (error) {
    $("#away-message").textContent = explain(error);
    button.disabled = false;
  }
}

function renderForm() {
  const start = h("input", { type: "datetime-local", "data-testid": "away-from", "aria-label": t("away.from") });
  const until = h("input", { type: "datetime-local", "data-testid": "away-until", "aria-label": t("away.until") });
  const note = h("input", { type: "text", maxlength: 200, "data-testid": "away-note-input", placeholder: t("away.note"), "aria-label": t("away.note") });
  const announce = h("button", { type: "button", class: "btn btn-primary btn-wide", "data-testid": "away-announce" }, t("away.announce"));
  const message = h("p", { class: "muted small", id: "away-message", "data-testid": "away-message", role: "status" });
  announce.addEventListener("click", async () => {
    if (!start.value || !until.value) {
      message.textContent = t("away.need_times");
      return (start.value ? until : start).focus();
    }
    // Her wall clock, as the hub reads a time without an offset.
    const body = { start: start.value, end: until.value };
    if (note.value.trim()) body.note = note.value.trim();
    announce.disabled = true;
    try {
      await api(`/residents/${away.residentId}/away`, { method: "POST", body });
      away.list = await api(`/residents/${away.residentId}/away`);
      message.textContent = t("away.announced");
      start.value = until.value = note.value = "";
      renderAway();
      away.changed();
    } catch (error) {
      message.textContent = explain(error);
    }
    announce.disabled = false;
  });
  replace($("#away-form"),
    zoneNote(away.zone),
    h("label", { class: "field" }, h("span", {}, t("away.from")), start),
    h("label", { class: "field" }, h("span", {}, t("away.until")), until),
    h("label", { class: "field" }, h("span", {}, t("away.note")), note),
    announce, message);
}

/** The form reads times as her wall clock: a son abroad is told so, or he would announce
 * "until 18:00" by his own clock and she would be watched again hours off. Nothing is said
 * where the phone keeps her time (another name of the same offset included). */
function zoneNote(zone) {
  const phone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || !phone) return null;
  let home;
  let here;
  try {
    [home, here] = [offsetName(zone), offsetName(phone)];
  } catch {
    return null; // a zone this browser does not know: nothing sure to say
  }
  if (home === here) return null;
  return h("p", { class: "muted small", "data-testid": "away-zone-note" }, t("away.zone_note", { offset: home, phone: here }));
}
