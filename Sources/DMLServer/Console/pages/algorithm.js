// One algorithm: its listing, versions, and what the viewer may do with it — buy it (the price
// is escrowed for the creator), download it (creator and buyers), and for its creator put it
// on or off sale and withdraw the proceeds.

import { api, currentUser, download } from "../js/api.js";
import { h, pageHead, card, facts, section, table, badge, link, actionButton, signInPrompt, announce, notice } from "../js/dom.js";
import { formatDML, compareAmounts, shortAddress } from "../js/format.js";

export async function render(main, { params, go }) {
  const algorithm = await api.get(`/v1/algorithms/${encodeURIComponent(params.id)}`);
  const user = currentUser();
  const isCreator = user?.account === algorithm.creator;
  const reload = (message) => { announce(message); go(`#/marketplace/${algorithm.id}`); };

  const actions = [];
  if (!user) {
    actions.push(signInPrompt("to buy or download this algorithm."));
  } else {
    if (!isCreator && !algorithm.viewerMayDownload && algorithm.status === "active") {
      // maxPrice is the price shown: if the creator raises it meanwhile, the ledger refuses.
      actions.push(actionButton(`Buy for ${formatDML(algorithm.price)}`, async () => {
        await api.post(`/v1/algorithms/${algorithm.id}/purchase`, { maxPrice: algorithm.price });
        reload("Bought. You may now download it.");
      }));
    }
    if (algorithm.viewerMayDownload) {
      actions.push(actionButton("Download the artifact", () => download(`/v1/algorithms/${algorithm.id}/artifact`, `algorithm-${algorithm.id}-v${algorithm.version}.bin`), { className: "secondary" }));
    }
    if (isCreator) {
      if (algorithm.status === "active") actions.push(actionButton("Take off sale", async () => { await api.post(`/v1/algorithms/${algorithm.id}/deactivate`); reload("Taken off sale."); }, { className: "secondary" }));
      if (algorithm.status === "inactive") actions.push(actionButton("Put back on sale", async () => { await api.post(`/v1/algorithms/${algorithm.id}/activate`); reload("Back on sale."); }));
      if (compareAmounts(algorithm.proceeds, "0") > 0) actions.push(actionButton(`Withdraw ${formatDML(algorithm.proceeds)}`, async () => { await api.post(`/v1/algorithms/${algorithm.id}/withdraw`); reload("Proceeds withdrawn."); }));
    }
    if (algorithm.status === "pending_review") {
      actions.push(h("p", { class: "hint" }, "Waiting for a moderator's review. Moderators:"),
        actionButton("Approve", async () => { await api.post(`/v1/algorithms/${algorithm.id}/review`, { decision: "approve" }); reload("Approved."); }, { className: "secondary" }));
    }
    if (actions.length === 0) actions.push(h("p", {}, "Nothing to do here for you."));
  }

  main.append(
    pageHead(algorithm.title, null, link("#/marketplace", "Back to the marketplace")),
    h("div", { class: "grid" },
      card(facts([
        ["Status", badge(algorithm.status)],
        ["Price", formatDML(algorithm.price)],
        ["Device fee", formatDML(algorithm.deviceFee)],
        ["Creator", link(`#/ledger/accounts/${algorithm.creator}`, isCreator ? "You" : shortAddress(algorithm.creator), { title: algorithm.creator })],
        ["Tags", algorithm.tags.length ? algorithm.tags.map((t) => h("a", { class: "tag", href: `#/marketplace?tags=${encodeURIComponent(t)}` }, t)) : "—"],
        ["Version", String(algorithm.version)],
        ["Artifact", h("span", { class: "mono" }, algorithm.artifact)],
        ["Purchases", String(algorithm.purchases)],
        ["Downloads", String(algorithm.downloads)],
        ["Proceeds not withdrawn", isCreator ? formatDML(algorithm.proceeds) : undefined],
      ])),
      section("What you can do", card(actions))),
    section("Description", card(algorithm.description ? h("p", { class: "prose" }, algorithm.description) : h("p", { class: "empty" }, "No description."),
      algorithm.dataRequired ? [h("h3", {}, "Data required"), h("p", { class: "prose" }, algorithm.dataRequired)] : null)),
    section("Versions", table([
      { label: "Version", num: true, value: (v) => String(v.version) },
      { label: "Artifact", value: (v) => h("span", { class: "mono" }, v.artifact) },
      { label: "Block", num: true, value: (v) => link(`#/ledger/blocks/${v.height}`, String(v.height)) },
    ], [...algorithm.versions].reverse(), { caption: "Newest first", emptyText: "No versions recorded." })),
    algorithm.status !== "active" && !isCreator ? notice("This algorithm is not on sale right now.") : null);
}
