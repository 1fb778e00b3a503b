// The dispatcher console's care tab: today's visits (due and overdue, with a form to record
// one) and the station's open service orders (moved on state by state, or placed for a
// resident who phones in). Live: an order change or a visit_overdue alert reloads it.

import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { localName, when } from "./format.js";
import { getLang, named, t } from "./i18n.js";
import { explain } from "./problems.js";
import { toast } from "./shell.js";

const METHODS = ["phone", "video", "home"];
const CHECKS = ["eating", "medication", "home_safe", "mood"];
// The next steps the station takes from each state (hub/service_orders.py's table).
const NEXT = {
  requested: ["accepted", "cancelled"],
  accepted: ["assigned", "cancelled"],
  assigned: ["on_the_way", "done", "cancelled"],
  on_the_way: ["done", "cancelled"],
};

const care = {
  station: null,
  due: [],
  orders: [],
  types: [],
  providers: [],
  residents: [],
  open: null, // the resident whose visit form is open
  form: null, // {resident, lang, node}: that form, kept across redraws
  picked: new Map(), // order id -> the provider chosen for it, kept across redraws
  timer: null,
  liveOrders: 0, // service_order frames taken so far: a reload begun before one must not undo it
  mayAct: true, // the account records visits and moves orders (GET /auth/me acts_on_alerts)
};

export async function reloadCare() {
  if (!care.station) return;
  const live = care.liveOrders;
  const station = { station: care.station };
  const [due, orders] = await Promise.all([
    api("/visits/due", { query: station }).catch(() => null),
    api("/service-orders", { query: { ...station, open_only: true } }).catch(() => null),
  ]);
  if (due) care.due = due;
  // An order that came live while these were fetched may not be in them (asked for before
  // it was stored): keep the live list and ask again, rather than lose the new order.
  if (orders && care.liveOrders === live) care.orders = orders;
  else if (orders) scheduleCare();
  renderCare();
}

export function scheduleCare() {
  clearTimeout(care.timer);
  care.timer = setTimeout(reloadCare, 300);
}

/** A live frame: an order of the station, a visit recorded, or an alert about a visit. */
export function onCareFrame(frame) {
  if (frame.type === "service_order") {
    const order = frame.data?.order;
    if (!order || order.station !== care.station) return;
    care.liveOrders += 1;
    const open = !["done", "cancelled"].includes(order.state);
    care.orders = care.orders.filter((o) => o.id !== order.id);
    if (open) care.orders.unshift(order);
    renderCare();
  } else if (frame.type === "visit" || (frame.type === "alert" && frame.data?.alert?.kind === "visit_overdue")) {
    scheduleCare();
  }
}

/** `mayAct`: whether the account takes the station's actions (a district or city account
 * reads the lists: no record button, no order buttons, no phone order form). */
export async function startCare(station, { mayAct = true } = {}) {
  care.station = station;
  care.mayAct = mayAct;
  const [types, providers, residents] = await Promise.all([
    api("/service-types").catch(() => []),
    api("/service-providers").catch(() => []),
    api("/residents").catch(() => []),
  ]);
  care.types = types.filter((x) => x.station === station && x.active);
  care.providers = providers.filter((x) => x.station === station && x.active);
  care.residents = residents;
  await reloadCare();
}

export function renderCare() {
  const visits = $("#care-visits");
  if (!visits) return;
  replace(visits, care.due.length ? care.due.map(visitRow) : h("p", { class: "empty", "data-testid": "visits-empty" }, t("care.no_visits")));
  $("#care-visits-count").textContent = care.due.length ? String(care.due.length) : "";
  replace($("#care-orders"), care.orders.length ? care.orders.map(orderRow) : h("p", { class: "empty" }, t("care.no_orders")));
  renderOrderForm();
}

function visitRow(plan) {
  const misses = plan.misses ? t("care.misses", { n: plan.misses }) : "";
  return h("li", { class: `care-item st-${plan.state}`, "data-testid": "visit-item", "data-resident": plan.resident, "data-state": plan.state },
    h("div", { class: "item-row" },
      h("strong", {}, plan.resident_name),
      h("span", { class: `state-pill visit-${plan.state}` }, named("visit_state", plan.state)),
      h("span", {}, named("method", plan.method)),
      h("span", { class: "muted" }, `${localName(plan.tier)} · ${plan.responsible}`),
      misses && h("span", { class: "warn" }, misses),
      care.mayAct && h("button", { type: "button", class: "btn", "data-testid": "visit-record-open", onclick: () => { care.open = care.open === plan.resident ? null : plan.resident; care.form = null; renderCare(); } }, t("care.record"))),
    care.open === plan.resident ? openForm(plan) : null);
}

// The open form is kept across redraws (a live frame redraws the list): what the dispatcher
// has chosen and typed must not vanish under her hands.
function openForm(plan) {
  if (care.form?.resident !== plan.resident || care.form.lang !== getLang()) {
    care.form = { resident: plan.resident, lang: getLang(), node: visitForm(plan) };
  }
  return care.form.node;
}

function visitForm(plan) {
  const method = h("select", { "data-testid": "visit-method", "aria-label": t("care.method") },
    METHODS.map((m) => h("option", { value: m, selected: m === plan.method }, named("method", m))));
  const reached = h("select", { "data-testid": "visit-reached", "aria-label": t("care.reached") },
    h("option", { value: "yes" }, t("care.reached_yes")), h("option", { value: "no" }, t("care.reached_no")));
  const checks = CHECKS.map((c) => h("label", { class: "check" }, named("check", c),
    h("select", { "data-check": c, "data-testid": `visit-check-${c}` },
      h("option", { value: "" }, t("care.not_checked")),
      h("option", { value: "ok" }, t("care.check_ok")),
      h("option", { value: "concern" }, t("care.check_concern")))));
  const notes = h("input", { type: "text", maxlength: 2000, "data-testid": "visit-notes", placeholder: t("care.notes"), "aria-label": t("care.notes") });
  const followUp = h("input", { type: "text", maxlength: 2000, "data-testid": "visit-follow-up", placeholder: t("care.follow_up"), "aria-label": t("care.follow_up") });
  const save = h("button", { type: "button", class: "btn btn-primary", "data-testid": "visit-save" }, t("care.save_visit"));
  save.addEventListener("click", async () => {
    const body = { resident: plan.resident, method: method.value, reached: reached.value === "yes", checks: {} };
    for (const select of checks.map((label) => label.querySelector("select"))) {
      if (select.value) body.checks[select.dataset.check] = select.value;
    }
    if (notes.value.trim()) body.notes = notes.value.trim();
    if (followUp.value.trim()) body.follow_up = followUp.value.trim();
    save.disabled = true;
    try {
      await api("/visits", { method: "POST", body });
      toast(body.reached ? t("care.visit_saved") : t("care.attempt_saved"), "info");
      care.open = null;
      care.form = null;
      await reloadCare();
    } catch (error) {
      toast(explain(error), "warning");
      save.disabled = false;
    }
  });
  return h("div", { class: "care-form", "data-testid": "visit-form" },
    h("div", { class: "action-row" }, method, reached),
    h("div", { class: "action-row checks" }, checks),
    h("div", { class: "action-row" }, notes, followUp, save));
}

function orderRow(order) {
  const provider = order.provider ? ` · ${order.provider.name}` : "";
  const buttons = (care.mayAct ? NEXT[order.state] ?? [] : []).map((to) => {
    if (to === "assigned") {
      const pick = h("select", { "data-testid": "order-provider", "aria-label": t("care.provider"), onchange: (event) => care.picked.set(order.id, event.target.value) },
        care.providers.map((p) => h("option", { value: p.id, selected: String(p.id) === care.picked.get(order.id) }, `${p.name} (${named("provider_kind", p.kind)})`)));
      const go = h("button", { type: "button", class: "btn", "data-testid": "order-to-assigned", onclick: () => move(order, go, { to, provider: Number(pick.value) }) }, named("order_action", to));
      return [pick, go];
    }
    const button = h("button", { type: "button", class: `btn${to === "cancelled" ? " btn-quiet" : ""}`, "data-testid": `order-to-${to}` }, named("order_action", to));
    button.addEventListener("click", () => move(order, button, { to }));
    return button;
  });
  return h("li", { class: "care-item", "data-testid": "order-item", "data-order-id": order.id, "data-state": order.state },
    h("div", { class: "item-row" },
      h("strong", {}, order.resident_name),
      h("span", {}, localName(order.type)),
      h("span", { class: "state-pill", "data-testid": "order-state" }, named("order_state", order.state)),
      h("span", { class: "muted" }, `${when(order.wanted_at)}${provider}`)),
    order.notes ? h("div", { class: "muted small" }, order.notes) : null,
    h("div", { class: "action-row" }, buttons));
}

async function move(order, button, body) {
  button.disabled = true;
  try {
    await api(`/service-orders/${order.id}/state`, { method: "POST", body });
  } catch (error) {
    toast(explain(error), "warning");
  }
  button.disabled = false;
}

function renderOrderForm() {
  const form = $("#care-new-order");
  if (form) form.hidden = !care.mayAct;
  // Built once per language and lists: a redraw must not wipe what is being typed.
  const key = `${getLang()}:${care.types.length}:${care.residents.length}`;
  if (!form || form.dataset.built === key) return;
  form.dataset.built = key;
  const resident = h("select", { "data-testid": "new-order-resident", "aria-label": t("care.resident") },
    care.residents.map((r) => h("option", { value: r.id }, r.name)));
  const type = h("select", { "data-testid": "new-order-type", "aria-label": t("care.service") },
    care.types.map((x) => h("option", { value: x.id }, localName(x))));
  const wanted = h("input", { type: "datetime-local", "data-testid": "new-order-when", "aria-label": t("care.when") });
  const notes = h("input", { type: "text", maxlength: 1000, "data-testid": "new-order-notes", placeholder: t("orders.notes"), "aria-label": t("orders.notes") });
  const place = h("button", { type: "button", class: "btn btn-primary", "data-testid": "new-order-place" }, t("care.place_order"));
  place.addEventListener("click", async () => {
    if (!wanted.value) return toast(t("care.need_when"), "warning"), wanted.focus();
    const body = { resident: resident.value, type: Number(type.value), wanted_at: wanted.value };
    if (notes.value.trim()) body.notes = notes.value.trim();
    place.disabled = true;
    try {
      await api("/service-orders", { method: "POST", body });
      notes.value = "";
      toast(t("care.order_placed"), "info");
    } catch (error) {
      toast(explain(error), "warning");
    }
    place.disabled = false;
  });
  replace(form, h("h3", {}, t("care.phone_order")), h("div", { class: "action-row" }, resident, type, wanted, notes, place));
}
