// What the operator's pages share: the registry as last loaded, form errors, and the
// two-step button that deactivates.

import { api } from "./api.js";
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { explain } from "./problems.js";
import { toast } from "./shell.js";

export const registry = { stations: [], homes: [], users: [], catalog: [], institutions: [], shifts: [] };
export const views = {};

/** What an id in an address may be (the API's NewId): "a/b" would be another address. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

// The forms' fields as the API names them (its 422 says where), and their labels here.
const FIELDS = {
  home: "admin.home_id", station: "admin.station", timezone: "admin.timezone",
  "resident/name": "admin.resident_name", birth_year: "admin.birth_year", address: "admin.address",
  phone: "admin.phone", "devices/id": "admin.device_id", "devices/model": "admin.device_model",
  "devices/role": "admin.device_role", "contacts/name": "admin.contact_name", relation: "admin.relation",
  "contacts/phone": "admin.phone", username: "login.username", password: "login.password",
  areas: "admin.area", station_after_s: "admin.station_after", head_nurse_after_s: "admin.head_nurse_after",
};

/** Shows what went wrong under a form: the API's refusal in the page's words (problems.js),
 * naming the field; or a sentence the page wrote. */
export function formError(form, error, fields = {}) {
  const box = $("[data-testid=form-error]", form);
  if (!error) {
    box.hidden = true;
    return;
  }
  box.textContent = error.status ? t("admin.refused", { detail: explain(error, { ...FIELDS, ...fields }) }) : error;
  box.hidden = false;
}

export function blank(value) {
  const text = (value ?? "").trim();
  return text === "" ? null : text;
}

/** A button that asks once more before it acts: no modal dialog to miss or to block. */
export function confirmButton(labelKey, confirmKey, testid, action) {
  const button = h("button", { type: "button", class: "btn btn-small", "data-testid": testid }, t(labelKey));
  let armed = false;
  button.addEventListener("click", async () => {
    if (!armed) {
      armed = true;
      button.textContent = t(confirmKey);
      button.classList.add("btn-danger");
      return;
    }
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      toast(t("admin.refused", { detail: explain(error, FIELDS) }), "error");
      button.disabled = false;
    }
  });
  return button;
}

export function activeCell(item) {
  const state = item.active ? "active" : "inactive";
  return h("td", {}, h("span", { class: `pill pill-${state}`, "data-testid": "active-state", "data-state": state }, t(`admin.${state}`)));
}

export async function reload(...what) {
  const routes = {
    stations: "/stations", homes: "/homes", users: "/users", catalog: "/catalog/devices",
    institutions: "/institutions", shifts: "/shifts",
  };
  await Promise.all(what.map(async (name) => { registry[name] = await api(routes[name]); }));
  for (const view of Object.values(views)) view.render();
}
