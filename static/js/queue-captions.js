// The live captions on the moderator's queue page (#/c/<id>/queue): whether they run and why
// not (the server's `captions:state.message`, in Vietnamese: off, no recogniser, degraded to
// whole sentences, paused because the broadcast is muted…), on/off, "show while muted", and
// hiding the captions of the current turn (a person who asks not to be captioned; audited).
// queue.js calls mountCaptions(page) once its socket exists and captionsJoined(page, reply)
// after each join. The hall's screen and the phones never show the message: only this page does.
import { api, can } from "./api.js";
import { announce, banner, h } from "./ui.js";
import { CaptionLines } from "./captions.js";

const TEXT = {
  title: "Phụ đề trực tiếp",
  enabled: "Bật phụ đề", whenMuted: "Hiện cả khi tắt tiếng",
  hide: "Ẩn phụ đề lượt này", unhide: "Hiện lại phụ đề lượt này",
  hidden: "Phụ đề của lượt này đang ẩn với hội trường và điện thoại.",
  noTurn: "Chưa có lượt đang phát biểu.",
  last: "Câu gần nhất:",
  unknown: "Đang hỏi tình trạng phụ đề…",
  modes: { live: "Đang chạy", finals_only: "Chỉ hiện câu hoàn chỉnh", paused: "Tạm dừng", off: "Đang tắt",
    unavailable: "Không có bộ nhận dạng" },
};

export function mountCaptions(page) {
  const captions = new CaptionLines(2);
  const run = can("run_queue");
  const mode = h("span", { class: "badge", id: "q-cap-mode" });
  const message = h("span", { id: "q-cap-message" }, TEXT.unknown);
  const enabled = h("input", { type: "checkbox", id: "q-cap-enabled", disabled: true });
  const whenMuted = h("input", { type: "checkbox", id: "q-cap-muted", disabled: true });
  const hide = h("button", { type: "button", id: "q-cap-hide", disabled: true }, TEXT.hide);
  const hiddenNote = h("p", { id: "q-cap-hidden", class: "x-list-closed", hidden: true }, TEXT.hidden);
  const last = h("p", { id: "q-cap-last", class: "muted", hidden: true });
  // one line while closed (the state and why), the controls when opened: the queue's own
  // lines and forms keep their place
  const box = h("details", { class: "q-card", id: "q-captions-box" },
    h("summary", {}, h("span", { class: "x-cap-title" }, TEXT.title, " ", mode), message),
    hiddenNote,
    run ? h("div", { class: "x-cap-controls" },
      h("label", { class: "x-check" }, enabled, h("span", {}, TEXT.enabled)),
      h("label", { class: "x-check" }, whenMuted, h("span", {}, TEXT.whenMuted)),
      hide) : null,
    last);
  page.el.current.after(box);

  const currentTurn = () => (page.snap && page.snap.state.current_turn_id) || null;
  let shownMode = null;
  const draw = () => {
    const s = captions.state;
    const turn = currentTurn();
    if (!s) return;
    mode.textContent = TEXT.modes[s.mode] || "";
    mode.className = `badge x-cap-${s.mode}`;
    message.textContent = s.message || "";
    enabled.checked = !!s.enabled;
    whenMuted.checked = !!s.show_when_muted;
    enabled.disabled = s.available === false;
    whenMuted.disabled = s.available === false;
    const isHidden = !!turn && s.hidden_turn_id === turn;
    hide.textContent = isHidden ? TEXT.unhide : TEXT.hide;
    hide.disabled = !turn;
    hide.title = turn ? "" : TEXT.noTurn;
    hiddenNote.hidden = !isHidden;
    const lines = captions.last(1, turn);
    last.hidden = !lines.length;
    last.textContent = lines.length ? `${TEXT.last} ${lines[0].text}` : "";
    // said once when the captions change mode (degraded, paused, back): not at every line
    if (shownMode !== null && shownMode !== s.mode && s.message) announce(s.message);
    shownMode = s.mode;
  };

  const post = async (path, body) => {
    try {
      captions.setState(await api("POST", `/api/conferences/${page.id}/captions/${path}`, body));
      draw();
    } catch (e) {
      banner(e.message, "error");
      draw(); // the boxes go back to what the server holds
    }
  };
  enabled.addEventListener("change", () => post("settings", { enabled: enabled.checked }));
  whenMuted.addEventListener("change", () => post("settings", { show_when_muted: whenMuted.checked }));
  hide.addEventListener("click", () => {
    const turn = currentTurn();
    if (!turn || !captions.state) return;
    post("hide", { turn_id: turn, hidden: captions.state.hidden_turn_id !== turn });
  });

  const ours = (p) => p && typeof p === "object" && p.conference_id === page.id;
  page.socket.on("captions:state", (s) => { if (ours(s)) { captions.setState(s); draw(); } });
  page.socket.on("captions:line", (l) => { if (ours(l) && l.final && captions.add(l)) draw(); });
  page.captions = {
    joined(reply) {
      if (reply && reply.captions) { captions.reset(reply.captions); draw(); return; }
      // a server without captions in its join reply: ask once
      api("GET", `/api/conferences/${page.id}/captions`).then((c) => { captions.reset(c); draw(); }).catch(() => {
        message.textContent = "";
        box.hidden = true;
      });
    },
    draw,
  };
}
