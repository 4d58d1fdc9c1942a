// Ledger details: one block, one transaction, one account (balance, and what it owns on the
// marketplace, bounties and storage).

import { api, query, currentUser } from "../js/api.js";
import { h, pageHead, card, facts, section, table, link, time, badge, notice } from "../js/dom.js";
import { formatDML, shortAddress, shortHash } from "../js/format.js";

const accountLink = (address) => link(`#/ledger/accounts/${address}`, shortAddress(address), { title: address });

export async function renderBlock(main, { params }) {
  const height = Number(params.height);
  const [block, ready] = await Promise.all([api.get(`/v1/ledger/blocks/${encodeURIComponent(params.height)}`), api.get("/ready")]);
  main.append(
    pageHead(`Block ${block.height}`, null, link("#/ledger", "Ledger explorer")),
    h("nav", { class: "pager", "aria-label": "Neighbouring blocks" },
      height > 0 ? link(`#/ledger/blocks/${height - 1}`, `Previous block (${height - 1})`) : null,
      height < ready.head ? link(`#/ledger/blocks/${height + 1}`, `Next block (${height + 1})`) : null),
    card(facts([
      ["Time", time(block.timestampMilliseconds)],
      ["Hash", h("span", { class: "mono" }, block.hash)],
      ["Previous hash", h("span", { class: "mono" }, block.previousHash)],
      ["State root", h("span", { class: "mono" }, block.stateRoot)],
    ])),
    section("Transactions", table([
      { label: "Hash", value: (t) => link(`#/ledger/transactions/${t.hash}`, shortHash(t.hash), { title: t.hash }) },
      { label: "Signer", value: (t) => accountLink(t.signer) },
      { label: "Nonce", num: true, value: (t) => String(t.nonce) },
      { label: "Module", value: (t) => t.module },
      { label: "Call", value: (t) => h("span", { class: "mono" }, t.call) },
    ], block.transactions, { emptyText: block.height === 0 ? "The genesis block has no transactions." : "No transactions." })),
    section("Events", table([
      { label: "Module", value: (e) => e.module },
      { label: "Event", value: (e) => e.name },
      { label: "Details", value: (e) => h("span", { class: "mono" }, e.text) },
    ], block.events, { emptyText: "No events." })));
}

export async function renderTransaction(main, { params }) {
  const tx = await api.get(`/v1/ledger/transactions/${encodeURIComponent(params.hash)}`);
  // The events of this transaction: those of its block with its index.
  const events = (await api.get("/v1/ledger/events" + query({ after: tx.height - 1, limit: 1000 })))
    .filter((e) => e.height === tx.height && e.transaction === tx.index);
  main.append(
    pageHead("Transaction", null, link("#/ledger", "Ledger explorer")),
    card(facts([
      ["Hash", h("span", { class: "mono" }, tx.hash)],
      ["Block", link(`#/ledger/blocks/${tx.height}`, String(tx.height))],
      ["Position in block", String(tx.index)],
      ["Signer", link(`#/ledger/accounts/${tx.signer}`, tx.signer, { class: "mono" })],
      ["Module", tx.module],
      ["Call", tx.call],
    ])),
    section("What it did", table([
      { label: "Module", value: (e) => e.module },
      { label: "Event", value: (e) => e.name },
      { label: "Details", value: (e) => h("span", { class: "mono" }, e.text) },
    ], events, { emptyText: "No events recorded for it." })));
}

export async function renderAccount(main, { params }) {
  const address = params.address;
  const [account, bounties, algorithms, buckets] = await Promise.all([
    api.get(`/v1/ledger/accounts/${encodeURIComponent(address)}`),
    api.get("/v1/bounties" + query({ owner: address, limit: 20 })),
    api.get("/v1/algorithms" + query({ creator: address, status: "any", limit: 20 })),
    api.get("/v1/storage/buckets" + query({ owner: address, limit: 20 })),
  ]);
  const isYou = currentUser()?.account === address;
  main.append(
    pageHead(isYou ? "Your ledger account" : "Account", null, link("#/ledger", "Ledger explorer")),
    card(facts([
      ["Address", h("span", { class: "mono" }, address)],
      ["Free balance", formatDML(account.free)],
      ["Held", formatDML(account.held)],
      ["Transactions sent", String(account.nextNonce)],
    ])),
    account.free === "0" && account.held === "0" && account.nextNonce === 0 ? notice("This account has no money and has sent nothing yet.") : null,
    section("Bounties it posted", table([
      { label: "Bounty", value: (b) => link(`#/bounties/${b.id}`, b.title) },
      { label: "Status", value: (b) => badge(b.status) },
      { label: "Prize pool", num: true, value: (b) => formatDML(b.prizePool) },
    ], bounties.items, { emptyText: "None." })),
    section("Algorithms it created", table([
      { label: "Algorithm", value: (a) => link(`#/marketplace/${a.id}`, a.title) },
      { label: "Status", value: (a) => badge(a.status) },
      { label: "Price", num: true, value: (a) => formatDML(a.price) },
    ], algorithms.items, { emptyText: "None." })),
    section("Storage buckets it owns", table([
      { label: "Bucket", value: (b) => link(`#/storage/buckets/${b.id}`, `Bucket ${b.id}`) },
      { label: "Cluster", num: true, value: (b) => String(b.cluster) },
      { label: "Rent covered until", value: (b) => (b.rentCoveredUntil === undefined ? "No rent due" : time(b.rentCoveredUntil)) },
    ], buckets.items, { emptyText: "None." })));
}
