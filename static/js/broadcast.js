// The broadcast panel: on air / off air with a chime, mute, auto-mute between turns,
// the input level, each output's and each loudspeaker relay's state, live.
import { api, can } from "./api.js";
import { route } from "./main.js";
import { banner, h } from "./ui.js";

const STATE = { running: "Đang chạy", starting: "Đang khởi động", backoff: "Đang thử lại", stopped: "Đã dừng", failed: "Lỗi" };
let socket = null;

function loadSocketIo() {
  if (window.io) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = "/static/vendor/socket.io.min.js";
    s.onload = resolve;
    s.onerror = () => reject(new Error("Không tải được thư viện kết nối."));
    document.head.append(s);
  });
}

function dot(ok) { return h("span", { class: `dot ${ok ? "green" : "red"}`, "aria-label": ok ? "tốt" : "lỗi" }); }

function levelBar(level) {
  const db = level && level.rms_dbfs != null ? level.rms_dbfs : -90;
  const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
  return h("div", { class: "meter", role: "meter", "aria-valuemin": -60, "aria-valuemax": 0, "aria-valuenow": Math.round(db) },
    h("div", { class: "meter-fill", style: `width:${pct}%` }),
    h("span", { class: "meter-text" }, level && level.rms_dbfs != null ? `${level.rms_dbfs.toFixed(0)} dBFS` : "—"));
}

function render(root, st) {
  const control = can("control_broadcast");
  const post = (path, body) => api("POST", path, body).then((s) => render(root, s)).catch((e) => banner(e.message, "error"));
  root.replaceChildren(
    h("section", { class: "card" },
      h("div", { class: "row" },
        h("h2", { id: "onair-state", class: st.on_air ? "onair" : "offair" }, st.on_air ? "● ĐANG PHÁT SÓNG" : "Chưa phát sóng"),
        st.muted ? h("span", { class: "badge cancelled", id: "muted" }, "Đang tắt tiếng") : null,
        st.chime_playing ? h("span", { class: "badge" }, "Đang phát chuông") : null),
      st.live_audio ? null : h("p", { class: "warning", id: "no-audio" }, `Không có âm thanh trực tiếp: ${st.no_live_audio_reason}`),
      st.bulletin ? h("div", { id: "bulletin", class: "warning" },
        h("p", {}, `Đang phát bản tin: ${st.bulletin.title || st.bulletin.file}`,
          st.bulletins_waiting ? ` (còn ${st.bulletins_waiting} bản tin chờ)` : ""),
        h("progress", { max: 1, value: st.bulletin.progress || 0, "aria-label": "Tiến độ bản tin" }),
        h("span", { class: "muted" }, ` ${Math.round(st.bulletin.position_s)} / ${Math.round(st.bulletin.duration_s || 0)} giây`)) : null,
      h("p", {}, "Mức âm thanh đầu vào"), levelBar(st.level),
      control ? h("div", { class: "actions" },
        h("button", { class: st.on_air ? "" : "primary", id: "onair-toggle",
          onclick: () => post("/api/broadcast/on-air", { on_air: !st.on_air, chime: true }) },
          st.on_air ? "Ngừng phát sóng" : "Phát sóng (có chuông báo)"),
        h("button", { id: "mute-toggle", onclick: () => post("/api/broadcast/mute", { muted: !st.muted }) },
          st.muted ? "Bật tiếng" : "Tắt tiếng"),
        h("label", { class: "row" }, h("input", { type: "checkbox", id: "auto-mute", checked: st.auto_mute_between_turns,
          onchange: (ev) => post("/api/broadcast/auto-mute", { enabled: ev.target.checked }) }), "Tự tắt tiếng giữa các lượt")) : null),
    h("section", { class: "card" }, h("h2", {}, "Nguồn và bộ mã hóa"),
      h("table", { class: "list" }, h("tbody", {},
        [st.source, st.encoder].map((p) => h("tr", {}, h("td", {}, dot(p.state === "running")), h("td", {}, p.name),
          h("td", {}, STATE[p.state] || p.state), h("td", { class: "muted" }, p.last_error || "")))))),
    h("section", { class: "card" }, h("h2", {}, "Đầu ra"),
      h("p", {}, `Người nghe trực tiếp: Opus ${st.listeners["/live.opus"] || 0}, MP3 ${st.listeners["/live.mp3"] || 0}`),
      st.outputs.length ? h("table", { class: "list", id: "outputs" }, h("tbody", {}, st.outputs.map((o) => h("tr", {},
        h("td", {}, dot(o.state === "running")), h("td", {}, o.kind), h("td", {}, o.name),
        h("td", {}, STATE[o.state] || o.state), h("td", { class: "muted" }, o.last_error || "")))))
        : h("p", { class: "muted" }, "Không có đầu ra bổ sung (Icecast, RTP, đường ra âm thanh).")),
    h("section", { class: "card" }, h("h2", {}, "Cụm loa"),
      st.relays.length ? h("table", { class: "list", id: "relays" }, h("tbody", {}, st.relays.map((r) => h("tr", {},
        h("td", {}, dot(r.health === "green")), h("td", {}, r.name),
        h("td", {}, r.connected ? "Đã kết nối" : "Mất kết nối"),
        h("td", {}, r.buffer_ms != null ? `đệm ${Math.round(r.buffer_ms)} ms` : ""),
        h("td", { class: "muted" }, r.health_reason || "")))))
        : h("p", { class: "muted" }, "Chưa có cụm loa nào báo cáo.")),
    h("p", { class: "muted" }, `Ghi âm: ${st.recorder.state}, ${Math.round(st.recorder.recorded_s)} giây.`));
}

route(/^\/broadcast$/, async () => {
  const view = document.getElementById("view");
  const root = h("div", { id: "broadcast" });
  view.replaceChildren(h("h1", {}, "Phát thanh trực tiếp"), root);
  render(root, await api("GET", "/api/broadcast"));
  await loadSocketIo();
  if (socket) socket.disconnect();
  socket = window.io({ transports: ["websocket"] });
  const watch = () => socket.emit("broadcast:watch", {}, (r) => { if (r && r.ok) render(root, r.broadcast); });
  socket.on("connect", watch);
  socket.on("broadcast:status", (st) => { if (document.body.contains(root) && st.source) render(root, st); });
  window.addEventListener("hashchange", () => { if (socket) { socket.disconnect(); socket = null; } }, { once: true });
});
