// The due/overdue board of every conference: #/deadlines (#/deadlines/all with the done ones).
import { api } from "../api.js";
import { status } from "../followup.js";
import { T } from "../i18n.js";
import { h, localDate, put } from "../ui.js";

const F = T.followup;

export async function mount(view, { all }) {
  const b = await api("GET", `/api/deadlines${all ? "?all=true" : ""}`);
  const c = b.counts;
  put(view,
    h("h1", {}, F.board),
    h("p", {}, status("overdue", `${c.overdue} ${F.st.overdue.toLowerCase()}`), " ",
      status("due_today", `${c.due_today} ${F.st.due_today.toLowerCase()}`), " ",
      status("due_soon", `${c.due_soon} ${F.st.due_soon.toLowerCase()}`), " · ",
      h("a", { href: all ? "#/deadlines" : "#/deadlines/all" }, all ? F.onlyPending : F.showAll)),
    b.items.length ? h("table", { class: "list", id: "board" }, h("tbody", {}, b.items.map((d) => h("tr", {},
      h("td", { class: "short" }, status(d.status, d.status_label)),
      h("td", {}, d.label, h("br"), h("small", { class: "muted" }, d.subject)),
      h("td", { class: "short" }, localDate(d.due)),
      h("td", {}, d.conference_id ? h("a", { href: `#/c/${d.conference_id}/followup` }, d.conference_title) : "")))))
      : h("p", { class: "muted" }, F.nothingDue));
  return () => {};
}
