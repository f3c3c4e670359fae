// Shared by the public screen and the moderator tablet: the socket.io client, the
// server clock offset, the speaking timer and the "connection lost" indicator.
// Served at /display-assets/clock.js. No network access beyond the conference server.

/** Load the vendored socket.io browser client once; resolves to window.io. */
export function loadSocketIo() {
  if (window.io) return Promise.resolve(window.io);
  if (!loadSocketIo.promise) {
    loadSocketIo.promise = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = "/static/vendor/socket.io.min.js";
      s.onload = () => resolve(window.io);
      s.onerror = () => { loadSocketIo.promise = null; reject(new Error("Không tải được thư viện kết nối (socket.io).")); };
      document.head.append(s);
    });
  }
  return loadSocketIo.promise;
}

/**
 * The server clock minus this device's clock, in ms, from the `time` event.
 * Several round trips; the one with the shortest trip wins (its midpoint is the most exact).
 */
export async function measureOffset(socket, samples = 4) {
  let best = null;
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now();
    let reply;
    try { reply = await socket.timeout(3000).emitWithAck("time", {}); } catch { continue; }
    const t1 = Date.now();
    const server = Date.parse(reply.server_time);
    if (Number.isNaN(server)) continue;
    const trip = t1 - t0;
    if (!best || trip < best.trip) best = { trip, offset: server - (t0 + trip / 2) };
  }
  return best ? best.offset : null;
}

/**
 * Seconds left on a turn's clock now (negative in overtime), from what the server sent:
 * a running timer counts down to its `ends_at` on the server's clock; a stopped one is frozen.
 */
export function remainingSeconds(timer, offsetMs) {
  if (!timer) return null;
  if (timer.running && timer.ends_at) {
    return (Date.parse(timer.ends_at) - (Date.now() + (offsetMs || 0))) / 1000;
  }
  return timer.remaining;
}

/** "03:00", "00:07", overtime "+00:12" (whole seconds; the countdown rounds up). */
export function formatClock(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "--:--";
  const over = seconds < 0;
  const s = over ? Math.floor(-seconds) : Math.ceil(seconds);
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `${over ? "+" : ""}${mm}:${ss}`;
}

/** "ok" | "warning" | "overtime" | "paused" | "idle" for colouring the clock. */
export function clockState(timer, remaining, warningSeconds) {
  if (!timer) return "idle";
  if (remaining < 0) return "overtime";
  if (timer.paused) return "paused";
  if (!timer.running) return "idle";
  if (remaining <= warningSeconds) return "warning";
  return "ok";
}

/** A command id made on this device: crypto.randomUUID where allowed (https, localhost), else random hex. */
export function newCommandId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const b = new Uint8Array(16);
  window.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Shows `el` only after the socket has been disconnected for `delayMs` (short blips stay silent).
 * Returns a function that stops watching.
 */
export function watchConnection(socket, el, delayMs = 3000) {
  let timer = null;
  const down = () => {
    if (timer) return;
    timer = setTimeout(() => { el.hidden = false; el.dataset.state = "lost"; }, delayMs);
  };
  const up = () => {
    clearTimeout(timer);
    timer = null;
    el.hidden = true;
    el.dataset.state = "ok";
  };
  socket.on("connect", up);
  socket.on("disconnect", down);
  socket.on("connect_error", down);
  if (!socket.connected) down();
  return () => {
    clearTimeout(timer);
    socket.off("connect", up);
    socket.off("disconnect", down);
    socket.off("connect_error", down);
  };
}
