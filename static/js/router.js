// The router of the tablet app: the path after "#" picks an entry of pages.js; its module is
// mounted into a fresh #view element and unmounted when the user moves on. Also the login
// gate, the navigation bar (who is logged in, links hidden without the permission) and the
// document title. The contract of a page is described in docs/tablet-app.md.
import { can, loadSession, login, session } from "./api.js";
import { pages } from "./pages.js";
import { T, TP } from "./i18n.js";
import { field, formData, h, showErrors } from "./ui.js";

let navigation = 0; // counts navigations: an older one still loading stops where it is
let shown = null; // the mounted page: a promise of its unmount(); null when none is mounted

// Each navigation gets a fresh #view element. A page still loading when the user has
// moved on (slow Wi-Fi) then finishes into its own detached element, never over the page
// that replaced it.
function freshView() {
  const old = document.getElementById("view");
  const el = old.cloneNode(false);
  el.removeAttribute("aria-busy");
  old.replaceWith(el);
  return el;
}

// The previous page closes what it opened (sockets, timers, listeners). A page whose mount
// has not finished yet is closed as soon as it does.
function leave() {
  const previous = shown;
  shown = null;
  if (previous) previous.then((unmount) => { if (typeof unmount === "function") unmount(); });
}

function setTitle(title) { document.title = `${title} — ${TP.app}`; }

function match(path) {
  for (const page of pages) {
    const m = path.match(page.path);
    if (m) return [page, { ...m.groups }];
  }
  return [null, {}];
}

export async function navigate() {
  const n = ++navigation;
  leave();
  const view = freshView();
  const path = location.hash.slice(1) || "/";
  if (!session.user) {
    let known;
    try { known = await loadSession(); } catch (e) { if (n === navigation) showError(view, e); return; }
    if (n !== navigation) return;
    if (!known) { showLogin(view); return; }
  }
  showNav();
  const [page, params] = match(path);
  window.dispatchEvent(new CustomEvent("doithoai:navigate", { detail: { path } }));
  if (!page) {
    setTitle(TP.notFound);
    view.replaceChildren(h("h1", {}, TP.notFound), h("a", { href: "#/" }, TP.backToPlan));
    return;
  }
  setTitle(page.title);
  view.setAttribute("aria-busy", "true");
  view.replaceChildren(h("p", { class: "muted" }, TP.loading));
  const mounting = page.module().then((mod) => (n === navigation ? mod.mount(view, params) : null));
  shown = mounting.catch(() => null);
  try {
    await mounting;
  } catch (e) {
    if (n === navigation) showError(view, e);
  } finally {
    view.removeAttribute("aria-busy");
  }
}

function showError(view, e) {
  view.replaceChildren(h("p", { class: "form-error", role: "alert" }, e.message));
}

function showNav() {
  document.getElementById("nav").hidden = false;
  const who = document.getElementById("who");
  who.textContent = `${session.user.full_name} · ${T.roles[session.user.role] || session.user.role}`;
  who.title = who.textContent;
  document.querySelectorAll("[data-perm]").forEach((a) => { a.hidden = !can(a.dataset.perm); });
}

function showLogin(view) {
  document.getElementById("nav").hidden = true;
  setTitle(TP.login);
  const form = h("form", { class: "card narrow", id: "login-form" },
    h("h1", {}, T.login),
    field(T.username, h("input", { name: "username", autocomplete: "username", required: true, autocapitalize: "none" })),
    field(T.password, h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit", class: "primary" }, T.login));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const d = formData(form);
      await login(d.username, d.password);
      navigate();
    } catch (e) { showErrors(form, e); }
  });
  view.replaceChildren(form);
}

export function start() {
  window.addEventListener("hashchange", navigate); // reloadPage() in ui.js dispatches one too
  navigate();
}
