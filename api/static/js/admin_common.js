// What the operator's pages share: the registry as last loaded, form errors, and the
// two-step button that deactivates.

import { api } from "./api.js";
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { toast } from "./shell.js";

export const registry = { stations: [], homes: [], users: [], catalog: [], institutions: [], shifts: [] };
export const views = {};

/** Shows what went wrong under a form; the API's detail says what, where and why. */
export function formError(form, error) {
  const box = $("[data-testid=form-error]", form);
  if (!error) {
    box.hidden = true;
    return;
  }
  box.textContent = error.status ? t("admin.refused", { detail: error.detail || error.message }) : error;
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
      toast(t("admin.refused", { detail: error.detail || error.message }), "error");
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
