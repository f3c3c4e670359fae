// Every page of the tablet app. The router shows the first entry whose `path` matches the
// part of the address after "#"; the named groups of the pattern are the page's params.
// `module` loads the page: an ES module exporting mount(view, params) that returns its
// unmount() (see docs/tablet-app.md). A page module never imports the router or main.js.
import { TP } from "./i18n.js";

// The titles of the conference-day screens (the queue's rules, the conference's status,
// accounts, the audit log).
const TITLES = { settings: "Quy tắc phát biểu", status: "Tình trạng hội nghị", account: "Tài khoản của tôi",
  accounts: "Tài khoản", audit: "Nhật ký thao tác" };

export const pages = [
  { path: /^\/(?:plan\/(?<year>\d{4}))?$/, title: TP.plan, module: () => import("./pages/plan.js") },
  { path: /^\/search(?:\?q=(?<q>.*))?$/, title: TP.search, module: () => import("./pages/search.js") },
  { path: /^\/admin$/, title: TP.admin, module: () => import("./pages/admin.js") },
  { path: /^\/broadcast$/, title: TP.broadcast, module: () => import("./broadcast.js") },
  { path: /^\/c\/(?<id>\d+)$/, title: TP.conference, module: () => import("./pages/conference.js") },
  { path: /^\/c\/(?<id>\d+)\/queue$/, title: TP.queue, module: () => import("./queue.js") },
  { path: /^\/c\/(?<id>\d+)\/secretary$/, title: TP.secretary, module: () => import("./secretary.js") },
  { path: /^\/c\/(?<id>\d+)\/followup$/, title: TP.followup, module: () => import("./followup.js") },
  { path: /^\/p\/(?<id>\d+)$/, title: TP.petition, module: () => import("./pages/petition.js") },
  { path: /^\/deadlines(?:\/(?<all>all))?$/, title: TP.deadlines, module: () => import("./pages/deadlines.js") },
  { path: /^\/overview(?:\/(?<year>\d{4}))?$/, title: TP.overview, module: () => import("./pages/overview.js") },
  { path: /^\/calendar(?:\/(?<year>\d{4}))?$/, title: TP.calendar, module: () => import("./pages/calendar.js") },
  { path: /^\/c\/(?<id>\d+)\/settings$/, title: TITLES.settings, module: () => import("./pages/settings.js") },
  { path: /^\/c\/(?<id>\d+)\/status$/, title: TITLES.status, module: () => import("./pages/conference-status.js") },
  { path: /^\/account$/, title: TITLES.account, module: () => import("./pages/account.js") },
  { path: /^\/accounts$/, title: TITLES.accounts, module: () => import("./pages/accounts.js") },
  { path: /^\/audit(?:\?(?<q>.*))?$/, title: TITLES.audit, module: () => import("./pages/audit.js") },
];
