// Charts drawn as inline SVG: hourly vitals (a min-max band with the mean as a line),
// today's activity on a 24-hour strip, and a wearable's acceleration around a fall.
// Sized by viewBox, so they scale with their box.

import { svg } from "./dom.js";
import { hhmm, ms, offsetMinutes } from "./format.js";

const HOUR = 3600000;

/**
 * hours: [{hour, min, mean, max}] from GET /residents/{id}/history; start/end: ISO times.
 * options: {width, height, label, unit, normal: [low, high], floor, ceil, compact, cls}.
 */
export function vitalsChart(hours, start, end, options = {}) {
  const { width = 480, height = 150, label = "", normal = null, compact = false } = options;
  const pad = compact
    ? { left: 28, right: 6, top: 8, bottom: 16 }
    : { left: 36, right: 10, top: 10, bottom: 22 };
  const points = hours.filter((h) => typeof h.mean === "number");
  const x0 = ms(start);
  const x1 = ms(end);
  let low = Math.min(...points.map((p) => p.min ?? p.mean), ...(normal ?? []));
  let high = Math.max(...points.map((p) => p.max ?? p.mean), ...(normal ?? []));
  if (options.floor !== undefined) low = Math.max(options.floor, low);
  if (options.ceil !== undefined) high = Math.min(options.ceil, high);
  if (!Number.isFinite(low) || !Number.isFinite(high)) [low, high] = [0, 1];
  const span = Math.max(high - low, 4);
  low = Math.floor(low - span * 0.08);
  high = Math.ceil(high + span * 0.08);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  // An hour's value sits in the middle of its hour.
  const x = (iso) => pad.left + ((ms(iso) + HOUR / 2 - x0) / (x1 - x0)) * plotW;
  const y = (v) => pad.top + (1 - (v - low) / (high - low)) * plotH;

  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: `chart ${options.cls ?? ""}`,
    role: "img",
    "aria-label": label,
  });
  root.append(svg("title", {}, label));
  if (normal) {
    const [a, b] = normal;
    root.append(
      svg("rect", {
        x: pad.left,
        width: plotW,
        y: y(Math.min(b, high)),
        height: Math.max(0, y(Math.max(a, low)) - y(Math.min(b, high))),
        class: "chart-normal",
      }),
    );
  }
  // y grid: three to four round steps
  const step = niceStep((high - low) / 3);
  for (let v = Math.ceil(low / step) * step; v <= high; v += step) {
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "chart-grid" }));
    root.append(svg("text", { x: pad.left - 4, y: y(v) + 4, class: "chart-tick", "text-anchor": "end" }, v));
  }
  // x ticks every 6 hours of the home's local time
  const offset = offsetMinutes(end) * 60000;
  const every = compact ? 12 * HOUR : 6 * HOUR;
  for (let tick = Math.ceil((x0 + offset) / every) * every - offset; tick <= x1; tick += every) {
    const px = pad.left + ((tick - x0) / (x1 - x0)) * plotW;
    const local = new Date(tick + offset).toISOString().slice(11, 16);
    root.append(svg("line", { x1: px, x2: px, y1: pad.top, y2: pad.top + plotH, class: "chart-grid" }));
    const anchor = px > width - pad.right - 14 ? "end" : px < pad.left + 14 ? "start" : "middle";
    root.append(svg("text", { x: px, y: height - 5, class: "chart-tick", "text-anchor": anchor }, local));
  }
  // runs of consecutive hours: a gap in the data is a gap in the line
  for (const run of runs(points)) {
    if (run.length > 1 && run.every((p) => typeof p.min === "number")) {
      const top = run.map((p) => `${x(p.hour).toFixed(1)},${y(p.max).toFixed(1)}`);
      const bottom = run.map((p) => `${x(p.hour).toFixed(1)},${y(p.min).toFixed(1)}`).reverse();
      root.append(svg("polygon", { points: [...top, ...bottom].join(" "), class: "chart-band" }));
    }
    const line = run.map((p) => `${x(p.hour).toFixed(1)},${y(p.mean).toFixed(1)}`).join(" ");
    if (run.length > 1) root.append(svg("polyline", { points: line, class: "chart-line" }));
    for (const p of run) {
      const dot = svg("circle", { cx: x(p.hour), cy: y(p.mean), r: compact ? 1.8 : 2.5, class: "chart-dot" });
      dot.append(svg("title", {}, `${hhmm(p.hour)}  ${p.min ?? ""}–${p.max ?? ""} (${p.mean})`));
      root.append(dot);
    }
  }
  return legible(root, width);
}

function runs(points) {
  const out = [];
  let current = [];
  for (const p of points) {
    const last = current[current.length - 1];
    if (last && ms(p.hour) - ms(last.hour) > HOUR * 1.5) {
      out.push(current);
      current = [];
    }
    current.push(p);
  }
  if (current.length) out.push(current);
  return out;
}

/** A number for an axis: 0.5, 1, 1.5, without binary noise (0.30000000000000004). */
const tickText = (v) => String(Number(v.toFixed(2)));

/**
 * The magnitude sqrt(x²+y²+z²) of accelerometer samples [[x, y, z], ...] in g, taken at
 * rateHz, over seconds since the first; a dashed line at 1 g (at rest), the peak marked.
 * options: {width, height, label, peakLabel, restLabel}.
 */
export function accelChart(samples, rateHz, options = {}) {
  const { width = 480, height = 150, label = "", peakLabel = "", restLabel = "" } = options;
  const pad = { left: 36, right: 12, top: 10, bottom: 22 };
  const g = samples.map(([ax, ay, az]) => Math.hypot(ax, ay, az));
  const peakAt = g.indexOf(Math.max(...g));
  const duration = Math.max((g.length - 1) / rateHz, 1 / rateHz);
  const yStep = niceStep(Math.max(g[peakAt], 2) / 3);
  const high = Math.ceil((Math.max(g[peakAt], 2) * 1.1) / yStep) * yStep; // room for the label
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (s) => pad.left + (s / duration) * plotW;
  const y = (v) => pad.top + (1 - v / high) * plotH;

  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart chart-accel", role: "img", "aria-label": label });
  root.append(svg("title", {}, label));
  // the unit goes on the last tick of each axis: "6 g", "1.5 s"
  for (let i = 0, v = 0; v <= high + 1e-9; v = ++i * yStep) {
    const unit = v + yStep > high + 1e-9 ? " g" : "";
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "chart-grid" }));
    root.append(svg("text", { x: pad.left - 4, y: y(v) + 4, class: "chart-tick", "text-anchor": "end" }, `${tickText(v)}${unit}`));
  }
  const xStep = niceStep(duration / 5);
  for (let i = 0, s = 0; s <= duration + 1e-9; s = ++i * xStep) {
    const unit = s + xStep > duration + 1e-9 ? " s" : "";
    const anchor = x(s) > width - pad.right - 14 ? "end" : "middle";
    root.append(svg("text", { x: x(s), y: height - 5, class: "chart-tick", "text-anchor": anchor }, `${tickText(s)}${unit}`));
  }
  root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(1), y2: y(1), class: "chart-rest" }));
  if (restLabel) {
    root.append(svg("text", { x: width - pad.right, y: y(1) - 4, class: "chart-tick", "text-anchor": "end" }, restLabel));
  }
  const line = g.map((v, i) => `${x(i / rateHz).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  root.append(svg("polyline", { points: line, class: "chart-line" }));
  // the peak: a dot, its value beside it on the side with more room
  const px = x(peakAt / rateHz);
  const left = px > pad.left + plotW * 0.7;
  root.append(svg("circle", { cx: px, cy: y(g[peakAt]), r: 4, class: "chart-peak" }));
  root.append(
    svg("text", { x: left ? px - 8 : px + 8, y: y(g[peakAt]) + 4, class: "chart-peak-label", "text-anchor": left ? "end" : "start" }, peakLabel),
  );
  return legible(root, width);
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/**
 * Today's events on a strip from 00:00 to 24:00 of the home's day.
 * events: [{at, what}], day: "YYYY-MM-DD", labelOf(event) for tooltips.
 */
export function timelineStrip(events, day, labelOf, { width = 480, height = 46 } = {}) {
  const pad = { left: 8, right: 8 };
  const plotW = width - pad.left - pad.right;
  const sample = events[0]?.at ?? "";
  const offset = offsetMinutes(sample) * 60000;
  const dayStart = Date.parse(`${day}T00:00:00Z`) - offset;
  const x = (iso) => pad.left + Math.min(1, Math.max(0, (ms(iso) - dayStart) / (24 * HOUR))) * plotW;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "timeline", role: "img" });
  root.append(svg("rect", { x: pad.left, y: 10, width: plotW, height: 14, rx: 4, class: "timeline-bg" }));
  for (let hour = 0; hour <= 24; hour += 6) {
    const px = pad.left + (hour / 24) * plotW;
    root.append(
      svg("text", { x: px, y: height - 4, class: "chart-tick", "text-anchor": hour === 0 ? "start" : hour === 24 ? "end" : "middle" },
        `${String(hour).padStart(2, "0")}:00`),
    );
  }
  const nowX = x(new Date().toISOString());
  root.append(svg("line", { x1: nowX, x2: nowX, y1: 6, y2: 28, class: "timeline-now" }));
  for (const event of events) {
    const mark =
      event.what === "alert"
        ? svg("polygon", { points: `${x(event.at)},8 ${x(event.at) - 5},26 ${x(event.at) + 5},26`, class: "tl-alert" })
        : svg("rect", { x: x(event.at) - 1.5, y: 10, width: 3, height: 14, class: `tl-mark tl-${event.what}` });
    mark.append(svg("title", {}, `${hhmm(event.at)} ${labelOf(event)}`));
    root.append(mark);
  }
  return legible(root, width);
}

// The labels are in viewBox units, so a chart drawn narrower than its viewBox would shrink
// them below what an older eye reads (10-11 px on a phone). The scale from viewBox to screen
// is kept in --chart-scale, and the labels' CSS size divides by it: 12 px on any screen.
const scales = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const shown = entry.contentRect.width;
    const drawn = Number(entry.target.dataset.viewWidth);
    if (shown > 0) entry.target.style.setProperty("--chart-scale", String(drawn / shown));
  }
});

export function legible(root, width) {
  root.dataset.viewWidth = String(width);
  scales.observe(root);
  return root;
}
