// The yearly plan of conferences: #/ and #/plan/<year>.
import { api, can } from "../api.js";
import { conferenceForm } from "../conference-form.js";
import { T } from "../i18n.js";
import { h, localDateTime, put } from "../ui.js";

export async function mount(view, { year: yearArg }) {
  const year = Number(yearArg) || new Date().getFullYear();
  const list = await api("GET", `/api/conferences?year=${year}`);
  const rows = list.map((c) => h("tr", {},
    h("td", { class: "short" }, localDateTime(c.starts_at)),
    h("td", {}, h("a", { href: `#/c/${c.id}` }, c.title)),
    h("td", {}, c.venue),
    h("td", { class: "short" }, h("span", { class: `badge ${c.status}` }, T.statuses[c.status] || c.status))));
  const formHolder = h("div");
  put(view,
    h("div", { class: "row" },
      h("a", { href: `#/plan/${year - 1}`, class: "button" }, `‹ ${year - 1}`),
      h("h1", {}, `${T.plan} ${year}`),
      h("a", { href: `#/plan/${year + 1}`, class: "button" }, `${year + 1} ›`)),
    list.length ? h("table", { class: "list" }, h("tbody", {}, rows))
      : h("p", { class: "muted" }, T.noConferences),
    can("edit_conference") ? h("button", { class: "primary", id: "new-conference", onclick: () => {
      formHolder.replaceChildren(h("h2", {}, T.newConference), conferenceForm(null, (c) => { location.hash = `#/c/${c.id}`; }));
    } }, T.newConference) : null,
    formHolder);
  return () => {};
}
