// The audit log: #/audit (view_audit), optionally #/audit?conference_id=3&action=queue.
// Who did what and when, newest first (GET /api/audit, the newest 500), filtered by
// conference, person, kind of action (a prefix: "conference." or "conference.set_status")
// and dates in Vietnam's calendar; the same filters give the whole list as CSV
// (GET /api/audit.csv). Filtering redraws the table in place: the focus stays on the form.
import { api } from "../api.js";
import { banner, field, h, localDate, localDateTime, put, select } from "../ui.js";

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
};
const PAGE = 500; // the server's answer holds at most the newest 500

// The kinds of action, by the start of their code (the filter is a prefix).
const GROUPS = {
  "session.": "Đăng nhập", "user.": "Tài khoản", "conference.": "Hội nghị", "queue.": "Hàng đợi phát biểu",
  "participant.": "Khách mời, điểm danh", "petition.": "Kiến nghị", "answer.": "Trả lời kiến nghị",
  "document.": "Văn bản", "broadcast.": "Phát thanh", "bulletin.": "Bản tin", "recording.": "Bản ghi âm",
  "device.": "Thiết bị", "field.": "Lĩnh vực", "commune.": "Thông tin xã", "calendar.": "Lịch làm việc",
  "settings.": "Cài đặt", "reminder.": "Nhắc hạn", "export.": "Xuất biên bản", "transcript.": "Ghi lời phát biểu",
};
// What an action was done to.
const ENTITIES = {
  conference: "Hội nghị", user: "Tài khoản", participant: "Khách mời", petition: "Kiến nghị",
  speaking_turn: "Lượt phát biểu", document: "Văn bản", device: "Thiết bị", commune: "Xã",
  petition_field: "Lĩnh vực", recording: "Bản ghi âm", bulletin: "Bản tin", broadcast: "Phát thanh",
  calendar: "Lịch làm việc", setting: "Cài đặt", system: "Hệ thống", live: "Trực tiếp",
};
const ACTIONS = {
  "session.login": "Đăng nhập", "user.add": "Thêm tài khoản", "user.update": "Sửa tài khoản",
  "user.change_password": "Đổi mật khẩu", "conference.create": "Thêm hội nghị", "conference.update": "Sửa hội nghị",
  "conference.announce": "Thông báo hội nghị", "conference.set_status": "Đổi trạng thái hội nghị",
  "participant.add": "Thêm khách mời", "participant.update": "Sửa khách mời", "participant.remove": "Xóa khách mời",
  "participant.check_in": "Điểm danh", "petition.create": "Ghi kiến nghị", "petition.update": "Sửa kiến nghị",
  "answer.create": "Ghi trả lời", "document.draft": "Soạn văn bản", "document.edit": "Sửa văn bản",
  "document.issue": "Ban hành văn bản", "document.discard": "Xóa bản nháp", "document.dispatch": "Ghi nhận gửi văn bản",
  "broadcast.on_air": "Bật, tắt phát thanh", "broadcast.mute": "Tắt, mở tiếng", "broadcast.auto_mute": "Tự tắt tiếng",
  "device.add": "Cấp mã thiết bị", "device.revoke": "Thu hồi mã thiết bị", "recording.listen": "Nghe bản ghi âm",
  "transcript.machine_draft": "Bản nháp nhận dạng tiếng nói", "transcript.edit": "Sửa lời phát biểu",
  "transcript.put": "Ghi lời phát biểu", "transcript.confirm": "Xác nhận lời phát biểu",
  "commune.update": "Sửa thông tin xã", "field.add": "Thêm lĩnh vực", "field.update": "Sửa lĩnh vực",
};
const QUEUE = {
  update_settings: "Đổi quy tắc phát biểu", close_list: "Đóng danh sách đăng ký", open_list: "Mở lại danh sách đăng ký",
  set_phase: "Chuyển phần hội nghị", register_turn: "Đăng ký phát biểu", approve_turn: "Duyệt đăng ký",
  reject_turn: "Từ chối đăng ký", call_next: "Mời người tiếp theo", call_turn: "Mời phát biểu", start: "Bắt đầu phát biểu",
  pause: "Tạm dừng", resume: "Tiếp tục", end: "Kết thúc lượt", skip: "Vắng mặt", withdraw: "Rút đăng ký",
  defer: "Hoãn lượt", requeue: "Đưa lại vào hàng", move: "Đổi thứ tự", add_answer_turn: "Thêm lượt trả lời",
  link_petition: "Gắn kiến nghị", extend_time: "Thêm giờ", undo: "Hoàn tác",
};

function actionLabel(code) {
  if (ACTIONS[code]) return ACTIONS[code];
  if (code.startsWith("queue.") && QUEUE[code.slice(6)]) return `Hàng đợi: ${QUEUE[code.slice(6)]}`;
  return code;
}

// "user:2:Nguyễn Văn A" -> "Nguyễn Văn A"; "public::điện thoại 10.0.0.5" -> "điện thoại 10.0.0.5".
function actorName(label) {
  const parts = String(label || "").split(":");
  return parts.length >= 3 ? parts.slice(2).join(":") : label;
}

const KEYS = ["conference_id", "actor", "action", "date_from", "date_to"];

export async function mount(view, { q }) {
  const given = new URLSearchParams(q || "");
  const conferences = await api("GET", "/api/conferences");
  // (built by hand: an object with numeric keys would list "all" last)
  const confSelect = h("select", { name: "conference_id" }, h("option", { value: "" }, TEXT.allConferences),
    conferences.map((c) => h("option", { value: c.id, selected: String(c.id) === given.get("conference_id") },
      `${c.title} (${localDate(c.starts_at)})`)));
  const form = h("form", { class: "card grid", id: "audit-filter", role: "search", "aria-label": TEXT.title },
    field(TEXT.conference, confSelect),
    field(TEXT.actor, h("input", { name: "actor", maxlength: 200, autocomplete: "off", value: given.get("actor") || "" })),
    field(TEXT.action, select("action", { "": TEXT.allActions, ...GROUPS }, given.get("action") || "")),
    field(TEXT.from, h("input", { name: "date_from", type: "date", value: given.get("date_from") || "" })),
    field(TEXT.to, h("input", { name: "date_to", type: "date", value: given.get("date_to") || "" })),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", id: "audit-run" }, TEXT.filter),
      h("button", { type: "button", id: "audit-clear", onclick: () => { for (const k of KEYS) form.elements[k].value = ""; run(); } }, TEXT.clear)));
  // an action given in the address that is not one of the groups is kept as it is
  const wanted = given.get("action");
  if (wanted && !GROUPS[wanted]) form.elements.action.append(h("option", { value: wanted, selected: true }, wanted));

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
      h("td", {}, what, what !== e.action ? h("small", { class: "muted x-code" }, ` ${e.action}`) : null),
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
