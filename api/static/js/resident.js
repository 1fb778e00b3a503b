// Panels about one resident, shared by the console's card: who she is and whom to call,
// her vitals over 24 hours, today's activity, her devices, and how a fall felt on her wrist.

import { h, replace } from "./dom.js";
import { ago, count, dateAt, hhmm, kindName, numberText, when } from "./format.js";
import { named, t } from "./i18n.js";
import { accelChart, timelineStrip, vitalsChart } from "./chart.js";

/** data: GET /residents/{id}. */
export function residentPanel(el, data) {
  if (!data) return replace(el, h("p", { class: "empty" }, t("common.load_failed")));
  const contacts = data.contacts ?? [];
  return replace(
    el,
    h("div", { class: "resident-head" },
      h("h2", { class: "resident-name", "data-testid": "resident-name" }, data.name),
      h("span", { class: "resident-age" }, t("card.age_years", { n: data.age })),
      h("span", { class: `home-status home-${data.home_status}`, "data-testid": "home-status" },
        named("home", data.home_status) || data.home_status),
      awayTag(data.away) || awayNextTag(data.away_next),
    ),
    h("p", { class: "resident-address" },
      h("span", { class: "label" }, t("card.address")), " ",
      data.address || t("card.no_address")),
    h("h3", { class: "panel-title" }, t("card.contacts")),
    contacts.length
      ? h("ul", { class: "contacts", "data-testid": "contacts" },
          contacts.map((c) =>
            h("li", { class: "contact" },
              h("span", { class: "contact-name" }, c.name),
              h("span", { class: "contact-relation" }, named("relation", c.relation)),
              c.phone
                ? h("a", { class: "btn btn-call", href: `tel:${c.phone.replace(/[^\d+]/g, "")}`, "data-testid": "contact-phone" },
                    t("card.call", { phone: c.phone }))
                : h("span", { class: "muted" }, t("card.no_phone")),
            )))
      : h("p", { class: "empty" }, t("card.no_contacts")),
  );
}

/** "外出登记至 12月6日 18:00": the absence announced for now (GET /residents: away), so
 * that a silence there surprises nobody; null when none. */
export function awayTag(away) {
  if (!away) return null;
  return h("span", { class: "away-tag", "data-testid": "away-tag", title: awayTitle(away) }, t("away.tag", { until: dateAt(away.end) }));
}

/** "将外出 12月8日 09:00 至 12月10日 18:00": the soonest absence to come (GET /residents:
 * away_next), so that nobody plans a visit to an empty flat; null when none. */
export function awayNextTag(next) {
  if (!next) return null;
  return h("span", { class: "away-tag away-next-tag", "data-testid": "away-next-tag", title: awayTitle(next) },
    t("away.next_tag", { from: dateAt(next.start), until: dateAt(next.end) }));
}

/** Its note and who announced it, for the tag's title (null when neither). */
function awayTitle(away) {
  const who = away.by_name || away.by;
  return [away.note, who ? t("away.by", { who }) : ""].filter(Boolean).join(" · ") || null;
}

/** hr, spo2: GET /residents/{id}/history for heart_rate and spo2 (or null on failure). */
export function vitalsPanel(el, hr, spo2) {
  const one = (data, key, options) => {
    const title = t(key);
    const hours = (data?.hours ?? []).filter((x) => typeof x.mean === "number");
    if (!hours.length) {
      return h("figure", { class: "vital" },
        h("figcaption", {}, title),
        h("p", { class: "empty small" }, data ? t("common.not_available") : t("common.load_failed")));
    }
    const low = Math.min(...hours.map((x) => x.min ?? x.mean));
    const high = Math.max(...hours.map((x) => x.max ?? x.mean));
    const label = t("vitals.summary", { name: title, min: numberText(low), max: numberText(high) });
    return h("figure", { class: "vital", "data-testid": `chart-${data.metric}` },
      h("figcaption", {}, title, h("span", { class: "muted small" }, ` ${numberText(low)}–${numberText(high)}`)),
      vitalsChart(data.hours, data.start, data.end, { label, ...options }));
  };
  return replace(
    el,
    h("h3", { class: "panel-title" }, t("vitals.title")),
    one(hr, "vitals.heart_rate", { normal: [45, 120], cls: "chart-hr" }),
    one(spo2, "vitals.spo2", { normal: [90, 100], ceil: 100, cls: "chart-spo2" }),
    h("p", { class: "muted small" }, t("vitals.legend")),
  );
}

/** data: GET /alerts/{id}/window, or nothing (most alerts have no window): then empty. */
export function accelPanel(el, data) {
  const samples = data?.samples ?? [];
  if (!samples.length || !(data.rate_hz > 0)) return replace(el);
  const peak = Math.max(...samples.map(([x, y, z]) => Math.hypot(x, y, z))).toFixed(1);
  const seconds = numberText((samples.length - 1) / data.rate_hz);
  return replace(
    el,
    h("figure", { class: "vital accel-window", "data-testid": "accel-window", "data-peak-g": peak },
      h("figcaption", {}, t("accel.title")),
      accelChart(samples, data.rate_hz, {
        label: t("accel.summary", { g: peak, s: seconds }),
        peakLabel: t("accel.peak", { g: peak }),
        restLabel: t("accel.rest"),
      }),
      h("p", { class: "muted small" }, t("accel.legend"))),
  );
}

export function eventLabel(event) {
  const where = named("role", event.role) || event.device || "";
  if (event.what === "alert") return t("tl.alert", { kind: kindName(event.kind) });
  if (event.what === "got_up") return t("what.got_up");
  return where ? t("tl.where_what", { where, what: named("what", event.what) }) : named("what", event.what);
}

/** The four numbers of today: got up, last activity, steps, heart rate. */
export function todayFacts(today) {
  const hr = today?.heart_rate ?? {};
  return [
    { key: "today.got_up", value: today?.got_up_at ? hhmm(today.got_up_at) : t(today?.got_up_known === false ? "today.got_up_unknown" : "today.not_up_yet"), words: !today?.got_up_at, testid: "got-up" },
    { key: "today.last_activity", value: today?.last_activity ? ago(today.last_activity) : "—", sub: today?.last_activity ? hhmm(today.last_activity) : "", agoOf: today?.last_activity, testid: "last-activity" },
    { key: "today.steps", value: typeof today?.steps === "number" ? count(today.steps) : "—", testid: "steps" },
    { key: "today.heart_rate", value: typeof hr.last === "number" ? t("today.bpm", { n: numberText(hr.last) }) : "—", sub: hr.at ? hhmm(hr.at) : "", testid: "heart-rate" },
  ];
}

export function factTiles(today) {
  return h("div", { class: "facts" },
    todayFacts(today).map((f) =>
      h("div", { class: "fact", "data-testid": f.testid },
        h("div", { class: "fact-label" }, t(f.key)),
        h("div", { class: `fact-value${f.words || f.agoOf ? " fact-words" : ""}`, "data-ago": f.agoOf || null }, f.value),
        f.sub ? h("div", { class: "fact-sub" }, f.sub) : null)));
}

/** today: GET /residents/{id}/today (null when not available). */
export function todayPanel(el, today) {
  const events = today?.timeline ?? [];
  const latest = events.slice(-8).reverse();
  return replace(
    el,
    h("h3", { class: "panel-title" }, t("today.title")),
    today ? factTiles(today) : h("p", { class: "empty small" }, t("common.not_available")),
    today && events.length ? timelineStrip(events, today.date, eventLabel) : null,
    today && !events.length ? h("p", { class: "empty small" }, t("today.empty")) : null,
    latest.length
      ? h("ol", { class: "events", "data-testid": "timeline" },
          latest.map((e) => h("li", { class: `event ev-${e.what}` },
            h("time", { datetime: e.at }, hhmm(e.at)), " ", eventLabel(e))))
      : null,
  );
}

/** devices: GET /homes/{id}/devices. */
export function devicesPanel(el, devices) {
  if (!devices) return replace(el, h("h3", { class: "panel-title" }, t("devices.title")), h("p", { class: "empty small" }, t("common.load_failed")));
  return replace(
    el,
    h("h3", { class: "panel-title" }, t("devices.title")),
    devices.length
      ? h("ul", { class: "devices", "data-testid": "devices" },
          devices.map((d) => {
            const status = d.online === null ? "never" : d.online ? "online" : "offline";
            const battery = typeof d.battery === "number" ? d.battery : null;
            const level = battery === null ? "" : battery < 5 ? "battery-critical" : battery < 15 ? "battery-low" : "battery-ok";
            return h("li", { class: `device device-${status}`, "data-testid": "device", "data-device-id": d.id, "data-status": status },
              h("span", { class: "device-dot", "aria-hidden": "true" }),
              h("span", { class: "device-name" },
                named("device_kind", d.kind),
                h("span", { class: "muted small" }, ` ${named("role", d.role)} · ${d.id}`)),
              h("span", { class: "device-state" }, named("devices", status)),
              h("span", { class: "device-seen muted small" },
                d.last_seen ? t("devices.last_seen", { when: when(d.last_seen) }) : ""),
              battery === null
                ? h("span", { class: "battery" })
                : h("span", { class: `battery ${level}`, title: t("devices.battery", { n: Math.round(battery) }) },
                    h("span", { class: "battery-bar" }, h("span", { class: "battery-fill", "data-level": Math.round(battery) })),
                    ` ${Math.round(battery)}%`));
          }))
      : h("p", { class: "empty small" }, t("devices.none")),
  );
}

/** Battery bars are sized in script: CSP allows no inline style attributes. */
export function sizeBatteries(root) {
  for (const fill of root.querySelectorAll(".battery-fill[data-level]")) {
    fill.style.width = `${Math.max(0, Math.min(100, Number(fill.dataset.level)))}%`;
  }
}
