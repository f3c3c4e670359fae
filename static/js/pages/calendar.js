// The working-day calendar of a year: #/calendar/<year>. Days off, working days, holidays
// added by hand; the deadlines counted in working days use it at once.
import { api, can } from "../api.js";
import { T } from "../i18n.js";
import { banner, field, h, localDate, put, reloadPage, showErrors } from "../ui.js";

const F = T.followup;

export async function mount(view, { year: yearArg }) {
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
    try { await api("PUT", `/api/calendar/${year}`, body); banner(T.saved); reloadPage(); } catch (e) { showErrors(form, e); }
  });
  // The commune's own days off: laid over the install's calendar for this commune only.
  const local = h("div", { class: "entries", dataset: { list: "local" } });
  const addLocal = (e = { date: "", name: "" }) => {
    const row = h("div", { class: "entry" },
      h("input", { type: "date", value: e.date, min: `${year}-01-01`, max: `${year}-12-31`, "aria-label": F.dateLabel }),
      h("input", { value: e.name, placeholder: F.reason, "aria-label": F.reason, maxlength: 200 }),
      h("button", { type: "button", class: "link", onclick: () => row.remove() }, F.remove));
    local.append(row);
  };
  (cal.local || []).forEach(addLocal);
  const localForm = h("form", { class: "card cal-editor", id: "local-days-form" },
    h("fieldset", {}, h("legend", {}, F.localDays), h("p", { class: "muted" }, F.localHelp), local,
      h("button", { type: "button", id: "add-local", onclick: () => addLocal() }, F.addDay)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, F.saveLocal)));
  localForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const days = [...local.querySelectorAll(".entry")].map((r) => {
      const [d, n] = r.querySelectorAll("input");
      return { date: d.value, name: n.value };
    }).filter((e) => e.date || e.name);
    try { await api("PUT", `/api/calendar/${year}/local`, { days }); banner(T.saved); reloadPage(); } catch (e) { showErrors(localForm, e); }
  });
  const shipped = ["days_off", "working_days", "holidays"].flatMap((k) => cal.shipped[k].map((e) => `${localDate(e.date)}: ${e.name}`));
  put(view,
    h("div", { class: "row" },
      h("a", { class: "button", href: `#/calendar/${year - 1}` }, `‹ ${year - 1}`),
      h("h1", {}, `${F.calendar} ${year}`),
      h("a", { class: "button", href: `#/calendar/${year + 1}` }, `${year + 1} ›`)),
    h("p", { class: "muted" }, F.calendarHelp),
    cal.warning ? h("p", { class: "warning", id: "calendar-estimated", role: "status" }, cal.warning) : null,
    shipped.length ? h("p", { class: "muted" }, `${F.shipped}: ${shipped.join("; ")}`) : null,
    can("manage_settings") && cal.editable ? form : h("p", { class: "muted", id: "install-only" }, F.installOnly),
    can("manage_settings") ? localForm : null,
    h("h2", {}, F.specialDays),
    h("table", { class: "list cal-days", id: "special-days" }, h("tbody", {}, days.map((d) => h("tr", {},
      h("td", { class: "short" }, `${F.weekdays[d.weekday]} ${localDate(d.date)}`), h("td", {}, d.name),
      h("td", { class: d.status === "estimated" ? "short estimated" : "short" }, d.status_label || ""),
      h("td", { class: d.working ? "short work" : "short off" }, d.working ? F.working : F.off))))));
  return () => {};
}
