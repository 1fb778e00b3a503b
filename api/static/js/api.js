// REST calls with the session cookie. A 401 anywhere sends the browser to the log-in page,
// which comes back here after logging in.

let actor = null;

/** Who acts, sent as X-Actor until the server takes the user from the session. */
export function setActor(name) {
  actor = name;
}

export class ApiError extends Error {
  /** `detail`: the API's words (English); `body`: its answer, whose `code` or list of
   * problems ({loc, type, ctx}) the pages turn into their own words (problems.js). */
  constructor(status, detail, body = null) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
    this.code = body?.code ?? null;
    this.problems = Array.isArray(body?.detail) ? body.detail : [];
  }
}

export function loginUrl() {
  const here = location.pathname + location.search;
  return `/login?next=${encodeURIComponent(here)}`;
}

export function toLogin() {
  location.assign(loginUrl());
}

function detailText(detail) {
  if (!detail) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg ?? JSON.stringify(d)).join("; ");
  return JSON.stringify(detail);
}

/**
 * fetch() a JSON API: api("/alerts", {query: {station: "st1"}}), api(path, {method, body}).
 * Resolves to the parsed body (null for 204); rejects with ApiError.
 */
export async function api(path, { method = "GET", query, body, redirectOn401 = true } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(key, one);
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // Header values must be visible ASCII; the session names the user anyway.
  if (method !== "GET" && actor && /^[\x21-\x7e]{1,100}$/.test(actor)) headers["X-Actor"] = actor;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401 && redirectOn401) {
    toLogin();
    throw new ApiError(401, "not logged in");
  }
  if (!response.ok) {
    let detail = "";
    let answer = null;
    try {
      answer = await response.json();
      detail = detailText(answer.detail);
    } catch {
      detail = response.statusText;
    }
    throw new ApiError(response.status, detail, answer);
  }
  if (response.status === 204) return null;
  return response.json();
}

/**
 * The logged-in user ({username, name, role, stations, residents}). null while the server
 * has no accounts yet (404 on /auth/me): the pages then work for everyone.
 */
export async function currentUser() {
  try {
    return await api("/auth/me");
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

const beforeLogout = [];

/** `fn` runs (awaited, errors ignored) before the session ends: e.g. a push unsubscribe. */
export function onLogout(fn) {
  beforeLogout.push(fn);
}

export async function logout() {
  try {
    for (const fn of beforeLogout) await Promise.resolve().then(fn).catch(() => {});
    await fetch("/auth/logout", { method: "POST", credentials: "same-origin" });
  } finally {
    location.assign("/login");
  }
}

const WARD_ROLES = ["admin", "nurse", "head_nurse"];
const onWard = (user) => WARD_ROLES.includes(user.role) || (user.role === "caregiver" && user.institutions?.length > 0);

/** Who each page is for. A page opened by someone else sends them to their own page:
 * a nurse station or a report seen by the wrong account would only mislead ("no rooms on
 * this floor", "you are not on shift" to a family whose mother's SOS is open). */
const AUDIENCE = {
  "/console": (user) => user.role !== "family",
  "/admin": (user) => user.role === "admin",
  "/reports": (user) => user.role !== "family",
  "/ward": onWard,
  "/ward/phone": onWard,
  // Push and morning summaries are the family's (403 for staff, who have the console).
  "/family": (user) => user.role === "family",
};

/** Whether `path` is a page for `user` (no accounts yet, `user` null: every page is). */
export function mayOpen(path, user) {
  if (!user) return true;
  const allowed = AUDIENCE[path.replace(/\/+$/, "") || "/"];
  return allowed ? allowed(user) : true;
}

/** The page a user starts on after logging in. */
export function homeFor(user) {
  if (user?.role === "admin") return "/admin"; // the operator pages, which link to the console
  if (user?.role === "district" || user?.role === "city") return "/reports"; // read-only figures
  if (user?.role === "nurse" || user?.role === "head_nurse") return "/ward";
  if (user?.role === "caregiver" && user.institutions?.length) return "/ward/phone";
  return user?.role === "family" ? "/family" : "/console";
}
