// The secretary's tablet: #/c/<id>/secretary follows the live queue; for the current turn
// (or any past turn) the secretary writes the transcript, tags petitions and records answers.
// (The petition's file, #/p/<id>, is pages/petition.js.)
//
// Nothing typed is lost: every keystroke is kept in localStorage at once and sent to the
// server after a 1 s pause; unsent text survives a reload or a dropped connection and is
// sent again when the server answers. Edits carry the revision they started from; the
// server refuses a stale one (409 edit_conflict) and both texts are shown side by side.
import { api, can } from "./api.js";
import { TS, T } from "./i18n.js";
import { mergeParagraphs } from "./text.js";
import { banner, clearErrors, field, formData, h, keepFocus, localDateTime, mountOpened, put, select, showErrors } from "./ui.js";
import { loadSocketIo, newCommandId } from "/display-assets/clock.js";
import { CaptionLines, drawLines } from "./captions.js";

const SAVE_DELAY_MS = 1000;
const RETRY_MS = 5000;
const KEY = (turnId) => `doithoai:transcript:${turnId}`;
// the live text of the turn on the floor (captions:line), before its draft exists
const LIVE = {
  title: "Lời đang nói (máy nhận dạng trực tiếp)",
  hint: "Khi lượt kết thúc, phần này trở thành bản nháp của máy trong ô nội dung phát biểu.",
  empty: "Chưa nhận dạng được lời nào của lượt này.",
};
const LIVE_LINES = 400; // a whole turn's sentences
const VOCAB = {
  title: "Từ ngữ riêng của xã",
  help: "Tên thôn, bon, người, địa danh mà máy hay nghe sai, viết đúng, mỗi dòng một từ: phụ đề và bản nháp được sửa theo đó.",
  label: "Từ ngữ riêng (mỗi dòng một từ)",
  fromRecord: "Đã lấy sẵn từ hồ sơ:",
  save: "Lưu từ ngữ",
  saved: "Đã lưu từ ngữ riêng của xã.",
};

// The commune's own words for the captions and the drafts (GET/PUT /api/commune/vocabulary):
// the secretary's list, and the names the server already takes from the record.
function vocabularyBox() {
  const writable = can("write_transcript");
  const area = h("textarea", { id: "vocabulary", name: "terms", rows: 8, readonly: !writable, disabled: true });
  const found = h("p", { class: "muted", id: "vocabulary-record" });
  const save = writable ? h("button", { type: "submit", class: "primary", disabled: true }, VOCAB.save) : null;
  const form = h("form", { id: "vocabulary-form" }, h("p", { class: "muted" }, VOCAB.help),
    h("label", { class: "fld" }, h("span", {}, VOCAB.label), area), save, found);
  const show = (v) => { // enabled once the list in force is there: nothing typed is overwritten
    area.value = v.terms.join("\n");
    area.disabled = false;
    if (save) save.disabled = false;
    found.textContent = v.from_record.length ? `${VOCAB.fromRecord} ${v.from_record.join(", ")}` : "";
  };
  const box = h("details", { id: "vocabulary-box" }, h("summary", {}, VOCAB.title), form);
  box.addEventListener("toggle", () => {
    if (box.open && area.disabled) api("GET", "/api/commune/vocabulary").then(show).catch((e) => banner(e.message, "error"));
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const terms = area.value.split("\n").map((t) => t.trim()).filter(Boolean);
    try {
      show(await api("PUT", "/api/commune/vocabulary", { terms }));
      clearErrors(form);
      banner(VOCAB.saved);
    } catch (e) { showErrors(form, e); }
  });
  return box;
}

export function mount(view, { id }) {
  return mountOpened(new SecretaryPage(Number(id), view));
}

// ---- what is kept on this device --------------------------------------------------------

export const pending = {
  get(turnId) {
    try { return JSON.parse(localStorage.getItem(KEY(turnId)) || "null"); } catch { return null; }
  },
  put(turnId, text, baseRevision) {
    localStorage.setItem(KEY(turnId), JSON.stringify({ text, base_revision: baseRevision, at: Date.now() }));
  },
  drop(turnId, text) {
    const p = pending.get(turnId);
    if (p && (text === undefined || p.text === text)) localStorage.removeItem(KEY(turnId));
  },
  all() {
    const out = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k && k.startsWith("doithoai:transcript:")) out.push(k.slice("doithoai:transcript:".length));
    }
    return out;
  },
};

// ---- the transcript editor of one turn ------------------------------------------------------

class TranscriptEditor {
  constructor(turn, onChange) {
    this.turn = turn;
    this.onChange = onChange;
    this.server = null; // last transcript seen from the server
    this.timer = null;
    this.sending = false;
    this.closed = false;
    this.writable = can("write_transcript");
    this.textarea = h("textarea", { id: "transcript", rows: 12, "aria-label": TS.transcript, readonly: !this.writable,
      oninput: () => this.edited() });
    this.state = h("p", { id: "save-state", class: "muted", role: "status" });
    this.badge = h("span", { id: "draft-badge", class: "badge draft", hidden: true }, TS.machineDraft);
    this.confirmBtn = h("button", { id: "confirm-draft", hidden: true, onclick: () => this.confirm() }, TS.confirmDraft);
    this.machine = h("details", { id: "machine-text", hidden: true }, h("summary", {}, TS.machineText), h("p", { class: "pre" }));
    this.conflict = h("div", { id: "conflict", class: "conflict", hidden: true, role: "alert" });
    this.el = h("section", { class: "card editor" },
      h("div", { class: "row" }, h("h2", {}, TS.transcript), this.badge, this.confirmBtn),
      this.writable ? null : h("p", { class: "muted" }, TS.readOnly),
      this.conflict, this.textarea, this.state, this.machine);
  }

  async load() {
    this.server = await api("GET", `/api/turns/${encodeURIComponent(this.turn.id)}/transcript`);
    const kept = pending.get(this.turn.id);
    if (kept && kept.text !== this.server.text) {
      this.textarea.value = kept.text;
      this.base = kept.base_revision;
      this.showState(TS.restored);
      this.schedule(0);
    } else {
      if (kept) pending.drop(this.turn.id);
      this.textarea.value = this.server.text;
      this.base = this.server.revision;
    }
    this.renderMeta();
  }

  renderMeta() {
    const s = this.server;
    const draft = s.origin === "machine" && !s.confirmed && !!s.text && this.textarea.value === s.text;
    this.badge.hidden = !draft;
    this.confirmBtn.hidden = !draft || !this.writable;
    const showMachine = !!s.machine_text && s.machine_text !== this.textarea.value;
    this.machine.hidden = !showMachine;
    this.machine.querySelector("p").textContent = s.machine_text;
    if (!pending.get(this.turn.id) && s.updated_at) {
      this.showState(`${TS.savedAt} ${localDateTime(s.updated_at)}${s.updated_by ? ` — ${s.updated_by}` : ""}`);
    }
  }

  showState(text, kind = "") {
    this.state.textContent = text;
    this.state.className = kind || "muted";
  }

  edited() {
    pending.put(this.turn.id, this.textarea.value, this.base);
    this.badge.hidden = true;
    this.confirmBtn.hidden = true;
    this.showState(TS.saving);
    this.schedule(SAVE_DELAY_MS);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    if (!this.closed) this.timer = setTimeout(() => this.send(), ms);
  }

  async send() {
    const kept = pending.get(this.turn.id);
    if (!kept || !this.writable) return;
    if (this.sending) { this.schedule(300); return; }
    this.sending = true;
    try {
      const saved = await api("PUT", `/api/turns/${encodeURIComponent(this.turn.id)}/transcript`,
        { text: kept.text, base_revision: kept.base_revision });
      this.server = saved;
      this.base = saved.revision;
      // typed meanwhile? keep it pending, rebased on the new revision
      if (this.textarea.value === kept.text) pending.drop(this.turn.id, kept.text);
      else { pending.put(this.turn.id, this.textarea.value, saved.revision); this.schedule(SAVE_DELAY_MS); }
      this.renderMeta();
      this.onChange && this.onChange(saved);
    } catch (e) {
      if (e.code === "edit_conflict") await this.conflictWith(kept.text);
      else if (e.status === 0 || e.status >= 500) { this.showState(TS.unsent, "warn"); this.schedule(RETRY_MS); }
      else this.showState(e.message, "form-error");
    } finally {
      this.sending = false;
    }
  }

  // The 409 names who changed the text and when; the current text is fetched to show both.
  async conflictWith(mine) {
    try {
      this.showConflict(mine, await api("GET", `/api/turns/${encodeURIComponent(this.turn.id)}/transcript`));
    } catch (e) { this.showState(e.message, "form-error"); this.schedule(RETRY_MS); }
  }

  showConflict(mine, current) {
    this.server = current;
    const theirs = current.text;
    const resolve = (text) => {
      this.conflict.hidden = true;
      this.base = current.revision;
      this.textarea.value = text;
      if (text === theirs) { pending.drop(this.turn.id); this.renderMeta(); return; }
      pending.put(this.turn.id, text, current.revision);
      this.schedule(0);
    };
    this.conflict.replaceChildren(
      h("h3", {}, TS.conflictTitle),
      h("p", {}, `${current.updated_by || ""} · ${localDateTime(current.updated_at)}`),
      h("div", { class: "versions" },
        h("div", {}, h("h4", {}, TS.yours), h("p", { class: "pre mine" }, mine)),
        h("div", {}, h("h4", {}, TS.theirs), h("p", { class: "pre theirs" }, theirs))),
      h("div", { class: "actions" },
        h("button", { class: "primary", id: "keep-mine", onclick: () => resolve(mine) }, TS.keepMine),
        h("button", { id: "use-theirs", onclick: () => resolve(theirs) }, TS.useTheirs),
        h("button", { id: "keep-both", onclick: () => resolve(mergeParagraphs(theirs, mine)) }, TS.keepBoth)));
    this.conflict.hidden = false;
    this.showState(TS.conflictTitle, "form-error");
  }

  async confirm() {
    try {
      this.server = await api("POST", `/api/turns/${encodeURIComponent(this.turn.id)}/transcript/confirm`,
        { base_revision: this.server.revision });
      this.base = this.server.revision;
      this.renderMeta();
      banner(TS.confirmed);
    } catch (e) {
      if (e.code === "edit_conflict") await this.conflictWith(this.textarea.value);
      else banner(e.message, "error");
    }
  }

  // Another tablet (or the recogniser) changed this turn.
  remote(t) {
    if (pending.get(this.turn.id)) { this.server = { ...this.server, machine_text: t.machine_text }; return; }
    // nothing unsent here: the textarea shows the server's text, so follow it
    this.server = t;
    this.base = t.revision;
    this.textarea.value = t.text;
    this.renderMeta();
  }

  flush() {
    clearTimeout(this.timer);
    if (pending.get(this.turn.id)) this.send();
  }

  // Sends what is unsent once more, then schedules nothing: text still unsent stays on this
  // device, and the page sends it again (resendAll) while it is open or when it is opened.
  close() {
    this.closed = true;
    this.flush();
  }
}

// ---- petitions of a turn: tag and answer ------------------------------------------------------

export function answerForm(petitionId, turnId, onSaved) {
  const form = h("form", { class: "grid answer-form", dataset: { petition: petitionId } },
    field(TS.answeredBy, h("input", { name: "answered_by", required: true, maxlength: 200 })),
    field(TS.outcome, select("outcome", TS.outcomes, "answered")),
    field(TS.unit, h("input", { name: "unit", maxlength: 300 })),
    field(TS.dueDate, h("input", { name: "due_date", type: "date", dataset: { optional: "" } })),
    field(TS.answerText, h("textarea", { name: "text", rows: 3 })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, TS.answer)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = formData(form);
    if (turnId) d.turn_id = turnId;
    try {
      await api("POST", `/api/petitions/${petitionId}/answers`, d);
      banner(T.saved);
      onSaved();
    } catch (e) { showErrors(form, e); }
  });
  return form;
}

// ---- the secretary page -------------------------------------------------------------------------

class SecretaryPage {
  constructor(id, view) {
    this.id = id;
    this.page = view;
    this.closed = false;
    this.socket = null;
    this.snap = null; // last queue:state
    this.turns = [];
    this.selected = null; // turn id picked by hand; null = follow the current turn
    this.editor = null;
    this.refreshTimer = null;
    this.retry = null;
    this.onOnline = () => this.resendAll();
    this.captions = new CaptionLines(LIVE_LINES);
    this.onUnload = () => { if (this.editor) this.editor.flush(); };
  }

  async open() {
    const page = this.page;
    const [conf, turns, petitions, fields, asr] = await Promise.all([
      api("GET", `/api/conferences/${this.id}`), api("GET", `/api/conferences/${this.id}/turns`),
      api("GET", `/api/petitions?conference_id=${this.id}`), api("GET", "/api/fields"),
      api("GET", "/api/transcription")]);
    Object.assign(this, { conf, turns, petitions, fields });
    this.el = {
      live: h("span", { id: "live-state", class: "badge" }, "…"),
      asr: h("span", { id: "asr-state", class: "badge" }),
      list: h("ol", { id: "turn-list", class: "turns", "aria-label": TS.turnsList }),
      follow: h("button", { id: "follow", onclick: () => this.pick(null) }, TS.follow),
      main: h("div", { id: "turn-main" }),
    };
    this.showAsr(asr);
    put(page,
      h("div", { class: "row" }, h("h1", {}, `${TS.title}: ${conf.title}`), this.el.live, this.el.asr),
      h("div", { class: "secretary" },
        h("aside", { class: "card", tabindex: "0", "aria-labelledby": "turns-heading" }, h("h2", { id: "turns-heading" }, TS.turns), this.el.follow, this.el.list,
          h("h3", {}, TS.exports),
          h("ul", { class: "exports" },
            h("li", {}, h("a", { href: `/api/conferences/${this.id}/minutes.docx`, id: "export-docx" }, TS.minutes)),
            h("li", {}, h("a", { href: `/api/conferences/${this.id}/petitions.csv` }, TS.petitionsCsv)),
            h("li", {}, h("a", { href: `/api/conferences/${this.id}/transcripts.csv` }, TS.transcriptsCsv))),
          vocabularyBox()),
        this.el.main));
    this.renderList();
    await this.renderTurn();
    if (this.closed) return;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("beforeunload", this.onUnload);
    this.retry = setInterval(() => this.resendAll(), RETRY_MS);
    this.connect();
    this.resendAll();
  }

  close() {
    this.closed = true;
    clearInterval(this.retry);
    clearTimeout(this.refreshTimer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("beforeunload", this.onUnload);
    if (this.editor) this.editor.close();
    if (this.socket) this.socket.disconnect();
  }

  async connect() {
    let io;
    try { io = await loadSocketIo(); } catch (e) { banner(e.message, "error"); return; }
    if (this.closed || !this.page.isConnected) return; // the user has already moved to another page
    this.socket = io({ transports: ["websocket", "polling"] });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", () => { this.el.live.textContent = TS.offline; this.el.live.className = "badge warn"; });
    this.socket.on("queue:state", (s) => this.onQueue(s));
    this.socket.on("transcript:updated", (t) => this.onTranscript(t));
    this.socket.on("transcription:status", (s) => this.showAsr(s));
    this.socket.on("answer:created", () => this.refreshSoon());
    this.socket.on("captions:line", (l) => { if (l && l.conference_id === this.id && this.captions.add(l)) this.drawLive(); });
    this.socket.on("captions:state", (st) => { if (st && st.conference_id === this.id) { this.captions.setState(st); this.drawLive(); } });
    // a turn's recording was cut: its player (and soon its draft) without waiting for the queue
    this.socket.on("turn:recorded", (r) => { if (r && r.conference_id === this.id) this.refreshSoon(0); });
  }

  async join() {
    const reply = await this.socket.timeout(10000).emitWithAck("join", { conference_id: this.id }).catch(() => null);
    if (!reply || !reply.ok) { banner((reply && reply.error && reply.error.message) || TS.offline, "error"); return; }
    this.el.live.textContent = TS.live;
    this.el.live.className = "badge held";
    this.resendAll();
    if (reply.captions) { this.captions.reset(reply.captions); this.drawLive(); }
    if (reply.staff) this.onQueue(reply.staff);
  }

  // The live text of the turn shown, while it has the floor: finals, then the partial.
  drawLive() {
    if (!this.liveBox) return;
    const turnId = this.turn && this.turn.id;
    const lines = this.captions.last(LIVE_LINES, turnId);
    const st = this.captions.state;
    const off = st && (st.enabled === false || st.available === false);
    this.liveBox.hidden = !turnId || turnId !== this.currentId() || (off && !lines.length);
    this.liveEmpty.hidden = lines.length > 0;
    const atEnd = this.liveLines.scrollTop + this.liveLines.clientHeight >= this.liveLines.scrollHeight - 4;
    drawLines(this.liveLines, lines);
    if (atEnd) this.liveLines.scrollTop = this.liveLines.scrollHeight; // follow the words unless scrolled back
  }

  showAsr(s) {
    if (!this.el) return;
    this.el.asr.textContent = !s.running ? TS.asrOff : s.backlog ? TS.backlog.replace("{n}", s.backlog) : TS.asrIdle;
  }

  currentId() { return this.snap ? this.snap.state.current_turn_id : null; }

  activeId() { return this.selected || this.currentId() || null; }

  onQueue(s) {
    const before = this.activeId();
    const known = new Set(this.turns.map((t) => t.id));
    this.snap = s;
    this.drawLive();
    if (s.state.turns.some((t) => !known.has(t.id)) || this.activeId() !== before) this.refreshSoon(0);
    else this.refreshSoon();
  }

  onTranscript(t) {
    const turn = this.turns.find((x) => x.id === t.turn_id);
    if (turn) turn.transcript = t;
    // a machine draft comes from the turn's recording: fetch the turn again to show its player
    if (turn && t.machine_text && !(turn.recordings || []).length) this.refreshSoon();
    if (this.editor && this.editor.turn.id === t.turn_id) this.editor.remote(t);
    this.renderList();
  }

  refreshSoon(ms = 500) {
    clearTimeout(this.refreshTimer);
    if (this.closed) return;
    this.refreshTimer = setTimeout(() => this.refresh().catch((e) => banner(e.message, "error")), ms);
  }

  async refresh() {
    const [turns, petitions] = await Promise.all([api("GET", `/api/conferences/${this.id}/turns`),
      api("GET", `/api/petitions?conference_id=${this.id}`)]);
    if (this.closed) return;
    this.turns = turns;
    this.petitions = petitions;
    this.renderList();
    const active = this.activeId();
    if (!this.editor || !active || this.editor.turn.id !== active) await this.renderTurn();
    else { this.renderPetitions(); this.updateRecordings(); }
  }

  pick(turnId) {
    this.selected = turnId;
    this.renderList();
    this.renderTurn();
  }

  renderList() {
    const current = this.currentId();
    const active = this.activeId();
    this.el.follow.className = this.selected ? "" : "primary";
    keepFocus(() => put(this.el.list, this.turns.filter((t) => t.started_at || t.id === current || t.transcript.revision).map((t) =>
      h("li", { class: t.id === active ? "active" : "", dataset: { turn: t.id } },
        h("button", { class: "link", "aria-current": t.id === active ? "true" : null, onclick: () => this.pick(t.id) },
          `${t.display_name}${t.hamlet ? ` — ${t.hamlet}` : ""}`),
        t.id === current ? h("span", { class: "badge held" }, TS.current) : null,
        t.transcript.origin === "machine" && !t.transcript.confirmed && t.transcript.text ? h("span", { class: "badge draft" }, TS.machineDraft) : null,
        pending.get(t.id) ? h("span", { class: "badge warn", title: TS.unsent }, "●", h("span", { class: "sr-only" }, TS.unsent)) : null))));
  }

  async renderTurn() {
    if (this.editor) this.editor.close();
    const id = this.activeId();
    const turn = this.turns.find((t) => t.id === id) || (this.snap && this.snap.state.turns.find((t) => t.id === id));
    if (!turn) {
      this.editor = null;
      this.el.main.replaceChildren(h("p", { class: "muted card", id: "no-turn" }, `${TS.noCurrent} ${TS.pickTurn}.`));
      return;
    }
    this.turn = turn;
    this.editor = new TranscriptEditor(turn, () => this.renderList());
    this.petitionBox = h("section", { class: "card", id: "turn-petitions" });
    this.liveLines = h("div", { id: "live-lines", class: "live-lines", role: "group", tabindex: "0", "aria-labelledby": "live-title" });
    this.liveEmpty = h("p", { class: "muted" }, LIVE.empty);
    this.liveBox = h("section", { class: "card live-text", id: "live-text", "aria-labelledby": "live-title", hidden: true },
      h("h2", { id: "live-title" }, LIVE.title), this.liveEmpty, this.liveLines, h("p", { class: "muted" }, LIVE.hint));
    put(this.el.main,
      h("section", { class: "card" },
        h("h2", { id: "turn-name" }, `${turn.display_name}${turn.hamlet ? ` — ${turn.hamlet}` : ""}`),
        turn.topic ? h("p", { class: "muted" }, turn.topic) : null,
        turn.started_at ? h("p", { class: "muted" }, localDateTime(turn.started_at)) : null,
        this.recordings(turn)),
      this.liveBox, this.editor.el, this.petitionBox);
    this.drawLive();
    await this.editor.load();
    this.renderPetitions();
  }

  // The turn's recording, to listen again while writing (cut when the turn has ended; only
  // for the roles that may listen: the server gives no address to the others).
  recordings(turn) {
    const playable = (turn.recordings || []).filter((r) => r.url);
    this.audioBox = h("div", { class: "recordings", id: "turn-recordings" },
      h("h3", {}, TS.recording),
      playable.length ? playable.map((r, i) => h("audio", { controls: true, preload: "none", src: r.url,
        "aria-label": TS.playRecording(turn.display_name, i + 1, playable.length) }))
        : h("p", { class: "muted" }, TS.noRecording));
    return this.audioBox;
  }

  // A recording cut since the turn was shown: add its player (one already playing is left alone).
  updateRecordings() {
    const turn = this.turns.find((t) => t.id === (this.turn && this.turn.id));
    if (!turn || !this.audioBox) return;
    const urls = (turn.recordings || []).filter((r) => r.url).map((r) => r.url).join(" ");
    const shown = [...this.audioBox.querySelectorAll("audio")].map((a) => a.getAttribute("src")).join(" ");
    if (urls !== shown) this.audioBox.replaceWith(this.recordings(turn));
  }

  renderPetitions() {
    const turn = this.turns.find((t) => t.id === (this.turn && this.turn.id));
    const linked = turn ? turn.petition_ids : [];
    const byId = Object.fromEntries(this.petitions.map((p) => [p.id, p]));
    const reload = () => this.refresh();
    const items = linked.map((pid) => {
      const p = byId[pid];
      return h("li", { class: "card petition", dataset: { petition: pid } },
        h("p", {}, h("a", { href: `#/p/${pid}` }, `#${pid}`), " ",
          p ? h("span", { class: `badge ${p.status}` }, TS.statuses[p.status] || p.status) : null, " ",
          p ? `${p.raised_by}: ${p.content}` : ""),
        can("record_answer") ? h("details", {}, h("summary", {}, TS.answer), answerForm(pid, this.turn.id, reload)) : null);
    });
    const canLink = can("register_speaker");
    const others = Object.fromEntries(this.petitions.filter((p) => !linked.includes(p.id))
      .map((p) => [p.id, `#${p.id} ${p.raised_by}: ${p.content.slice(0, 60)}`]));
    const linkForm = h("form", { class: "row", id: "link-form" },
      select("petition_id", others, undefined, { "aria-label": TS.pickPetition }), h("button", { type: "submit" }, TS.link));
    linkForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const pid = linkForm.elements.petition_id.value;
      if (!pid) return;
      try { await this.link(pid); } catch (e) { showErrors(linkForm, e); }
    });
    const fieldOptions = Object.fromEntries(this.fields.filter((f) => f.active).map((f) => [f.id, f.name]));
    const newForm = h("form", { class: "grid", id: "new-petition-form" },
      field(T.raisedBy, h("input", { name: "raised_by", required: true, value: this.turn.display_name || "" })),
      field(T.hamlet, h("input", { name: "hamlet", value: this.turn.hamlet || "" })),
      field(T.field, select("field_id", fieldOptions)),
      field(T.content, h("textarea", { name: "content", rows: 3, required: true }, this.turn.topic || "")),
      field(T.competence, select("competence", T.competences, "commune")),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, TS.createLink)));
    newForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const d = formData(newForm);
      d.field_id = Number(d.field_id);
      d.conference_id = this.id;
      d.source = "during";
      try {
        const p = await api("POST", "/api/petitions", d);
        await this.link(String(p.id));
      } catch (e) { showErrors(newForm, e); }
    });
    this.petitionBox.replaceChildren(...[h("h2", {}, TS.petitions),
      items.length ? h("ul", { class: "plain" }, items) : h("p", { class: "muted" }, TS.noLinked),
      canLink && Object.keys(others).length ? linkForm : null,
      canLink && can("record_petition") ? h("details", {}, h("summary", {}, TS.newPetition), newForm) : null,
    ].filter(Boolean));
  }

  async link(petitionId) {
    const version = this.snap ? this.snap.version : 0;
    await api("POST", `/api/conferences/${this.id}/queue/commands`, {
      type: "link_petition", command_id: newCommandId(), base_version: version,
      turn_id: this.turn.id, petition_id: String(petitionId) });
    banner(T.saved);
    await this.refresh();
  }

  // Send whatever this device still holds (other turns too: a reload or an outage).
  resendAll() {
    for (const turnId of pending.all()) {
      if (this.editor && this.editor.turn.id === turnId) { this.editor.send(); continue; }
      const kept = pending.get(turnId);
      if (!kept || !can("write_transcript")) continue;
      api("PUT", `/api/turns/${encodeURIComponent(turnId)}/transcript`, { text: kept.text, base_revision: kept.base_revision })
        .then(() => { pending.drop(turnId, kept.text); this.renderList(); })
        .catch((e) => { if (e.status === 404) pending.drop(turnId); /* conflicts are shown when the turn is opened */ });
    }
  }
}
