// Sign in with email and password. The session goes to sessionStorage (see api.js).

import { signIn, currentUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, notice, card, announce } from "../js/dom.js";

export async function render(main, { query, go }) {
  const next = query.get("next") || "#/marketplace";
  const message = query.get("message");
  const form = h("form", { class: "narrow", "aria-label": "Sign in" },
    field({ label: "Email", name: "email", type: "email", required: true, value: query.get("email") || "", attrs: { autocomplete: "email" } }),
    field({ label: "Password", name: "password", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Sign in")));
  onSubmit(form, async ({ email, password }) => {
    const user = await signIn(email.trim(), password);
    announce(`Signed in as ${user.email || user.account}.`);
    go(next.startsWith("#/") ? next : "#/marketplace");
  });
  const who = currentUser();
  main.append(
    pageHead("Sign in", "Use the email and password you signed up with."),
    message ? notice(message, "ok") : null,
    who ? notice(`You are already signed in as ${who.email || who.account}. Signing in again replaces that session.`) : null,
    card(form, h("p", {}, "No account yet? ", h("a", { href: "#/signup" }, "Sign up"), ".")));
}
