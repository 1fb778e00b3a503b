// What every page shares: strings, language, the 中文/EN toggle, the log-out button, the user.

import { currentUser, logout } from "./api.js";
import { applyI18n, bindLangToggle, loadStrings, setLang, storedLang } from "./i18n.js";

/** Loads the strings, applies the remembered language, wires the header; returns the user. */
export async function startPage({ needUser = true } = {}) {
  await loadStrings();
  setLang(storedLang(), { remember: false });
  applyI18n(document);
  for (const button of document.querySelectorAll("[data-testid=lang-toggle]")) {
    bindLangToggle(button);
  }
  for (const button of document.querySelectorAll("[data-testid=logout-button]")) {
    button.addEventListener("click", () => logout());
  }
  document.body.classList.remove("booting");
  if (!needUser) return null;
  const user = await currentUser();
  for (const el of document.querySelectorAll("[data-user-name]")) {
    el.textContent = user ? user.name || user.username : "";
  }
  // Links only some roles may follow (the operator pages, for an admin on the console).
  for (const el of document.querySelectorAll("[data-for-role]")) {
    el.hidden = user?.role !== el.dataset.forRole;
  }
  return user;
}

/** A short message at the bottom of the page that fades by itself. */
export function toast(text, kind = "info") {
  let box = document.getElementById("toasts");
  if (!box) {
    box = document.createElement("div");
    box.id = "toasts";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  const item = document.createElement("div");
  item.className = `toast toast-${kind}`;
  item.dataset.testid = "toast";
  item.textContent = text;
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}
