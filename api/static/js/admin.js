// The operator's pages: stations, homes (with their devices and the install check) and
// accounts. An admin lands here after logging in; everyone else is sent to their own page.

import { ID_PATTERN, activeCell, blank, confirmButton, formError, registry, reload, views } from "./admin_common.js";
import { homesView } from "./admin_homes.js";
import { placesView } from "./admin_places.js";
import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { onLangChange, t } from "./i18n.js";
import { startPage, toast } from "./shell.js";

function stationsView() {
  const form = $("#station-form");
  const list = $("[data-testid=station-list]");
  const render = () => {
    replace(list,
      h("thead", {}, h("tr", {}, ["admin.station_id", "admin.station_name", "admin.phone", "admin.notify"].map((k) => h("th", {}, t(k))))),
      h("tbody", {}, registry.stations.map((station) =>
        h("tr", { "data-testid": "station-row", "data-id": station.id },
          h("td", {}, station.id), h("td", {}, station.name), h("td", {}, station.phone ?? ""),
          h("td", { class: "secret", "data-testid": "station-notify-shown" }, station.notify.join("\n") || t("admin.none"))))));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError(form, null);
    const id = blank(form.id.value);
    const name = blank(form.name.value);
    if (!id || !name) return formError(form, t("admin.need_id_name"));
    if (!ID_PATTERN.test(id)) return formError(form, t("error.bad_id", { field: t("admin.station_id") }));
    const notify = form.notify.value.split("\n").map((line) => line.trim()).filter(Boolean);
    const body = { name, phone: blank(form.phone.value), address: blank(form.address.value) };
    const exists = registry.stations.some((s) => s.id === id);
    try {
      // An existing station keeps its targets (never shown back in clear) unless new ones are typed.
      if (exists && !notify.length) await api(`/stations/${encodeURIComponent(id)}`, { method: "PATCH", body });
      else await api(`/stations/${encodeURIComponent(id)}`, { method: "PUT", body: { ...body, notify } });
    } catch (error) {
      return formError(form, error);
    }
    form.reset();
    toast(t("admin.saved_station", { name }));
    await reload("stations");
  });
  return { render };
}

function usersView() {
  const form = $("#user-form");
  const list = $("[data-testid=user-list]");
  const showLinks = () => {
    for (const label of form.querySelectorAll("[data-for-roles]")) {
      label.hidden = !label.dataset.forRoles.split(" ").includes(form.role.value);
    }
  };
  const render = () => {
    replace(form.station, registry.stations.map((s) => h("option", { value: s.id }, `${s.name} (${s.id})`)));
    replace(form.resident, registry.homes.filter((home) => home.active).map((home) => h("option", { value: home.id }, `${home.resident_name} (${home.id})`)));
    replace(list,
      h("thead", {}, h("tr", {}, ["login.username", "admin.user_name", "admin.user_role", "admin.scope", "admin.state", ""].map((k) => h("th", {}, k ? t(k) : "")))),
      h("tbody", {}, registry.users.map(userRow)));
  };
  form.role.addEventListener("change", showLinks);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError(form, null);
    const username = blank(form.username.value);
    const name = blank(form.name.value);
    const role = form.role.value;
    if (!username || !name) return formError(form, t("admin.need_username_name"));
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(username)) return formError(form, t("admin.bad_username"));
    if (registry.users.some((u) => u.username === username)) return formError(form, t("admin.user_exists", { username }));
    if (form.password.value.length < 8) return formError(form, t("admin.password_hint"));
    const body = {
      name, role, password: form.password.value, phone: blank(form.phone.value),
      stations: ["dispatcher", "caregiver", "nurse", "head_nurse"].includes(role) && form.station.value ? [form.station.value] : [],
      residents: role === "family" && form.resident.value ? [form.resident.value] : [],
      areas: ["district", "city"].includes(role) && form.area.value ? [form.area.value.trim()] : [],
    };
    try {
      await api(`/users/${encodeURIComponent(username)}`, { method: "PUT", body });
    } catch (error) {
      return formError(form, error);
    }
    form.reset();
    showLinks();
    toast(t("admin.saved_user", { name }));
    await reload("users");
  });
  showLinks();
  return { render };
}

function userRow(user) {
  const path = `/users/${encodeURIComponent(user.username)}`;
  const action = user.active
    ? confirmButton("admin.deactivate", "admin.confirm_deactivate", "deactivate-user", async () => {
        await api(path, { method: "DELETE" });
        await reload("users");
      })
    : confirmButton("admin.reactivate", "admin.confirm_reactivate", "reactivate-user", async () => {
        await api(`${path}/reactivate`, { method: "POST" });
        await reload("users");
      });
  const scope = [...user.stations, ...user.residents, ...(user.areas ?? [])].join(", ");
  return h("tr", { "data-testid": "user-row", "data-id": user.username },
    h("td", {}, user.username), h("td", {}, user.name), h("td", {}, t(`admin.role_${user.role}`)),
    h("td", {}, scope), activeCell(user), h("td", {}, action));
}

function bindTabs() {
  const tabs = [...document.querySelectorAll("[data-tab]")];
  const show = (name) => {
    for (const tab of tabs) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    for (const view of document.querySelectorAll("[data-view]")) view.hidden = view.dataset.view !== name;
    history.replaceState(null, "", `#${name}`);
  };
  for (const tab of tabs) tab.addEventListener("click", () => show(tab.dataset.tab));
  const wanted = location.hash.slice(1);
  show(tabs.some((tab) => tab.dataset.tab === wanted) ? wanted : "stations");
}

async function main() {
  await startPage(); // not an admin: sent to their own page
  bindTabs();
  views.stations = stationsView();
  views.homes = homesView();
  views.users = usersView();
  views.places = placesView();
  try {
    await reload("catalog", "stations", "homes", "users", "institutions", "shifts");
  } catch (error) {
    toast(t("common.load_failed"), "error");
    throw error;
  }
  onLangChange(() => Object.values(views).forEach((view) => view.render()));
}

main();
