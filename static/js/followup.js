// After the conference, #/c/<id>/followup: deadlines, documents (draft, edit, issue,
// download, dispatch) and the broadcast bulletins (Decree 49/2024) of a conference.
// The due/overdue board, the overview and the calendar editor are in pages/.
import { api, ApiError, can, session } from "./api.js";
import { FIELD_LABELS, T } from "./i18n.js";
import { banner, field, formData, h, localDate, localDateTime, put, reloadPage as rerender, select, showErrors, toLocalInput, todayLocal } from "./ui.js";
import { loadSocketIo } from "/display-assets/clock.js";

const F = T.followup;

// ---- helpers -----------------------------------------------------------------------------

// Kept for the pages that import it: ui.js localDate (a calendar day as it is, an instant as
// its day in Vietnam).
export const vnDate = localDate;
export const status = (s, label) => h("span", { class: `dl-status ${s}` }, label || F.st[s] || s);

function deadlineRows(items) {
  return items.map((d) => h("tr", { dataset: { key: d.item_key } },
    h("td", { class: "short" }, status(d.status, d.status_label)),
    h("td", {}, d.label, h("br"), h("small", { class: "muted" }, `${d.length} ${d.unit === "working" ? F.workingDays : F.days}`)),
    h("td", { class: "short" }, `${F.due} ${localDate(d.due)}`),
    h("td", { class: "short" }, d.done_on ? `${F.doneOn} ${localDate(d.done_on)}${d.late ? ` (${F.late})` : ""}`
      : d.days_left >= 0 ? `${F.left} ${d.working_days_left} ${F.workingDays}` : `${F.overdueBy} ${-d.days_left} ${F.days}`)));
}

function download(url) { return h("a", { class: "button", href: url, download: "" }, url.endsWith("pdf") ? F.pdf : F.docx); }

// ---- one conference after the meeting -----------------------------------------------------------

export async function mount(page, { id }) {
  const [conf, dl, docs] = await Promise.all([api("GET", `/api/conferences/${id}`),
    api("GET", `/api/conferences/${id}/deadlines`), api("GET", `/api/conferences/${id}/documents`)]);
  const bulletins = bulletinCard(id);
  const hasNotice = docs.some((d) => d.kind === "conclusion" && d.status === "issued");
  const draftButton = (kind, extra = {}, label = F.kinds[kind], idAttr = `draft-${kind}`) =>
    can("draft_documents") ? h("button", { id: idAttr, onclick: async () => {
      try { await api("POST", `/api/conferences/${id}/documents`, { kind, ...extra }); banner(F.drafted); rerender(); }
      catch (e) { banner(e.message, "error"); }
    } }, `${F.draft}: ${label}`) : null;

  const petitions = h("table", { class: "list", id: "petition-deadlines" }, h("tbody", {}, dl.petitions.map((p) => h("tr", {},
    h("td", { class: "short" }, `#${p.petition_id}`),
    h("td", {}, p.subject),
    h("td", {}, h("span", { class: "badge" }, p.state_label), p.unit ? h("div", { class: "muted" }, p.unit) : null),
    h("td", {}, p.deadlines.map((d) => h("div", {}, status(d.status, d.status_label), " ", `${d.label}: ${localDate(d.due)}`))),
    h("td", { class: "short" }, p.state === "verifying" ? draftButton("reply", { petition_id: p.petition_id }, F.kinds.reply, `draft-reply-${p.petition_id}`) : null)))));

  put(page,
    h("p", {}, h("a", { href: `#/c/${id}` }, `‹ ${conf.title}`)),
    h("h1", {}, `${F.after}: ${conf.title}`),
    h("p", { class: "muted" }, `${F.profile}: ${dl.profile}`),
    h("div", { class: "actions" },
      hasNotice ? h("a", { class: "button", id: "results-link", href: `${conf.public_url}/results`, target: "_blank" }, F.publicResults)
        : h("span", { class: "muted" }, F.resultsAfterNotice)),
    h("h2", {}, F.deadlinesOf),
    h("table", { class: "list", id: "conference-deadlines" }, h("tbody", {}, deadlineRows(dl.conference))),
    h("h2", {}, `${F.petitions} (${dl.petitions.length})`),
    dl.petitions.length ? petitions : h("p", { class: "muted" }, F.noPetitions),
    h("h2", {}, F.documents),
    h("div", { class: "actions" }, ["conclusion", "report", "announcement", "invitation"].map((k) => draftButton(k))),
    minutesForm(id),
    h("div", { id: "documents" }, docs.length ? docs.map((d) => documentCard(d)) : h("p", { class: "muted" }, F.noDocuments)),
    bulletins.card);
  return bulletins.stop;
}

// The minutes are drafted with the secretary's own name and title (the account's name is
// not a person's); left empty, the server takes those of the commune's last minutes.
function minutesForm(confId) {
  if (!can("draft_documents")) return null;
  const form = h("form", { class: "row", id: "minutes-form" },
    field(F.secretaryName, h("input", { name: "secretary_name", maxlength: 200, autocomplete: "name" })),
    field(F.secretaryTitle, h("input", { name: "secretary_title", maxlength: 200 })),
    h("button", { type: "submit", id: "draft-minutes" }, `${F.draft}: ${F.kinds.minutes}`));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { kind: "minutes" };
    for (const [k, v] of Object.entries(formData(form))) if (String(v).trim()) body[k] = String(v).trim();
    try { await api("POST", `/api/conferences/${confId}/documents`, body); banner(F.drafted); rerender(); }
    catch (e) { showErrors(form, e); }
  });
  return form;
}

// ---- broadcast bulletins (a recorded reading of the answers, played on the commune radio) -------

const B = T.followup.bulletins;

// The card and a stop() that ends its refreshing.
function bulletinCard(confId) {
  const base = `/api/conferences/${confId}/bulletins`;
  const list = h("tbody");
  const card = h("section", { class: "card", id: "bulletins" }, h("h2", {}, B.title), h("p", { class: "muted" }, B.intro));
  const act = (label, cls, fn, name) => h("button", { class: cls, "aria-label": `${label}: ${name}`, onclick: async () => {
    try { await fn(); await load(); } catch (e) { banner(e.message, "error"); }
  } }, label);
  async function load() {
    const rows = await api("GET", base);
    list.replaceChildren(...(rows.length ? rows.map((b) => h("tr", { dataset: { id: b.id, status: b.status } },
      h("td", { class: "short" }, h("span", { class: `dl-status ${b.status}` }, B.st[b.status] || b.status)),
      h("td", {}, b.title, h("br"), h("small", { class: "muted" }, `${b.original_name} · ${Math.round(b.duration_s)} ${B.seconds}`),
        b.error ? h("div", { class: "problems" }, b.error) : null),
      h("td", { class: "short" }, localDateTime(b.played_at || b.play_at)),
      h("td", { class: "short" }, can("control_broadcast") ? [
        ["scheduled", "playing"].includes(b.status) ? act(B.cancel, "link", async () => {
          if (confirm(B.confirmCancel)) await api("DELETE", `${base}/${b.id}`);
        }, b.title) : null,
        b.status !== "playing" ? act(B.playNow, "", () => api("POST", `${base}/${b.id}/play-now`, {}), b.title) : null] : null)))
      : [h("tr", {}, h("td", { class: "muted" }, B.none))]));
  }
  if (can("control_broadcast")) {
    const inPlace = toLocalInput(new Date(Date.now() + 5 * 60e3).toISOString());
    const form = h("form", { class: "row", id: "bulletin-form" },
      field(B.file, h("input", { type: "file", name: "file", accept: "audio/*,.mp3,.wav,.ogg,.opus,.m4a", required: true })),
      field(B.name, h("input", { name: "title", maxlength: 300, required: true })),
      field(B.at, h("input", { type: "datetime-local", name: "play_at", value: inPlace })),
      h("button", { type: "submit", class: "primary" }, B.schedule));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      banner(B.uploading);
      try {
        const resp = await fetch(base, { method: "POST", body: new FormData(form), credentials: "same-origin",
          headers: session.csrf ? { "X-CSRF-Token": session.csrf } : {} });
        const data = resp.headers.get("content-type")?.includes("json") ? await resp.json() : null;
        if (!resp.ok) throw new ApiError(resp.status, data);
        banner(B.scheduled);
        form.reset();
        await load();
      } catch (e) { showErrors(form, e); banner(""); } finally { button.disabled = false; }
    });
    card.append(form);
  }
  card.append(h("table", { class: "list", id: "bulletin-list" }, list));
  load().catch((e) => list.replaceChildren(h("tr", {}, h("td", { class: "problems" }, e.message))));
  // Statuses change on their own (scheduled → playing → played): the server pushes
  // `bulletins:changed` to the conference's staff room after each change; no polling.
  let socket = null;
  let stopped = false;
  loadSocketIo().then((io) => {
    if (stopped) return;
    socket = io({ transports: ["websocket"] });
    socket.on("connect", () => socket.emit("join", { conference_id: Number(confId) }, () => load().catch(() => {})));
    socket.on("bulletins:changed", (ev) => { if (!ev.conference_id || String(ev.conference_id) === String(confId)) load().catch(() => {}); });
  }).catch(() => {});
  return { card, stop: () => { stopped = true; if (socket) socket.close(); } };
}

function documentCard(d) {
  const card = h("section", { class: `card doc-card ${d.status}`, id: `doc-${d.id}` },
    h("h3", {}, d.kind_label, " ", d.number ? h("span", { class: "badge held doc-number" }, `Số ${d.number}`) : h("span", { class: "badge" }, F.draftBadge)),
    d.issued_at ? h("p", { class: "muted" }, `${F.issuedOn} ${localDate(d.content?.header?.issued_on || d.issued_at)}`) : null,
    d.notes.length ? h("ul", { class: "muted" }, d.notes.map((n) => h("li", {}, n))) : null,
    d.problems.length ? h("p", { class: "problems", role: "alert" }, d.problems.map((p) => p.message).join(" ")) : null,
    (d.warnings || []).map((w) => h("p", { class: "warning doc-warning", role: "status" }, w.message)));
  const actions = h("div", { class: "actions" }, download(d.docx_url), download(d.pdf_url));
  card.append(actions);
  if (d.status === "draft") {
    const editorHolder = h("div");
    if (can("draft_documents")) {
      actions.append(h("button", { class: "edit", onclick: () => editorHolder.replaceChildren(editor(d)) }, F.edit));
      actions.append(h("button", { class: "link", onclick: async () => {
        if (!confirm(F.confirmDiscard)) return;
        try { await api("DELETE", `/api/documents/${d.id}`); rerender(); } catch (e) { banner(e.message, "error"); }
      } }, F.discard));
    }
    if (can("issue_documents")) {
      const dateInput = h("input", { type: "date", name: "issued_on", value: todayLocal() });
      const form = h("form", { class: "row issue-form" }, field(F.issueDate, dateInput),
        h("button", { type: "submit", class: "primary", id: `issue-${d.id}`, disabled: d.problems.length > 0 }, F.issue));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const done = await api("POST", `/api/documents/${d.id}/issue`, { issued_on: dateInput.value });
          banner(`${F.issued} ${done.number}`); rerender();
        } catch (e) { showErrors(form, e); }
      });
      card.append(form);
    }
    card.append(editorHolder);
  } else {
    card.append(dispatches(d));
  }
  return card;
}

// A form for the text of a draft: every text and list-of-text field of the content.
const SKIP = new Set(["commune", "outcome", "body", "number", "issued_on", "year", "archive", "unit_code", "starts_at", "ends_at", "attendance", "attendance_total", "totals", "by_field", "chairs", "started_at", "at", "invited", "invited_present", "opinions_by_field", "recorded", "mode", "topics"]);

// A part of a document in Vietnamese, never its key ("petitions_until").
const label = (key) => F.labels[key] || FIELD_LABELS[key] || F.labels.other;

function inputsFor(value, path, out) {
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    out.push(field(label(path.at(-1)), h("textarea", { rows: Math.max(2, value.length + 1), dataset: { path: JSON.stringify(path), list: "" } }, value.join("\n"))));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const box = h("fieldset", {}, h("legend", {}, `${label(path.at(-1))} ${i + 1}`));
      const inner = [];
      inputsFor(item, [...path, i], inner);
      box.append(...inner);
      out.push(box);
    });
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (!SKIP.has(k)) inputsFor(v, [...path, k], out);
  } else if (typeof value === "string") {
    const key = path.includes("signer") ? `signer_${path.at(-1)}` : path.at(-1);
    const long = value.length > 60 || ["summary", "conclusion", "content", "purpose"].includes(key);
    const isDate = ["due", "reply_by", "raised_on", "petitions_until", "by"].includes(key);
    out.push(field(label(key), long ? h("textarea", { rows: 3, dataset: { path: JSON.stringify(path) } }, value)
      : h("input", { type: isDate ? "date" : "text", value, dataset: { path: JSON.stringify(path) } })));
  }
}

function editor(d) {
  const inputs = [];
  inputsFor(d.content, [], inputs);
  const form = h("form", { class: "card doc-editor", id: `editor-${d.id}` }, ...inputs,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, F.saveDraft)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const content = structuredClone(d.content);
    for (const el of form.querySelectorAll("[data-path]")) {
      const path = JSON.parse(el.dataset.path);
      let target = content;
      for (const p of path.slice(0, -1)) target = target[p];
      const last = path.at(-1);
      if (el.dataset.list !== undefined) target[last] = el.value.split("\n").map((s) => s.trim()).filter(Boolean);
      else target[last] = el.type === "date" && !el.value ? null : el.value;
    }
    const patch = {};
    for (const k of Object.keys(content)) if (!["commune"].includes(k)) patch[k] = content[k];
    delete patch.header?.number; delete patch.header?.issued_on; delete patch.header?.year; delete patch.header?.body;
    try { await api("PATCH", `/api/documents/${d.id}`, { content: patch }); banner(T.saved); rerender(); }
    catch (e) { showErrors(form, e); }
  });
  return form;
}

function dispatches(d) {
  const box = h("div", { class: "dispatches" }, h("h4", {}, `${F.dispatches} (${d.dispatches})`));
  const list = h("ul", { id: `dispatch-list-${d.id}` });
  box.append(list);
  api("GET", `/api/documents/${d.id}/dispatches`).then((rows) => list.replaceChildren(...rows.map((r) =>
    h("li", {}, `${localDate(r.sent_at)} · ${r.recipient} · ${r.channel_label}${r.note ? ` · ${r.note}` : ""}`))));
  if (can("draft_documents")) {
    const form = h("form", { class: "grid dispatch-form" },
      field(F.recipient, h("input", { name: "recipient", required: true })),
      field(F.channel, select("channel", F.channels, "paper")),
      field(F.note, h("input", { name: "note" })),
      h("div", { class: "actions" }, h("button", { type: "submit" }, F.recordDispatch)));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try { await api("POST", `/api/documents/${d.id}/dispatches`, formData(form)); banner(T.saved); rerender(); }
      catch (e) { showErrors(form, e); }
    });
    box.append(form);
  }
  return box;
}
