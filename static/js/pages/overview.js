// The overview for the higher level: #/overview/<year>. Charts drawn as inline SVG.
import { api } from "../api.js";
import { T } from "../i18n.js";
import { h, put } from "../ui.js";

const F = T.followup;

const NS = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const COLORS = { open: "#b3261e", answered: "#2e7d32", assigned: "#f59e0b", verifying: "#eab308", forwarded: "#2563eb", resolved: "#14532d" };

// Horizontal bars: rows [{label, parts: [{value, color, title}]}]. The picture is one image for
// screen readers, named by `name` and every row's figures (the rows' own texts are hidden).
function barChart(id, name, rows, { unit = "", max = null } = {}) {
  const rowH = 30, left = 190, width = 760, right = 60;
  const top = Math.max(1, max ?? Math.max(1, ...rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0))));
  const said = rows.map((r) => `${r.label}: ${r.parts.map((p) => p.title || `${p.value ?? "—"}${unit}`).join(", ")}`);
  const svgEl = s("svg", { class: "chart", id, viewBox: `0 0 ${width} ${rows.length * rowH + 10}`, role: "img",
    "aria-label": `${name}. ${said.length ? said.join("; ") : "—"}` });
  rows.forEach((r, i) => {
    const y = 5 + i * rowH;
    svgEl.append(s("text", { x: left - 8, y: y + 19, "text-anchor": "end" }, r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label));
    let x = left;
    let total = 0;
    for (const p of r.parts) {
      const w = (p.value / top) * (width - left - right);
      if (w > 0) svgEl.append(s("rect", { x, y: y + 4, width: w, height: rowH - 10, fill: p.color, rx: 3 }));
      x += w; total += p.value;
    }
    const shown = r.parts.every((p) => p.value === null) ? "—" : `${Math.round(total * 10) / 10}${unit}`;
    svgEl.append(s("text", { x: x + 6, y: y + 19 }, shown));
  });
  return svgEl;
}

export async function mount(view, { year: yearArg }) {
  const year = Number(yearArg) || new Date().getFullYear();
  const o = await api("GET", `/api/overview?year=${year}`);
  const states = Object.keys(o.states);
  const legend = h("p", { class: "legend" }, states.map((k) => h("span", {}, h("i", { style: `background:${COLORS[k]}` }), o.states[k])));
  const t = o.totals;
  put(view,
    h("div", { class: "row" },
      h("a", { class: "button", href: `#/overview/${year - 1}` }, `‹ ${year - 1}`),
      h("h1", {}, `${F.overview} ${year}${o.scope ? ` — ${o.scope}` : ""}`),
      h("a", { class: "button", href: `#/overview/${year + 1}` }, `${year + 1} ›`)),
    h("p", { id: "overview-totals" }, `${t.communes} ${F.communes} · ${t.conferences_held}/${t.conferences_planned} ${F.conferencesHeld} · ${t.petitions} ${F.petitionsLower} · ${F.onTime}: ${t.on_time_share === null ? "—" : `${Math.round(t.on_time_share * 1000) / 10}%`}`),
    h("div", { class: "actions" },
      h("a", { class: "button", id: "export-csv", href: `/api/overview.csv?year=${year}`, download: "" }, F.exportCsv),
      h("a", { class: "button", id: "export-xlsx", href: `/api/overview.xlsx?year=${year}`, download: "" }, F.exportXlsx)),
    h("h2", {}, F.chartConferences),
    barChart("chart-conferences", F.chartConferences, o.communes.map((r) => ({ label: r.commune, parts: [{ value: r.conferences_held, color: "#7a1410", title: `${r.conferences_held} ${F.conferencesHeld}` }] }))),
    h("h2", {}, F.chartFields), legend,
    barChart("chart-fields", F.chartFields, o.fields.map((f) => ({ label: f.field, parts: states.map((k) => ({ value: f.by_state[k], color: COLORS[k], title: `${o.states[k]}: ${f.by_state[k]}` })) }))),
    h("h2", {}, F.chartOnTime),
    barChart("chart-on-time", F.chartOnTime, o.communes.map((r) => ({ label: r.commune, parts: [{ value: r.on_time_share === null ? null : r.on_time_share * 100, color: "#2e7d32", title: `${r.on_time_share === null ? "—" : `${Math.round(r.on_time_share * 1000) / 10}%`} (${r.on_time}/${r.counted})` }] })), { unit: "%", max: 100 }),
    h("table", { class: "list" }, h("tbody", {}, o.communes.map((r) => h("tr", {},
      h("td", {}, r.commune), h("td", {}, `${r.conferences_held} ${F.conferencesHeld}`), h("td", {}, `${r.petitions} ${F.petitionsLower}`),
      h("td", {}, `${F.onTime}: ${r.on_time}/${r.counted}`))))));
  return () => {};
}
