// The signed-in user's account: address, balance, a transfer form and the public profile.

import { api, currentUser, updateStoredUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, card, facts, section, signInPrompt, announce, link, time } from "../js/dom.js";
import { formatDML, parseDML } from "../js/format.js";

export async function render(main, { go }) {
  main.append(pageHead("Your account"));
  if (!currentUser()) { main.append(signInPrompt("to see your account.")); return; }
  const [user, account] = await Promise.all([api.get("/v1/users/me"), api.get(`/v1/ledger/accounts/${currentUser().account}`)]);
  updateStoredUser(user);

  const transfer = h("form", { "aria-label": "Transfer DML" },
    field({ label: "Recipient address", name: "to", required: true, hint: "A dml1… address.", attrs: { spellcheck: "false", autocomplete: "off" } }),
    field({ label: "Amount (DML)", name: "amount", required: true, attrs: { inputmode: "decimal" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Transfer")));
  onSubmit(transfer, async ({ to, amount }) => {
    const receipt = await api.post("/v1/ledger/transfers", { to: to.trim(), amount: parseDML(amount) });
    announce(`Transferred in block ${receipt.height}.`);
    go("#/account");
  });

  const profile = h("form", { "aria-label": "Profile" },
    field({ label: "Display name", name: "displayName", value: user.profile.displayName, attrs: { maxlength: "80" } }),
    field({ label: "Bio", name: "bio", type: "textarea", value: user.profile.bio, attrs: { maxlength: "2000" } }),
    field({ label: "Country", name: "country", value: user.profile.country || "", hint: "Two letters (ISO 3166-1), for example DE; empty clears it.", attrs: { maxlength: "2" } }),
    field({ label: "Website", name: "website", type: "url", value: user.profile.website }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Save profile")));
  onSubmit(profile, async (values) => {
    const updated = await api.patch("/v1/users/me", { ...values, country: values.country.trim().toUpperCase() });
    updateStoredUser(updated);
    announce("Profile saved.");
    go("#/account");
  });

  main.append(
    card(facts([
      ["Email", user.email ? `${user.email}${user.emailConfirmed ? "" : " (not confirmed)"}` : "—"],
      ["Account", link(`#/ledger/accounts/${user.account}`, user.account, { class: "mono" })],
      ["Keys", user.custodial ? "Kept by the server, which signs your transactions" : "Self-custody: you sign your own transactions"],
      ["Balance", formatDML(account.free)],
      ["Held", formatDML(account.held)],
      ["Member since", time(user.createdAtMilliseconds)],
    ])),
    h("div", { class: "grid" },
      section("Transfer DML", card(user.custodial ? transfer : h("p", {}, "Self-custody accounts sign transfers themselves."))),
      section("Profile", card(profile))));
}
