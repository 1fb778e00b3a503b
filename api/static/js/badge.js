// The visual alarm that survives a muted tab: the count of unacknowledged alerts in the
// document's title ("(2) 调度台") and a red badge on the favicon, seen from any other tab.

const ICON = "/static/icons/icon.svg";
let plainIcon = null; // the icon's SVG text, fetched once

async function iconText() {
  if (plainIcon === null) {
    const response = await fetch(ICON);
    plainIcon = response.ok ? await response.text() : "";
  }
  return plainIcon;
}

/** The icon with a red disc and the count (9+ beyond nine), as an SVG data URL. */
function badged(svgText, count) {
  const label = count > 9 ? "9+" : String(count);
  const badge =
    '<circle cx="372" cy="140" r="140" fill="#c62828" stroke="#fff" stroke-width="24"/>' +
    `<text x="372" y="196" text-anchor="middle" font-family="sans-serif" font-weight="700" ` +
    `font-size="${label.length > 1 ? 150 : 176}" fill="#fff">${label}</text>`;
  return `data:image/svg+xml,${encodeURIComponent(svgText.replace("</svg>", `${badge}</svg>`))}`;
}

let wanted = 0; // the newest count asked for
let shown = null; // the count the favicon shows now

/** Shows `count` unacknowledged alerts in the title (`base` after it) and on the favicon. */
export async function showUnacknowledged(count, base) {
  document.title = count > 0 ? `(${count}) ${base}` : base;
  wanted = count;
  const svgText = count > 0 ? await iconText() : "";
  if (wanted !== count) return; // a newer count came while the icon was fetched
  const link = document.querySelector('link[rel="icon"]');
  if (!link || shown === count) return;
  shown = count;
  // The badge and the icon change together: what the dataset says is what is shown.
  link.href = count > 0 && svgText ? badged(svgText, count) : ICON;
  link.dataset.badge = String(count);
}
