// The operator's institutions: a station made an institution, its units, rooms and beds,
// who sleeps in which bed (a move rewrites her home config's place), and the caregivers'
// shifts. Everything goes through the API; the lists are reloaded after each change.

import { api } from "./api.js";
import { blank, formError, registry, reload } from "./admin_common.js";
import { $, h, replace } from "./dom.js";
import { dateAt, offsetName, wallClockMs, zonedIso } from "./format.js";
import { t } from "./i18n.js";
import { toast } from "./shell.js";

/** Every bed with its place: [{institution, unit, room, bed}] in the institutions' order. */
function beds() {
  return registry.institutions.flatMap((inst) => inst.units.flatMap((unit) => unit.rooms.flatMap((room) =>
    room.beds.map((bed) => ({ inst, unit, room, bed })))));
}

function rooms() {
  return registry.institutions.flatMap((inst) => inst.units.flatMap((unit) => unit.rooms.map((room) => ({ inst, unit, room }))));
}

/** Where a new place goes: an institution (a unit), a unit (a room) or a room (a bed). */
function parents() {
  return registry.institutions.flatMap((inst) => [
    { value: `institution:${inst.id}`, label: t("admin.unit_of", { where: inst.name }) },
    ...inst.units.flatMap((unit) => [
      { value: `unit:${unit.id}`, label: t("admin.room_of", { where: `${inst.name} ${unit.name}` }) },
      ...unit.rooms.map((room) => ({ value: `room:${room.id}`, label: t("admin.bed_of", { where: `${inst.name} ${unit.name} ${room.name}` }) })),
    ]),
  ]);
}

/** The institution a shift being planned is of: its rooms', else its caregiver's, else the
 * only one there is. Its zone is the one the list writes shifts in and the form reads. */
function shiftInstitution(form) {
  const byRoom = form.rooms.selectedOptions[0]?.dataset.institution;
  const caregiver = registry.users.find((u) => u.username === form.caregiver.value);
  const ids = registry.institutions.map((i) => i.id);
  const id = byRoom ?? caregiver?.stations.find((s) => ids.includes(s)) ?? ids[0];
  return registry.institutions.find((i) => i.id === id) ?? null;
}

/** Says which zone the form reads times in: "按 颍州… 的时间填写：Asia/Shanghai（GMT+08:00）". */
function showShiftZone(form) {
  const note = $("[data-testid=shift-zone]", form);
  const institution = shiftInstitution(form);
  note.hidden = !institution;
  if (!institution) return;
  let offset = "";
  try {
    offset = offsetName(institution.timezone);
  } catch {
    offset = "?"; // a zone this browser does not know: the hub still does
  }
  note.textContent = t("admin.shift_zone", { institution: institution.name, zone: institution.timezone, offset });
}

async function submit(form, action, done) {
  formError(form, null);
  try {
    await action();
  } catch (error) {
    return formError(form, error);
  }
  toast(done);
  await reload("institutions", "shifts", "homes");
}

export function placesView() {
  const list = $("[data-testid=place-list]");
  const shiftList = $("[data-testid=shift-list]");
  const institutionForm = $("#institution-form");
  const placeForm = $("#unit-form");
  const assignForm = $("#assign-form");
  const shiftForm = $("#shift-form");

  // Who may sleep in the chosen bed: the residents of its institution (in a bed there, or
  // none yet). A bed rewrites her home's station to the institution, so a community
  // station's resident offered here would be moved out of her station by one click.
  const residentsFor = () => {
    const institution = assignForm.bed.selectedOptions[0]?.dataset.institution;
    const chosen = assignForm.resident.value;
    replace(assignForm.resident, h("option", { value: "" }, t("admin.bed_free")),
      registry.homes.filter((home) => home.active && home.station === institution)
        .map((home) => h("option", { value: home.id }, `${home.resident_name} (${home.id})`)));
    assignForm.resident.value = chosen;
    if (assignForm.resident.selectedIndex < 0) assignForm.resident.value = "";
  };
  assignForm.bed.addEventListener("change", residentsFor);

  const render = () => {
    replace(list,
      h("thead", {}, h("tr", {}, ["admin.institution", "admin.unit", "admin.room", "admin.bed", "admin.resident"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, beds().map(({ inst, unit, room, bed }) =>
        h("tr", { "data-testid": "bed-row", "data-bed": `${room.name}-${bed.name}` },
          h("td", {}, inst.name), h("td", {}, unit.name), h("td", {}, room.name), h("td", {}, bed.name),
          h("td", { "data-testid": "bed-resident" }, bed.resident ? `${bed.resident_name} (${bed.resident})` : t("admin.bed_empty"))))));
    const roomName = Object.fromEntries(rooms().map(({ room }) => [room.id, room.name]));
    replace(shiftList,
      h("thead", {}, h("tr", {}, ["admin.role_caregiver", "admin.shift_start", "admin.shift_end", "admin.shift_rooms", "admin.state"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, registry.shifts.map((shift) =>
        h("tr", { "data-testid": "shift-row" },
          h("td", {}, shift.caregiver_name ?? shift.caregiver), h("td", { "data-testid": "shift-row-start" }, dateAt(shift.starts_at)), h("td", { "data-testid": "shift-row-end" }, dateAt(shift.ends_at)),
          h("td", {}, shift.rooms.map((id) => roomName[id] ?? id).join(", ")),
          h("td", {}, t(shift.on_duty ? "admin.on_duty" : "admin.off_duty"))))));
    replace(institutionForm.station, registry.stations.map((s) => h("option", { value: s.id }, `${s.name} (${s.id})`)));
    replace(placeForm.parent, parents().map((p) => h("option", { value: p.value }, p.label)));
    const bedChosen = assignForm.bed.value;
    replace(assignForm.bed, beds().map(({ inst, unit, room, bed }) =>
      h("option", { value: bed.id, "data-institution": inst.id }, `${inst.name} ${unit.name} ${room.name}-${bed.name}`)));
    if (bedChosen) assignForm.bed.value = bedChosen;
    residentsFor();
    const institutions = new Set(registry.institutions.map((i) => i.id));
    replace(shiftForm.caregiver, registry.users.filter((u) => u.role === "caregiver" && u.active && u.stations.some((s) => institutions.has(s)))
      .map((u) => h("option", { value: u.username }, `${u.name} (${u.username})`)));
    replace(shiftForm.rooms, rooms().map(({ inst, unit, room }) => h("option", { value: room.id, "data-institution": inst.id }, `${unit.name} ${room.name}`)));
    showShiftZone(shiftForm);
  };
  shiftForm.rooms.addEventListener("change", () => showShiftZone(shiftForm));
  shiftForm.caregiver.addEventListener("change", () => showShiftZone(shiftForm));

  institutionForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = institutionForm.station.value;
    if (!id) return formError(institutionForm, t("admin.need_station"));
    const body = { station_after_s: Number(institutionForm.station_after_s.value), head_nurse_after_s: Number(institutionForm.head_nurse_after_s.value) };
    submit(institutionForm, () => api(`/institutions/${encodeURIComponent(id)}`, { method: "PUT", body }), t("admin.saved_institution", { id }));
  });

  placeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = blank(placeForm.name.value);
    const [kind, id] = placeForm.parent.value.split(":");
    if (!name || !kind) return formError(placeForm, t("admin.need_place"));
    const [path, body] = {
      institution: ["/units", { institution: id, name }],
      unit: ["/rooms", { unit: Number(id), name }],
      room: ["/beds", { room: Number(id), name }],
    }[kind];
    submit(placeForm, async () => {
      await api(path, { method: "POST", body });
      placeForm.name.value = "";
    }, t("admin.saved_place", { name }));
  });

  assignForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const bed = assignForm.bed.value;
    if (!bed) return formError(assignForm, t("admin.need_bed"));
    const resident = assignForm.resident.value || null;
    submit(assignForm, () => api(`/beds/${bed}/resident`, { method: "PUT", body: { resident } }), t("admin.saved_assignment"));
  });

  shiftForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = [...shiftForm.rooms.selectedOptions];
    const institution = shiftInstitution(shiftForm);
    // The institution's wall clock, as the list shows shifts: not the browser's zone.
    const zone = institution?.timezone;
    const start = zone ? wallClockMs(shiftForm.start.value, zone) : NaN;
    const hours = Number(shiftForm.hours.value);
    if (!shiftForm.caregiver.value || Number.isNaN(start) || !chosen.length || !(hours > 0)) return formError(shiftForm, t("admin.need_shift"));
    const body = {
      institution: chosen[0].dataset.institution,
      caregiver: shiftForm.caregiver.value,
      starts_at: zonedIso(start, zone),
      ends_at: zonedIso(start + hours * 3600e3, zone),
      rooms: chosen.map((option) => Number(option.value)),
    };
    submit(shiftForm, () => api("/shifts", { method: "POST", body }), t("admin.saved_shift"));
  });
  return { render };
}
