// The tablet app: login, yearly plan, conference record, search, administration.
import { api, can, loadSession, login, logout, session } from "./api.js";
import { T } from "./i18n.js";
import { banner, clearErrors, field, formData, h, localDateTime, select, showErrors, toLocalInput } from "./ui.js";

const routes = [];
export function route(pattern, render) { routes.push([pattern, render]); }

// Each navigation gets a fresh #view element. A page still loading when the user has
// moved on (slow Wi-Fi) then finishes into its own detached element, never over the page
// that replaced it. A page takes its element when it starts: `const view = pageView();`.
export function pageView() { return document.getElementById("view"); }
function freshView() {
  const old = pageView();
  const el = old.cloneNode(false);
  old.replaceWith(el);
  return el;
}

async function navigate() {
  const hash = location.hash.slice(1) || "/";
  const view = freshView();
  if (!session.user && !(await loadSession())) return renderLogin();
  document.getElementById("nav").hidden = false;
  document.getElementById("who").textContent = `${session.user.full_name} · ${T.roles[session.user.role] || session.user.role}`;
  document.querySelectorAll("[data-perm]").forEach((a) => { a.hidden = !can(a.dataset.perm); });
  for (const [pattern, render] of routes) {
    const m = hash.match(pattern);
    if (m) {
      view.replaceChildren(h("p", { class: "muted" }, "Đang tải…"));
      try { await render(...m.slice(1)); } catch (e) { view.replaceChildren(h("p", { class: "form-error", role: "alert" }, e.message)); }
      return;
    }
  }
  view.replaceChildren(h("h1", {}, "Không tìm thấy trang"), h("a", { href: "#/" }, "Về kế hoạch"));
}

function renderLogin() {
  const view = pageView();
  document.getElementById("nav").hidden = true;
  const form = h("form", { class: "card narrow", id: "login-form" },
    h("h1", {}, T.login),
    field(T.username, h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none" })),
    field(T.password, h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit", class: "primary" }, T.login));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const d = formData(form);
      await login(d.username, d.password);
      navigate();
    } catch (e) { showErrors(form, e); }
  });
  view.replaceChildren(form);
}

// ---- yearly plan ------------------------------------------------------------------------

function conferenceForm(conf, onSaved) {
  const c = conf || { format: "in_person" };
  const form = h("form", { class: "card grid", id: "conference-form" },
    field(T.title, h("input", { name: "title", value: c.title || "", required: true, maxlength: 300 })),
    field(T.startsAt, h("input", { name: "starts_at", type: "datetime-local", value: toLocalInput(c.starts_at), required: true })),
    field(T.endsAt, h("input", { name: "ends_at", type: "datetime-local", value: toLocalInput(c.ends_at), dataset: { optional: "" } })),
    field(T.venue, h("input", { name: "venue", value: c.venue || "", required: true })),
    field(T.format, select("format", T.formats, c.format)),
    field(T.onlineUrl, h("input", { name: "online_url", value: c.online_url || "" })),
    field(T.chair, h("input", { name: "chair_name", value: c.chair_name || "" })),
    field(T.front, h("input", { name: "front_name", value: c.front_name || "" })),
    field(T.council, h("input", { name: "council_name", value: c.council_name || "" })),
    field(T.content, h("textarea", { name: "content", rows: 3 }, c.content || "")),
    field(T.purpose, h("textarea", { name: "purpose", rows: 2 }, c.purpose || "")),
    field(T.howToAttend, h("textarea", { name: "how_to_attend", rows: 2 }, c.how_to_attend || "")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, T.save)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const saved = conf ? await api("PATCH", `/api/conferences/${conf.id}`, formData(form))
        : await api("POST", "/api/conferences", formData(form));
      banner(T.saved);
      onSaved(saved);
    } catch (e) { showErrors(form, e); }
  });
  return form;
}

route(/^\/$|^\/plan\/(\d{4})$/, async (yearArg) => {
  const view = pageView();
  const year = Number(yearArg) || new Date().getFullYear();
  const list = await api("GET", `/api/conferences?year=${year}`);
  const rows = list.map((c) => h("tr", {},
    h("td", {}, localDateTime(c.starts_at)),
    h("td", {}, h("a", { href: `#/c/${c.id}` }, c.title)),
    h("td", {}, c.venue),
    h("td", {}, h("span", { class: `badge ${c.status}` }, T.statuses[c.status] || c.status))));
  const formHolder = h("div");
  view.replaceChildren(
    h("div", { class: "row" },
      h("a", { href: `#/plan/${year - 1}`, class: "button" }, `‹ ${year - 1}`),
      h("h1", {}, `${T.plan} ${year}`),
      h("a", { href: `#/plan/${year + 1}`, class: "button" }, `${year + 1} ›`)),
    list.length ? h("table", { class: "list" }, h("tbody", {}, rows))
      : h("p", { class: "muted" }, "Chưa có hội nghị nào trong năm này."),
    can("edit_conference") ? h("button", { class: "primary", id: "new-conference", onclick: () => {
      formHolder.replaceChildren(h("h2", {}, T.newConference), conferenceForm(null, (c) => { location.hash = `#/c/${c.id}`; }));
    } }, T.newConference) : null,
    formHolder);
});

// ---- one conference -----------------------------------------------------------------------

route(/^\/c\/(\d+)$/, async (id) => {
  const view = pageView();
  const [conf, people, petitions, fields] = await Promise.all([
    api("GET", `/api/conferences/${id}`), api("GET", `/api/conferences/${id}/participants`),
    api("GET", `/api/petitions?conference_id=${id}`), api("GET", "/api/fields")]);
  const rerender = () => navigate();
  const head = h("section", {},
    h("h1", {}, conf.title),
    h("p", {}, h("span", { class: `badge ${conf.status}` }, T.statuses[conf.status]), " ",
      localDateTime(conf.starts_at), " · ", conf.venue, " · ", T.formats[conf.format]),
    conf.announcement_warning ? h("p", { class: "warning", role: "alert", id: "announce-warning" }, conf.announcement_warning) : null,
    h("div", { class: "actions" },
      h("a", { class: "button", href: `#/c/${id}/queue` }, T.moderator),
      h("a", { class: "button", href: `#/c/${id}/secretary` }, T.secretary),
      h("a", { class: "button", href: `#/c/${id}/followup` }, "Sau hội nghị"),
      conf.announced_at ? h("a", { class: "button", href: conf.public_url, target: "_blank", id: "public-link" }, T.publicPage) : null,
      can("edit_conference") && !conf.announced_at ? h("button", { class: "primary", id: "announce", onclick: async () => {
        try { await api("POST", `/api/conferences/${id}/announce`); banner("Đã thông báo công khai."); rerender(); }
        catch (e) { banner(e.message, "error"); }
      } }, T.announce) : null),
    conf.announced_at ? h("p", { class: "muted" }, `${T.announced} ${localDateTime(conf.announced_at)}`) : null);

  const editHolder = h("details", {}, h("summary", {}, "Sửa thông tin hội nghị"),
    can("edit_conference") ? conferenceForm(conf, rerender) : h("p", { class: "muted" }, "Chỉ chủ trì hoặc quản trị được sửa."));

  // invitations and check-in
  const peopleTable = h("table", { class: "list", id: "participants" }, h("tbody", {}, people.map((p) => h("tr", {},
    h("td", {}, p.full_name), h("td", {}, T.kinds[p.kind]), h("td", {}, p.title), h("td", {}, p.hamlet),
    h("td", {}, p.checked_in_at ? h("span", { class: "badge held" }, T.checkedIn) : ""),
    h("td", {}, can("check_in") ? h("button", { class: p.checked_in_at ? "" : "primary", onclick: async () => {
      try { await api("POST", `/api/conferences/${id}/participants/${p.id}/check-in`, { checked_in: !p.checked_in_at }); rerender(); }
      catch (e) { banner(e.message, "error"); }
    } }, p.checked_in_at ? T.undoCheckIn : T.checkIn) : "")))));
  const personForm = h("form", { class: "card grid", id: "participant-form" },
    field(T.fullName, h("input", { name: "full_name", required: true })),
    field(T.kind, select("kind", T.kinds, "citizen_rep")),
    field(T.position, h("input", { name: "title" })),
    field(T.hamlet, h("input", { name: "hamlet" })),
    field(T.phone, h("input", { name: "phone", inputmode: "tel" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, T.addPerson)));
  personForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("POST", `/api/conferences/${id}/participants`, formData(personForm)); rerender(); }
    catch (e) { showErrors(personForm, e); }
  });

  // petitions
  const fieldOptions = Object.fromEntries(fields.filter((f) => f.active).map((f) => [f.id, f.name]));
  const petitionList = h("table", { class: "list", id: "petitions" }, h("tbody", {}, petitions.map((p) => h("tr", {},
    h("td", {}, `#${p.id}`), h("td", {}, p.raised_by, h("br"), h("small", {}, p.hamlet)),
    h("td", {}, h("span", { class: "badge" }, p.field_name)), h("td", { class: "pre" }, p.content),
    h("td", {}, T.competences[p.competence]), h("td", {}, T.sources[p.source])))));
  const petitionForm = h("form", { class: "card grid", id: "petition-form" },
    field(T.raisedBy, h("input", { name: "raised_by", required: true })),
    field(T.hamlet, h("input", { name: "hamlet" })),
    field(T.phone, h("input", { name: "phone", inputmode: "tel" })),
    field(T.field, select("field_id", fieldOptions)),
    field(T.content, h("textarea", { name: "content", rows: 3, required: true })),
    field(T.authority, h("input", { name: "authority" })),
    field(T.competence, select("competence", T.competences, "commune")),
    field(T.consentName, h("input", { name: "consent_full_name", type: "checkbox" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, T.addPetition)));
  petitionForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const d = formData(petitionForm);
    d.field_id = Number(d.field_id);
    d.conference_id = Number(id);
    try { await api("POST", "/api/petitions", d); banner(T.saved); rerender(); }
    catch (e) { showErrors(petitionForm, e); }
  });

  view.replaceChildren(head, editHolder,
    h("h2", {}, `${T.participants} (${people.filter((p) => p.checked_in_at).length}/${people.length})`),
    peopleTable, can("manage_invitations") ? personForm : null,
    h("h2", {}, `${T.petitions} (${petitions.length})`), petitionList,
    can("record_petition") ? petitionForm : null);
});

// ---- search -----------------------------------------------------------------------------

route(/^\/search(?:\?q=(.*))?$/, async (q) => {
  const view = pageView();
  const input = h("input", { name: "q", type: "search", placeholder: T.search, value: q ? decodeURIComponent(q) : "", autofocus: true });
  const results = h("div", { id: "results" });
  const run = async () => {
    if (!input.value.trim()) { results.replaceChildren(); return; }
    const hits = await api("GET", `/api/search?q=${encodeURIComponent(input.value)}`);
    results.replaceChildren(hits.length ? h("ul", { class: "hits" }, hits.map((x) => h("li", {},
      h("span", { class: "badge" }, T.kinds_hit[x.kind] || x.kind), " ",
      h("a", { href: x.conference_id ? `#/c/${x.conference_id}` : "#/" }, x.title),
      h("p", { class: "muted pre" }, x.snippet)))) : h("p", { class: "muted" }, T.noResults));
  };
  const form = h("form", { class: "row" }, input, h("button", { class: "primary" }, "Tìm"));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run().catch((e) => banner(e.message, "error")); });
  view.replaceChildren(h("h1", {}, "Tìm kiếm"), form, results);
  if (input.value) await run();
});

// ---- administration ------------------------------------------------------------------------

route(/^\/admin$/, async () => {
  const view = pageView();
  const [commune, users, devices, fields] = await Promise.all([
    api("GET", "/api/commune"), can("manage_users") ? api("GET", "/api/users") : [],
    can("manage_devices") ? api("GET", "/api/devices") : [], api("GET", "/api/fields")]);
  const again = () => navigate();
  const communeForm = h("form", { class: "card grid", id: "commune-form" },
    ...[["name", "Tên xã"], ["issuing_body", "Cơ quan ban hành (chữ in hoa)"], ["body_code", "Ký hiệu cơ quan (UBND)"],
      ["place_name", "Địa danh ghi ngày tháng"], ["province", "Tỉnh"], ["higher_authority", "Cấp trên nhận báo cáo"],
      ["chairman_name", "Chủ tịch UBND xã"]].map(([k, label]) => field(label, h("input", { name: k, value: commune[k] || "" }))),
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
    field("Tên thiết bị", h("input", { name: "name", required: true })),
    field(T.kind, select("kind", { display: "Màn hình công cộng", relay: "Cụm loa" }, "display")),
    h("div", { class: "actions" }, h("button", { class: "primary" }, T.add)));
  const tokenBox = h("p", { id: "new-token", class: "warning", hidden: true });
  deviceForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const d = await api("POST", "/api/devices", formData(deviceForm));
      tokenBox.hidden = false;
      tokenBox.textContent = `Mã của “${d.name}” (chỉ hiện một lần): ${d.token}`;
    } catch (e) { showErrors(deviceForm, e); }
  });
  const fieldForm = h("form", { class: "card grid", id: "field-form" },
    field("Mã (không dấu)", h("input", { name: "code", required: true, pattern: "[a-z0-9_-]+" })),
    field("Tên lĩnh vực", h("input", { name: "name", required: true })),
    h("div", { class: "actions" }, h("button", { class: "primary" }, T.add)));
  fieldForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("POST", "/api/fields", formData(fieldForm)); again(); } catch (e) { showErrors(fieldForm, e); }
  });
  view.replaceChildren(
    h("h1", {}, T.admin), h("h2", {}, T.commune), communeForm,
    h("h2", {}, T.fields), h("ul", {}, fields.map((f) => h("li", {}, f.name, f.active ? "" : " (ngừng dùng) ",
      h("button", { class: "link", onclick: async () => {
        try { await api("PATCH", `/api/fields/${f.id}`, { active: !f.active }); again(); } catch (e) { banner(e.message, "error"); }
      } }, f.active ? "Ngừng dùng" : "Dùng lại")))), fieldForm,
    h("h2", {}, T.users), h("table", { class: "list" }, h("tbody", {}, users.map((u) => h("tr", {},
      h("td", {}, u.username), h("td", {}, u.full_name), h("td", {}, T.roles[u.role]), h("td", {}, u.active ? "" : "Đã khóa"))))), userForm,
    h("h2", {}, T.devices), tokenBox, h("table", { class: "list" }, h("tbody", {}, devices.map((d) => h("tr", {},
      h("td", {}, d.name), h("td", {}, d.kind === "display" ? "Màn hình" : "Cụm loa"),
      h("td", {}, d.revoked_at ? "Đã thu hồi" : h("button", { onclick: async () => { await api("DELETE", `/api/devices/${d.id}`); again(); } }, T.revoke)))))), deviceForm);
});

document.getElementById("logout").addEventListener("click", async () => { await logout(); location.hash = "#/"; renderLogin(); });
window.addEventListener("hashchange", navigate);
window.addEventListener("load", () => {
  // Pages of other parts (queue, secretary, follow-up) register their routes on import.
  Promise.allSettled([import("./queue.js"), import("./secretary.js"), import("./followup.js"), import("./broadcast.js")]).then(navigate);
});
