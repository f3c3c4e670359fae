// A conference's status: #/c/<id>/status. Record that it was held, close it or cancel it
// (POST /api/conferences/{id}/status); the server decides which move its present status
// allows and says why it refuses one. `statusBox` is the same control, for a page that
// wants it inside its own layout.
import { api, can } from "../api.js";
import { T } from "../i18n.js";
import { banner, field, h, localDateTime, put } from "../ui.js";

const TEXT = {
  title: "Tình trạng hội nghị", now: "Trạng thái hiện nay", reason: "Lý do (không bắt buộc)",
  held: "Đã tổ chức", closed: "Kết thúc", cancelled: "Hủy",
  heldHelp: "Hội nghị đã diễn ra: ghi nhận để bắt đầu tính thời hạn sau hội nghị.",
  closedHelp: "Đã xong mọi việc sau hội nghị. Không đổi lại được.",
  cancelledHelp: "Hội nghị không tổ chức nữa. Không đổi lại được.",
  confirm: (what, title) => `${what} “${title}”? Sau đó không thể đổi lại trạng thái.`,
  done: (label) => `Hội nghị nay ở trạng thái “${label}”.`,
  onlyChair: "Chỉ chủ trì hoặc quản trị được đổi trạng thái hội nghị.",
  backConference: "Về trang hội nghị", rules: "Quy tắc phát biểu", when: "Thời gian", change: "Đổi trạng thái",
};
// status -> [button text, help, final (asks to confirm)]
const MOVES = { held: [TEXT.held, TEXT.heldHelp, false], closed: [TEXT.closed, TEXT.closedHelp, true],
  cancelled: [TEXT.cancelled, TEXT.cancelledHelp, true] };

// The status badge and the three buttons; `onChange(conf)` hears the conference as it now is.
export function statusBox(conf, { onChange = () => {}, heading = TEXT.title } = {}) {
  const badge = h("span", { class: `badge ${conf.status}`, id: "conference-status-now" }, T.statuses[conf.status] || conf.status);
  const reason = h("input", { name: "status_reason", maxlength: 500, autocomplete: "off" });
  const box = h("section", { class: "card", id: "conference-status", "aria-labelledby": "conference-status-title" },
    h("h2", { id: "conference-status-title" }, heading),
    h("p", {}, `${TEXT.now}: `, badge));
  if (!can("edit_conference")) {
    box.append(h("p", { class: "muted" }, TEXT.onlyChair));
    return box;
  }
  const buttons = Object.entries(MOVES).map(([status, [label, help, final]]) => {
    const helpId = `status-help-${status}`;
    const button = h("button", { type: "button", class: status === "held" ? "primary x-status" : "x-status",
      dataset: { status }, "aria-describedby": helpId }, label);
    button.addEventListener("click", async () => {
      if (final && !window.confirm(TEXT.confirm(label, conf.title))) return;
      try {
        const next = await api("POST", `/api/conferences/${conf.id}/status`, { status, reason: reason.value.trim() });
        Object.assign(conf, next);
        badge.className = `badge ${conf.status}`;
        badge.textContent = T.statuses[conf.status] || conf.status;
        reason.value = "";
        banner(TEXT.done(badge.textContent));
        onChange(conf);
      } catch (e) { banner(e.message, "error"); }
    });
    return h("li", {}, button, " ", h("small", { class: "muted", id: helpId }, help));
  });
  box.append(field(TEXT.reason, reason), h("ul", { class: "x-moves" }, buttons));
  return box;
}

export async function mount(view, { id }) {
  const conf = await api("GET", `/api/conferences/${id}`);
  put(view,
    h("h1", {}, TEXT.title),
    h("p", {}, h("strong", {}, conf.title), h("br"), `${TEXT.when}: ${localDateTime(conf.starts_at)} · ${conf.venue}`),
    h("div", { class: "actions" },
      h("a", { class: "button", href: `#/c/${conf.id}` }, TEXT.backConference),
      h("a", { class: "button", href: `#/c/${conf.id}/settings` }, TEXT.rules)),
    statusBox(conf, { heading: TEXT.change }));
  return () => {};
}
