// The public screen of the hall: /display/<conference id>?token=<device token>.
// It renders only what the server sends (masked names, the timer, the next five);
// it never computes the queue order. No login: a read-only device token.
import { clockState, formatClock, loadSocketIo, measureOffset, remainingSeconds, watchConnection } from "./clock.js";
import { CaptionLines, drawLines } from "/static/js/captions.js";

const TEXT = {
  speaking: "Đang phát biểu",
  called: "Mời lên phát biểu",
  paused: "Tạm dừng",
  answer: "Trả lời kiến nghị",
  nobody: "Chưa có người phát biểu",
  nobodyHint: "Mời quý vị đăng ký phát biểu tại bàn thư ký hoặc quét mã QR",
  empty: "Chưa có ai đăng ký",
  waiting: (n) => `${n} người đang chờ`,
  overtime: "Quá thời gian",
  warning: "Sắp hết thời gian",
  pausedNote: "Đồng hồ tạm dừng",
  interpreter: (lang) => `Có phiên dịch${lang ? ` (${lang})` : ""}`,
  refusedTitle: "Màn hình này chưa được phép hiển thị hội nghị",
  noToken: "Thiếu mã thiết bị. Hãy mở trang này bằng đường dẫn có ?token=… do quản trị viên cấp (trang Quản trị, mục Thiết bị).",
  refused: "Mã thiết bị không hợp lệ hoặc đã bị thu hồi. Hãy nhờ quản trị viên cấp mã mới (trang Quản trị, mục Thiết bị) rồi mở lại trang với mã đó.",
  saySpeaker: (label, name) => `${label}: ${name}`,
  onAir: "Hội nghị đang được ghi âm và phát thanh trực tiếp",
  recorded: "Hội nghị đang được ghi âm",
};

const $ = (id) => document.getElementById(id);
const conferenceId = Number(location.pathname.split("/").filter(Boolean).pop());
const token = new URLSearchParams(location.search).get("token") || "";

let view = null; // the last queue:public payload
let offsetMs = 0; // server clock - this clock
const captions = new CaptionLines(); // the live captions of the turn on the floor

// A problem told on the screen. A refusal (no token, a wrong or revoked one, a conference
// this device may not show) hides everything of the conference: no QR code that leads
// nowhere, no "broadcast live" notice; only what is wrong and what to do.
function fatal(message, { refused = false } = {}) {
  $("fatal-title").textContent = refused ? TEXT.refusedTitle : "";
  $("fatal-text").textContent = message;
  $("fatal").hidden = false;
  if (refused) {
    document.body.dataset.state = "refused";
    $("qr-box").hidden = true;
    $("qr").removeAttribute("src");
  }
}

function recovered() {
  $("fatal").hidden = true;
  delete document.body.dataset.state;
}

// Said once to screen readers: who has the floor, the time warnings (never the clock itself).
let said = "";
function say(text) {
  if (!text || text === said) return;
  said = text;
  $("say").textContent = text;
}

async function getJson(path) {
  const r = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

let infoLoaded = false;
async function loadInfo() {
  if (infoLoaded) return;
  const [conf, reg] = await Promise.all([
    getJson(`/api/conferences/${conferenceId}`),
    getJson(`/api/conferences/${conferenceId}/registration`),
  ]);
  $("title").textContent = conf.title;
  $("title").title = conf.title;
  document.title = `${conf.title} — Đối Thoại`;
  $("qr").src = reg.qr_svg;
  $("qr-url").textContent = reg.url.replace(/^https?:\/\//, "");
  $("qr-box").hidden = false;
  infoLoaded = true;
}

// "Nguyễn V. A. - Thôn 3" -> name and place on two lines of different sizes.
function splitName(text) {
  const i = text.indexOf(" - ");
  return i < 0 ? [text, ""] : [text.slice(0, i), text.slice(i + 3)];
}

function render(v) {
  if (view && v.version < view.version) return; // an older broadcast arriving late
  view = v;
  const cur = v.current;
  const [name, place] = cur ? splitName(cur.name) : [TEXT.nobody, ""];
  $("speaker-name").textContent = name;
  $("speaker-name").title = name;
  $("speaker-place").textContent = place;
  $("speaker-place").title = place;
  $("speaker").classList.toggle("nobody", !cur);
  $("now-label").textContent = !cur ? "" : cur.kind === "answer" ? TEXT.answer
    : cur.status === "called" ? TEXT.called : cur.status === "paused" ? TEXT.paused : TEXT.speaking;
  $("speaker-note").textContent = !cur ? TEXT.nobodyHint
    : cur.needs_interpreter ? TEXT.interpreter(cur.language) : "";
  const items = v.next.map((t) => {
    const [n, p] = splitName(t.name);
    const li = document.createElement("li");
    li.dataset.turn = t.turn_id;
    const pos = document.createElement("span");
    pos.className = "pos";
    pos.textContent = String(t.position);
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = n;
    who.title = p ? `${n} · ${p}` : n;
    if (p) {
      const small = document.createElement("small");
      small.textContent = ` · ${p}`;
      who.append(small);
    }
    li.append(pos, who);
    if (t.kind === "answer") li.classList.add("answer");
    return li;
  });
  $("next").replaceChildren(...items);
  $("next").classList.toggle("empty", !items.length);
  if (!items.length) $("next").replaceChildren(Object.assign(document.createElement("li"), { textContent: TEXT.empty, className: "none" }));
  $("waiting").textContent = v.waiting_count > v.next.length ? TEXT.waiting(v.waiting_count) : "";
  if (cur) say(TEXT.saySpeaker($("now-label").textContent, cur.name));
  showPhase(v.phase_label);
  phaseClock();
  showCaptions();
  tick();
}

// The last two caption lines of the speaker, only while the server says the hall may see them
// (captions on, broadcast on air and not muted, turn not hidden). Off, missing or not public:
// the band is gone and the screen says nothing about it (the tablet does).
function showCaptions() {
  const turn = view && view.current ? view.current.turn_id : null;
  const { lines, reserve } = captions.forPublic(2, turn);
  $("captions").hidden = !reserve;
  if (reserve) document.body.dataset.captions = "on";
  else delete document.body.dataset.captions;
  drawLines($("caption-lines"), lines);
}

function ours(payload) {
  return payload && typeof payload === "object" && (payload.conference_id == null || Number(payload.conference_id) === conferenceId);
}

// The part of the run-of-show the hall is in ("Nhân dân phát biểu ý kiến"), under the title.
function showPhase(label) {
  let el = $("phase");
  if (!el) {
    el = Object.assign(document.createElement("p"), { id: "phase" });
    el.style.cssText = "font-size:2.8vh;line-height:1.3;font-weight:700;color:var(--muted);margin-bottom:1vh;";
    $("now").prepend(el); // the top of the left panel, right under the title bar
  }
  el.textContent = label || "";
  el.hidden = !label;
  if (!$("phase-time")) {
    const time = Object.assign(document.createElement("p"), { id: "phase-time" });
    time.style.cssText = "font-size:2.2vh;line-height:1.3;color:var(--muted);margin-bottom:1vh;";
    el.after(time);
  }
}

// The current phase's time against the conference's plan ("Đã 12 phút / dự kiến 90 phút"),
// moved on by the clock's tick from the seconds used when the server sent it.
function phaseClock() {
  const el = $("phase-time");
  const p = view && view.phase_now;
  if (!el) return;
  el.hidden = !p;
  if (!p) return;
  const used = p.used_seconds + Math.max(0, (Date.now() + offsetMs - Date.parse(view.server_time)) / 1000);
  el.textContent = `Đã ${Math.floor(used / 60)} phút / dự kiến ${Math.round(p.planned_seconds / 60)} phút`;
  el.dataset.state = used > p.planned_seconds ? "overtime" : "";
}

function tick() {
  phaseClock();
  const clock = $("clock");
  if (!view || !view.timer) {
    clock.textContent = view && view.current ? formatClock(null) : "";
    clock.dataset.state = "idle";
    $("clock-note").textContent = "";
    return;
  }
  const remaining = remainingSeconds(view.timer, offsetMs);
  const state = clockState(view.timer, remaining, view.warning_seconds);
  clock.textContent = view.current.status === "called" ? formatClock(view.timer.allowed) : formatClock(remaining);
  clock.dataset.state = view.current.status === "called" ? "idle" : state;
  $("clock-note").textContent = state === "overtime" ? TEXT.overtime : state === "warning" ? TEXT.warning
    : state === "paused" ? TEXT.pausedNote : "";
  if (state === "warning" || state === "overtime") say(`${$("clock-note").textContent}: ${view.current.name}`);
}

async function main() {
  if (!token || !conferenceId) { fatal(TEXT.noToken, { refused: true }); return; }
  const io = await loadSocketIo();
  const socket = io({ auth: { token }, transports: ["websocket", "polling"] });
  watchConnection(socket, $("lost"));
  socket.on("connect", async () => {
    // Every (re)connection starts again from a full snapshot.
    const reply = await socket.timeout(10000).emitWithAck("join", { conference_id: conferenceId }).catch(() => null);
    if (!reply) return;
    if (!reply.ok) { fatal(reply.error ? reply.error.message : TEXT.refused, { refused: true }); return; }
    recovered();
    view = null;
    captions.reset(reply.captions);
    render(reply.public);
    if (reply.broadcast && typeof reply.broadcast.on_air === "boolean") setOnAir(reply.broadcast.on_air);
    const off = await measureOffset(socket);
    if (off !== null) { offsetMs = off; tick(); }
    loadInfo().catch(() => { /* retried on the next connection */ });
  });
  socket.on("connect_error", (err) => {
    if (err && err.message && /unauthenticated|Cần đăng nhập/.test(JSON.stringify(err.data || err.message))) fatal(TEXT.refused, { refused: true });
  });
  socket.on("queue:public", render);
  socket.on("captions:line", (line) => { if (ours(line) && captions.addPublic(line)) showCaptions(); });
  socket.on("captions:state", (state) => {
    if (!ours(state)) return;
    captions.setState(state);
    if (state.public === false) captions.clear(); // shown again only with new lines
    showCaptions();
  });
  // The server tells public screens `broadcast:public` ({on_air, live_audio}); tablets get
  // `broadcast:status`. Either toggles the live-broadcast part of the notice.
  for (const ev of ["broadcast:public", "broadcast:status"]) {
    socket.on(ev, (s) => { if (s && typeof s.on_air === "boolean") setOnAir(s.on_air); });
  }
  setInterval(tick, 200);
  // Re-measure the clock now and then: devices drift, and so do the offsets of sleeping tablets.
  setInterval(async () => {
    if (!socket.connected) return;
    const off = await measureOffset(socket);
    if (off !== null) offsetMs = off;
  }, 300000);
  window.displaySocket = socket; // for diagnostics from the browser console
}

// People must be told that the conference is recorded: the notice never disappears;
// it says "and broadcast live" while the broadcast is on air (and until told otherwise).
function setOnAir(on) {
  $("notice-text").textContent = on ? TEXT.onAir : TEXT.recorded;
  $("notice").dataset.onAir = on ? "1" : "0";
}

main().catch((e) => fatal(e.message));
