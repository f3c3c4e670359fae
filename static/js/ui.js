// Small DOM helpers shared by every view: building elements, dates in Vietnam's time, messages,
// the live region, keeping the focus across a redraw, forms and their errors.
import { FIELD_LABELS } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// replaceChildren that skips the optional parts (null, undefined, false) and flattens lists,
// like h(): replaceChildren itself would write "null" on the page.
export function put(el, ...kids) {
  el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false)
    .map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
  return el;
}

// ---- dates and times: always Vietnam's time, whatever the tablet's own zone ------------------

export const TZ = "Asia/Ho_Chi_Minh";
const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const PARTS = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, hourCycle: "h23", year: "numeric",
  month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });

// An instant from the server (ISO text with or without its offset: without one it is UTC,
// as the server stores it) or a Date -> its fields in Vietnam's time, all as text.
function vnParts(value) {
  const text = typeof value === "string" && /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  const d = value instanceof Date ? value : new Date(text);
  if (Number.isNaN(d.getTime())) return null;
  return Object.fromEntries(PARTS.formatToParts(d).map((p) => [p.type, p.value]));
}

// The one way the app writes a date or a time. `what`: "date" (18/12/2026), "time" (08:05:09),
// "datetime" (08:05 18/12/2026), "input" (2026-12-18T08:05 for <input type=datetime-local>),
// "iso-date" (2026-12-18). A calendar day ("2026-12-18": a deadline, an issue date) has no
// time and is written as it is; an instant is shown in Vietnam's time (UTC+7): a dispatch
// sent at 23:30 UTC on the 18th was sent on the 19th.
export function formatWhen(value, what = "datetime") {
  if (value === null || value === undefined || value === "") return "";
  if (typeof value === "string" && DAY_ONLY.test(value)) {
    const [y, m, d] = value.split("-");
    if (what === "input") return `${value}T00:00`;
    return what === "iso-date" ? value : what === "time" ? "" : `${d}/${m}/${y}`;
  }
  const p = vnParts(value);
  if (!p) return "";
  if (what === "date") return `${p.day}/${p.month}/${p.year}`;
  if (what === "time") return `${p.hour}:${p.minute}:${p.second}`;
  if (what === "input") return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  if (what === "iso-date") return `${p.year}-${p.month}-${p.day}`;
  return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`;
}

export const localDateTime = (value) => formatWhen(value, "datetime");
export const localDate = (value) => formatWhen(value, "date");
export const localTime = (value) => formatWhen(value, "time");
// ISO instant -> value for <input type="datetime-local"> in Vietnam time.
export const toLocalInput = (value) => formatWhen(value, "input");
// Today's date in Vietnam ("2026-12-18"), e.g. for <input type="date">.
export const todayLocal = () => formatWhen(new Date(), "iso-date");

// ---- messages ----------------------------------------------------------------------------------

// Tell screen readers something that matters (who is called, a time warning, a refusal) through
// the one live region of the app, #announce; nothing else on the page is a live region.
export function announce(message) {
  const el = document.getElementById("announce");
  if (!el || !message) return;
  el.textContent = ""; // the same words twice are read twice
  setTimeout(() => { el.textContent = message; }, 60);
}

export function banner(message, kind = "info") {
  const el = document.getElementById("banner");
  el.textContent = message;
  el.className = kind;
  el.hidden = !message;
  if (message) announce(message);
  if (message && kind !== "error") setTimeout(() => { if (el.textContent === message) el.hidden = true; }, 3000);
}

// ---- the focus survives a redraw -----------------------------------------------------------------

// A control told in words that survive a redraw: its id, or the box (nearest element with an
// id), the row (data-turn / data-key) and its class.
function focusKey(el) {
  const row = el.closest("[data-turn], [data-key]");
  const box = (row || el).parentElement && (row || el).parentElement.closest("[id]");
  const rows = row && row.parentElement ? [...row.parentElement.children] : [];
  return {
    id: el.id || null,
    box: box ? box.id : null,
    row: row ? (row.dataset.turn ?? row.dataset.key) : null,
    rowIndex: row ? rows.indexOf(row) : -1,
    sel: [el.tagName.toLowerCase(), ...[...el.classList].map((c) => `.${CSS.escape(c)}`)].join(""),
  };
}

const usable = (el) => el && !el.disabled && !el.hidden && el.getClientRects().length > 0;
const CONTROLS = "button, a[href], input, select, textarea, [tabindex]";

function findFocus(k) {
  if (k.id) {
    const same = document.getElementById(k.id);
    if (usable(same)) return same;
  }
  const box = k.box ? document.getElementById(k.box) : null;
  if (!box) return null;
  let scope = box;
  if (k.row !== null) {
    const rows = [...box.querySelectorAll("[data-turn], [data-key]")];
    scope = rows.find((r) => (r.dataset.turn ?? r.dataset.key) === k.row)
      || rows[Math.min(k.rowIndex, rows.length - 1)] || box;
  }
  const same = [...scope.querySelectorAll(k.sel)].find(usable);
  if (same) return same;
  const any = [...scope.querySelectorAll(CONTROLS)].find(usable);
  if (any) return any;
  if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "-1");
  return box;
}

// Remember where the focus is; the returned function puts it back on the same control (or the
// nearest one left: the next row, the box) if a redraw has dropped it to the page's body.
export function rememberFocus() {
  const el = document.activeElement;
  const key = el && el !== document.body && el.isConnected ? focusKey(el) : null;
  return () => {
    if (!key) return;
    const now = document.activeElement;
    if (now && now !== document.body && now.isConnected) return;
    const next = findFocus(key);
    if (next) next.focus({ preventScroll: true });
  };
}

// Redraw without losing the focus: a queue command, a live status.
export function keepFocus(draw) {
  const restore = rememberFocus();
  const result = draw();
  restore();
  return result;
}

// ---- forms ---------------------------------------------------------------------------------------

// The Vietnamese name of a field: its label on the form, else the server's name for it, else the catalogue.
function fieldLabel(form, name, given) {
  const input = form.elements[name];
  const label = input && input.closest && input.closest("label");
  const text = (label && label.querySelector("span") ? label.querySelector("span").textContent
    : input && input.getAttribute && input.getAttribute("aria-label")) || "";
  if (text.trim()) return text.trim();
  if (given) return given;
  const parts = String(name).split(".");
  return FIELD_LABELS[name] || FIELD_LABELS[parts[parts.length - 1]] || FIELD_LABELS[parts[0]] || FIELD_LABELS.body;
}

let errorIds = 0;

// Show an ApiError on a form: the message on top (field names in Vietnamese), each wrong field
// marked (aria-invalid) and tied to its message (aria-describedby).
export function showErrors(form, err) {
  clearErrors(form);
  const box = h("p", { class: "form-error", role: "alert" });
  form.prepend(box);
  const fields = err.fields || [];
  // each wrong field by the name the person sees on this form: "Nội dung phát biểu: tối đa 1000 ký tự."
  const lower = (m) => { const t = String(m || "").trim(); return /^\p{Lu}\p{Ll}/u.test(t) ? t[0].toLowerCase() + t.slice(1) : t; };
  box.textContent = fields.length
    ? fields.map((f) => `${fieldLabel(form, f.field, f.label)}: ${lower(f.message).replace(/([^.])$/, "$1.")}`).join(" ")
    : err.message;
  for (const f of fields) {
    const input = form.elements[f.field];
    if (input && input.insertAdjacentElement) {
      const id = `field-error-${++errorIds}`;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.insertAdjacentElement("afterend", h("span", { class: "field-error", id }, f.message));
    }
  }
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error, .form-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
}

export function formData(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "number") out[el.name] = el.value === "" ? null : Number(el.value);
    else if (el.dataset.optional !== undefined && el.value === "") continue;
    else out[el.name] = el.value;
  }
  return out;
}

export function field(label, input) {
  return h("label", { class: "fld" }, h("span", {}, label), input);
}

export function select(name, options, value, attrs = {}) {
  return h("select", { name, ...attrs }, Object.entries(options).map(([k, v]) =>
    h("option", { value: k, selected: String(k) === String(value) }, v)));
}

// Mount the page shown again (after a change that alters what it lists): the router listens.
export function reloadPage() {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

// A page kept in a class with open() and close(): mount it by the page contract.
// A page that fails to open closes what it had opened before the error goes on.
export async function mountOpened(page) {
  try {
    await page.open();
  } catch (e) {
    page.close();
    throw e;
  }
  return () => page.close();
}
