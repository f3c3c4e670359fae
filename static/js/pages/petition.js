// A petition's file: #/p/<id>. Speaker, content, transcripts, audio, answers.
import { api, can } from "../api.js";
import { T, TS } from "../i18n.js";
import { answerForm } from "../secretary.js";
import { h, localDate, localDateTime, put, reloadPage } from "../ui.js";

export async function mount(view, { id }) {
  const [d, tracking] = await Promise.all([api("GET", `/api/petitions/${id}/detail`),
    api("GET", `/api/petitions/${id}/tracking`)]);
  const p = d.petition;
  // The current handling is the last answer: what it still lacks for the documents.
  const warnings = d.answers.length ? d.answers.at(-1).warnings || [] : [];
  const receipt = (paper, label) => h("a", { class: "button", id: `receipt-${paper}`, target: "_blank", rel: "noopener",
    href: `/api/petitions/${id}/receipt?paper=${paper}` }, label);
  const turns = d.turns.map((t) => {
    const tr = t.transcript;
    const draft = tr.origin === "machine" && !tr.confirmed && tr.text;
    return h("section", { class: "card turn", dataset: { turn: t.id } },
      h("h3", {}, `${t.display_name}${t.hamlet ? ` — ${t.hamlet}` : ""}`, " ",
        draft ? h("span", { class: "badge draft" }, TS.machineDraft) : null),
      t.started_at ? h("p", { class: "muted" }, localDateTime(t.started_at)) : null,
      h("p", { class: "pre transcript" }, tr.text || tr.machine_text || "—"),
      h("div", { class: "audio" }, t.recordings.filter((r) => r.url).length
        ? t.recordings.filter((r) => r.url).map((r) => h("audio", { controls: true, preload: "none", src: r.url }))
        : h("p", { class: "muted" }, `${TS.audio}: ${TS.noAudio}`)));
  });
  const answers = d.answers.map((a) => h("li", { class: "card" },
    h("p", {}, h("strong", {}, a.answered_by), " — ", a.outcome_label,
      a.unit ? ` · ${a.unit}` : "", a.due_date ? ` · ${localDate(a.due_date)}` : ""),
    a.text ? h("p", { class: "pre" }, a.text) : null,
    h("p", { class: "muted" }, localDateTime(a.created_at))));
  put(view,
    h("h1", {}, `${TS.petition} ${p.id}`, " ", h("span", { class: `badge ${p.status}` }, TS.statuses[p.status] || p.status)),
    h("section", { class: "card" },
      h("p", {}, h("strong", {}, `${TS.speaker}: `), d.speaker.name, d.speaker.hamlet ? ` — ${d.speaker.hamlet}` : ""),
      h("p", {}, h("strong", {}, `${T.field}: `), p.field_name),
      h("p", { class: "pre" }, h("strong", {}, `${TS.content}: `), p.content),
      p.conference_id ? h("p", {}, h("a", { href: `#/c/${p.conference_id}/secretary` }, T.secretary)) : null,
      h("p", {}, h("strong", {}, `${TS.trackingCode}: `), h("span", { id: "tracking-code" }, tracking.code)),
      h("div", { class: "actions" }, receipt("a5", TS.receiptA5), receipt("a4", TS.receiptA4))),
    ...warnings.map((w) => h("p", { class: "warning answer-warning", role: "alert" }, w)),
    h("h2", {}, TS.turns), ...(turns.length ? turns : [h("p", { class: "muted" }, "—")]),
    h("h2", {}, TS.answers), answers.length ? h("ul", { class: "plain" }, answers) : h("p", { class: "muted" }, TS.noAnswers),
    ...(can("record_answer") ? [h("details", { class: "card" }, h("summary", {}, TS.answer), answerForm(p.id, null, reloadPage))] : []));
  return () => {};
}
