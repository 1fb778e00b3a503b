// Homes on the operator's pages: the list (deactivate, check), the form that registers a
// home with its resident, devices from the catalog and contacts, and the install check
// that shows the home's readings and events as they arrive.

import { ID_PATTERN, activeCell, blank, confirmButton, formError, registry, reload } from "./admin_common.js";
import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { hhmmss, ms, when } from "./format.js";
import { known, named, onLangChange, t } from "./i18n.js";
import { toast } from "./shell.js";

// Where a device sits, as the home config contract names it (ARCHITECTURE.md).
const ROLES = [
  "front_door", "bathroom_door", "toilet_door", "bedroom_door", "fridge", "kitchen", "bathroom",
  "toilet", "bedroom", "bed", "chair", "living_room", "bedside", "wrist", "waist", "chest", "unit_door",
];
const FIRST_ROLE = {
  door: "front_door", motion: "living_room", presence: "bed", appliance: "kitchen",
  fall_radar: "bathroom", fall_pendant: "waist", bracelet: "wrist", sos_button: "bedside",
};
const RELATIONS = ["son", "daughter", "spouse", "grandchild", "relative", "neighbour", "friend", "volunteer", "other"];
const CHANNELS = ["app", "sms", "call", "wechat"];
const POLL_MS = 1000;

// Texts of rows built here carry their key, so a switch of language reaches them too.
function label(key) {
  return h("span", { "data-i18n": key }, t(key));
}

function removeButton(onclick) {
  return h("button", { type: "button", class: "btn btn-small", "data-i18n": "admin.remove", onclick }, t("admin.remove"));
}

function deviceRow(index, existing = null) {
  const kinds = [...new Set(registry.catalog.map((d) => d.kind))];
  const model = h("select", { name: "model", "data-testid": "device-model" },
    h("option", { value: "", "data-i18n": "admin.choose_model" }, t("admin.choose_model")),
    kinds.map((kind) => h("optgroup", { label: named("device_kind", kind) },
      registry.catalog.filter((d) => d.kind === kind).map((d) => h("option", { value: d.model }, `${d.vendor} ${d.model}`)))));
  const id = h("input", { type: "text", name: "device_id", maxlength: "64", "data-testid": "device-id" });
  const role = h("select", { name: "role", "data-testid": "device-role" },
    ROLES.map((code) => h("option", { value: code }, named("role", code))));
  const zigbee = h("input", { type: "text", name: "zigbee", maxlength: "100", "data-testid": "device-zigbee", placeholder: t("admin.zigbee_hint") });
  const row = h("div", { class: "row", "data-testid": "device-row" },
    h("label", {}, label("admin.device_model"), model),
    h("label", {}, label("admin.device_id"), id),
    h("label", {}, label("admin.device_role"), role),
    h("label", { class: "zigbee" }, label("admin.device_zigbee"), zigbee),
    removeButton(() => row.remove()));
  const fit = () => {
    const found = registry.catalog.find((d) => d.model === model.value);
    zigbee.closest("label").hidden = found?.source !== "zigbee2mqtt";
    if (!found) return;
    if (!id.dataset.typed) id.value = `${found.kind}_${index}`;
    role.value = FIRST_ROLE[found.kind] ?? role.value;
  };
  id.addEventListener("input", () => { id.dataset.typed = "1"; });
  model.addEventListener("change", fit);
  if (existing) {
    // A device saved without a model (the decoder picks one) gets the kind's first model shown.
    model.value = existing.model ?? registry.catalog.find((d) => d.kind === existing.kind)?.model ?? "";
    id.value = existing.id;
    id.dataset.typed = "1";
    fit();
    // A room the list does not name (a hall, a study: the contract allows it) stays as saved.
    if (!ROLES.includes(existing.role)) role.append(h("option", { value: existing.role }, existing.role));
    role.value = existing.role;
    zigbee.value = existing.source.startsWith("zigbee2mqtt:") ? existing.source.slice(12) : "";
    return row;
  }
  fit();
  return row;
}

function contactRow(existing = null) {
  const row = h("div", { class: "row", "data-testid": "contact-row" },
    h("label", {}, label("admin.contact_name"), h("input", { type: "text", name: "contact_name", maxlength: "100", "data-testid": "contact-name" })),
    h("label", {}, label("admin.relation"),
      h("select", { name: "relation", "data-testid": "contact-relation" }, RELATIONS.map((r) => h("option", { value: r }, named("relation", r))))),
    h("label", {}, label("admin.phone"), h("input", { type: "tel", name: "contact_phone", maxlength: "40", "data-testid": "contact-phone" })),
    h("fieldset", { class: "channels" }, h("legend", { "data-i18n": "admin.channels" }, t("admin.channels")),
      CHANNELS.map((c) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "channel", value: c, checked: c === "app" }), label(`admin.channel_${c}`)))),
    removeButton(() => row.remove()));
  if (existing) {
    $("[name=contact_name]", row).value = existing.name;
    $("[name=relation]", row).value = existing.relation;
    $("[name=contact_phone]", row).value = existing.phone ?? "";
    for (const box of row.querySelectorAll("[name=channel]")) box.checked = existing.notify.includes(box.value);
  }
  return row;
}

/** The stations to choose from: none chosen at first (the first of the list was a care
 * home), community stations apart from care homes, each by its name (its id only where
 * two share a name: "颐和养老院 (demo) (inst-demo)" did not fit the field). */
function stationOptions() {
  const institutions = new Set(registry.institutions.map((i) => i.id));
  const names = registry.stations.map((s) => s.name);
  const option = (s) => h("option", { value: s.id, title: s.id },
    names.indexOf(s.name) === names.lastIndexOf(s.name) ? s.name : `${s.name} (${s.id})`);
  const group = (key, stations) => stations.length
    ? h("optgroup", { label: t(key) }, stations.map(option)) : null;
  return [
    h("option", { value: "" }, t("admin.choose_station")),
    group("admin.community_stations", registry.stations.filter((s) => !institutions.has(s.id))),
    group("admin.institutions", registry.stations.filter((s) => institutions.has(s.id))),
  ];
}

/** The home config the form describes (the contract's shape), or a sentence saying what is missing. */
function configOf(form, base = {}) {
  const home = blank(form.home.value);
  const name = blank(form.resident_name.value);
  const year = Number(form.birth_year.value);
  if (!home || !name || !form.station.value) return t("admin.need_home");
  if (!ID_PATTERN.test(home)) return t("error.bad_id", { field: t("admin.home_id") });
  if (!Number.isInteger(year)) return t("admin.need_birth_year");
  const rows = [...form.querySelectorAll("[data-testid=device-row]")];
  if (rows.some((row) => !$("[name=model]", row).value)) return t("admin.need_model");
  const devices = rows.map((row) => {
    const spec = registry.catalog.find((d) => d.model === $("[name=model]", row).value);
    const friendly = blank($("[name=zigbee]", row).value);
    return {
      id: $("[name=device_id]", row).value.trim(), kind: spec?.kind, role: $("[name=role]", row).value,
      model: spec?.model, source: spec?.source === "native" ? "native" : `zigbee2mqtt:${friendly ?? ""}`,
    };
  });
  const contacts = [...form.querySelectorAll("[data-testid=contact-row]")]
    .map((row) => ({
      name: $("[name=contact_name]", row).value.trim(), relation: $("[name=relation]", row).value,
      phone: blank($("[name=contact_phone]", row).value),
      notify: [...row.querySelectorAll("[name=channel]:checked")].map((box) => box.value),
    }))
    .filter((contact) => contact.name);
  // Her absences are the family's and the station's (/residents/{id}/away), her limits'
  // feedback the dispatchers' outcomes' (/homes/{id}/feedback): a config saved without them
  // keeps the hub's, where the copy read when the form opened might undo a change since.
  const { away: _away, thresholds: { feedback: _feedback, ...thresholds } = {}, ...rest } = base;
  const kept = Object.keys(thresholds).length ? { ...rest, thresholds } : rest;
  return {
    ...kept, home, station: form.station.value, timezone: form.timezone.value.trim(),
    resident: { name, birth_year: year, lives_alone: form.lives_alone.checked, address: blank(form.address.value) },
    devices, contacts,
  };
}

// A reading as words: "radar_bath · 无人", "band · 心率：76 次/分" (not "有人：0").
function readingText(item) {
  const value = typeof item.value === "number" ? Math.round(item.value * 10) / 10 : item.value;
  const word = `reading.${item.metric}.${value}`;
  if (known(word)) return t(word);
  const unit = `unit.${item.metric}`;
  const shown = known(unit) ? t(unit, { v: value }) : String(value);
  return t("admin.arrival_value", { metric: named("metric", item.metric), value: shown });
}

function arrivalText(item) {
  const at = hhmmss(item.at);
  if (item.type === "event") return t("admin.arrival_event", { at, kind: named("kind", item.kind), state: t(`admin.state_${item.state}`), device: item.device ?? "" });
  return t("admin.arrival_reading", { at, device: item.device, what: readingText(item) });
}

const SHOWN = 200; // arrivals listed at most, the newest

/** Newest first, readings and events together (an event of 06:50 below a reading of 13:36). */
function byTimeDesc(a, b) {
  return (ms(b.at) || 0) - (ms(a.at) || 0) || (a.type === b.type ? b.id - a.id : a.type === "event" ? -1 : 1);
}

/** What no fixed sensor of the home sees, and what that costs (the API's blind_spots). */
function blindSpots(spots) {
  if (!spots.length) return h("p", { class: "blind-spots none", "data-testid": "blind-spots" }, t("admin.blind_none"));
  return h("div", { class: "blind-spots", "data-testid": "blind-spots" },
    h("p", {}, t("admin.blind_title")),
    h("ul", {}, spots.map((spot) => h("li", { "data-spot": spot }, t(`admin.blind_${spot}`)))));
}

/** The install check: polls the home's arrivals and lists them, newest first. A home that
 * had data before the check shows it as earlier, and the installer is not told to wait for
 * a first reading that came long ago. */
function installCheck() {
  const panel = $("#install-check");
  const list = $("#arrivals");
  const status = $("#check-state");
  const ask = $(".check-ask", panel);
  let timer = null;
  let cursor = {};
  let home = null;
  let seen = [];
  let first = true;
  const setState = (state, vars = {}) => {
    status.dataset.state = state;
    status.textContent = t(`admin.check_${state}`, vars);
    ask.hidden = state !== "waiting";
  };
  const show = () => {
    seen.sort(byTimeDesc);
    seen = seen.slice(0, SHOWN);
    replace(list, seen.map((item) => h("li", {
      class: `arrival${item.earlier ? " earlier" : " fresh"}`, "data-testid": "arrival", "data-type": item.type,
      "data-metric": item.metric ?? item.kind, "data-earlier": String(item.earlier),
    }, arrivalText(item))));
    const fresh = seen.filter((item) => !item.earlier);
    if (fresh.length) setState("arrived", { n: fresh.length });
    else if (seen.length) setState("earlier", { n: seen.length, at: when(seen[0].at) });
    else setState("waiting");
  };
  const poll = async () => {
    try {
      const found = await api(`/homes/${encodeURIComponent(home)}/arrivals`, { query: cursor });
      const items = [...found.readings, ...found.events].map((item) => ({ ...item, earlier: first }));
      first = false;
      seen.push(...items);
      cursor = {
        after_reading: found.readings.at(-1)?.id ?? cursor.after_reading ?? 0,
        after_event: found.events.at(-1)?.id ?? cursor.after_event ?? 0,
      };
      if (items.length || !status.dataset.state) show();
    } catch (error) {
      if (error.status === 404) return stop();
    }
    if (home) timer = setTimeout(poll, POLL_MS);
  };
  const stop = () => {
    clearTimeout(timer);
    home = null;
    panel.hidden = true;
  };
  const start = (homePublic) => {
    stop();
    home = homePublic.id;
    cursor = {};
    seen = [];
    first = true;
    replace(list);
    replace($("#check-title"), t("admin.check_title", { home }));
    replace($("#check-blind"), blindSpots(homePublic.blind_spots ?? []));
    setState("waiting");
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
    poll();
  };
  $("#check-close").addEventListener("click", stop);
  onLangChange(() => home && show());
  return { start, stop };
}

function homeRow(home, check, edit) {
  const path = `/homes/${encodeURIComponent(home.id)}`;
  const action = home.active
    ? confirmButton("admin.deactivate", "admin.confirm_deactivate", "deactivate-home", async () => {
        await api(path, { method: "DELETE" });
        check.stop();
        await reload("homes");
      })
    : confirmButton("admin.reactivate", "admin.confirm_reactivate", "reactivate-home", async () => {
        await api(`${path}/reactivate`, { method: "POST" });
        await reload("homes");
      });
  const checkButton = h("button", { type: "button", class: "btn btn-small", "data-testid": "check-home", onclick: () => check.start(home) }, t("admin.check"));
  const editButton = h("button", { type: "button", class: "btn btn-small", "data-testid": "edit-home", onclick: () => edit(home) }, t("admin.edit"));
  return h("tr", { "data-testid": "home-row", "data-id": home.id },
    h("td", {}, home.id), h("td", {}, home.resident_name), h("td", {}, home.station),
    h("td", {}, named("home", home.status)), h("td", {}, String(home.config.devices?.length ?? 0)),
    activeCell(home), h("td", { class: "actions" }, home.active ? [checkButton, editButton] : null, action));
}

export function homesView() {
  const form = $("#home-form");
  const list = $("[data-testid=home-list]");
  const check = installCheck();
  let rows = 0;
  let editing = null; // the home config being changed, or null for a new home
  const clearForm = () => {
    editing = null;
    form.reset();
    form.home.readOnly = false;
    $("#home-form-title").dataset.i18n = "admin.home_new";
    replace($("#home-form-title"), t("admin.home_new"));
    replace($("#device-rows"));
    replace($("#contact-rows"));
  };
  const edit = (home) => {
    clearForm();
    editing = home.config;
    const config = home.config;
    form.home.value = config.home;
    form.home.readOnly = true;
    form.station.value = config.station;
    form.timezone.value = config.timezone;
    form.address.value = config.resident.address ?? "";
    form.resident_name.value = config.resident.name;
    form.birth_year.value = String(config.resident.birth_year);
    form.lives_alone.checked = config.resident.lives_alone;
    for (const device of config.devices) $("#device-rows").append(deviceRow(++rows, device));
    for (const contact of config.contacts) $("#contact-rows").append(contactRow(contact));
    delete $("#home-form-title").dataset.i18n; // a title with the home's id in it
    replace($("#home-form-title"), t("admin.home_edit", { home: config.home }));
    form.scrollIntoView({ block: "start" });
  };
  const render = () => {
    const chosen = form.station.value;
    replace(form.station, stationOptions());
    form.station.value = chosen;
    const heads = ["admin.home_id", "admin.resident", "admin.station", "admin.gateway", "admin.devices", "admin.state", ""];
    replace(list,
      h("thead", {}, h("tr", {}, heads.map((k) => h("th", {}, k ? t(k) : "")))),
      h("tbody", {}, registry.homes.map((home) => homeRow(home, check, edit))));
  };
  $("#add-device").addEventListener("click", () => $("#device-rows").append(deviceRow(++rows)));
  $("#add-contact").addEventListener("click", () => $("#contact-rows").append(contactRow()));
  form.addEventListener("reset", () => setTimeout(() => formError(form, null)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError(form, null);
    const config = configOf(form, editing ?? {});
    if (typeof config === "string") return formError(form, config);
    const taken = registry.homes.some((home) => home.id === config.home);
    if (taken && !editing) return formError(form, t("admin.home_exists", { home: config.home }));
    let saved;
    try {
      saved = await api(`/homes/${encodeURIComponent(config.home)}`, { method: "PUT", body: config });
    } catch (error) {
      return formError(form, error);
    }
    toast(t("admin.saved_home", { home: config.home }));
    clearForm();
    await reload("homes");
    check.start(saved);
  });
  return { render };
}
