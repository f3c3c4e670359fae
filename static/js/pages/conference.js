// One conference's record: #/c/<id>. Details, invitations and check-in, petitions.
import { api, can } from "../api.js";
import { conferenceForm } from "../conference-form.js";
import { T } from "../i18n.js";
import { matches } from "../text.js";
import { banner, field, formData, h, localDateTime, put, reloadPage, select, showErrors } from "../ui.js";

// the queue's rules and the run-of-show's planned minutes (pages/settings.js)
const RULES_AND_PLAN = "Quy tắc phát biểu, thời gian dự kiến";

export async function mount(view, { id }) {
  const [conf, people, petitions, fields] = await Promise.all([
    api("GET", `/api/conferences/${id}`), api("GET", `/api/conferences/${id}/participants`),
    api("GET", `/api/petitions?conference_id=${id}`), api("GET", "/api/fields")]);
  const rerender = reloadPage;
  const head = h("section", {},
    h("h1", {}, conf.title),
    h("p", {}, h("span", { class: `badge ${conf.status}` }, T.statuses[conf.status]), " ",
      localDateTime(conf.starts_at), " · ", conf.venue, " · ", T.formats[conf.format]),
    conf.announcement_warning ? h("p", { class: "warning", role: "alert", id: "announce-warning" }, conf.announcement_warning) : null,
    h("div", { class: "actions" },
      h("a", { class: "button", href: `#/c/${id}/queue` }, T.moderator),
      h("a", { class: "button", href: `#/c/${id}/secretary` }, T.secretary),
      h("a", { class: "button", href: `#/c/${id}/followup` }, T.after),
      h("a", { class: "button", href: `#/c/${id}/settings`, id: "rules-link" }, RULES_AND_PLAN),
      conf.announced_at ? h("a", { class: "button", href: conf.public_url, target: "_blank", id: "public-link" }, T.publicPage) : null,
      can("edit_conference") && !conf.announced_at ? h("button", { class: "primary", id: "announce", onclick: async () => {
        try { await api("POST", `/api/conferences/${id}/announce`); banner(T.announcedDone); rerender(); }
        catch (e) { banner(e.message, "error"); }
      } }, T.announce) : null),
    conf.announced_at ? h("p", { class: "muted" }, `${T.announced} ${localDateTime(conf.announced_at)}`) : null);

  const editHolder = h("details", {}, h("summary", {}, T.editConference),
    can("edit_conference") ? conferenceForm(conf, rerender) : h("p", { class: "muted" }, T.onlyChairEdits));

  // invitations and check-in. At the door: a search by name without diacritics, and a
  // check-in changes its row in place, so the search and the focus stay where they are.
  const heading = h("h2", { id: "participants-heading" });
  const count = () => { heading.textContent = `${T.participants} (${people.filter((p) => p.checked_in_at).length}/${people.length})`; };
  const personRow = (p) => {
    const mark = h("td", { class: "short" });
    const button = can("check_in") ? h("button", { class: "checkin" }) : null;
    const show = () => {
      put(mark, p.checked_in_at ? h("span", { class: "badge held" }, T.checkedIn) : null);
      if (!button) return;
      button.className = p.checked_in_at ? "checkin" : "primary checkin";
      button.textContent = p.checked_in_at ? T.undoCheckIn : T.checkIn;
      button.setAttribute("aria-label", p.checked_in_at ? T.undoCheckInWho(p.full_name) : T.checkInWho(p.full_name));
    };
    if (button) {
      button.addEventListener("click", async () => {
        try {
          Object.assign(p, await api("POST", `/api/conferences/${id}/participants/${p.id}/check-in`, { checked_in: !p.checked_in_at }));
          show();
          count();
        } catch (e) { banner(e.message, "error"); }
      });
    }
    show();
    return h("tr", { dataset: { key: String(p.id), name: p.full_name } },
      h("td", {}, p.full_name), h("td", { class: "short" }, T.kinds[p.kind]), h("td", {}, p.title), h("td", {}, p.hamlet), mark, h("td", { class: "short" }, button));
  };
  const rows = people.map(personRow);
  count();
  const peopleTable = h("table", { class: "list", id: "participants" }, h("tbody", {}, rows));
  const shown = h("p", { class: "muted", id: "participant-count" });
  const nobody = h("p", { class: "muted", id: "participant-none", hidden: true }, T.nobodyFound);
  const search = h("input", { type: "search", id: "participant-search", name: "participant_search", autocomplete: "off" });
  const filter = () => {
    let n = 0;
    for (const row of rows) {
      const ok = matches(row.dataset.name, search.value);
      row.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = T.shownOf(n, rows.length);
    nobody.hidden = n > 0 || !people.length;
  };
  search.addEventListener("input", filter);
  filter();
  const searchBox = people.length ? h("div", { class: "checkin-search", role: "search" }, field(T.findPerson, search), shown) : null;
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
    h("td", { class: "short" }, `#${p.id}`), h("td", {}, p.raised_by, h("br"), h("small", {}, p.hamlet)),
    h("td", {}, h("span", { class: "badge" }, p.field_name)), h("td", { class: "pre" }, p.content),
    h("td", { class: "short" }, T.competences[p.competence]), h("td", { class: "short" }, T.sources[p.source],
      p.needs_review ? [h("br"), h("span", { class: "badge x-review" }, "Chờ thư ký xem"), " ",
        !can("record_petition") ? null : h("button", { type: "button", class: "secondary x-reviewed", "aria-label": `Đã xem ý kiến của ${p.raised_by}`,
          onclick: async (ev) => {
            try { await api("PATCH", `/api/petitions/${p.id}`, { needs_review: false }); rerender(); }
            catch (e) { ev.target.replaceWith(h("span", { class: "field-error", role: "alert" }, e.message)); }
          } }, "Đã xem")] : null)))));
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

  put(view, head, editHolder,
    heading, searchBox, peopleTable, nobody, can("manage_invitations") ? personForm : null,
    h("h2", {}, `${T.petitions} (${petitions.length})`), petitionList,
    can("record_petition") ? petitionForm : null);
  return () => {};
}
