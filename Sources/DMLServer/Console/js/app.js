// The console's entry point: a hash router (#/bounties/12?sort=prize), the session area of
// the header, and focus management on route changes. Each page is its own module, loaded on
// first use with import(); a page exports render(main, ctx) and may return a cleanup function
// (the ledger page closes its live event stream with it).

import { api, currentUser, onSessionChange, signOut, ApiError } from "./api.js";
import { h, append, replace, loading, notice, announce } from "./dom.js";
import { formatDML } from "./format.js";

// [pattern, module, export]. ":name" segments become ctx.params.name.
const ROUTES = [
  ["/signin", "../pages/signin.js", "render"],
  ["/signup", "../pages/signup.js", "render"],
  ["/confirm", "../pages/signup.js", "renderConfirm"],
  ["/account", "../pages/account.js", "render"],
  ["/marketplace", "../pages/marketplace.js", "render"],
  ["/marketplace/new", "../pages/marketplace.js", "renderPublish"],
  ["/marketplace/:id", "../pages/algorithm.js", "render"],
  ["/bounties", "../pages/bounties.js", "render"],
  ["/bounties/new", "../pages/bounty-new.js", "render"],
  ["/bounties/:id", "../pages/bounty.js", "render"],
  ["/tasks", "../pages/tasks.js", "render"],
  ["/tasks/new", "../pages/task-new.js", "render"],
  ["/tasks/:id", "../pages/task.js", "render"],
  ["/jobs", "../pages/jobs.js", "render"],
  ["/jobs/new", "../pages/jobs.js", "renderCreate"],
  ["/jobs/:id", "../pages/job.js", "render"],
  ["/federated/:id", "../pages/federated.js", "render"],
  ["/storage", "../pages/storage.js", "render"],
  ["/storage/clusters/:id", "../pages/storage-detail.js", "renderCluster"],
  ["/storage/buckets/:id", "../pages/storage-detail.js", "renderBucket"],
  ["/ledger", "../pages/ledger.js", "render"],
  ["/ledger/blocks/:height", "../pages/ledger-detail.js", "renderBlock"],
  ["/ledger/transactions/:hash", "../pages/ledger-detail.js", "renderTransaction"],
  ["/ledger/accounts/:address", "../pages/ledger-detail.js", "renderAccount"],
];
const DEFAULT_ROUTE = "#/marketplace";
const SECTION_OF = { federated: "jobs" };

const main = document.getElementById("main");
let cleanup = null;
let renderCount = 0;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path: path.replace(/\/+$/, "") || "/", query: new URLSearchParams(search) };
}

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, module, name] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(":") ? ((params[w.slice(1)] = decodeURIComponent(parts[i])), true) : w === parts[i]))) {
      return { module, name, params };
    }
  }
  return null;
}

export function go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

async function route() {
  // Only "#/…" is a route; other fragments (the skip link's "#main") are in-page anchors.
  if (location.hash && !location.hash.startsWith("#/")) return;
  const { path, query } = parseHash();
  if (path === "/") { location.replace(DEFAULT_ROUTE); return; }
  const token = ++renderCount;
  const firstRender = token === 1;
  if (cleanup) { try { cleanup(); } catch { /* a page's cleanup must not block the next page */ } cleanup = null; }
  highlightNav(path);
  replace(main, loading());
  const found = match(path);
  if (!found) {
    replace(main, h("h1", { tabindex: "-1" }, "Page not found"), notice(`There is no page at #${path}.`, "bad"), h("p", {}, h("a", { href: DEFAULT_ROUTE }, "Go to the marketplace")));
    finish(firstRender);
    return;
  }
  try {
    const page = await import(found.module);
    // The user may have moved on while this page loaded: render into a detached element and
    // only swap it in if this is still the current route.
    const target = h("div");
    // Pages pass optional parts as null; the native append would print them as "null".
    target.append = (...children) => append(target, children);
    const result = await page[found.name](target, { params: found.params, query, path, go, user: currentUser() });
    if (token !== renderCount) { if (typeof result === "function") result(); return; }
    cleanup = typeof result === "function" ? result : null;
    main.replaceChildren(...target.childNodes);
  } catch (error) {
    if (token !== renderCount) return;
    // A refusal of the API is the page's message; anything else is a bug in the page, logged
    // as an error so the browser test fails on it.
    if (!(error instanceof ApiError)) console.error("page failed", error);
    replace(main, h("h1", { tabindex: "-1" }, error.status === 404 ? "Not found" : "Something went wrong"),
      notice(error instanceof ApiError ? error.message : `The page could not be shown: ${error.message}`, "bad"),
      h("p", {}, h("button", { type: "button", onclick: () => route() }, "Try again")));
  }
  finish(firstRender);
}

// After a route change, move focus to the new page's heading so keyboard and screen-reader
// users start at the top of the new content (not on the link they just followed).
function finish(firstRender) {
  const heading = main.querySelector("h1");
  document.title = (heading ? heading.textContent + " — " : "") + "DML console";
  if (!firstRender) {
    (heading || main).focus({ preventScroll: false });
    window.scrollTo(0, 0);
  }
  refreshBalance();
}

function highlightNav(path) {
  const first = path.split("/")[1] || "";
  const section = SECTION_OF[first] || first;
  for (const a of document.querySelectorAll(".nav-list a")) {
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// The header's session area: who is signed in, their balance, sign out.
const sessionArea = document.getElementById("session-area");
const balance = h("span", { class: "balance" });

function renderSession() {
  const user = currentUser();
  if (!user) {
    replace(sessionArea, h("a", { href: "#/signin" }, "Sign in"), h("a", { href: "#/signup" }, "Sign up"));
    return;
  }
  const name = user.profile?.displayName || user.email || "Your account";
  replace(sessionArea,
    h("a", { href: "#/account", title: user.account }, name),
    balance,
    h("button", { type: "button", class: "secondary", onclick: () => { signOut(); announce("You are signed out."); go("#/signin"); } }, "Sign out"));
  refreshBalance();
}

async function refreshBalance() {
  const user = currentUser();
  if (!user) return;
  try {
    const account = await api.get(`/v1/ledger/accounts/${user.account}`);
    balance.textContent = `Balance: ${formatDML(account.free)}`;
  } catch {
    balance.textContent = "";
  }
}

// The skip link moves focus to the content without touching the route.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

onSessionChange(renderSession);
window.addEventListener("hashchange", route);
renderSession();
route();
