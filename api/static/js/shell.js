// What every page shares: strings, language, the 中文/EN toggle, the log-out button, the user.

import { currentUser, homeFor, logout, mayOpen } from "./api.js";
import { applyI18n, bindLangToggle, loadStrings, setLang, storedLang } from "./i18n.js";

// Every form here is sent by script. One sent by the browser itself (a click before its page
// has wired it) would be a GET that puts what was typed, a password too, in the address bar.
document.addEventListener("submit", (event) => event.preventDefault(), true);

/** Loads the strings, applies the remembered language, wires the header; returns the user.
 * A user this page is not for (api.js mayOpen) is sent to their own page instead: the
 * promise then never resolves, so the page loads nothing. */
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
  if (!needUser) {
    document.body.classList.remove("booting");
    return null;
  }
  let user;
  try {
    user = await currentUser();
  } catch (error) {
    document.body.classList.remove("booting");
    throw error;
  }
  if (!mayOpen(location.pathname, user)) {
    location.replace(homeFor(user));
    return new Promise(() => {}); // the page stays blank until the browser leaves it
  }
  // Shown only now: the page wires its forms as soon as this returns, before any click.
  document.body.classList.remove("booting");
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
