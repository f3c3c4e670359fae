// The tablet app's entry point: the router (router.js) shows the pages of pages.js; here
// only what belongs to the whole app: logging out and the count of deadlines in the bar.
import { api, logout } from "./api.js";
import { T } from "./i18n.js";
import { navigate, start } from "./router.js";

const F = T.followup;

async function refreshDeadlineCount() {
  const badge = document.getElementById("deadline-count");
  if (!badge || document.getElementById("nav").hidden) return;
  try {
    const c = await api("GET", "/api/deadlines/count");
    badge.hidden = !c.total;
    badge.textContent = c.total;
    badge.className = c.overdue ? "nav-count overdue" : "nav-count";
    badge.title = `${c.overdue} ${F.st.overdue.toLowerCase()}, ${c.due_today} ${F.st.due_today.toLowerCase()}, ${c.due_soon} ${F.st.due_soon.toLowerCase()}`;
  } catch { /* logged out meanwhile, or offline: try again later */ }
}

document.getElementById("logout").addEventListener("click", async () => {
  await logout();
  if ((location.hash || "#/") === "#/") navigate(); else location.hash = "#/";
});
window.addEventListener("doithoai:navigate", refreshDeadlineCount);
// A text cut to fit (class cut, the whole text in its title) is shown whole by a tap: tablets
// have no mouse to hover with.
document.addEventListener("click", (ev) => {
  const cut = ev.target.closest && ev.target.closest(".cut[title]");
  if (cut && !ev.target.closest("a, button, input, select, textarea")) cut.classList.toggle("shown-full");
});
setInterval(refreshDeadlineCount, 60_000);
start();
