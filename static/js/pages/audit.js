// The audit log: #/audit (view_audit), optionally #/audit?conference_id=3&action=queue.
// Who did what and when, newest first (GET /api/audit, the newest 500), filtered by
// conference, person, kind of action (a prefix: "conference." or "conference.set_status")
// and dates in Vietnam's calendar; the same filters give the whole list as CSV
// (GET /api/audit.csv). Filtering redraws the table in place: the focus stays on the form.
import { api, catalogue, loadCatalogue } from "../api.js";
import { banner, field, h, localDate, localDateTime, put } from "../ui.js";

const TEXT = {
  title: "Nhật ký thao tác",
  intro: "Mọi thay đổi hồ sơ, hàng đợi phát biểu, tài khoản và phát thanh đều được ghi lại: ai làm, lúc nào, trước và sau ra sao, lý do.",
  conference: "Hội nghị", allConferences: "Tất cả hội nghị", actor: "Người thực hiện (một phần tên)",
  action: "Loại thao tác", allActions: "Tất cả thao tác", from: "Từ ngày", to: "Đến ngày",
  filter: "Lọc", clear: "Bỏ lọc", csv: "Tải về tệp CSV (cùng bộ lọc)",
  caption: "Các thao tác, mới nhất trước", at: "Thời điểm", who: "Người thực hiện", what: "Thao tác",
  on: "Đối tượng", reason: "Lý do", details: "Chi tiết", before: "Trước", after: "Sau",
  count: (n, max) => (n >= max ? `${n} thao tác mới nhất được hiển thị; tải tệp CSV để xem đủ.` : `${n} thao tác.`),
  none: "Không có thao tác nào khớp bộ lọc.",
  showDetails: "Xem", detailsOf: (what, at) => `chi tiết: ${what} lúc ${at}`,
  allOf: (group) => `${group}: tất cả`,
};
const PAGE = 500; // the server's answer holds at most the newest 500

// The kinds of action and the name of each action's code come from the server's one table
// (server/domain/audit_labels.py, served in GET /api/catalogue): audit_groups (code prefixes,
// what the filter takes) and audit_actions (each code the log holds).

// What an action was done to.
const ENTITIES = {
  conference: "Hội nghị", user: "Tài khoản", participant: "Khách mời", petition: "Kiến nghị",
  speaking_turn: "Lượt phát biểu", document: "Văn bản", device: "Thiết bị", commune: "Xã",
  petition_field: "Lĩnh vực", recording: "Bản ghi âm", bulletin: "Bản tin", broadcast: "Phát thanh",
  calendar: "Lịch làm việc", setting: "Cài đặt", system: "Hệ thống", live: "Trực tiếp",
};

function actionLabel(code) {
  return catalogue.audit_actions[code] || code;
}

// The filter's choices by name: every kind of action (a prefix) and, inside it, each action.
function actionSelect(wanted) {
  const groups = catalogue.audit_groups;
  const codes = Object.keys(catalogue.audit_actions);
  const sel = h("select", { name: "action" }, h("option", { value: "" }, TEXT.allActions),
    Object.entries(groups).map(([prefix, label]) => h("optgroup", { label },
      h("option", { value: prefix, selected: prefix === wanted }, TEXT.allOf(label)),
      codes.filter((c) => c.startsWith(prefix)).map((c) =>
        h("option", { value: c, selected: c === wanted }, actionLabel(c))))));
  // an action given in the address that is in no group is kept, by its name when it has one
  if (wanted && !groups[wanted] && !catalogue.audit_actions[wanted]) sel.append(h("option", { value: wanted, selected: true }, actionLabel(wanted)));
  return sel;
}

// "user:2:Nguyễn Văn A" -> "Nguyễn Văn A"; "public::điện thoại 10.0.0.5" -> "điện thoại 10.0.0.5".
function actorName(label) {
  const parts = String(label || "").split(":");
  return parts.length >= 3 ? parts.slice(2).join(":") : label;
}

const KEYS = ["conference_id", "actor", "action", "date_from", "date_to"];

export async function mount(view, { q }) {
  const given = new URLSearchParams(q || "");
  const [conferences] = await Promise.all([api("GET", "/api/conferences"), loadCatalogue()]);
  // (built by hand: an object with numeric keys would list "all" last)
  const confSelect = h("select", { name: "conference_id" }, h("option", { value: "" }, TEXT.allConferences),
    conferences.map((c) => h("option", { value: c.id, selected: String(c.id) === given.get("conference_id") },
      `${c.title} (${localDate(c.starts_at)})`)));
  const form = h("form", { class: "card grid", id: "audit-filter", role: "search", "aria-label": TEXT.title },
    field(TEXT.conference, confSelect),
    field(TEXT.actor, h("input", { name: "actor", maxlength: 200, autocomplete: "off", value: given.get("actor") || "" })),
    field(TEXT.action, actionSelect(given.get("action") || "")),
    field(TEXT.from, h("input", { name: "date_from", type: "date", value: given.get("date_from") || "" })),
    field(TEXT.to, h("input", { name: "date_to", type: "date", value: given.get("date_to") || "" })),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", id: "audit-run" }, TEXT.filter),
      h("button", { type: "button", id: "audit-clear", onclick: () => { for (const k of KEYS) form.elements[k].value = ""; run(); } }, TEXT.clear)));

  const csv = h("a", { class: "button", id: "audit-csv", download: "" }, TEXT.csv);
  const count = h("p", { class: "muted", id: "audit-count" });
  const body = h("tbody", {});
  const table = h("table", { class: "list x-audit", id: "audit" },
    h("caption", { class: "sr-only" }, TEXT.caption),
    h("thead", {}, h("tr", {}, [TEXT.at, TEXT.who, TEXT.what, TEXT.on, TEXT.reason, TEXT.details].map((t) => h("th", { scope: "col" }, t)))),
    body);

  const filters = () => {
    const p = new URLSearchParams();
    for (const k of KEYS) {
      const v = String(form.elements[k].value || "").trim();
      if (v) p.set(k, v);
    }
    return p;
  };
  const json = (v) => (v ? JSON.stringify(v, null, 1) : "—");
  const row = (e) => {
    const what = actionLabel(e.action);
    const at = localDateTime(e.at);
    return h("tr", { dataset: { key: String(e.id) } },
      h("td", { class: "short" }, h("time", { datetime: e.at }, at)),
      h("td", {}, actorName(e.actor)),
      h("td", { dataset: { code: e.action } }, what), // the code itself is in the CSV
      h("td", {}, `${ENTITIES[e.entity] || e.entity} ${e.entity_id}`),
      h("td", {}, e.reason || ""),
      h("td", {}, e.before || e.after ? h("details", {}, h("summary", {}, TEXT.showDetails, h("span", { class: "sr-only" }, ` ${TEXT.detailsOf(what, at)}`)),
        h("dl", { class: "x-diff" }, h("dt", {}, TEXT.before), h("dd", {}, h("pre", {}, json(e.before))),
          h("dt", {}, TEXT.after), h("dd", {}, h("pre", {}, json(e.after))))) : ""));
  };
  const run = async () => {
    const p = filters();
    const qs = p.toString();
    csv.href = `/api/audit.csv${qs ? `?${qs}` : ""}`;
    // the address keeps the filters (a reload, a bookmark) without drawing the page again
    if (location.hash.startsWith("#/audit")) history.replaceState(history.state, "", `#/audit${qs ? `?${qs}` : ""}`);
    let events;
    try {
      events = await api("GET", `/api/audit${qs ? `?${qs}` : ""}`);
    } catch (e) { banner(e.message, "error"); return; }
    put(body, events.length ? events.map(row) : h("tr", {}, h("td", { colspan: 6, class: "muted" }, TEXT.none)));
    count.textContent = events.length ? TEXT.count(events.length, PAGE) : TEXT.none;
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  await run();
  put(view, h("h1", {}, TEXT.title), h("p", { class: "muted" }, TEXT.intro), form,
    h("div", { class: "actions" }, csv), count, table);
  return () => {};
}
