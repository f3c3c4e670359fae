// "Theo dõi" on a phone (/r/<slug>/theo-doi): who has the floor (public names, as on the hall's
// screen), the live captions, and the live broadcast on a tap. No login: the socket connects as
// an anonymous follower of this conference (auth: {follow: slug}) and only reads. On a bad
// Wi-Fi it reconnects by itself and says "Đang kết nối lại…"; every (re)connection starts
// again from the snapshot in the join reply.
import { loadSocketIo, watchConnection } from "/display-assets/clock.js";
import { CaptionLines, drawLines } from "./captions.js";

const TEXT = {
  speaking: "Đang phát biểu", called: "Mời lên phát biểu", paused: "Tạm dừng", answer: "Trả lời kiến nghị",
  nobody: "Chưa có người phát biểu", nobodyHint: "Khi có người phát biểu, tên và lời phát biểu hiện ở đây.",
  listen: "Nghe trực tiếp", stop: "Dừng nghe", loading: "Đang mở phát thanh…", playing: "Đang nghe trực tiếp.",
  stopped: "", noAudio: "Chưa nghe được phát thanh (có thể buổi phát thanh chưa bắt đầu). Đang thử lại…",
  refused: "Trang theo dõi này không còn hiệu lực. Hãy quét lại mã QR trong hội trường.",
  reconnecting: "Đang kết nối lại…",
};
const LINES = 4; // a phone has room for a little more than the hall's two lines
const RETRY_AUDIO_MS = 4000;

const $ = (id) => document.getElementById(id);
const root = $("follow");
const slug = root.dataset.slug;
const conferenceId = Number(root.dataset.conference);
const captions = new CaptionLines();
let view = null; // the last queue:public

function ours(payload) {
  return payload && typeof payload === "object" && (payload.conference_id == null || Number(payload.conference_id) === conferenceId);
}

function showFloor(v) {
  if (!v || (view && v.version < view.version)) return; // an older broadcast arriving late
  view = v;
  const cur = v.current;
  $("follow-phase").textContent = v.phase_label || ""; // the part of the conference now
  $("follow-phase").hidden = !v.phase_label;
  $("follow-label").textContent = !cur ? TEXT.nobody : cur.kind === "answer" ? TEXT.answer
    : cur.status === "called" ? TEXT.called : cur.status === "paused" ? TEXT.paused : TEXT.speaking;
  $("follow-speaker").textContent = cur ? cur.name : TEXT.nobodyHint;
  $("follow-speaker").classList.toggle("nobody", !cur);
  showCaptions();
}

function showCaptions() {
  const turn = view && view.current ? view.current.turn_id : null;
  const { lines, reserve } = captions.forPublic(LINES, turn);
  $("follow-captions").hidden = !reserve;
  drawLines($("follow-lines"), lines);
}

// ---- the live broadcast: only on a tap, never by itself ----

const audio = $("live-audio");
const button = $("listen");
let wanted = false;
let retry = null;

function setListen(state) {
  button.textContent = wanted ? TEXT.stop : TEXT.listen;
  button.setAttribute("aria-pressed", wanted ? "true" : "false");
  $("listen-state").textContent = state;
}

function startAudio() {
  clearTimeout(retry);
  audio.src = `/live.mp3?t=${Date.now()}`; // a fresh stream: never minutes of old buffered sound
  setListen(TEXT.loading);
  audio.play().catch(() => { if (wanted) audioFailed(); });
}

function stopAudio() {
  clearTimeout(retry);
  audio.pause();
  audio.removeAttribute("src");
  audio.load(); // closes the stream: no data is spent while not listening
  setListen(TEXT.stopped);
}

function audioFailed() {
  if (!wanted) return;
  setListen(TEXT.noAudio);
  clearTimeout(retry);
  retry = setTimeout(() => { if (wanted) startAudio(); }, RETRY_AUDIO_MS);
}

button.hidden = false;
button.addEventListener("click", () => {
  wanted = !wanted;
  if (wanted) startAudio(); else stopAudio();
});
audio.addEventListener("playing", () => { if (wanted) setListen(TEXT.playing); });
audio.addEventListener("error", audioFailed);
audio.addEventListener("ended", audioFailed); // the stream stopped: join it again

// ---- the socket ----

async function main() {
  const io = await loadSocketIo();
  const socket = io({ auth: { follow: slug }, transports: ["websocket", "polling"] });
  watchConnection(socket, $("follow-lost"), 2000);
  socket.on("connect", async () => {
    $("follow-lost").textContent = TEXT.reconnecting; // the next loss says this again
    const reply = await socket.timeout(10000).emitWithAck("join", { conference_id: conferenceId }).catch(() => null);
    if (!reply) return;
    if (!reply.ok) { $("follow-lost").hidden = false; $("follow-lost").textContent = TEXT.refused; return; }
    view = null;
    captions.reset(reply.captions);
    showFloor(reply.public);
  });
  // A refusal by the server ("io server disconnect") is not retried by the client: try again later.
  socket.on("disconnect", (reason) => {
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 5000);
  });
  socket.on("connect_error", (err) => {
    if (err && err.data) setTimeout(() => { if (!socket.connected) socket.connect(); }, 5000); // refused: later
  });
  socket.on("queue:public", showFloor);
  socket.on("captions:line", (line) => { if (ours(line) && captions.addPublic(line)) showCaptions(); });
  socket.on("captions:state", (state) => {
    if (!ours(state)) return;
    captions.setState(state);
    if (state.public === false) captions.clear();
    showCaptions();
  });
  window.followSocket = socket; // for diagnostics from the browser console
}

main().catch(() => { $("follow-lost").hidden = false; });
