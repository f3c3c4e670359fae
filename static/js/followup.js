// After the conference: deadlines, documents (draft, edit, issue, download, dispatch),
// the due/overdue board, the overview for the higher level and the calendar editor;
// the broadcast bulletins (Decree 49/2024) of a conference.
import { api, ApiError, can, session } from "./api.js";
import { route } from "./main.js";
import { T } from "./i18n.js";
import { banner, field, formData, h, localDateTime, select, showErrors, toLocalInput } from "./ui.js";

const F = T.followup;
const view = () => document.getElementById("view");
const rerender = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

// ---- styles and navigation ------------------------------------------------------------------

document.head.append(h("link", { rel: "stylesheet", href: "/static/followup.css" }));
const countBadge = h("span", { class: "nav-count", id: "deadline-count", hidden: true });
const navLinks = [
  h("a", { href: "#/deadlines", id: "nav-deadlines" }, F.deadlines, countBadge),
  h("a", { href: "#/overview", dataset: { perm: "view_overview" } }, F.overview),
  h("a", { href: "#/calendar", dataset: { perm: "manage_settings" } }, F.calendar),
];
const who = document.getElementById("who");
if (who) navLinks.forEach((a) => who.before(a));

async function refreshCount() {
  if (document.getElementById("nav")?.hidden) return;
  try {
    const c = await api("GET", "/api/deadlines/count");
    countBadge.hidden = !c.total;
    countBadge.textContent = c.total;
    countBadge.className = c.overdue ? "nav-count overdue" : "nav-count";
    countBadge.title = `${c.overdue} ${F.st.overdue.toLowerCase()}, ${c.due_today} ${F.st.due_today.toLowerCase()}, ${c.due_soon} ${F.st.due_soon.toLowerCase()}`;
  } catch { /* not logged in yet, or offline: try again later */ }
}
window.addEventListener("hashchange", refreshCount);
setInterval(refreshCount, 60_000);
setTimeout(refreshCount, 500);

// ---- helpers -----------------------------------------------------------------------------

const vnDate = (iso) => (iso ? iso.slice(0, 10).split("-").reverse().join("/") : "");
const status = (s, label) => h("span", { class: `dl-status ${s}` }, label || F.st[s] || s);

function deadlineRows(items) {
  return items.map((d) => h("tr", { dataset: { key: d.item_key } },
    h("td", {}, status(d.status, d.status_label)),
    h("td", {}, d.label, h("br"), h("small", { class: "muted" }, `${d.length} ${d.unit === "working" ? F.workingDays : F.days}`)),
    h("td", {}, `${F.due} ${vnDate(d.due)}`),
    h("td", {}, d.done_on ? `${F.doneOn} ${vnDate(d.done_on)}${d.late ? ` (${F.late})` : ""}`
      : d.days_left >= 0 ? `${F.left} ${d.working_days_left} ${F.workingDays}` : `${F.overdueBy} ${-d.days_left} ${F.days}`)));
}

function download(url) { return h("a", { class: "button", href: url, download: "" }, url.endsWith("pdf") ? F.pdf : F.docx); }

// ---- one conference after the meeting -----------------------------------------------------------

route(/^\/c\/(\d+)\/followup$/, async (id) => {
  const page = view(); // this navigation's element (see pageView in main.js)
  const [conf, dl, docs] = await Promise.all([api("GET", `/api/conferences/${id}`),
    api("GET", `/api/conferences/${id}/deadlines`), api("GET", `/api/conferences/${id}/documents`)]);
  const hasNotice = docs.some((d) => d.kind === "conclusion" && d.status === "issued");
  const draftButton = (kind, extra = {}, label = F.kinds[kind], idAttr = `draft-${kind}`) =>
    can("draft_documents") ? h("button", { id: idAttr, onclick: async () => {
      try { await api("POST", `/api/conferences/${id}/documents`, { kind, ...extra }); banner(F.drafted); rerender(); }
      catch (e) { banner(e.message, "error"); }
    } }, `${F.draft}: ${label}`) : null;

  const petitions = h("table", { class: "list", id: "petition-deadlines" }, h("tbody", {}, dl.petitions.map((p) => h("tr", {},
    h("td", {}, `#${p.petition_id}`),
    h("td", {}, p.subject),
    h("td", {}, h("span", { class: "badge" }, p.state_label), p.unit ? h("div", { class: "muted" }, p.unit) : null),
    h("td", {}, p.deadlines.map((d) => h("div", {}, status(d.status, d.status_label), " ", `${d.label}: ${vnDate(d.due)}`))),
    h("td", {}, p.state === "verifying" ? draftButton("reply", { petition_id: p.petition_id }, F.kinds.reply, `draft-reply-${p.petition_id}`) : null)))));

  page.replaceChildren(
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
    h("div", { id: "documents" }, docs.length ? docs.map((d) => documentCard(d)) : h("p", { class: "muted" }, F.noDocuments)),
    bulletinCard(id));
});

// ---- broadcast bulletins (a recorded reading of the answers, played on the commune radio) -------

const B = T.followup.bulletins;

function bulletinCard(confId) {
  const base = `/api/conferences/${confId}/bulletins`;
  const list = h("tbody");
  const card = h("section", { class: "card", id: "bulletins" }, h("h2", {}, B.title), h("p", { class: "muted" }, B.intro));
  const act = (label, cls, fn) => h("button", { class: cls, onclick: async () => {
    try { await fn(); await load(); } catch (e) { banner(e.message, "error"); }
  } }, label);
  async function load() {
    const rows = await api("GET", base);
    list.replaceChildren(...(rows.length ? rows.map((b) => h("tr", { dataset: { id: b.id, status: b.status } },
      h("td", {}, h("span", { class: `dl-status ${b.status}` }, B.st[b.status] || b.status)),
      h("td", {}, b.title, h("br"), h("small", { class: "muted" }, `${b.original_name} · ${Math.round(b.duration_s)} ${B.seconds}`),
        b.error ? h("div", { class: "problems" }, b.error) : null),
      h("td", {}, localDateTime(b.played_at || b.play_at)),
      h("td", {}, can("control_broadcast") ? [
        ["scheduled", "playing"].includes(b.status) ? act(B.cancel, "link", async () => {
          if (confirm(B.confirmCancel)) await api("DELETE", `${base}/${b.id}`);
        }) : null,
        b.status !== "playing" ? act(B.playNow, "", () => api("POST", `${base}/${b.id}/play-now`, {})) : null] : null)))
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
  const timer = setInterval(() => {  // statuses change on their own (scheduled → playing → played)
    if (!card.isConnected) clearInterval(timer); else load().catch(() => {});
  }, 5000);
  return card;
}

function documentCard(d) {
  const card = h("section", { class: `card doc-card ${d.status}`, id: `doc-${d.id}` },
    h("h3", {}, d.kind_label, " ", d.number ? h("span", { class: "badge held doc-number" }, `Số ${d.number}`) : h("span", { class: "badge" }, F.draftBadge)),
    d.issued_at ? h("p", { class: "muted" }, `${F.issuedOn} ${vnDate(d.content?.header?.issued_on || d.issued_at)}`) : null,
    d.notes.length ? h("ul", { class: "muted" }, d.notes.map((n) => h("li", {}, n))) : null,
    d.problems.length ? h("p", { class: "problems", role: "alert" }, d.problems.map((p) => p.message).join(" ")) : null);
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
      const dateInput = h("input", { type: "date", name: "issued_on", value: new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10) });
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
const SKIP = new Set(["commune", "outcome", "body", "number", "issued_on", "year", "archive", "unit_code", "starts_at", "ends_at", "attendance", "attendance_total", "totals", "by_field", "chairs", "secretary", "opinions_by_field", "recorded", "mode", "topics"]);

function inputsFor(value, path, out) {
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    out.push(field(F.labels[path.at(-1)] || path.at(-1), h("textarea", { rows: Math.max(2, value.length + 1), dataset: { path: JSON.stringify(path), list: "" } }, value.join("\n"))));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const box = h("fieldset", {}, h("legend", {}, `${F.labels[path.at(-1)] || path.at(-1)} ${i + 1}`));
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
    out.push(field(F.labels[key] || key, long ? h("textarea", { rows: 3, dataset: { path: JSON.stringify(path) } }, value)
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
    h("li", {}, `${vnDate(r.sent_at)} · ${r.recipient} · ${r.channel_label}${r.note ? ` · ${r.note}` : ""}`))));
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

// ---- the board ----------------------------------------------------------------------------

route(/^\/deadlines(?:\/(all))?$/, async (all) => {
  const page = view(); // this navigation's element (see pageView in main.js)
  const b = await api("GET", `/api/deadlines${all ? "?all=true" : ""}`);
  const c = b.counts;
  page.replaceChildren(
    h("h1", {}, F.board),
    h("p", {}, status("overdue", `${c.overdue} ${F.st.overdue.toLowerCase()}`), " ",
      status("due_today", `${c.due_today} ${F.st.due_today.toLowerCase()}`), " ",
      status("due_soon", `${c.due_soon} ${F.st.due_soon.toLowerCase()}`), " · ",
      h("a", { href: all ? "#/deadlines" : "#/deadlines/all" }, all ? F.onlyPending : F.showAll)),
    b.items.length ? h("table", { class: "list", id: "board" }, h("tbody", {}, b.items.map((d) => h("tr", {},
      h("td", {}, status(d.status, d.status_label)),
      h("td", {}, d.label, h("br"), h("small", { class: "muted" }, d.subject)),
      h("td", {}, vnDate(d.due)),
      h("td", {}, d.conference_id ? h("a", { href: `#/c/${d.conference_id}/followup` }, d.conference_title) : "")))))
      : h("p", { class: "muted" }, F.nothingDue));
});

// ---- the overview (charts drawn as inline SVG) ------------------------------------------------

const NS = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const COLORS = { open: "#b3261e", answered: "#2e7d32", assigned: "#f59e0b", verifying: "#eab308", forwarded: "#2563eb", resolved: "#14532d" };

// Horizontal bars: rows [{label, parts: [{value, color, title}]}]
function barChart(id, rows, { unit = "", max = null } = {}) {
  const rowH = 30, left = 190, width = 760, right = 60;
  const top = Math.max(1, max ?? Math.max(1, ...rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0))));
  const svgEl = s("svg", { class: "chart", id, viewBox: `0 0 ${width} ${rows.length * rowH + 10}`, role: "img" });
  rows.forEach((r, i) => {
    const y = 5 + i * rowH;
    svgEl.append(s("text", { x: left - 8, y: y + 19, "text-anchor": "end" }, r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label));
    let x = left;
    let total = 0;
    for (const p of r.parts) {
      const w = (p.value / top) * (width - left - right);
      if (w > 0) svgEl.append(s("rect", { x, y: y + 4, width: w, height: rowH - 10, fill: p.color, rx: 3 }, s("title", {}, p.title || `${p.value}`)));
      x += w; total += p.value;
    }
    const shown = r.parts.every((p) => p.value === null) ? "—" : `${Math.round(total * 10) / 10}${unit}`;
    svgEl.append(s("text", { x: x + 6, y: y + 19 }, shown));
  });
  return svgEl;
}

route(/^\/overview(?:\/(\d{4}))?$/, async (yearArg) => {
  const page = view(); // this navigation's element (see pageView in main.js)
  const year = Number(yearArg) || new Date().getFullYear();
  const o = await api("GET", `/api/overview?year=${year}`);
  const states = Object.keys(o.states);
  const legend = h("p", { class: "legend" }, states.map((k) => h("span", {}, h("i", { style: `background:${COLORS[k]}` }), o.states[k])));
  const t = o.totals;
  page.replaceChildren(
    h("div", { class: "row" },
      h("a", { class: "button", href: `#/overview/${year - 1}` }, `‹ ${year - 1}`),
      h("h1", {}, `${F.overview} ${year}${o.scope ? ` — ${o.scope}` : ""}`),
      h("a", { class: "button", href: `#/overview/${year + 1}` }, `${year + 1} ›`)),
    h("p", { id: "overview-totals" }, `${t.communes} ${F.communes} · ${t.conferences_held}/${t.conferences_planned} ${F.conferencesHeld} · ${t.petitions} ${F.petitionsLower} · ${F.onTime}: ${t.on_time_share === null ? "—" : `${Math.round(t.on_time_share * 1000) / 10}%`}`),
    h("div", { class: "actions" },
      h("a", { class: "button", id: "export-csv", href: `/api/overview.csv?year=${year}`, download: "" }, F.exportCsv),
      h("a", { class: "button", id: "export-xlsx", href: `/api/overview.xlsx?year=${year}`, download: "" }, F.exportXlsx)),
    h("h2", {}, F.chartConferences),
    barChart("chart-conferences", o.communes.map((r) => ({ label: r.commune, parts: [{ value: r.conferences_held, color: "#7a1410", title: F.conferencesHeld }] }))),
    h("h2", {}, F.chartFields), legend,
    barChart("chart-fields", o.fields.map((f) => ({ label: f.field, parts: states.map((k) => ({ value: f.by_state[k], color: COLORS[k], title: `${o.states[k]}: ${f.by_state[k]}` })) }))),
    h("h2", {}, F.chartOnTime),
    barChart("chart-on-time", o.communes.map((r) => ({ label: r.commune, parts: [{ value: r.on_time_share === null ? null : r.on_time_share * 100, color: "#2e7d32", title: `${r.on_time}/${r.counted}` }] })), { unit: "%", max: 100 }),
    h("table", { class: "list" }, h("tbody", {}, o.communes.map((r) => h("tr", {},
      h("td", {}, r.commune), h("td", {}, `${r.conferences_held} ${F.conferencesHeld}`), h("td", {}, `${r.petitions} ${F.petitionsLower}`),
      h("td", {}, `${F.onTime}: ${r.on_time}/${r.counted}`))))));
});

// ---- calendar overrides ----------------------------------------------------------------------

route(/^\/calendar(?:\/(\d{4}))?$/, async (yearArg) => {
  const page = view(); // this navigation's element (see pageView in main.js)
  const year = Number(yearArg) || new Date().getFullYear();
  const [cal, days] = await Promise.all([api("GET", `/api/calendar/${year}`), api("GET", `/api/calendar/${year}/days`)]);
  const lists = {};
  const section = (key) => {
    const holder = h("div", { class: "entries", dataset: { list: key } });
    const add = (e = { date: `${year}-`, name: "" }) => {
      const row = h("div", { class: "entry" },
        h("input", { type: "date", value: e.date.length === 10 ? e.date : "", min: `${year}-01-01`, max: `${year}-12-31`, "aria-label": F.dateLabel }),
        h("input", { value: e.name, placeholder: F.reason, "aria-label": F.reason }),
        h("button", { type: "button", class: "link", onclick: () => row.remove() }, F.remove));
      holder.append(row);
    };
    cal.overrides[key].forEach(add);
    lists[key] = holder;
    return h("fieldset", {}, h("legend", {}, F.calLists[key]), holder,
      h("button", { type: "button", id: `add-${key}`, onclick: () => add() }, F.addDay));
  };
  const note = h("textarea", { name: "note", rows: 2 }, cal.overrides.note || "");
  const form = h("form", { class: "card cal-editor", id: "calendar-form" },
    section("days_off"), section("working_days"), section("holidays"), field(F.note, note),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, T.save)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { version: 1, note: note.value };
    for (const [key, holder] of Object.entries(lists)) {
      body[key] = [...holder.querySelectorAll(".entry")].map((r) => {
        const [d, n] = r.querySelectorAll("input");
        return { date: d.value, name: n.value };
      }).filter((e) => e.date || e.name);
    }
    try { await api("PUT", `/api/calendar/${year}`, body); banner(T.saved); rerender(); } catch (e) { showErrors(form, e); }
  });
  const shipped = ["days_off", "working_days", "holidays"].flatMap((k) => cal.shipped[k].map((e) => `${vnDate(e.date)}: ${e.name}`));
  page.replaceChildren(
    h("div", { class: "row" },
      h("a", { class: "button", href: `#/calendar/${year - 1}` }, `‹ ${year - 1}`),
      h("h1", {}, `${F.calendar} ${year}`),
      h("a", { class: "button", href: `#/calendar/${year + 1}` }, `${year + 1} ›`)),
    h("p", { class: "muted" }, F.calendarHelp),
    shipped.length ? h("p", { class: "muted" }, `${F.shipped}: ${shipped.join("; ")}`) : null,
    can("manage_settings") ? form : null,
    h("h2", {}, F.specialDays),
    h("table", { class: "list cal-days", id: "special-days" }, h("tbody", {}, days.map((d) => h("tr", {},
      h("td", {}, `${F.weekdays[d.weekday]} ${vnDate(d.date)}`), h("td", {}, d.name),
      h("td", { class: d.working ? "work" : "off" }, d.working ? F.working : F.off))))));
});
