// Service worker of the family app (served at /family/sw.js, scope /family).
// The shell (page, styles, scripts, strings, icons) is cached so the app opens without a
// network; every request still goes to the network first, so a new version shows at once.
// The API and the live feed are never cached: stale alerts would be worse than none.

const CACHE = "eldercare-family-v1";
const SHELL = [
  "/family",
  "/family/manifest.webmanifest",
  "/static/css/common.css",
  "/static/css/family.css",
  "/static/js/api.js",
  "/static/js/chart.js",
  "/static/js/dom.js",
  "/static/js/family.js",
  "/static/js/family_away.js",
  "/static/js/family_orders.js",
  "/static/js/family_visits.js",
  "/static/js/format.js",
  "/static/js/i18n.js",
  "/static/js/live.js",
  "/static/js/problems.js",
  "/static/js/resident.js",
  "/static/js/shell.js",
  "/static/js/summary.js",
  "/static/js/wellbeing.js",
  "/static/i18n/strings.json",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/static/icons/apple-touch-icon.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

function isShell(url) {
  return url.origin === self.location.origin && (SHELL.includes(url.pathname) || url.pathname.startsWith("/static/"));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!isShell(url)) return; // API, /ws, log-in: straight to the network
  event.respondWith(
    fetch(request)
      .then((response) => {
        // A redirect (to /login) or an error is not the shell: don't keep it.
        if (response.ok && response.type === "basic" && !response.redirected) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() =>
        caches.match(request, { ignoreSearch: true }).then((hit) => hit || Response.error()),
      ),
  );
});

// Web Push from the hub (hub/webpush.py) while the app is closed: {title, body, tag, url}.
// One notification per alert (its tag): a later change replaces it, and the page's own
// notification of the same alert too.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data?.text() ?? "" };
  }
  event.waitUntil(
    self.registration.showNotification(message.title ?? "", { // the hub always sends one
      body: message.body || "",
      tag: message.tag,
      renotify: Boolean(message.tag),
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
      data: { url: message.url || "/family" },
    }),
  );
});

// Tapping a notification opens the app, or brings it to the front.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = event.notification.data?.url || "/family";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).pathname.startsWith("/family") && "focus" in client) return client.focus();
      }
      return self.clients.openWindow(target);
    }),
  );
});
