// Search across conferences, petitions, participants and transcripts: #/search?q=...
import { api } from "../api.js";
import { T, TP } from "../i18n.js";
import { banner, h, put } from "../ui.js";

export async function mount(view, { q }) {
  const input = h("input", { name: "q", type: "search", placeholder: T.search, "aria-label": T.search, value: q ? decodeURIComponent(q) : "", autofocus: true });
  const results = h("div", { id: "results" });
  const run = async () => {
    if (!input.value.trim()) { results.replaceChildren(); return; }
    const hits = await api("GET", `/api/search?q=${encodeURIComponent(input.value)}`);
    results.replaceChildren(hits.length ? h("ul", { class: "hits" }, hits.map((x) => h("li", {},
      h("span", { class: "badge" }, T.kinds_hit[x.kind] || x.kind), " ",
      h("a", { href: x.conference_id ? `#/c/${x.conference_id}` : "#/" }, x.title),
      h("p", { class: "muted pre" }, x.snippet)))) : h("p", { class: "muted" }, T.noResults));
  };
  const form = h("form", { class: "row", role: "search" }, input, h("button", { class: "primary" }, T.searchButton));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run().catch((e) => banner(e.message, "error")); });
  put(view, h("h1", {}, TP.search), form, results);
  if (input.value) await run();
  return () => {};
}
