// Log-in: POST /auth/login sets the session cookie; then on to the page for the role,
// or back to where a 401 sent the browser from (?next=), if that page suits the role.

import { api, homeFor, mayOpen } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { startPage } from "./shell.js";

/** Only a path on this site: "/console#x" yes, "//evil.example" or "https://..." no. */
export function safeNext(raw) {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return null;
  try {
    const url = new URL(raw, location.origin);
    if (url.origin !== location.origin || url.pathname.startsWith("/login")) return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}

function destination(user) {
  const next = safeNext(new URLSearchParams(location.search).get("next"));
  const home = homeFor(user);
  // A page not for this account (the console, for a family) would only send it home.
  if (next && mayOpen(new URL(next, location.origin).pathname, user)) return next;
  return home;
}

function showError(key) {
  const box = $("#login-error");
  box.dataset.i18n = key;
  box.textContent = t(key);
  box.hidden = false;
}

async function main() {
  await startPage({ needUser: false });
  const form = $("#login-form");
  const submit = $("[data-testid=login-submit]");
  form.username.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) return showError("login.missing");
    $("#login-error").hidden = true;
    submit.disabled = true;
    submit.textContent = t("login.busy");
    try {
      const answer = await api("/auth/login", {
        method: "POST",
        body: { username, password },
        redirectOn401: false,
      });
      location.replace(destination(answer.user));
    } catch (error) {
      const key =
        error.status === 429
          ? "login.throttled"
          : error.status === 401 || error.status === 422
            ? "login.bad_credentials"
            : "login.failed";
      showError(key);
      form.password.select();
    } finally {
      submit.disabled = false;
      submit.textContent = t("login.submit");
    }
  });
  // Already logged in? Straight on. Asked after the form is wired: what is typed meanwhile counts.
  try {
    const user = await api("/auth/me", { redirectOn401: false });
    if (user) location.replace(destination(user));
  } catch {
    // not logged in: the form it is
  }
}

main();
