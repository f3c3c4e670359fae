// The commune's accounts: #/accounts (manage_users). Lock or unlock an account and change
// its role (PATCH /api/users/{id}); a locked account's sessions end at once. New accounts are
// added on the administration page.
import { api, session } from "../api.js";
import { T } from "../i18n.js";
import { banner, h, keepFocus, put, select } from "../ui.js";

const TEXT = {
  title: "Tài khoản", intro: "Khóa tài khoản của người không còn làm việc (họ bị đăng xuất ngay), mở khóa khi cần, đổi vai trò.",
  addHere: "Thêm tài khoản mới ở trang Quản trị", caption: "Tài khoản của xã",
  username: "Tên đăng nhập", fullName: "Họ và tên", role: "Vai trò", state: "Trạng thái", actions: "Thao tác",
  active: "Đang dùng", locked: "Đã khóa", you: "(bạn)",
  lock: "Khóa", unlock: "Mở khóa", saveRole: "Lưu vai trò",
  lockWho: (n) => `Khóa tài khoản ${n}`, unlockWho: (n) => `Mở khóa tài khoản ${n}`,
  roleOf: (n) => `Vai trò của ${n}`, saveRoleOf: (n) => `Lưu vai trò của ${n}`,
  lockedDone: (n) => `Đã khóa tài khoản ${n}.`, unlockedDone: (n) => `Đã mở khóa tài khoản ${n}.`,
  roleDone: (n, r) => `${n} nay có vai trò “${r}”.`, sameRole: "Vai trò không thay đổi.",
};

export async function mount(view) {
  const users = await api("GET", "/api/users");

  const row = (u) => {
    const tr = h("tr", { dataset: { key: String(u.id) } });
    const draw = () => {
      const me = session.user && session.user.id === u.id;
      const roles = select("role", T.roles, u.role, { "aria-label": TEXT.roleOf(u.full_name), class: "x-role" });
      const saveRole = h("button", { type: "button", class: "x-save-role", "aria-label": TEXT.saveRoleOf(u.full_name) }, TEXT.saveRole);
      saveRole.addEventListener("click", () => change({ role: roles.value }, () => TEXT.roleDone(u.full_name, T.roles[roles.value] || roles.value),
        roles.value === u.role));
      const lock = h("button", { type: "button", class: "x-lock", dataset: { locked: u.active ? "0" : "1" },
        "aria-label": u.active ? TEXT.lockWho(u.full_name) : TEXT.unlockWho(u.full_name) }, u.active ? TEXT.lock : TEXT.unlock);
      lock.addEventListener("click", () => change({ active: !u.active },
        () => (u.active ? TEXT.lockedDone(u.full_name) : TEXT.unlockedDone(u.full_name))));
      put(tr,
        h("td", {}, u.username),
        h("td", {}, u.full_name, me ? ` ${TEXT.you}` : ""),
        h("td", { class: "short" }, h("div", { class: "row" }, roles, saveRole)),
        h("td", { class: "short" }, h("span", { class: `badge ${u.active ? "held" : "cancelled"} x-state` }, u.active ? TEXT.active : TEXT.locked)),
        h("td", { class: "short" }, lock));
    };
    // A change answers with the account as it now is: only its row is drawn again, and the
    // focus stays on the button that was pressed.
    const change = async (patch, said, unchanged = false) => {
      if (unchanged) { banner(TEXT.sameRole); return; }
      try {
        const done = await api("PATCH", `/api/users/${u.id}`, patch);
        const message = said();
        Object.assign(u, done);
        keepFocus(draw);
        banner(message);
      } catch (e) { banner(e.message, "error"); }
    };
    draw();
    return tr;
  };

  put(view,
    h("h1", {}, TEXT.title),
    h("p", { class: "muted" }, TEXT.intro, " ", h("a", { href: "#/admin" }, TEXT.addHere), "."),
    h("table", { class: "list", id: "accounts" },
      h("caption", { class: "sr-only" }, TEXT.caption),
      h("thead", {}, h("tr", {}, [TEXT.username, TEXT.fullName, TEXT.role, TEXT.state, TEXT.actions]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, users.map(row))));
  return () => {};
}
