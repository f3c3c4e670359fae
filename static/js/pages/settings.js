// The queue rules of one conference: #/c/<id>/settings. Read from the queue's staff view
// (state.settings) and changed by the queue command `update_settings`, which carries every
// rule and the version it was based on: a change made meanwhile on another tablet is
// refused (version_conflict) and the rules in force are loaded again.
// Below them, the run-of-show's plan: the planned minutes of each phase (PUT
// /api/conferences/<id>/phases), whole minutes within the bounds the catalogue serves; the
// moderator's tablet and the hall screen time each phase against it.
import { ApiError, api, can, catalogue, loadCatalogue } from "../api.js";
import { newCommandId } from "/display-assets/clock.js";
import { banner, clearErrors, h, put, showErrors } from "../ui.js";

const TEXT = {
  title: "Quy tắc phát biểu",
  intro: "Áp dụng cho hàng đợi phát biểu của hội nghị này; thay đổi có hiệu lực ngay trên mọi máy tính bảng và được ghi vào nhật ký.",
  backConference: "Về trang hội nghị", queue: "Điều hành phát biểu",
  reason: "Lý do thay đổi (không bắt buộc)", save: "Lưu quy tắc",
  saved: "Đã lưu quy tắc phát biểu.", readOnly: "Chỉ chủ trì, người điều hành phát biểu hoặc quản trị được đổi quy tắc.",
  reloaded: "Đã tải lại quy tắc đang áp dụng; hãy xem lại rồi lưu lại.",
  listOpen: "Danh sách đăng ký đang mở.", listClosed: "Danh sách đăng ký đã đóng (đóng hoặc mở lại ở trang điều hành phát biểu).",
  none: "không giới hạn", noBudget: "không áp dụng",
  plan: "Thời gian dự kiến của chương trình hội nghị",
  planIntro: "Số phút dự kiến cho từng phần; màn hình điều hành và màn hình hội trường so thời gian đã dùng với số phút này.",
  minutes: "phút", savePlan: "Lưu thời gian dự kiến", planSaved: "Đã lưu thời gian dự kiến các phần.",
  planTotal: (m) => `Tổng cộng: ${spokenMinutes(m)}.`,
  wholeMinutes: (lo, hi) => `Nhập số phút nguyên từ ${lo} đến ${hi}.`,
  planInvalid: "Thời gian dự kiến chưa hợp lệ.",
};

// 135 -> "2 giờ 15 phút"
export function spokenMinutes(minutes) {
  const hours = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [hours ? `${hours} giờ` : "", m || !hours ? `${m} phút` : ""].filter(Boolean).join(" ");
}

// [name, label, min, max, what 0 means (null: 0 is just zero seconds), unit]
const NUMBERS = [
  ["speaking_seconds", "Thời gian phát biểu mỗi lượt (giây)", 10, 3600, null, "s"],
  ["warning_seconds", "Báo sắp hết giờ trước (giây)", 0, 600, null, "s"],
  ["max_turns_per_person", "Số lượt tối đa của mỗi người (0 = không giới hạn)", 0, 100, TEXT.none, "n"],
  ["interpreter_extra_seconds", "Thời gian thêm khi có phiên dịch (giây)", 0, 3600, null, "s"],
  ["answer_seconds", "Thời gian trả lời của lãnh đạo (giây)", 10, 7200, null, "s"],
  ["hamlet_budget_seconds", "Tổng thời gian phát biểu của mỗi thôn (giây, 0 = không áp dụng)", 0, 36000, TEXT.noBudget, "s"],
];
const CHECKS = [
  ["first_timers_first", "Ưu tiên người phát biểu lần đầu"],
  ["require_approval_for_self_registration", "Đăng ký qua điện thoại phải được duyệt"],
];

// 90 -> "1 phút 30 giây"
export function spoken(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return [m ? `${m} phút` : "", s || !m ? `${s} giây` : ""].filter(Boolean).join(" ");
}

function hint(spec, value) {
  const [, , , , zero, unit] = spec;
  if (value === "" || Number.isNaN(Number(value))) return "";
  const n = Number(value);
  if (n === 0 && zero) return `= ${zero}`;
  return unit === "s" ? `= ${spoken(n)}` : "";
}

export async function mount(view, { id }) {
  const cid = Number(id);
  const [conf, first] = await Promise.all([api("GET", `/api/conferences/${cid}`), api("GET", `/api/conferences/${cid}/queue`)]);
  const editable = can("run_queue");
  let version = first.version;
  let current = first.state.settings;

  const hints = {};
  const numberFields = NUMBERS.map((spec) => {
    const [name, label, min, max] = spec;
    const hintEl = h("small", { class: "muted x-hint", id: `hint-${name}` });
    hints[name] = [spec, hintEl];
    const input = h("input", { name, type: "number", min, max, step: 1, required: true, inputmode: "numeric",
      "aria-describedby": hintEl.id, disabled: !editable });
    input.addEventListener("input", () => { hintEl.textContent = hint(spec, input.value); });
    return h("label", { class: "fld" }, h("span", {}, label), input, hintEl);
  });
  const checkFields = CHECKS.map(([name, label]) =>
    h("label", { class: "x-check" }, h("input", { type: "checkbox", name, disabled: !editable }), h("span", {}, label)));
  const listNote = h("p", { class: "muted", id: "settings-list" });
  const form = h("form", { class: "card grid", id: "settings-form" },
    numberFields, checkFields,
    h("label", { class: "fld x-wide" }, h("span", {}, TEXT.reason),
      h("input", { name: "reason", maxlength: 500, autocomplete: "off", disabled: !editable })),
    editable ? h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "settings-save" }, TEXT.save)) : null);

  const fill = (settings) => {
    current = settings;
    for (const [name, [spec, hintEl]] of Object.entries(hints)) {
      form.elements[name].value = settings[name];
      hintEl.textContent = hint(spec, settings[name]);
    }
    for (const [name] of CHECKS) form.elements[name].checked = !!settings[name];
    listNote.textContent = settings.registrations_open === false ? TEXT.listClosed : TEXT.listOpen;
  };
  const reload = async () => {
    const snap = await api("GET", `/api/conferences/${cid}/queue`);
    version = snap.version;
    fill(snap.state.settings);
  };
  fill(current);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const settings = { ...current }; // registrations_open and anything else stay as they are
    delete settings.phase_minutes; // the plan has its own form below (the server keeps the one in force)
    for (const [name] of NUMBERS) settings[name] = Number(form.elements[name].value);
    for (const [name] of CHECKS) settings[name] = form.elements[name].checked;
    const reason = form.elements.reason.value.trim();
    try {
      await api("POST", `/api/conferences/${cid}/queue/commands`, {
        type: "update_settings", command_id: newCommandId(), base_version: version, settings, reason });
      form.elements.reason.value = "";
      await reload();
      banner(TEXT.saved);
    } catch (e) {
      if (e.code === "version_conflict") {
        try { await reload(); } catch { /* the refusal is shown below all the same */ }
        showErrors(form, new ApiError(e.status, { error: { code: e.code, message: `${e.message} ${TEXT.reloaded}` } }));
        return;
      }
      // pydantic names a setting "settings.speaking_seconds": the form's field is "speaking_seconds"
      e.fields = (e.fields || []).map((f) => ({ ...f, field: String(f.field).replace(/^settings\./, "") }));
      showErrors(form, e);
    }
  });

  // the plan's change is one version of the queue: when it is the only one since the rules were
  // read, the rules (and what is being typed in them) stay as they are; else saving them is
  // refused as a change made elsewhere and they are read again
  const planSaved = (done) => { if (done.version === version + 1) version = done.version; };
  const planForm = await phasePlan(cid, first, editable, planSaved);

  put(view,
    h("h1", {}, TEXT.title),
    h("p", {}, h("strong", {}, conf.title)),
    h("p", { class: "muted" }, TEXT.intro),
    h("div", { class: "actions" },
      h("a", { class: "button", href: `#/c/${cid}` }, TEXT.backConference),
      h("a", { class: "button", href: `#/c/${cid}/queue` }, TEXT.queue)),
    editable ? null : h("p", { class: "warning" }, TEXT.readOnly),
    listNote, form, planForm);
  return () => {};
}

// The form of the run-of-show's plan: one whole number of minutes per phase, named as the
// server names the phases (the staff view's `phases`).
async function phasePlan(cid, snap, editable, saved) {
  await loadCatalogue().catch(() => null);
  const lo = catalogue.limits.phase_minutes_min ?? 1;
  const hi = catalogue.limits.phase_minutes_max ?? 480;
  const phases = snap.phases || [];
  const total = h("p", { class: "muted", id: "phases-total" });
  const rows = phases.map((p) => {
    const input = h("input", { name: p.phase, type: "number", min: lo, max: hi, step: 1, required: true,
      inputmode: "numeric", value: Math.round(p.planned_seconds / 60), disabled: !editable,
      "aria-describedby": "phases-hint" });
    input.addEventListener("input", () => showTotal());
    return h("label", { class: "fld" }, h("span", {}, `${p.label} (${TEXT.minutes})`), input);
  });
  const form = h("form", { class: "card grid", id: "phases-form", novalidate: true, "aria-labelledby": "phases-title" },
    h("h2", { id: "phases-title", class: "x-wide" }, TEXT.plan),
    h("p", { class: "muted x-wide", id: "phases-hint" }, `${TEXT.planIntro} ${TEXT.wholeMinutes(lo, hi)}`),
    rows, total,
    h("label", { class: "fld x-wide" }, h("span", {}, TEXT.reason),
      h("input", { name: "reason", maxlength: 500, autocomplete: "off", disabled: !editable })),
    editable ? h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "phases-save" }, TEXT.savePlan)) : null);
  const values = () => Object.fromEntries(phases.map((p) => [p.phase, form.elements[p.phase].value.trim()]));
  const showTotal = () => {
    const all = Object.values(values()).map(Number);
    total.textContent = all.every((n) => Number.isInteger(n) && n > 0) ? TEXT.planTotal(all.reduce((a, b) => a + b, 0)) : "";
  };
  showTotal();

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const given = values();
    // whole minutes within the bounds, said in Vietnamese before anything is sent
    const wrong = phases.filter((p) => !/^\d+$/.test(given[p.phase]) || Number(given[p.phase]) < lo || Number(given[p.phase]) > hi);
    if (wrong.length) {
      showErrors(form, { message: TEXT.planInvalid, fields: wrong.map((p) => ({ field: p.phase, message: TEXT.wholeMinutes(lo, hi) })) });
      form.elements[wrong[0].phase].focus();
      return;
    }
    const minutes = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, Number(v)]));
    try {
      const done = await api("PUT", `/api/conferences/${cid}/phases`, { minutes, reason: form.elements.reason.value.trim() });
      for (const [k, v] of Object.entries(done.phase_minutes)) if (form.elements[k]) form.elements[k].value = v;
      form.elements.reason.value = "";
      showTotal();
      saved(done); // the queue's version moved
      banner(TEXT.planSaved);
    } catch (e) {
      // the server names a phase "minutes.opinions": the form's field is "opinions"
      e.fields = (e.fields || []).map((f) => ({ ...f, field: String(f.field).replace(/^minutes\./, "") }));
      showErrors(form, e);
    }
  });
  return form;
}
