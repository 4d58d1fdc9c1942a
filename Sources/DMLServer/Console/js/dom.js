// Small DOM helpers: element building, labelled form fields, tables, status messages.
// Text is always set with textContent (never innerHTML), so API data cannot inject markup.

import { formatDate, humanize } from "./format.js";

let nextId = 0;
export function uid(prefix = "id") { nextId += 1; return `${prefix}-${nextId}`; }

// h("a", {href: "#/x", class: "y", onclick: fn}, "text", child, [more]) → element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  append(el, children);
  return el;
}

// Appends children, flattening arrays and skipping null/undefined/false (optional parts).
export function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Polite status for screen readers (route changes, successful writes).
export function announce(message) {
  const region = document.getElementById("status");
  region.textContent = "";
  // A fresh text node after clearing makes screen readers read a repeated message again.
  setTimeout(() => { region.textContent = message; }, 50);
}

// A page heading with optional actions (links, buttons) beside it. The h1 is focusable so the
// router can move focus to it after a route change.
export function pageHead(title, lede, ...actions) {
  return h("div", { class: "page-head" },
    h("div", {}, h("h1", { tabindex: "-1" }, title), lede ? h("p", { class: "lede" }, lede) : null),
    actions.length ? h("div", { class: "actions" }, actions) : null);
}

export function section(title, ...children) {
  const id = uid("section");
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), children);
}

export function card(...children) { return h("div", { class: "card" }, children); }

export function notice(text, kind = "") { return h("p", { class: `notice ${kind}` }, text); }
export function empty(text) { return h("p", { class: "empty" }, text); }
export function loading(text = "Loading…") { return h("p", { class: "loading", role: "status" }, text); }

export function badge(status) { return h("span", { class: `badge ${status}` }, humanize(status)); }

export function time(ms) {
  if (ms === undefined || ms === null) return "—";
  return h("time", { datetime: new Date(Number(ms)).toISOString() }, formatDate(ms));
}

export function link(href, text, attrs = {}) { return h("a", { href, ...attrs }, text); }

// A labelled form control. spec: {label, name, type, value, required, hint, options, rows,
// checked, attrs}. `options` ([[value, label], …]) makes a <select>, type "textarea" a textarea.
export function field(spec) {
  const id = uid(spec.name || "field");
  const hintId = spec.hint ? id + "-hint" : null;
  const common = { id, name: spec.name, required: spec.required, "aria-describedby": hintId, ...(spec.attrs || {}) };
  let control;
  if (spec.options) {
    control = h("select", common, spec.options.map(([value, label]) =>
      h("option", { value, selected: String(value) === String(spec.value ?? "") }, label)));
  } else if (spec.type === "textarea") {
    control = h("textarea", { ...common, rows: spec.rows || 4 });
    control.value = spec.value ?? "";
  } else if (spec.type === "checkbox") {
    control = h("input", { ...common, type: "checkbox", checked: spec.checked });
    return h("div", { class: "field inline" }, control, h("label", { for: id }, spec.label),
      hintId ? h("span", { id: hintId, class: "hint" }, spec.hint) : null);
  } else {
    control = h("input", { ...common, type: spec.type || "text" });
    if (spec.value !== undefined && spec.value !== null) control.value = spec.value;
  }
  return h("div", { class: "field" }, h("label", { for: id }, spec.label), control,
    hintId ? h("span", { id: hintId, class: "hint" }, spec.hint) : null);
}

// The element that shows a form's error (the API's message) right next to the form.
export function errorSlot() { return h("p", { class: "form-error", role: "alert" }); }

// Wires a form's submit to an async handler: disables its buttons while it runs, shows any
// error's message in the form's error slot, and hands the handler the form's values.
export function onSubmit(form, handler) {
  let slot = form.querySelector(".form-error");
  if (!slot) { slot = errorSlot(); form.append(slot); }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    slot.textContent = "";
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    try {
      await handler(values(form), form);
    } catch (error) {
      if (error.name !== "AbortError") slot.textContent = error.message || String(error);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}

// A form's values by name; checkboxes give booleans.
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    out[el.name] = el.type === "checkbox" ? el.checked : el.value;
  }
  return out;
}

// A button running an async action, with its own error slot. Returns a wrapper element.
export function actionButton(label, action, { className = "", confirmText = null } = {}) {
  const slot = h("span", { class: "form-error", role: "alert" });
  const button = h("button", { type: "button", class: className }, label);
  button.addEventListener("click", async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    slot.textContent = "";
    button.disabled = true;
    try { await action(); } catch (error) { slot.textContent = error.message || String(error); } finally { button.disabled = false; }
  });
  return h("span", { class: "form-actions" }, button, slot);
}

// A table with a caption and column headers. columns: [{label, value(row) → node|text, num}].
export function table(columns, rows, { caption, emptyText = "Nothing here yet." } = {}) {
  if (!rows || rows.length === 0) return empty(emptyText);
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c, i) => {
        const content = c.value(row);
        // The first column names the row for screen readers.
        return i === 0 ? h("th", { scope: "row", class: c.num ? "num" : null }, content)
          : h("td", { class: c.num ? "num" : null }, content);
      }))))));
}

// Key/value pairs as a description list; pairs with an undefined value are left out.
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

// "Showing 21–40 of 75" with Previous/Next links that keep the other query values.
export function pager({ total, limit, offset }, hrefFor) {
  if (total <= limit && offset === 0) return null;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return h("nav", { class: "pager", "aria-label": "Pages" },
    offset > 0 ? link(hrefFor(Math.max(0, offset - limit)), "Previous page") : null,
    h("span", {}, `Showing ${first}–${last} of ${total}`),
    last < total ? link(hrefFor(offset + limit), "Next page") : null);
}

export function replace(el, ...children) { el.replaceChildren(); append(el, children); return el; }

// "Sign in to …" with a link that comes back to this page afterwards.
export function signInPrompt(purpose) {
  const next = encodeURIComponent(location.hash || "#/marketplace");
  return h("p", { class: "notice" }, h("a", { href: `#/signin?next=${next}` }, "Sign in"), ` ${purpose}`);
}
