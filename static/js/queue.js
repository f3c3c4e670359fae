// The moderator's tablet: #/c/<id>/queue. The live speaking queue over socket.io.
// The server owns the order: this page renders the `order` list it sends and sends
// commands (each with a client-made command_id and the version it was based on).
import { api, can } from "./api.js";
import { TQ as Q } from "./i18n.js";
import { announce, banner, h, keepFocus, localTime, mountOpened, put, rememberFocus } from "./ui.js";
import { clockState, formatClock, loadSocketIo, measureOffset, newCommandId, remainingSeconds, watchConnection } from "/display-assets/clock.js";
import { mountQueueExtras } from "./queue-extras.js";
import { mountCaptions } from "./queue-captions.js";

const ASIDE = ["deferred", "skipped"]; // turns set aside, to be brought back or withdrawn

export function mount(view, { id }) {
  return mountOpened(new QueuePage(Number(id), view));
}

// "user:2:Nguyễn Văn A" -> "Nguyễn Văn A"; "public::điện thoại 10.0.0.5" -> "điện thoại 10.0.0.5".
function actorName(label) {
  const parts = String(label || "").split(":");
  return parts.length >= 3 ? parts.slice(2).join(":") : label;
}

// ---- a small touch-friendly dialog for reasons and names ----------------------------------

function ask(title, { required = false, fields = null } = {}) {
  const back = rememberFocus(); // the button that asked, or its row's, once the dialog is closed
  return new Promise((resolve) => {
    const inputs = (fields || [{ name: "reason", label: title, required }]).map((f) =>
      h("label", { class: "fld" }, h("span", {}, f.label),
        h("input", { name: f.name, maxlength: 500, autocomplete: "off", value: f.value || "" })));
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const dlg = h("dialog", { class: "q-dialog", id: "q-ask" },
      h("form", { method: "dialog" }, h("h2", {}, title), error, ...inputs,
        h("div", { class: "actions" },
          h("button", { type: "button", class: "q-cancel", value: "cancel", onclick: () => { dlg.close(); } }, Q.cancel),
          h("button", { type: "submit", class: "primary q-ok", value: "ok" }, Q.ok))));
    let done = false;
    dlg.querySelector("form").addEventListener("submit", (ev) => {
      const values = Object.fromEntries(inputs.map((l) => { const i = l.querySelector("input"); return [i.name, i.value.trim()]; }));
      const missing = (fields || [{ name: "reason", required }]).some((f) => f.required && !values[f.name]);
      if (missing) { ev.preventDefault(); error.textContent = Q.reasonRequired; error.hidden = false; return; }
      done = true;
      resolve(fields ? values : values.reason);
    });
    dlg.addEventListener("close", () => { dlg.remove(); back(); if (!done) resolve(null); });
    document.body.append(dlg);
    dlg.showModal();
    inputs[0].querySelector("input").focus();
  });
}

// ---- the page --------------------------------------------------------------------------------

class QueuePage {
  constructor(id, view) {
    this.id = id;
    this.view = view;
    this.snap = null; // last queue:state payload
    this.offset = 0;
    this.pending = new Map(); // command_id -> payload without an answer yet
    this.timers = [];
    this.stopWatch = null;
    this.dragging = null;
    this.saidTurn = undefined; // "<turn>:<status>" of the person with the floor, as last announced
    this.saidClock = undefined; // the clock's state, as last announced
  }

  async open() {
    const view = this.view;
    const [conf, io] = await Promise.all([api("GET", `/api/conferences/${this.id}`), loadSocketIo()]);
    this.conf = conf;
    this.el = {
      lost: h("span", { id: "q-lost", class: "q-lost", role: "status", hidden: true }, Q.lost),
      version: h("span", { class: "muted", id: "q-version" }),
      current: h("section", { class: "q-card q-current", id: "q-current" }),
      waiting: h("ol", { class: "q-list", id: "q-waiting" }),
      pending: h("ul", { class: "q-list", id: "q-pending" }),
      aside: h("ul", { class: "q-list", id: "q-aside" }),
      history: h("ol", { class: "q-history", id: "q-history", tabindex: "0", "aria-label": Q.historyLabel }),
      undo: h("button", { class: "q-undo", id: "q-undo", disabled: true, onclick: () => this.undo() }, Q.undo),
      petition: h("section", { class: "q-card", id: "q-petition" }),
    };
    const main = h("div", { class: "q-page" },
      h("header", { class: "q-head" },
        h("a", { href: `#/c/${this.id}`, class: "button", "aria-label": Q.back, title: Q.back }, "‹"),
        h("h1", { class: "cut", title: conf.title }, `${Q.title}: `, h("span", { class: "q-conf" }, conf.title)),
        this.el.version, this.el.lost),
      h("div", { class: "q-cols" },
        h("div", { class: "q-col" }, this.el.current, this.el.petition,
          h("section", { class: "q-card", id: "q-history-box" }, h("h2", {}, Q.history, " ", this.el.undo), this.el.history)),
        h("div", { class: "q-col" },
          h("section", { class: "q-card", id: "q-waiting-box" }, h("h2", {}, Q.waiting),
            h("p", { class: "muted q-hint" }, Q.dragHint), this.el.waiting),
          h("section", { class: "q-card", id: "q-pending-box" }, h("h2", {}, Q.pending), this.el.pending),
          h("section", { class: "q-card", id: "q-aside-box", hidden: true }, h("h2", {}, Q.setAside), this.el.aside),
          can("register_speaker") ? await this.registrationForm() : null,
          can("run_queue") ? await this.answerForm() : null,
          await this.qrBox())));
    view.replaceChildren(main);
    mountQueueExtras(this); // the list, the run-of-show and the balance (queue-extras.js)
    if (!view.isConnected || this.closed) return; // the user has already moved to another page

    this.socket = io({ transports: ["websocket", "polling"] });
    this.stopWatch = watchConnection(this.socket, this.el.lost);
    mountCaptions(this); // the live captions' state and controls (queue-captions.js)
    this.socket.on("connect", () => this.join());
    this.socket.on("queue:state", (s) => this.render(s));
    this.timers.push(setInterval(() => this.tick(), 250));
    this.timers.push(setInterval(() => this.remeasure(), 300000));
  }

  close() {
    this.closed = true;
    this.timers.forEach(clearInterval);
    this.timers = [];
    if (this.stopWatch) this.stopWatch();
    if (this.socket) this.socket.disconnect();
    const dialog = document.getElementById("q-ask"); // a question left open (the Back button)
    if (dialog) dialog.close();
  }

  async join() {
    const reply = await this.socket.timeout(10000).emitWithAck("join", { conference_id: this.id }).catch(() => null);
    if (!reply) return;
    if (!reply.ok) { banner(reply.error.message, "error"); return; }
    this.snap = null; // a full snapshot replaces whatever was shown
    this.render(reply.staff);
    if (this.captions) this.captions.joined(reply);
    this.remeasure();
    // Commands sent while the link was down go again with the same id: applied at most once.
    for (const payload of this.pending.values()) this.emit(payload);
  }

  async remeasure() {
    if (!this.socket.connected) return;
    const off = await measureOffset(this.socket);
    if (off !== null) { this.offset = off; this.tick(); }
  }

  // ---- commands ----

  send(type, fields = {}) {
    if (!this.snap) return Promise.resolve(null);
    const payload = { conference_id: this.id, type, command_id: newCommandId(), base_version: this.snap.version, ...fields };
    if (!this.socket.connected) { banner(Q.notSent, "error"); return Promise.resolve(null); }
    this.pending.set(payload.command_id, payload);
    return this.emit(payload);
  }

  async emit(payload) {
    let ack;
    try {
      ack = await this.socket.timeout(10000).emitWithAck("queue:command", payload);
    } catch {
      banner(Q.noAck, "error");
      return null;
    }
    this.pending.delete(payload.command_id);
    if (ack.ok && document.getElementById("banner").className === "error") banner(""); // an old refusal no longer applies
    if (!ack.ok) {
      const code = ack.error && ack.error.code;
      banner(code === "version_conflict" ? Q.conflict : ack.error.message, "error");
      if (code === "version_conflict") this.join();
      return null;
    }
    return ack;
  }

  async withReason(title, type, fields, required = true) {
    const reason = await ask(title, { required });
    if (reason === null) return null;
    return this.send(type, { ...fields, reason });
  }

  async undo() {
    const reason = await ask(`${Q.reasonUndo}: ${this.snap.undo_summary || ""}`, { required: true });
    if (reason !== null) await this.send("undo", { reason });
  }

  // ---- rendering ----

  turns() { return new Map(this.snap.state.turns.map((t) => [t.id, t])); }

  render(s) {
    if (!s || (this.snap && s.version < this.snap.version)) return; // older than what is shown
    keepFocus(() => this.draw(s)); // a command's answer redraws the lists: the focus stays put
  }

  draw(s) {
    this.snap = s;
    this.el.version.textContent = `${Q.version} ${s.version}`;
    if (this.captions) this.captions.draw(); // "hide this turn" follows the floor
    const turns = this.turns();
    const run = can("run_queue");
    this.renderCurrent(turns, run);
    this.announceTurn(turns);
    this.renderPetition(turns);
    // waiting: exactly the server's order
    // who already spoke today, counted by the server over the whole day (the view only
    // carries the unfinished turns and the last few finished ones)
    const people = s.state.people || {};
    const spoken = new Set(Object.keys(people).filter((k) => people[k].spoken));
    this.el.waiting.replaceChildren(...(s.order.length ? s.order.map((tid, i) => this.waitingRow(turns.get(tid), i, s.order.length, run, spoken))
      : [h("li", { class: "muted q-empty" }, Q.emptyQueue)]));
    const pending = s.state.turns.filter((t) => t.status === "pending_approval");
    this.el.pending.replaceChildren(...(pending.length ? pending.map((t) => h("li", { class: "q-row", dataset: { turn: t.id } },
      this.who(t),
      run || can("register_speaker") ? h("div", { class: "q-actions" },
        h("button", { class: "primary q-approve", "aria-label": Q.approveWho(t.display_name), onclick: () => this.send("approve_turn", { turn_id: t.id }) }, Q.approve),
        h("button", { class: "q-reject", "aria-label": Q.rejectWho(t.display_name), onclick: () => this.withReason(Q.reasonOptional, "reject_turn", { turn_id: t.id }, false) }, Q.reject)) : null))
      : [h("li", { class: "muted q-empty" }, "—")]));
    // the view carries the last ten set aside; the rest of the day's come on request
    const earlier = s.state.earlier_aside_turns || 0;
    const inView = s.state.turns.filter((t) => ASIDE.includes(t.status));
    const fresh = this.allAside && earlier && this.allAside.version >= s.version;
    if (this.allAside && earlier && !fresh) this.loadAllAside();
    const aside = fresh ? this.allAside.turns : inView;
    const showingAll = aside.length > inView.length;
    document.getElementById("q-aside-box").hidden = !aside.length && !earlier;
    const more = earlier && !showingAll ? [h("li", {}, h("button", { class: "q-more-aside", onclick: () => { this.allAside = { version: -1, turns: [] }; this.loadAllAside(); } }, Q.moreAside(earlier)))] : [];
    this.el.aside.replaceChildren(...more, ...aside.map((t) => h("li", { class: "q-row", dataset: { turn: t.id } },
      this.who(t), h("span", { class: "badge" }, Q.statuses[t.status]),
      run ? h("div", { class: "q-actions" },
        h("button", { class: "q-requeue", "aria-label": Q.requeueWho(t.display_name), onclick: () => this.send("requeue", { turn_id: t.id }) }, Q.requeue),
        h("button", { class: "q-withdraw", "aria-label": Q.withdrawWho(t.display_name), onclick: () => this.withReason(Q.reasonOptional, "withdraw", { turn_id: t.id }, false) }, Q.withdraw)) : null)));
    const hist = [...s.state.history].reverse().slice(0, 60);
    this.el.history.replaceChildren(...(hist.length ? hist.map((e) => h("li", {},
      h("time", { datetime: e.at }, localTime(e.at)), " ",
      h("span", {}, e.summary), e.reason ? h("em", { class: "q-reason" }, ` — ${Q.reasonWas}: ${e.reason}`) : null,
      h("small", { class: "muted" }, ` · ${actorName(e.actor)}`))) : [h("li", { class: "muted" }, Q.noHistory)]));
    this.el.undo.disabled = !(run && s.can_undo);
    this.el.undo.title = s.undo_summary || "";
    this.tick();
  }

  // Every turn set aside today, asked once per version while the moderator wants them.
  async loadAllAside() {
    if (this.loadingAside) return;
    this.loadingAside = true;
    try {
      const v = await api("GET", `/api/conferences/${this.id}/queue?aside=all`);
      this.allAside = { version: v.version, turns: v.state.turns.filter((t) => ASIDE.includes(t.status)) };
    } catch { this.allAside = null; } finally { this.loadingAside = false; }
    if (this.snap) this.render(this.snap);
  }

  // Screen readers hear who is called, not every change of the page.
  announceTurn(turns) {
    const cur = this.snap.state.current_turn_id ? turns.get(this.snap.state.current_turn_id) : null;
    const key = cur ? `${cur.id}:${cur.status}` : "";
    if (this.saidTurn !== undefined && key !== this.saidTurn && cur && cur.status === "called") announce(Q.calledNow(cur.display_name));
    if (key !== this.saidTurn) this.saidClock = undefined;
    this.saidTurn = key;
  }

  who(t) {
    return h("div", { class: "q-who" },
      h("strong", {}, t.display_name), t.kind === "answer" && t.role ? ` — ${t.role}` : "",
      t.hamlet ? h("span", { class: "muted" }, ` · ${t.hamlet}`) : null,
      t.topic ? h("div", { class: "q-topic cut", title: t.topic }, t.topic) : null);
  }

  waitingRow(t, index, size, run, spoken) {
    const badges = [
      t.kind === "answer" ? h("span", { class: "badge q-answer" }, Q.answerBadge) : null,
      t.kind === "citizen" && spoken.has(t.person_key) ? h("span", { class: "badge" }, Q.repeat) : null,
      t.needs_interpreter ? h("span", { class: "badge q-interp" }, `${Q.interpreter}${t.language ? `: ${t.language}` : ""}`) : null,
      t.source === "qr" ? h("span", { class: "badge" }, "QR") : null,
    ];
    const handle = run ? h("span", { class: "q-handle", title: Q.dragHint, "aria-hidden": "true" }, "☰") : null;
    const row = h("li", { class: "q-row q-wait", dataset: { turn: t.id, index: String(index) } },
      handle, h("span", { class: "q-pos" }, String(index + 1)),
      h("div", { class: "q-who-wrap" }, this.who(t), h("div", {}, badges)),
      run ? h("div", { class: "q-actions" },
        h("button", { class: "q-up", "aria-label": Q.up(t.display_name), title: Q.up(t.display_name), disabled: index === 0, onclick: () => this.move(t.id, index, index - 1) }, "▲"),
        h("button", { class: "q-down", "aria-label": Q.down(t.display_name), title: Q.down(t.display_name), disabled: index === size - 1, onclick: () => this.move(t.id, index, index + 1) }, "▼"),
        h("button", { class: "q-call", "aria-label": Q.callWho(t.display_name), onclick: () => (index === 0 ? this.send("call_turn", { turn_id: t.id })
          : this.withReason(Q.reasonCall, "call_turn", { turn_id: t.id })) }, Q.call),
        h("button", { class: "q-defer", "aria-label": Q.deferWho(t.display_name), onclick: () => this.withReason(Q.reasonOptional, "defer", { turn_id: t.id }, false) }, Q.defer),
        h("button", { class: "q-withdraw", "aria-label": Q.withdrawWho(t.display_name), onclick: () => this.withReason(Q.reasonOptional, "withdraw", { turn_id: t.id }, false) }, Q.withdraw)) : null);
    if (handle) handle.addEventListener("pointerdown", (ev) => this.dragStart(ev, row, t.id, index));
    return row;
  }

  async move(turnId, from, to) {
    if (to === from) return;
    const reason = await ask(`${Q.reasonMove} (${from + 1} → ${to + 1})`, { required: true });
    if (reason !== null) await this.send("move", { turn_id: turnId, new_index: to, reason });
  }

  // Drag with pointer events (finger, pen or mouse): the row follows the pointer; on release
  // the new place is where it is dropped; the server decides the real order after the Move.
  dragStart(ev, row, turnId, from) {
    ev.preventDefault();
    const list = this.el.waiting;
    const rows = [...list.children];
    const rects = rows.map((r) => r.getBoundingClientRect());
    const startY = ev.clientY;
    let to = from;
    row.setPointerCapture(ev.pointerId);
    row.classList.add("q-dragging");
    const moveTo = (e) => {
      const dy = e.clientY - startY;
      row.style.transform = `translateY(${dy}px)`;
      const mid = rects[from].top + rects[from].height / 2 + dy;
      to = rects.filter((r, i) => i !== from && mid > r.top + r.height / 2).length;
      rows.forEach((r, i) => {
        if (i === from) return;
        const shift = from < to && i > from && i <= to ? -rects[from].height : from > to && i >= to && i < from ? rects[from].height : 0;
        r.style.transform = shift ? `translateY(${shift}px)` : "";
      });
    };
    const finish = async () => {
      row.removeEventListener("pointermove", moveTo);
      row.removeEventListener("pointerup", finish);
      row.removeEventListener("pointercancel", finish);
      rows.forEach((r) => { r.style.transform = ""; });
      row.classList.remove("q-dragging");
      if (to !== from) await this.move(turnId, from, to);
    };
    row.addEventListener("pointermove", moveTo);
    row.addEventListener("pointerup", finish);
    row.addEventListener("pointercancel", finish);
  }

  renderCurrent(turns, run) {
    const s = this.snap;
    const cur = s.state.current_turn_id ? turns.get(s.state.current_turn_id) : null;
    const btn = (label, cls, onclick, primary = false) => h("button", { class: `q-big ${cls}${primary ? " primary" : ""}`, onclick }, label);
    if (!cur) {
      put(this.el.current, h("h2", {}, Q.current), h("p", { class: "muted q-nobody" }, Q.nobody),
        run ? btn(Q.callNext, "q-call-next", () => this.send("call_next"), true) : null);
      const b = this.el.current.querySelector(".q-call-next");
      if (b) b.disabled = !s.order.length;
      this.clock = null;
      return;
    }
    const id = cur.id;
    const actions = [];
    if (run) {
      if (cur.status === "called") {
        actions.push(btn(Q.start, "q-start", () => this.send("start", { turn_id: id }), true),
          btn(Q.skip, "q-skip", () => this.withReason(Q.reasonOptional, "skip", { turn_id: id }, false)),
          btn(Q.defer, "q-defer", () => this.withReason(Q.reasonOptional, "defer", { turn_id: id }, false)),
          btn(Q.withdraw, "q-withdraw", () => this.withReason(Q.reasonOptional, "withdraw", { turn_id: id }, false)));
      } else if (cur.status === "speaking") {
        actions.push(btn(Q.pause, "q-pause", () => this.send("pause", { turn_id: id })),
          btn(Q.end, "q-end", () => this.send("end", { turn_id: id }), true));
      } else if (cur.status === "paused") {
        actions.push(btn(Q.resume, "q-resume", () => this.send("resume", { turn_id: id }), true),
          btn(Q.end, "q-end", () => this.send("end", { turn_id: id })));
      }
    }
    const extend = run ? h("div", { class: "q-extend-row" }, h("span", { class: "muted" }, Q.extendLabel),
      [30, 60, 120].map((sec) => h("button", { class: "q-extend", dataset: { seconds: String(sec) },
        onclick: () => this.withReason(Q.reasonExtend, "extend_time", { turn_id: id, seconds: sec }) }, Q.extend(sec)))) : null;
    this.clock = h("div", { class: "q-clock", id: "q-clock" });
    put(this.el.current,
      h("h2", {}, Q.current, " ", h("span", { class: `badge q-status-${cur.status}` }, Q.statuses[cur.status])),
      h("p", { class: "q-name cut", title: cur.display_name }, cur.display_name, cur.kind === "answer" && cur.role ? ` — ${cur.role}` : ""),
      h("p", { class: "muted" }, [cur.hamlet, cur.needs_interpreter ? `${Q.interpreter}${cur.language ? `: ${cur.language}` : ""}` : ""].filter(Boolean).join(" · ")),
      cur.topic ? h("p", { class: "q-topic cut", title: cur.topic }, cur.topic) : null,
      h("p", { class: "muted", id: "q-public-name" }, `${Q.onScreen}: ${s.public.current ? s.public.current.name : ""}`),
      this.clock, h("p", { class: "q-clock-note", id: "q-clock-note" }),
      h("div", { class: "q-controls" }, actions), extend);
  }

  tick() {
    if (!this.clock || !this.snap || !this.snap.timer) return;
    const timer = this.snap.timer;
    const cur = this.turns().get(this.snap.state.current_turn_id);
    const remaining = remainingSeconds(timer, this.offset);
    const state = cur && cur.status === "called" ? "idle" : clockState(timer, remaining, this.snap.state.settings.warning_seconds);
    this.clock.textContent = cur && cur.status === "called" ? formatClock(timer.allowed) : formatClock(remaining);
    this.clock.dataset.state = state;
    if (state !== this.saidClock) { // the time warnings, once each
      if (this.saidClock !== undefined && cur && (state === "warning" || state === "overtime")) {
        announce(state === "warning" ? Q.warningNow(cur.display_name) : Q.overtimeNow(cur.display_name));
      }
      this.saidClock = state;
    }
    const note = document.getElementById("q-clock-note");
    if (note) note.textContent = state === "overtime" ? Q.overtime : state === "warning" ? Q.warning : `/ ${formatClock(timer.allowed)}`;
  }

  // ---- petitions of the current turn ----

  renderPetition(turns) {
    const s = this.snap;
    const cur = s.state.current_turn_id ? turns.get(s.state.current_turn_id) : null;
    const box = this.el.petition;
    if (!cur || cur.kind !== "citizen" || !can("record_petition")) { box.hidden = true; this.petitionFor = null; return; }
    box.hidden = false;
    const linked = h("p", { class: "muted", id: "q-linked" }, cur.petition_ids.length ? `${Q.linked}: ${cur.petition_ids.map((p) => `#${p}`).join(", ")}` : "");
    if (this.petitionFor === cur.id && box.querySelector("form")) { box.querySelector("#q-linked").replaceWith(linked); return; }
    this.petitionFor = cur.id;
    const options = (this.fields || []).filter((f) => f.active).map((f) => h("option", { value: f.id }, f.name));
    const form = h("form", { class: "q-form", id: "q-petition-form" },
      h("label", { class: "fld" }, h("span", {}, Q.field), h("select", { name: "field_id", required: true }, options)),
      h("label", { class: "fld q-wide" }, h("span", {}, Q.content), h("textarea", { name: "content", rows: 3, required: true, maxlength: 10000 })),
      h("div", { class: "actions q-wide" }, h("button", { class: "primary", type: "submit" }, Q.savePetition)));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const turn = this.turns().get(this.petitionFor);
      if (!turn) return;
      try {
        const p = await api("POST", "/api/petitions", {
          conference_id: this.id, raised_by: turn.display_name, hamlet: turn.hamlet,
          consent_full_name: turn.consent_full_name, field_id: Number(form.field_id.value),
          content: form.content.value, source: "during" });
        const ack = await this.send("link_petition", { turn_id: turn.id, petition_id: String(p.id) });
        if (ack) { form.content.value = ""; banner(Q.petitionSaved(p.id)); this.loadPetitions(); }
      } catch (e) { banner(e.message, "error"); }
    });
    box.replaceChildren(h("h2", {}, Q.petition), linked, form);
    if (!this.fields) {
      api("GET", "/api/fields").then((f) => { this.fields = f; this.petitionFor = null; this.renderPetition(this.turns()); }).catch(() => {});
    }
  }

  // ---- forms ----

  async registrationForm() {
    let people = [];
    const pick = h("select", { name: "participant_id" });
    const pickField = h("label", { class: "fld q-wide", hidden: true }, h("span", {}, Q.pick), pick);
    // People checked in at the entrance; read again each time the form is opened.
    const loadPeople = async () => {
      try { people = (await api("GET", `/api/conferences/${this.id}/participants`)).filter((p) => p.checked_in_at); } catch { return; }
      const keep = pick.value;
      put(pick, h("option", { value: "" }, "—"),
        people.map((p) => h("option", { value: p.id }, `${p.full_name}${p.hamlet ? ` · ${p.hamlet}` : ""}`)));
      pick.value = keep;
      pickField.hidden = !people.length;
    };
    await loadPeople();
    const form = h("form", { class: "q-form", id: "q-register" },
      pickField,
      h("label", { class: "fld" }, h("span", {}, Q.fullName), h("input", { name: "display_name", required: true, maxlength: 120, autocomplete: "off" })),
      h("label", { class: "fld" }, h("span", {}, Q.hamlet), h("input", { name: "hamlet", maxlength: 120, autocomplete: "off" })),
      h("label", { class: "fld q-wide" }, h("span", {}, Q.topic), h("input", { name: "topic", maxlength: 1000, autocomplete: "off" })),
      h("label", { class: "q-check" }, h("input", { type: "checkbox", name: "needs_interpreter" }), Q.interpreter),
      h("label", { class: "fld" }, h("span", {}, Q.language), h("input", { name: "language", maxlength: 50, disabled: true })),
      h("label", { class: "q-check q-wide" }, h("input", { type: "checkbox", name: "consent_full_name" }), Q.consent),
      h("div", { class: "actions q-wide" }, h("button", { type: "submit", class: "primary" }, Q.add)));
    form.needs_interpreter.addEventListener("change", () => { form.language.disabled = !form.needs_interpreter.checked; });
    pick.addEventListener("change", () => {
      const p = people.find((x) => String(x.id) === pick.value);
      if (!p) return;
      form.display_name.value = p.full_name;
      form.hamlet.value = p.hamlet || "";
      form.consent_full_name.checked = !!p.consent_full_name;
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const fields = { display_name: form.display_name.value, hamlet: form.hamlet.value, topic: form.topic.value,
        needs_interpreter: form.needs_interpreter.checked, consent_full_name: form.consent_full_name.checked };
      if (form.needs_interpreter.checked && form.language.value.trim()) fields.language = form.language.value.trim();
      if (pick.value) fields.participant_id = Number(pick.value);
      const ack = await this.send("register_turn", fields);
      if (ack) { form.reset(); form.language.disabled = true; banner(Q.added(fields.display_name)); }
    });
    const box = h("details", { class: "q-card", id: "q-register-box" }, h("summary", {}, Q.register), form);
    box.addEventListener("toggle", () => { if (box.open) loadPeople(); });
    return box;
  }

  async loadPetitions() {
    if (!this.petitionSelect) return;
    let list = [];
    try { list = await api("GET", `/api/petitions?conference_id=${this.id}`); } catch { return; }
    const keep = this.petitionSelect.value;
    put(this.petitionSelect, h("option", { value: "" }, Q.pickPetition),
      list.map((p) => h("option", { value: p.id }, `#${p.id} · ${p.raised_by} · ${p.content.slice(0, 60)}`)));
    this.petitionSelect.value = keep;
  }

  async answerForm() {
    this.petitionSelect = h("select", { name: "petition_id", required: true });
    const form = h("form", { class: "q-form", id: "q-answer" },
      h("label", { class: "fld q-wide" }, h("span", {}, Q.petitionField), this.petitionSelect),
      h("label", { class: "fld" }, h("span", {}, Q.official), h("input", { name: "official_name", required: true, maxlength: 120 })),
      h("label", { class: "fld" }, h("span", {}, Q.role), h("input", { name: "role", maxlength: 120 })),
      h("div", { class: "actions q-wide" }, h("button", { type: "submit", class: "primary" }, Q.addAnswer)));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ack = await this.send("add_answer_turn", { petition_id: String(form.petition_id.value),
        official_name: form.elements.official_name.value, role: form.elements.role.value });
      if (ack) { form.reset(); banner(Q.answerAdded); }
    });
    await this.loadPetitions();
    const box = h("details", { class: "q-card", id: "q-answer-box" }, h("summary", {}, Q.answer), form);
    box.addEventListener("toggle", () => { if (box.open) this.loadPetitions(); });
    return box;
  }

  async qrBox() {
    let reg = null;
    try { reg = await api("GET", `/api/conferences/${this.id}/registration`); } catch { return null; }
    return h("details", { class: "q-card", id: "q-qr-box" }, h("summary", {}, Q.qr),
      h("div", { class: "q-qr" }, h("img", { src: reg.qr_svg, alt: Q.qrAlt, width: 180, height: 180 }),
        h("div", {}, h("p", {}, h("a", { href: reg.url, target: "_blank", id: "q-reg-url" }, reg.url)),
          h("p", { class: "muted" }, Q.displayHelp(location.origin, this.id)))));
  }
}
