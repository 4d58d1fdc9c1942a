// The JSON API client. The console is served by the API server itself, so every call is
// same-origin (/v1/…). The session (access and refresh token) lives in sessionStorage: it
// survives reloads of the tab but not closing it, and no other tab sees it.
// Custodial users never see a private key: the server signs their transactions.

const SESSION_KEY = "dml.session";
const listeners = new Set();

// An API error: `status` is the HTTP status (0 when the server could not be reached),
// `code` and `message` are the server's own ({code, message, details}).
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `The server answered ${status}`);
    this.status = status;
    this.code = body?.code || "http." + status;
    this.details = body?.details || {};
  }
}

export function getSession() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY)); } catch { return null; }
}

export function setSession(session) {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
  for (const listener of listeners) listener(session);
}

export function onSessionChange(listener) { listeners.add(listener); return () => listeners.delete(listener); }

export function currentUser() { return getSession()?.user ?? null; }

// Keeps what the console needs from a session reply.
function keep(reply) {
  return { accessToken: reply.accessToken, refreshToken: reply.refreshToken, user: reply.user };
}

// Refresh tokens work once, so concurrent 401s must share one refresh, not race two.
let refreshing = null;
async function refreshSession() {
  const session = getSession();
  if (!session?.refreshToken) return false;
  refreshing ??= (async () => {
    try {
      const reply = await send("POST", "/v1/users/refresh", { body: { refreshToken: session.refreshToken }, auth: false });
      setSession(keep(reply));
      return true;
    } catch {
      setSession(null); // the refresh token is spent or expired: sign in again
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function send(method, path, { body, auth = true, raw = false, signal, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal };
  const token = auth ? getSession()?.accessToken : null;
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    init.body = body;
    init.headers["Content-Type"] ??= "application/octet-stream";
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { code: "network", message: "The server could not be reached. Is `dml serve` running?" });
  }
  if (!response.ok) {
    let payload = null;
    try { payload = await response.json(); } catch { /* not JSON: keep the status */ }
    const error = new ApiError(response.status, payload);
    error.hadToken = Boolean(token);
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

// One API call. A 401 with a token refreshes the session once and retries; a second 401
// (or a failed refresh) signs the user out and reaches the caller.
export async function request(method, path, options = {}) {
  try {
    return await send(method, path, options);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && error.hadToken && options.auth !== false) {
      if (await refreshSession()) return send(method, path, options);
    }
    throw error;
  }
}

export const api = {
  get: (path, options) => request("GET", path, options),
  post: (path, body, options = {}) => request("POST", path, { ...options, body }),
  patch: (path, body, options = {}) => request("PATCH", path, { ...options, body }),
};

// "?a=1&b=x" from an object, leaving out empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

export async function signIn(email, password) {
  const reply = await api.post("/v1/users/login", { email, password }, { auth: false });
  setSession(keep(reply));
  return reply.user;
}

export function signOut() { setSession(null); }

// Replaces the stored user after a change (profile edit), keeping the tokens.
export function updateStoredUser(user) {
  const session = getSession();
  if (session) setSession({ ...session, user });
}

// Downloads an authenticated resource (report, artifact) as a file: a plain link would not
// carry the Bearer token.
export async function download(path, filename) {
  const response = await request("GET", path, { raw: true, headers: { Accept: "*/*" } });
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
