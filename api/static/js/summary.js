// The family's morning summary (GET /summaries): yesterday and the night in plain words, one
// picture (yesterday's activity at home by hour), whether it was sent and where, and the
// time it comes (PUT /summaries/time). A figure without data says so: the text comes from
// the hub, which never fills a gap with a zero or a "fine".

import { api } from "./api.js";
import { $, h, replace, svg } from "./dom.js";
import { getLang, t } from "./i18n.js";

const state = { residentId: null, summary: undefined, time: undefined };

/** 24 bars: the count of door, motion and presence readings in each hour of the day. */
export function activityBars(counts, label) {
  const width = 480;
  const height = 110;
  const pad = { left: 8, right: 8, top: 8, bottom: 20 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart summary-chart", role: "img", "aria-label": label });
  root.append(svg("title", {}, label));
  const top = Math.max(1, ...counts);
  const slot = (width - pad.left - pad.right) / 24;
  const plotH = height - pad.top - pad.bottom;
  counts.forEach((count, hour) => {
    const barH = (count / top) * plotH;
    root.append(
      svg("rect", {
        x: pad.left + hour * slot + 1,
        y: pad.top + plotH - barH,
        width: slot - 2,
        height: barH,
        class: "summary-bar",
        "data-hour": hour,
        "data-count": count,
      }),
    );
    if (hour % 6 === 0) {
      root.append(svg("text", { x: pad.left + hour * slot, y: height - 6, class: "chart-tick" }, `${String(hour).padStart(2, "0")}:00`));
    }
  });
  return root;
}

function sentText(summary) {
  if (!summary.channels) return t("summary.app_only");
  if (summary.sent === summary.channels) return t("summary.sent", { n: summary.sent });
  if (summary.failed) return t("summary.failed", { n: summary.failed, of: summary.channels });
  return t("summary.sending", { n: summary.channels - summary.sent });
}

// A time typed and not saved yet: the page re-renders on every live update, and a new
// input would otherwise drop what she is typing (and "save" would then save nothing).
let typedTime = null;

export function renderSummary() {
  const box = $("#summary");
  if (!box) return;
  const s = state.summary;
  const setting = h(
    "form",
    { class: "summary-time", "data-testid": "summary-time-form", onsubmit: saveTime },
    h("label", {}, t("summary.time_label"), " ",
      h("input", {
        type: "time", id: "summary-time", "data-testid": "summary-time", value: typedTime ?? state.time ?? "",
        oninput: (event) => { typedTime = event.target.value; },
      })),
    h("button", { type: "submit", class: "btn btn-quiet", "data-testid": "summary-time-save" }, t("summary.time_save")),
    h("span", { class: "muted small", "data-testid": "summary-time-state" },
      state.time ? t("summary.time_set", { time: state.time }) : t("summary.time_off")),
  );
  if (s === undefined) return replace(box, h("h2", { class: "card-title" }, t("summary.title")), h("p", { class: "muted" }, t("common.loading")), setting);
  if (s === null) {
    return replace(box, h("h2", { class: "card-title" }, t("summary.title")),
      h("p", { class: "muted", "data-testid": "summary-none" }, t("summary.none")), setting);
  }
  const counts = s.facts.activity_by_hour;
  const picture = counts
    ? activityBars(counts, t("summary.chart_label", { day: s.day }))
    : h("p", { class: "muted", "data-testid": "summary-chart-none" }, t("summary.chart_none", { day: s.day }));
  replace(
    box,
    h("h2", { class: "card-title" }, t("summary.title_day", { day: s.day })),
    h("p", { class: "summary-text", "data-testid": "summary-text" }, s.text[getLang()] ?? s.text.zh),
    h("div", { "data-testid": "summary-chart" }, picture),
    h("p", { class: "muted small", "data-testid": "summary-sent" }, sentText(s)),
    setting,
  );
}

async function saveTime(event) {
  event.preventDefault();
  const value = $("#summary-time").value || null;
  const saved = await api("/summaries/time", { method: "PUT", body: { at: value } });
  typedTime = null;
  state.time = saved.at;
  renderSummary();
  // A time already passed today brings yesterday's summary in a moment; look a few times,
  // until it is there and each of its channels has sent or failed.
  for (let i = 0; i < 10 && saved.at; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await loadSummary(state.residentId);
    const s = state.summary;
    if (s && s.sent + s.failed >= s.channels) break;
  }
}

/** Load the newest summary of this resident and the user's chosen time. */
export async function loadSummary(residentId) {
  state.residentId = residentId;
  try {
    const [list, time] = await Promise.all([
      api("/summaries", { query: { resident: residentId, limit: 1 } }),
      api("/summaries/time"),
    ]);
    if (state.residentId !== residentId) return;
    state.summary = list[0] ?? null;
    state.time = time.at;
  } catch {
    state.summary = null;
  }
  renderSummary();
}
