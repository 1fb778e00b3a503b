// The live feed over /ws: reconnects with backoff, and on every (re)connect asks the page
// to reload what it shows over REST, so nothing missed while away goes unseen.

import { api } from "./api.js";

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

export class LiveFeed {
  /**
   * params: {station: "st1"} or {resident: "h001"}; onOpen(): reload; onFrame(frame);
   * onStatus("connecting" | "live" | "reconnecting").
   */
  constructor({ params = {}, onOpen, onFrame, onStatus }) {
    this.params = params;
    this.onOpen = onOpen ?? (() => {});
    this.onFrame = onFrame ?? (() => {});
    this.onStatus = onStatus ?? (() => {});
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.stopped = false;
    this.hurry = () => this.reconnectNow();
  }

  start() {
    this.stopped = false;
    addEventListener("online", this.hurry);
    this.connect();
  }

  stop() {
    this.stopped = true;
    removeEventListener("online", this.hurry);
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  url() {
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    for (const [key, value] of Object.entries(this.params)) {
      for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(key, one);
    }
    return url;
  }

  connect() {
    clearTimeout(this.timer);
    this.onStatus(this.attempt ? "reconnecting" : "connecting");
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "hello") {
        // Subscribed from here on: a reload now misses nothing.
        this.attempt = 0;
        this.onStatus("live");
        this.onOpen();
        return;
      }
      this.onFrame(frame);
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.socket = null;
      if (!this.stopped) this.retry();
    };
    socket.onerror = () => socket.close();
  }

  retry() {
    this.onStatus("reconnecting");
    // Refused for want of a session? /auth/me answers 401 and api() goes to the log-in page.
    api("/auth/me").catch(() => {});
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), delay * (0.75 + Math.random() * 0.5));
  }

  reconnectNow() {
    if (this.stopped || this.socket) return;
    this.attempt = 0;
    this.connect();
  }
}
