// Administration: #/admin. The commune, fields, user accounts and devices.
import { api, can } from "../api.js";
import { T } from "../i18n.js";
import { banner, field, formData, h, put, reloadPage, select, showErrors } from "../ui.js";

export async function mount(view) {
  const [commune, users, devices, fields, backups] = await Promise.all([
    api("GET", "/api/commune"), can("manage_users") ? api("GET", "/api/users") : [],
    can("manage_devices") ? api("GET", "/api/devices") : [], api("GET", "/api/fields"),
    can("manage_settings") ? api("GET", "/api/backups/status").catch(() => null) : null]);
  const again = reloadPage;
  const communeForm = h("form", { class: "card grid", id: "commune-form" },
    ...[["name", "Tên xã"], ["issuing_body", "Cơ quan ban hành (chữ in hoa)"], ["body_code", "Ký hiệu cơ quan (UBND)"],
      ["place_name", "Địa danh ghi ngày tháng"], ["province", "Tỉnh"], ["higher_authority", "Cấp trên nhận báo cáo"],
      ["chairman_name", "Chủ tịch UBND xã"]].map(([k, label]) => field(label, h("input", { name: k, value: commune[k] || "" }))),
    field("Mã đơn vị soạn thảo trong số văn bản (ví dụ VP: 07/UBND-VP)",
      h("input", { name: "drafting_units", value: (commune.drafting_units || {}).default || "", autocapitalize: "characters" })),
    field("Bộ quy tắc thời hạn", select("rule_profile", { "cong-van-457": "Công văn 457 (10 và 30 ngày làm việc)", "luat-2025": "Luật 72/2025 (thông báo trước 7 ngày; kết quả trong 10 ngày)" }, commune.rule_profile)),
    field("Thời hạn lưu bản ghi âm (ngày)", h("input", { name: "retention_days", type: "number", min: 30, max: 3650, value: commune.retention_days })),
    h("div", { class: "actions" }, h("button", { class: "primary" }, T.save)));
  communeForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("PATCH", "/api/commune", formData(communeForm)); banner(T.saved); again(); } catch (e) { showErrors(communeForm, e); }
  });
  const userForm = h("form", { class: "card grid", id: "user-form" },
    field(T.username, h("input", { name: "username", required: true, autocapitalize: "none" })),
    field(T.fullName, h("input", { name: "full_name", required: true })),
    field(T.role, select("role", T.roles, "secretary")),
    field(T.password, h("input", { name: "password", type: "password", minlength: 8, required: true })),
    h("div", { class: "actions" }, h("button", { class: "primary" }, T.add)));
  userForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("POST", "/api/users", formData(userForm)); again(); } catch (e) { showErrors(userForm, e); }
  });
  const deviceForm = h("form", { class: "card grid", id: "device-form" },
    field(T.deviceName, h("input", { name: "name", required: true })),
    field(T.kind, select("kind", T.deviceKinds, "display")),
    h("div", { class: "actions" }, h("button", { class: "primary" }, T.add)));
  const tokenBox = h("p", { id: "new-token", class: "warning", hidden: true });
  deviceForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const d = await api("POST", "/api/devices", formData(deviceForm));
      tokenBox.hidden = false;
      tokenBox.textContent = T.newToken(d.name, d.token);
    } catch (e) { showErrors(deviceForm, e); }
  });
  const fieldForm = h("form", { class: "card grid", id: "field-form" },
    // Chromium compiles `pattern` with the v flag: there a "-" inside [...] must be escaped.
    field(T.fieldCode, h("input", { name: "code", required: true, maxlength: 40, pattern: "[a-z0-9_\\-]+", autocapitalize: "none" })),
    field(T.fieldName, h("input", { name: "name", required: true })),
    h("div", { class: "actions" }, h("button", { class: "primary" }, T.add)));
  fieldForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("POST", "/api/fields", formData(fieldForm)); again(); } catch (e) { showErrors(fieldForm, e); }
  });
  const backupBox = backups ? h("section", { class: "card", id: "backup-status", "aria-labelledby": "backup-title" },
    h("h2", { id: "backup-title" }, "Sao lưu"),
    backups.last ? h("p", {}, `Bản sao lưu gần nhất: ${new Date(backups.last.at).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" })} — ${(backups.last.size / 1048576).toFixed(1)} MB — ${backups.last.folder}`) : null,
    backups.message ? h("p", { class: backups.stale ? "warning" : "muted", role: backups.stale ? "alert" : null }, backups.message) : null) : null;
  put(view,
    h("h1", {}, T.admin), backupBox, h("h2", {}, T.commune), communeForm,
    h("h2", {}, T.fields), h("ul", {}, fields.map((f) => h("li", {}, f.name, f.active ? " " : ` ${T.fieldStopped} `,
      h("button", { class: "link", onclick: async () => {
        try { await api("PATCH", `/api/fields/${f.id}`, { active: !f.active }); again(); } catch (e) { banner(e.message, "error"); }
      } }, f.active ? T.stopUsing : T.useAgain)))), fieldForm,
    h("h2", {}, T.users), h("table", { class: "list" }, h("tbody", {}, users.map((u) => h("tr", {},
      h("td", {}, u.username), h("td", {}, u.full_name), h("td", { class: "short" }, T.roles[u.role]), h("td", { class: "short" }, u.active ? "" : T.locked))))), userForm,
    h("h2", {}, T.devices), tokenBox, h("table", { class: "list" }, h("tbody", {}, devices.map((d) => h("tr", {},
      h("td", {}, d.name), h("td", { class: "short" }, T.deviceKindsShort[d.kind] || T.deviceKinds.display),
      h("td", { class: "short" }, d.revoked_at ? T.revoked : h("button", { "aria-label": T.revokeDevice(d.name), onclick: async () => {
        try { await api("DELETE", `/api/devices/${d.id}`); again(); } catch (e) { banner(e.message, "error"); }
      } }, T.revoke)))))), deviceForm);
  return () => {};
}
