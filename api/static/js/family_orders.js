// The family app's services card: order a service for her (meals, bathing, cleaning, ...)
// from her station's list, follow each order live as the station moves it on, and rate it
// once it is done. Only what the hub says happened is shown: a state comes from the order.

import { api } from "./api.js";
import { $, h, replace } from "./dom.js";
import { localName, when } from "./format.js";
import { named, t } from "./i18n.js";
import { explain } from "./problems.js";

const orders = { residentId: null, list: [], types: [], token: 0 };

export async function followOrders(residentId) {
  orders.residentId = residentId;
  orders.list = [];
  const token = ++orders.token;
  const [types, list] = await Promise.all([
    api("/service-types").catch(() => []),
    api("/service-orders", { query: { resident: residentId, limit: 20 } }).catch(() => []),
  ]);
  if (token !== orders.token) return;
  orders.types = types.filter((x) => x.active);
  orders.list = list;
  renderOrders({ form: true });
}

/** A live frame about an order of hers: show its new state at once. */
export function onOrderFrame(frame) {
  const order = frame.data?.order;
  if (frame.type !== "service_order" || !order || order.resident !== orders.residentId) return false;
  orders.list = [order, ...orders.list.filter((o) => o.id !== order.id)];
  renderOrders();
  return true;
}

export function renderOrders({ form = false } = {}) {
  const list = $("#orders");
  if (!list) return;
  replace(list, orders.list.length ? orders.list.map(orderItem) : h("li", { class: "empty" }, t("orders.none")));
  if (form || !$("#order-form").childElementCount) renderForm();
}

function orderItem(order) {
  const provider = order.provider ? t("orders.by", { name: order.provider.name }) : "";
  const last = order.history?.[order.history.length - 1];
  return h("li", { class: "order", "data-testid": "family-order", "data-order-id": order.id, "data-state": order.state },
    h("div", { class: "order-head" },
      h("strong", {}, localName(order.type)),
      h("span", { class: `pill order-${order.state}`, "data-testid": "family-order-state" }, named("order_state", order.state))),
    h("div", { class: "muted small" }, [when(order.wanted_at), provider, order.notes].filter(Boolean).join(" · ")),
    last ? h("div", { class: "muted small" }, t("orders.last_change", { time: when(last.at), actor: last.actor })) : null,
    order.state === "done" ? rating(order) : null);
}

function rating(order) {
  if (order.rating) {
    return h("div", { class: "rating", "data-testid": "family-order-rated" }, t("orders.rated", { n: order.rating }));
  }
  return h("div", { class: "rating", "data-testid": "family-order-rate" },
    h("span", {}, t("orders.rate")),
    [1, 2, 3, 4, 5].map((n) => h("button", {
      type: "button", class: "btn star", "data-testid": `rate-${n}`, "aria-label": t("orders.stars", { n }),
      onclick: async (event) => {
        event.currentTarget.disabled = true;
        try {
          const rated = await api(`/service-orders/${order.id}/rating`, { method: "POST", body: { rating: n } });
          orders.list = orders.list.map((o) => (o.id === rated.id ? rated : o));
          renderOrders();
        } catch (error) {
          $("#order-message").textContent = explain(error);
        }
      },
    }, `\u2605${n}`)));
}

function renderForm() {
  const type = h("select", { "data-testid": "order-type", "aria-label": t("orders.service") },
    orders.types.map((x) => h("option", { value: x.id }, localName(x))));
  const wanted = h("input", { type: "datetime-local", "data-testid": "order-when", "aria-label": t("orders.when") });
  const notes = h("input", { type: "text", maxlength: 1000, "data-testid": "order-notes", placeholder: t("orders.notes"), "aria-label": t("orders.notes") });
  const place = h("button", { type: "button", class: "btn btn-primary btn-wide", "data-testid": "order-place" }, t("orders.place"));
  const message = h("p", { class: "muted small", id: "order-message", "data-testid": "order-message", role: "status" });
  place.addEventListener("click", async () => {
    if (!wanted.value) {
      message.textContent = t("orders.need_when");
      return wanted.focus();
    }
    const body = { resident: orders.residentId, type: Number(type.value), wanted_at: wanted.value };
    if (notes.value.trim()) body.notes = notes.value.trim();
    place.disabled = true;
    try {
      const order = await api("/service-orders", { method: "POST", body });
      onOrderFrame({ type: "service_order", data: { order } });
      message.textContent = t("orders.placed");
      notes.value = "";
    } catch (error) {
      message.textContent = explain(error);
    }
    place.disabled = false;
  });
  const form = $("#order-form");
  if (!orders.types.length) return replace(form, h("p", { class: "muted" }, t("orders.no_services")));
  replace(form,
    h("label", { class: "field" }, h("span", {}, t("orders.service")), type),
    h("label", { class: "field" }, h("span", {}, t("orders.when")), wanted),
    h("label", { class: "field" }, h("span", {}, t("orders.notes")), notes),
    place, message);
}
