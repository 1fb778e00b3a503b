// What the hub can honestly say about her (GET /residents: wellbeing, hub/wellbeing.py) in
// words, for the console's overview and the family app alike: "fine" only with evidence.

import { named, t } from "./i18n.js";
import { dateAt, when } from "./format.js";

/** A silent device as the home config describes it ("智能手环（从未上报）"). */
function deviceWords(device) {
  const kind = named("device_kind", device.kind);
  const role = named("role", device.role);
  const name = role && device.kind !== "bracelet" ? t("wb.device_at", { role, kind }) : kind;
  return device.last_seen ? name : t("wb.device_never", { name });
}

export function silentDevices(wellbeing) {
  return (wellbeing?.silent ?? []).map(deviceWords).join(t("common.list_sep"));
}

/** The lines the console's tile shows about her state (no alerts: those come first). */
export function wellbeingLines(wellbeing) {
  const w = wellbeing ?? { state: "no_data" };
  const lines = [];
  switch (w.state) {
    case "fine":
      // As the family's banner: not "all fine" on a day with alerts, closed since or not.
      lines.push({ cls: "ov-fine", text: w.alerts_today > 0 ? t("wb.fine_alerts_today", { n: w.alerts_today }) : t("wb.fine") });
      break;
    case "quiet":
      lines.push({ cls: "ov-quiet", text: t("wb.quiet") });
      break;
    case "no_data":
      lines.push({ cls: "ov-nodata", text: t("wb.no_data") });
      break;
    case "in_hospital":
      lines.push({ cls: "ov-hospital", text: t("wb.in_hospital", { when: when(w.since) }) });
      break;
    case "away": // the tile's tag says until when (the resident's away)
      break;
    case "offline":
      if (w.gateway === "offline") lines.push({ cls: "ov-offline", text: t("wb.gateway_offline", { when: when(w.since) }) });
      else if (w.gateway !== "online") lines.push({ cls: "ov-offline", text: t("wb.gateway_unknown") });
      if (w.silent?.length) {
        const devices = silentDevices(w);
        const since = w.gateway !== "offline" && w.since ? when(w.since) : "";
        lines.push({ cls: "ov-offline", text: since ? t("wb.devices_offline_since", { devices, when: since }) : t("wb.devices_offline", { devices }) });
      }
      break;
    default:
      break;
  }
  if (w.last_activity && w.state !== "fine") lines.push({ cls: "ov-last muted", text: t("wb.last_activity", { when: when(w.last_activity) }) });
  return lines;
}

/** The family app's banner when no alert is open: [data-status, words]. "All is well
 * today" needs evidence of both: she was seen today and everything reports (the hub's
 * "fine"), and no alert of hers began today (``alerts_today``: an SOS the station has
 * closed since still happened today). Otherwise what is known. Never "fine" while she is
 * announced away: the hub says "away" then. */
export function familyBanner(wellbeing, name) {
  const w = wellbeing ?? { state: "no_data" };
  switch (w.state) {
    case "fine":
      if (w.alerts_today > 0) {
        const open = w.alerts_today_open ?? 0;
        return open
          ? ["open-today", t("family.status_alerts_today_open", { n: w.alerts_today, open })]
          : ["closed-today", t("family.status_alerts_today", { n: w.alerts_today })];
      }
      return ["fine", t("family.status_fine")];
    case "away":
      return ["away", t("family.status_away", { name, until: dateAt(w.until) })];
    case "quiet":
      return ["quiet", t("family.status_quiet", { name })];
    case "in_hospital":
      return ["hospital", t("family.status_in_hospital", { name, when: when(w.since) })];
    case "offline":
      return ["offline", w.since ? t("family.status_offline", { name, when: when(w.since) }) : t("family.status_offline_unknown", { name })];
    default:
      return ["nodata", t("family.status_no_data")];
  }
}
