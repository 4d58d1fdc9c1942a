// Sign up with email and password. The server keeps the new user's key and signs for them
// (a custodial account), so the console never handles a private key. Development chains send
// no email and return the confirmation token in the reply: the console then confirms at once
// and says so. Also the #/confirm?token=… page an emailed link would open.

import { api } from "../js/api.js";
import { h, pageHead, field, onSubmit, card, notice, announce, loading, replace } from "../js/dom.js";

export async function render(main, { go }) {
  const form = h("form", { class: "narrow", "aria-label": "Sign up" },
    field({ label: "Email", name: "email", type: "email", required: true, attrs: { autocomplete: "email" } }),
    field({ label: "Password", name: "password", type: "password", required: true, hint: "8 to 72 bytes.", attrs: { autocomplete: "new-password", minlength: "8" } }),
    field({ label: "Display name (optional)", name: "displayName", attrs: { maxlength: "80", autocomplete: "nickname" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Create account")));
  onSubmit(form, async ({ email, password, displayName }) => {
    const body = { email: email.trim(), password };
    if (displayName.trim()) body.profile = { displayName: displayName.trim() };
    const reply = await api.post("/v1/users", body, { auth: false });
    let message;
    if (reply.confirmationToken) {
      await api.post("/v1/users/confirm", { token: reply.confirmationToken }, { auth: false });
      message = "Account created. This is a development chain, which sends no email, so the console confirmed your email automatically. Sign in now.";
    } else {
      message = "Account created. Open the confirmation link we emailed you, then sign in.";
    }
    announce(message);
    go(`#/signin?email=${encodeURIComponent(body.email)}&message=${encodeURIComponent(message)}`);
  });
  main.append(
    pageHead("Sign up", "Create an account to buy algorithms, post bounties and tasks, and rent storage."),
    card(form,
      h("p", { class: "hint" }, "The server keeps your account's key and signs your transactions for you. New accounts start with no DML."),
      h("p", {}, "Already have an account? ", h("a", { href: "#/signin" }, "Sign in"), ".")));
}

export async function renderConfirm(main, { query }) {
  const status = h("div", {}, loading("Confirming your email…"));
  main.append(pageHead("Confirm your email"), status);
  const token = query.get("token");
  if (!token) { replace(status, notice("This link has no confirmation token.", "bad")); return; }
  try {
    const user = await api.post("/v1/users/confirm", { token }, { auth: false });
    replace(status, notice(`Your email ${user.email || ""} is confirmed.`, "ok"),
      h("p", {}, h("a", { href: `#/signin?email=${encodeURIComponent(user.email || "")}` }, "Sign in")));
  } catch (error) {
    replace(status, notice(error.message, "bad"));
  }
}
