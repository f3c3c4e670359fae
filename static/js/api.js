// The JSON API client: session, CSRF token, and errors shown in Vietnamese.

export const session = { user: null, csrf: "", permissions: [], commune: "" };

// What the server serves once for everyone (GET /api/catalogue): the Vietnamese name of every
// input field (a refusal names its fields with them; a form without a label for one uses
// this), of every audit action, and the text limits. Filled in place by loadCatalogue().
export const FIELD_LABELS = {};
export const catalogue = { field_labels: FIELD_LABELS, audit_actions: {}, audit_groups: {}, limits: {} };
let catalogueLoaded = null;

export function loadCatalogue() {
  catalogueLoaded ||= api("GET", "/api/catalogue").then((c) => {
    Object.assign(FIELD_LABELS, c.field_labels || {});
    Object.assign(catalogue, c, { field_labels: FIELD_LABELS });
    return catalogue;
  }).catch((e) => { catalogueLoaded = null; throw e; });
  return catalogueLoaded;
}

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `Lỗi ${status}`);
    this.status = status;
    this.code = err.code || "http_error";
    this.fields = err.fields || [];
    this.details = err;  // e.g. error.current of an edit conflict
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  let resp;
  try {
    resp = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { error: { code: "offline", message: "Không kết nối được máy chủ. Dữ liệu chưa được gửi; hãy thử lại." } });
  }
  const data = resp.headers.get("content-type")?.includes("json") ? await resp.json() : null;
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

export function can(permission) {
  return session.permissions.includes(permission);
}

export async function loadSession() {
  const names = loadCatalogue().catch(() => null); // read again on the next call when it failed
  try {
    const [s] = await Promise.all([api("GET", "/api/session"), names]);
    Object.assign(session, { user: s.user, csrf: s.csrf_token, permissions: s.permissions, commune: s.commune });
    return true;
  } catch (e) {
    if (e.status === 401) return false;
    throw e;
  }
}

export async function login(username, password) {
  const s = await api("POST", "/api/session", { username, password });
  Object.assign(session, { user: s.user, csrf: s.csrf_token, permissions: s.permissions, commune: s.commune });
}

export async function logout() {
  await api("DELETE", "/api/session");
  Object.assign(session, { user: null, csrf: "", permissions: [] });
}
