// Monthly reports for stations, districts and cities (GET /reports/monthly, .csv) and the
// supervisors' overview of their stations now (GET /reports/overview), read-only. Figures
// without data show "no data"; a section another part of the hub provides (visits, service
// orders) shows "not available" when that part is not on this hub, never zeros.

import { api } from "./api.js";
import { legible } from "./chart.js";
import { $, h, replace, svg } from "./dom.js";
import { kindName, localName, outcomeName } from "./format.js";
import { onLangChange, t } from "./i18n.js";
import { explain } from "./problems.js";
import { startPage, toast } from "./shell.js";

// types: service type code -> its names (GET /service-types), for the orders section.
const state = { user: null, overview: [], report: null, types: new Map() };

const LEVELS = ["city", "district", "station"];

function thisMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}

function seconds(value) {
  if (value === null || value === undefined) return t("reports.no_data");
  if (value < 120) return t("reports.seconds", { n: Math.round(value) });
  return t("reports.minutes", { n: (value / 60).toFixed(1) });
}

function share(value) {
  return value === null || value === undefined ? t("reports.no_data") : `${Math.round(value * 100)}%`;
}

/** Horizontal bars: [[label, value]], each label above its bar (a station's long name
 * fits), the value written at the end of the bar; labels 12 px as shown on any screen. */
export function bars(rows, label, format = String) {
  const width = 460;
  const rowH = 40;
  const room = 110; // for the value after the longest bar
  const height = Math.max(rowH, rows.length * rowH) + 4;
  const top = Math.max(1, ...rows.map(([, v]) => v ?? 0));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
  root.append(svg("title", {}, label));
  rows.forEach(([name, value], i) => {
    const y = 2 + i * rowH;
    root.append(svg("text", { x: 0, y: y + 14, class: "report-bar-label" }, name));
    const w = value ? ((width - room) * value) / top : 0;
    root.append(svg("rect", { x: 0, y: y + 20, width: w, height: 14, class: "report-bar" }));
    root.append(svg("text", { x: w + 6, y: y + 32, class: "report-bar-label" }, value === null ? t("reports.no_data") : format(value)));
  });
  return legible(root, width);
}

function renderOverview() {
  const head = h("tr", {},
    [["reports.station"], ["reports.district"], ["reports.homes", "num"], ["reports.open_alerts", "num"],
     ["reports.unacknowledged", "num"], ["reports.devices_offline", "num"]].map(
      ([key, cls]) => h("th", { class: cls }, t(key))));
  const rows = state.overview.map((s) =>
    h("tr", { "data-testid": "overview-row", "data-station": s.id },
      h("td", {}, s.name), h("td", { "data-testid": "overview-district" }, s.district_name ?? s.district ?? "—"),
      h("td", { class: "num" }, s.homes), h("td", { class: "num" }, s.open_alerts),
      h("td", { class: "num" }, s.unacknowledged), h("td", { class: "num" }, s.devices_offline)));
  replace($("[data-testid=overview]"), h("thead", {}, head), h("tbody", {}, rows));
}

function sectionView(name, section) {
  const title = t(`reports.section_${name}`);
  if (!section.available) {
    return h("p", { "data-testid": `section-${name}`, class: "not-available" }, `${title}: ${t("reports.not_available")}`);
  }
  // visits: {planned, done, reached, missed}; orders: {type code: {state: n}}
  const flat = Object.entries(section.figures).map(([k, v]) =>
    typeof v === "object" && v !== null
      ? `${typeName(k)}: ${Object.entries(v).map(([state, n]) => `${t(`order_state.${state}`)} ${n}`).join(", ")}`
      : `${t(`reports.visits_${k}`)} ${v}`);
  if (!flat.length) flat.push(t("reports.no_data"));
  return h("p", { "data-testid": `section-${name}` }, `${title}: ${flat.join("; ")}`);
}

/** A service type by its name (助餐, Meals), not its code ("meal"); the code if unknown. */
function typeName(code) {
  return localName(state.types.get(code)) || code;
}

async function loadTypes() {
  try {
    for (const type of await api("/service-types")) {
      if (!state.types.has(type.code)) state.types.set(type.code, type);
    }
  } catch (error) {
    if (error?.status === 401) throw error;
    // without the names the codes are shown
  }
}

function areaCard(area) {
  const byKind = Object.entries(area.alerts.by_kind).map(([kind, outcomes]) => [
    kindName(kind),
    Object.values(outcomes).reduce((a, b) => a + b, 0),
  ]);
  const outcomes = Object.entries(area.alerts.by_outcome)
    .map(([o, n]) => `${o === "open" ? t("reports.open") : outcomeName(o)} ${n}`)
    .join(t("reports.sep"));
  const ack = area.acknowledge;
  const figures = [
    ["reports.alerts_total", area.alerts.total],
    ["reports.ack_median", seconds(ack.median_s)],
    ["reports.ack_p90", seconds(ack.p90_s)],
    ["reports.critical_median", seconds(ack.critical.median_s)],
    ["reports.critical_within", `${share(ack.critical.share_within_5min)} (${ack.critical.within_5min}/${ack.critical.raised})`],
    ["reports.offline_homes", area.offline_homes.count],
  ];
  return h("section", { class: "card", "data-testid": "report-area", "data-level": area.level, "data-id": area.id },
    h("h2", { class: "card-title" }, `${t(`reports.level_${area.level}`)} · ${area.name}`),
    h("dl", { class: "report-figures" }, figures.map(([key, value]) => [h("dt", {}, t(key)), h("dd", { "data-figure": key.split(".")[1] }, value)])),
    byKind.length ? bars(byKind, t("reports.by_kind")) : h("p", { class: "muted" }, t("reports.no_alerts")),
    outcomes ? h("p", { class: "muted small" }, `${t("reports.by_outcome")}: ${outcomes}`) : null,
    Object.entries(area.sections).map(([name, section]) => sectionView(name, section)),
  );
}

function renderReport() {
  const report = state.report;
  if (!report) return;
  const sorted = [...report.areas].sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level));
  const stations = sorted.filter((a) => a.level === "station");
  replace($("#compare"), stations.length
    ? [h("h3", {}, t("reports.compare")), bars(stations.map((s) => [s.name, s.acknowledge.median_s]), t("reports.compare"), seconds)]
    : h("p", { class: "muted" }, t("reports.no_stations")));
  replace($("#areas"), h("div", { class: "report-areas" }, sorted.map(areaCard)));
  $("#status").textContent = t("reports.period", { start: report.start.slice(0, 10), end: report.end.slice(0, 10) });
}

async function loadReport() {
  const month = $("#month").value || thisMonth();
  $("#csv").href = `/reports/monthly.csv?month=${encodeURIComponent(month)}`;
  $("#status").textContent = t("common.loading");
  try {
    state.report = await api("/reports/monthly", { query: { month } });
    renderReport();
  } catch (error) {
    $("#status").textContent = t("common.load_failed");
    if (error?.status !== 401) console.error(error);
  }
}

async function loadTree() {
  if (state.user?.role !== "admin") return;
  const [cities, districts] = await Promise.all([api("/cities"), api("/districts")]);
  replace($("#tree"), cities.map((c) => h("li", {}, `${c.name} (${c.id}): `,
    districts.filter((d) => d.city === c.id).map((d) => `${d.name} (${d.id}) [${d.stations.join(", ")}]`).join("; "))));
}

function adminForm(selector, send) {
  $(selector).addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    try {
      await send(data);
      toast(t("reports.saved"));
      event.target.reset();
      await Promise.all([loadTree(), loadOverview(), loadReport()]);
    } catch (error) {
      toast(error.detail ? explain(error) : t("common.load_failed"), "error");
    }
  });
}

async function loadOverview() {
  state.overview = await api("/reports/overview");
  renderOverview();
}

async function main() {
  state.user = await startPage();
  $("#month").value = thisMonth();
  $("#month-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadReport();
  });
  adminForm("#city-form", (d) => api(`/cities/${d.id}`, { method: "PUT", body: { name: d.name } }));
  adminForm("#district-form", (d) => api(`/districts/${d.id}`, { method: "PUT", body: { name: d.name, city: d.city } }));
  adminForm("#place-form", (d) => api(`/districts/${d.district}/stations/${d.station}`, { method: "PUT" }));
  onLangChange(() => {
    renderOverview();
    renderReport();
  });
  await Promise.all([loadOverview(), loadTypes().then(loadReport), loadTree()]);
}

main().catch((error) => {
  if (error?.status !== 401) {
    console.error(error);
    $("#status").textContent = t("common.load_failed");
  }
});
