// The logged-in person's own account: #/account. Who they are, and changing their password
// (POST /api/session/password): the old one is asked again; the account's other sessions
// end, this one stays.
import { api, session } from "../api.js";
import { T } from "../i18n.js";
import { banner, clearErrors, field, h, put, showErrors } from "../ui.js";

const TEXT = {
  title: "Tài khoản của tôi", fullName: "Họ và tên", username: "Tên đăng nhập", role: "Vai trò",
  change: "Đổi mật khẩu", old: "Mật khẩu hiện tại", new: "Mật khẩu mới", again: "Nhập lại mật khẩu mới",
  rule: "Ít nhất 8 ký tự. Nên dùng một câu dễ nhớ mà người khác khó đoán.",
  mismatch: "Mật khẩu nhập lại không khớp", mismatchField: "Không khớp với mật khẩu mới.",
  done: "Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản này đã được đăng xuất.",
};

export async function mount(view) {
  const user = session.user;
  const rule = h("small", { class: "muted", id: "password-rule" }, TEXT.rule);
  const form = h("form", { class: "card grid", id: "password-form" },
    field(TEXT.old, h("input", { name: "old_password", type: "password", autocomplete: "current-password", required: true, maxlength: 200 })),
    h("label", { class: "fld" }, h("span", {}, TEXT.new),
      h("input", { name: "new_password", type: "password", autocomplete: "new-password", required: true, minlength: 8, maxlength: 200,
        "aria-describedby": "password-rule" }), rule),
    field(TEXT.again, h("input", { name: "new_password_again", type: "password", autocomplete: "new-password", required: true, maxlength: 200 })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "password-save" }, TEXT.change)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const old = form.elements.old_password.value;
    const fresh = form.elements.new_password.value;
    if (fresh !== form.elements.new_password_again.value) {
      showErrors(form, { message: TEXT.mismatch, fields: [{ field: "new_password_again", message: TEXT.mismatchField }] });
      form.elements.new_password_again.focus();
      return;
    }
    try {
      await api("POST", "/api/session/password", { old_password: old, new_password: fresh });
      form.reset();
      banner(TEXT.done);
    } catch (e) { showErrors(form, e); }
  });
  put(view,
    h("h1", {}, TEXT.title),
    h("dl", { class: "card x-facts", id: "account-facts" },
      h("dt", {}, TEXT.fullName), h("dd", {}, user.full_name),
      h("dt", {}, TEXT.username), h("dd", {}, user.username),
      h("dt", {}, TEXT.role), h("dd", {}, T.roles[user.role] || user.role)),
    h("h2", {}, TEXT.change), form);
  return () => {};
}
