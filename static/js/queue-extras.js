// More of the moderator's queue page (#/c/<id>/queue): closing and reopening the list of
// registrations, the run-of-show (the conference's phases, time used against the plan) and
// the hall's balance (each person's and each hamlet's speaking time). queue.js calls
// mountQueueExtras(page) once its layout is in place; from then on every staff snapshot the
// page draws is drawn here too, and the commands go through the page's own send() (a
// client-made id, the version seen, the same refusals). Nothing here opens a socket or a
// timer: the page's clock tick also moves the current phase's time.
import { can } from "./api.js";
import { banner, h, keepFocus, put } from "./ui.js";

const TEXT = {
  list: "Danh sách đăng ký phát biểu", listOpen: "Đang nhận đăng ký (tại bàn và qua điện thoại).",
  listClosed: "Đã đóng: không nhận thêm đăng ký của người dân; vẫn thêm được lượt trả lời.",
  reason: "Lý do (không bắt buộc)", close: "Đóng danh sách đăng ký", open: "Mở lại danh sách",
  closedDone: "Đã đóng danh sách đăng ký phát biểu.", openedDone: "Đã mở lại danh sách đăng ký.",
  phases: "Chương trình hội nghị", notStarted: "Chưa bắt đầu phần nào.", now: "đang diễn ra",
  moveTo: "Chuyển sang", moveToWho: (label) => `Chuyển sang phần: ${label}`, movedTo: (label) => `Đã chuyển sang phần: ${label}.`,
  used: "đã dùng", planned: "dự kiến", over: (t) => `quá ${t}`,
  rules: "Quy tắc phát biểu", status: "Tình trạng hội nghị",
  balance: "Cân đối", balanceHelp: "Thời gian phát biểu của từng người và từng thôn (phút:giây), lượt đang phát biểu tính đến lần cập nhật gần nhất.",
  byPerson: "Theo người", byHamlet: "Theo thôn", person: "Người phát biểu", hamlet: "Thôn", turns: "Số lượt",
  people: "Số người", time: "Thời gian", left: "Còn lại", nobody: "Chưa có ai phát biểu.", noHamlet: "(không ghi thôn)",
};

// Seconds -> "m:ss" (90 -> "1:30", 3725 -> "62:05"); never negative.
export function mmss(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function mountQueueExtras(page) {
  const run = can("run_queue");
  const settingsOpen = () => !page.snap || page.snap.state.settings.registrations_open !== false;

  // ---- the list of registrations ----
  const listState = h("p", { id: "q-list-state" });
  const listReason = h("input", { name: "list_reason", id: "q-list-reason", maxlength: 500, autocomplete: "off" });
  const listButton = h("button", { type: "button", id: "q-list-toggle", disabled: true });
  listButton.addEventListener("click", async () => {
    const closing = settingsOpen();
    const ack = await page.send(closing ? "close_list" : "open_list", { reason: listReason.value.trim() });
    if (ack) { listReason.value = ""; banner(closing ? TEXT.closedDone : TEXT.openedDone); }
  });
  const listBox = h("section", { class: "q-card", id: "q-list-box", "aria-labelledby": "q-list-title" },
    h("h2", { id: "q-list-title" }, TEXT.list), listState,
    run ? h("div", { class: "x-list-form" },
      h("label", { class: "fld" }, h("span", {}, TEXT.reason), listReason), listButton) : null);

  // ---- the run-of-show ----
  const phaseList = h("ol", { class: "x-phases", id: "q-phases" });
  const phaseNone = h("p", { class: "muted", id: "q-phase-none", hidden: true }, TEXT.notStarted);
  const phaseBox = h("section", { class: "q-card", id: "q-phase-box", "aria-labelledby": "q-phase-title" },
    h("h2", { id: "q-phase-title" }, TEXT.phases), phaseNone, phaseList,
    h("p", { class: "x-links" },
      h("a", { href: `#/c/${page.id}/settings`, id: "q-rules-link" }, TEXT.rules), " · ",
      h("a", { href: `#/c/${page.id}/status`, id: "q-status-link" }, TEXT.status)));
  let live = null; // the current phase: its time element, seconds used at the snapshot, the snapshot's instant

  const phaseRow = (p) => {
    const time = h("span", { class: "x-phase-time" });
    const bar = h("span", { class: "x-bar-fill" });
    const show = (used) => {
      const over = used - p.planned_seconds;
      put(time, h("span", { class: "sr-only" }, `${TEXT.used} `), mmss(used), " / ", mmss(p.planned_seconds),
        h("span", { class: "sr-only" }, ` ${TEXT.planned}`), over > 0 ? h("strong", { class: "x-over" }, ` (${TEXT.over(mmss(over))})`) : null);
      bar.style.width = `${Math.min(100, (used / Math.max(1, p.planned_seconds)) * 100)}%`;
      bar.classList.toggle("x-over", over > 0);
    };
    show(p.used_seconds);
    if (p.current) live = { show, used: p.used_seconds, at: Date.parse(page.snap.server_time), shown: Math.floor(p.used_seconds) };
    const button = run ? h("button", { type: "button", class: "x-phase-go", "aria-label": TEXT.moveToWho(p.label),
      "aria-disabled": p.current ? "true" : null }, TEXT.moveTo) : null;
    if (button) {
      button.addEventListener("click", async () => {
        if (button.getAttribute("aria-disabled") === "true") return;
        const ack = await page.send("set_phase", { phase: p.phase });
        if (ack) banner(TEXT.movedTo(p.label));
      });
    }
    return h("li", { class: p.current ? "x-phase x-now" : "x-phase", dataset: { key: p.phase }, "aria-current": p.current ? "step" : null },
      h("span", { class: "x-phase-name" }, p.label, p.current ? [" ", h("span", { class: "badge x-now-badge" }, TEXT.now)] : null),
      time, h("span", { class: "x-bar", "aria-hidden": "true" }, bar), button);
  };

  // ---- the balance ----
  const balanceBody = h("div", { id: "q-balance" });
  const balanceBox = h("details", { class: "q-card", id: "q-balance-box" },
    h("summary", {}, TEXT.balance), h("p", { class: "muted" }, TEXT.balanceHelp), balanceBody);
  const table = (id, caption, heads, rows) => h("table", { class: "list x-balance", id },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows));
  const drawBalance = (b) => {
    if (!b || !b.people.length) { put(balanceBody, h("p", { class: "muted" }, TEXT.nobody)); return; }
    const budget = b.hamlets.some((x) => x.budget_left !== undefined && x.budget_left !== null);
    put(balanceBody,
      table("q-balance-people", TEXT.byPerson, [TEXT.person, TEXT.hamlet, TEXT.turns, TEXT.time],
        b.people.map((p) => h("tr", { dataset: { key: p.person_key || p.name } },
          h("td", {}, p.name), h("td", {}, p.hamlet || ""), h("td", { class: "short" }, String(p.turns)),
          h("td", { class: "short x-secs" }, mmss(p.seconds))))),
      table("q-balance-hamlets", TEXT.byHamlet, [TEXT.hamlet, TEXT.people, TEXT.turns, TEXT.time, ...(budget ? [TEXT.left] : [])],
        b.hamlets.map((x) => h("tr", { dataset: { key: x.hamlet } },
          h("td", {}, x.hamlet || TEXT.noHamlet), h("td", { class: "short" }, String(x.people)), h("td", { class: "short" }, String(x.turns)),
          h("td", { class: "short x-secs" }, mmss(x.seconds)),
          budget ? h("td", { class: "short x-secs" }, x.budget_left === undefined ? "" : mmss(x.budget_left)) : null))));
  };

  // ---- drawing from each snapshot ----
  const draw = (s) => {
    const open = s.state.settings.registrations_open !== false;
    listState.textContent = open ? TEXT.listOpen : TEXT.listClosed;
    listState.className = open ? "x-list-open" : "x-list-closed";
    listButton.textContent = open ? TEXT.close : TEXT.open;
    listButton.className = open ? "" : "primary";
    listButton.disabled = false;
    live = null;
    const phases = s.phases || [];
    put(phaseList, phases.map(phaseRow));
    phaseNone.hidden = phases.some((p) => p.current);
    drawBalance(s.balance);
  };

  // the place of each part on the page: the run-of-show under the speaker, the list and the
  // balance after the lines of people
  page.el.current.after(phaseBox);
  const aside = page.view.querySelector("#q-aside-box") || page.el.pending.closest("section");
  aside.after(listBox, balanceBox);

  const render = page.render.bind(page);
  page.render = (s) => {
    render(s);
    if (page.snap) keepFocus(() => draw(page.snap));
  };
  const tick = page.tick.bind(page);
  page.tick = () => {
    tick();
    if (!live) return;
    const used = live.used + Math.max(0, (Date.now() + (page.offset || 0) - live.at) / 1000);
    if (Math.floor(used) !== live.shown) { live.shown = Math.floor(used); live.show(used); }
  };
}
