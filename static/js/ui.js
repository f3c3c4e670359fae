// Small DOM helpers shared by every view.

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

const TZ = "Asia/Ho_Chi_Minh";

export function localDateTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("vi-VN", { timeZone: TZ, hour: "2-digit", minute: "2-digit",
    day: "2-digit", month: "2-digit", year: "numeric" });
}

// ISO instant -> value for <input type="datetime-local"> in Vietnam time.
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(new Date(iso).getTime() + 7 * 3600 * 1000);
  return d.toISOString().slice(0, 16);
}

export function banner(message, kind = "info") {
  const el = document.getElementById("banner");
  el.textContent = message;
  el.className = kind;
  el.hidden = !message;
  if (message && kind !== "error") setTimeout(() => { if (el.textContent === message) el.hidden = true; }, 3000);
}

// Show an ApiError on a form: the message on top, each wrong field marked.
export function showErrors(form, err) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const box = form.querySelector(".form-error") || form.prepend(h("p", { class: "form-error", role: "alert" })) || form.querySelector(".form-error");
  box.textContent = err.message;
  for (const f of err.fields || []) {
    const input = form.elements[f.field];
    if (input && input.insertAdjacentElement) {
      input.setAttribute("aria-invalid", "true");
      input.insertAdjacentElement("afterend", h("span", { class: "field-error" }, f.message));
    }
  }
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error, .form-error").forEach((e) => e.remove());
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

export function select(name, options, value) {
  return h("select", { name }, Object.entries(options).map(([k, v]) =>
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
