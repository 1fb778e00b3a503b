// The family app's visits card: the station's calls and home visits to her (探访), newest
// first, as its staff recorded them; a visit recorded while the page is open appears at once.
// Only what was recorded is shown: an attempt that did not reach her says so.

import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { when } from "./format.js";
import { named, t } from "./i18n.js";

const SHOWN = 10;
const visits = { residentId: null, list: [], failed: false, token: 0 };

export async function followVisits(residentId) {
  visits.residentId = residentId;
  visits.list = [];
  const token = ++visits.token;
  const list = await api("/visits", { query: { resident: residentId, limit: SHOWN } }).catch(() => null);
  if (token !== visits.token) return;
  visits.list = list ?? [];
  visits.failed = list === null; // "could not load" is not "no visits"
  renderVisits();
}

/** A live frame about a visit to her: show it at once. */
export function onVisitFrame(frame) {
  const visit = frame.data;
  if (frame.type !== "visit" || !visit || visit.resident !== visits.residentId) return false;
  visits.list = [visit, ...visits.list.filter((v) => v.id !== visit.id)].slice(0, SHOWN);
  renderVisits();
  return true;
}

export function renderVisits() {
  const list = $("#visits");
  if (!list) return;
  if (visits.failed && !visits.list.length) return replace(list, h("li", { class: "empty" }, t("common.load_failed")));
  replace(list, visits.list.length ? visits.list.map(visitItem) : h("li", { class: "empty" }, t("visits.none")));
}

function visitItem(visit) {
  const checks = Object.entries(visit.checks ?? {}).map(
    ([check, value]) =>
      t("care.check_line", { check: named("check", check), value: t(value === "ok" ? "care.check_ok" : "care.check_concern") }),
  );
  return h("li", { class: "order visit", "data-testid": "family-visit", "data-visit-id": visit.id, "data-reached": String(visit.reached) },
    h("div", { class: "order-head" },
      h("strong", {}, named("method", visit.method)),
      h("span", { class: `pill ${visit.reached ? "visit-reached" : "visit-missed"}` },
        t(visit.reached ? "visits.reached" : "visits.not_reached"))),
    // No visitor: an alert closed as visited that nobody was assigned to (who went is unknown).
    h("div", { class: "muted small" }, [when(visit.at), visit.visitor ? t("visits.by", { name: visit.visitor }) : null].filter(Boolean).join(" · ")),
    checks.length ? h("div", { class: "small", "data-testid": "family-visit-checks" }, checks.join(" · ")) : null,
    visit.notes ? h("div", { class: "small" }, visit.notes) : null,
    visit.follow_up ? h("div", { class: "small" }, t("visits.follow_up", { text: visit.follow_up })) : null);
}
