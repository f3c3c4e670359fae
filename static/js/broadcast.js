// The broadcast panel: on air / off air with a chime, mute, auto-mute between turns,
// the input level, each output's and each loudspeaker relay's state, live. #/broadcast.
import { api, can } from "./api.js";
import { TB } from "./i18n.js";
import { announce, banner, h, keepFocus, put } from "./ui.js";
import { loadSocketIo } from "/display-assets/clock.js";

function dot(ok) { return h("span", { class: `dot ${ok ? "green" : "red"}`, role: "img", "aria-label": ok ? TB.good : TB.bad }); }

function levelBar(level) {
  const known = level && level.rms_dbfs != null;
  const db = known ? level.rms_dbfs : -90;
  const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
  const text = TB.levelText(known ? Math.round(db) : null);
  return h("div", { class: "meter", role: "meter", "aria-label": TB.levelName, "aria-valuemin": -60, "aria-valuemax": 0,
    "aria-valuenow": Math.max(-60, Math.min(0, Math.round(db))), "aria-valuetext": text },
    h("div", { class: "meter-fill", style: `width:${pct}%` }),
    h("span", { class: "meter-text", "aria-hidden": "true" }, known ? text : "—"));
}

// Whether the loudspeakers sound, and if not, why, in words: {silent, title, reason}.
// `mute_reason` ("operator" | "between_turns") may be missing: then no reason is given.
export function speakerState(st) {
  if (st.muted) return { silent: true, title: TB.speakersMuted, reason: TB.muteReasons[st.mute_reason] || "" };
  if (!st.on_air) return { silent: true, title: TB.speakersOff, reason: "" };
  return { silent: false, title: TB.speakersOn, reason: "" };
}

// The audio source and the other parts in Vietnamese: "tone:440" -> "Âm thử 440 Hz".
export function sourceName(p) {
  const spec = String(p.spec || p.name || "");
  const [kind, ...rest] = spec.split(":");
  const arg = rest.join(":");
  if ((p.type || kind) === "tone") return TB.sourceTone(arg || "440");
  if ((p.type || kind) === "file") return TB.sourceFile(arg);
  if ((p.type || kind) === "pyaudio") return TB.sourceDevice(p.device || arg);
  if (p.kind === "encoder") return TB.encoder;
  return p.name;
}

function outputName(o) {
  if (o.kind === "line_out") return TB.lineOut(String(o.name).replace(/^line-out:/, ""));
  return o.name;
}

let said = ""; // what the live region last said about the loudspeakers

function render(root, st) {
  const control = can("control_broadcast");
  const post = (path, body) => api("POST", path, body).then((s) => render(root, s)).catch((e) => banner(e.message, "error"));
  const operatorMuted = typeof st.operator_muted === "boolean" ? st.operator_muted : !!st.muted;
  const speakers = speakerState(st);
  const words = [speakers.title, speakers.reason].filter(Boolean).join(" — ");
  if (said && words !== said) announce(words); // a change, not every status
  said = words;
  keepFocus(() => put(root,
    h("section", { class: "card" },
      h("p", { id: "speakers", class: `speakers ${speakers.silent ? "silent" : "sounding"}` }, speakers.title,
        speakers.reason ? h("small", { id: "mute-reason" }, speakers.reason) : null),
      h("div", { class: "row" },
        h("h2", { id: "onair-state", class: st.on_air ? "onair" : "offair" }, st.on_air ? TB.onAir : TB.offAir),
        st.chime_playing ? h("span", { class: "badge" }, TB.chime) : null),
      st.live_audio ? null : h("p", { class: "warning", id: "no-audio" }, `${TB.noAudio}: ${st.no_live_audio_reason}`),
      st.recorder.message ? h("p", { class: "warning", id: "recording-alert", role: "alert" },
        h("strong", {}, st.recorder.message)) : null,
      st.bulletin ? h("div", { id: "bulletin", class: "warning" },
        h("p", {}, `${TB.bulletin}: ${st.bulletin.title || st.bulletin.file}`,
          st.bulletins_waiting ? TB.waiting(st.bulletins_waiting) : ""),
        h("progress", { max: 1, value: st.bulletin.progress || 0, "aria-label": TB.progress }),
        h("span", { class: "muted" }, ` ${Math.round(st.bulletin.position_s)} / ${Math.round(st.bulletin.duration_s || 0)} ${TB.seconds}`)) : null,
      h("p", {}, TB.level), levelBar(st.level),
      control ? h("div", { class: "actions" },
        h("button", { class: st.on_air ? "" : "primary", id: "onair-toggle",
          onclick: () => post("/api/broadcast/on-air", { on_air: !st.on_air, chime: true }) },
          st.on_air ? TB.goOffAir : TB.goOnAir),
        // the button is the operator's own choice; auto-mute between turns is the box beside it
        h("button", { id: "mute-toggle", onclick: () => post("/api/broadcast/mute", { muted: !operatorMuted }) },
          operatorMuted ? TB.unmute : TB.mute),
        h("label", { class: "row" }, h("input", { type: "checkbox", id: "auto-mute", checked: st.auto_mute_between_turns,
          onchange: (ev) => post("/api/broadcast/auto-mute", { enabled: ev.target.checked }) }), TB.autoMute)) : null),
    h("section", { class: "card" }, h("h2", {}, TB.sources),
      h("table", { class: "list" }, h("tbody", {},
        [st.source, st.encoder].map((p) => h("tr", {}, h("td", { class: "short" }, dot(p.state === "running")), h("td", {}, sourceName(p)),
          h("td", { class: "short" }, TB.state[p.state] || p.state), h("td", { class: "muted" }, p.last_error || "")))))),
    h("section", { class: "card" }, h("h2", {}, TB.outputs),
      h("p", {}, TB.listenersOf(st.listeners["/live.opus"] || 0, st.listeners["/live.mp3"] || 0)),
      st.outputs.length ? h("table", { class: "list", id: "outputs" }, h("tbody", {}, st.outputs.map((o) => h("tr", {},
        h("td", { class: "short" }, dot(o.state === "running")), h("td", {}, TB.outputKinds[o.kind] || o.kind), h("td", {}, outputName(o)),
        h("td", { class: "short" }, TB.state[o.state] || o.state), h("td", { class: "muted" }, o.last_error || "")))))
        : h("p", { class: "muted" }, TB.noOutputs)),
    h("section", { class: "card" }, h("h2", {}, TB.relays),
      st.relays.length ? h("table", { class: "list", id: "relays" }, h("tbody", {}, st.relays.map((r) => h("tr", {},
        h("td", { class: "short" }, dot(r.health === "green")), h("td", {}, r.name),
        h("td", { class: "short" }, r.connected ? TB.connected : TB.disconnected),
        h("td", {}, r.buffer_ms != null ? `${TB.buffer} ${Math.round(r.buffer_ms)} ms` : ""),
        h("td", { class: "muted" }, r.health_reason || "")))))
        : h("p", { class: "muted" }, TB.noRelays)),
    h("p", { class: "muted", id: "recording-state" }, TB.recordedFor(TB.recState[st.recorder.state] || st.recorder.state, Math.round(st.recorder.recorded_s)))));
}

export async function mount(view) {
  const root = h("div", { id: "broadcast" });
  said = "";
  put(view, h("h1", {}, TB.title), root);
  render(root, await api("GET", "/api/broadcast"));
  const io = await loadSocketIo();
  if (!view.isConnected) return () => {}; // the user has already moved to another page
  const socket = io({ transports: ["websocket"] });
  const watch = () => socket.emit("broadcast:watch", {}, (r) => { if (r && r.ok) render(root, r.broadcast); });
  socket.on("connect", watch);
  socket.on("broadcast:status", (st) => { if (st.source) render(root, st); });
  return () => socket.disconnect();
}
