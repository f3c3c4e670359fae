// The form of a conference's details: a new one on the yearly plan, an edit on its record.
import { api } from "./api.js";
import { T } from "./i18n.js";
import { banner, clearErrors, field, formData, h, select, showErrors, toLocalInput } from "./ui.js";

export function conferenceForm(conf, onSaved) {
  const c = conf || { format: "in_person" };
  const form = h("form", { class: "card grid", id: "conference-form" },
    field(T.title, h("input", { name: "title", value: c.title || "", required: true, maxlength: 300 })),
    field(T.startsAt, h("input", { name: "starts_at", type: "datetime-local", value: toLocalInput(c.starts_at), required: true })),
    field(T.endsAt, h("input", { name: "ends_at", type: "datetime-local", value: toLocalInput(c.ends_at), dataset: { optional: "" } })),
    field(T.venue, h("input", { name: "venue", value: c.venue || "", required: true })),
    field(T.format, select("format", T.formats, c.format)),
    field(T.onlineUrl, h("input", { name: "online_url", value: c.online_url || "" })),
    field(T.chair, h("input", { name: "chair_name", value: c.chair_name || "" })),
    field(T.front, h("input", { name: "front_name", value: c.front_name || "" })),
    field(T.council, h("input", { name: "council_name", value: c.council_name || "" })),
    field(T.content, h("textarea", { name: "content", rows: 3 }, c.content || "")),
    field(T.purpose, h("textarea", { name: "purpose", rows: 2 }, c.purpose || "")),
    field(T.howToAttend, h("textarea", { name: "how_to_attend", rows: 2 }, c.how_to_attend || "")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, T.save)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const saved = conf ? await api("PATCH", `/api/conferences/${conf.id}`, formData(form))
        : await api("POST", "/api/conferences", formData(form));
      banner(T.saved);
      onSaved(saved);
    } catch (e) { showErrors(form, e); }
  });
  return form;
}
