// Storage: the viewer's storage account (deposit, rent, until when the rent is covered), the
// clusters, nodes and buckets of the network, and forms to deposit, withdraw, create a bucket
// or a cluster. Rents are priced in USD units (10^-9 USD) and paid in DML at the exchange rate.

import { api, query, currentUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, table, pager, link, badge, time, card, facts, section, announce } from "../js/dom.js";
import { formatDML, formatUSD, parseDML, shortAddress, plural } from "../js/format.js";

const LIMIT = 20;

export async function render(main, { query: params, go }) {
  const user = currentUser();
  const mine = params.get("mine") === "1" && Boolean(user);
  const offsets = { clusters: Number(params.get("clusters") || 0), nodes: Number(params.get("nodes") || 0), buckets: Number(params.get("buckets") || 0) };
  // Each list pages on its own; "mine" filters the buckets. Zero offsets are left out of the route.
  const hrefWith = (changes) => {
    const next = { mine, ...offsets, ...changes };
    return "#/storage" + query({ mine: next.mine ? "1" : "", clusters: next.clusters || "", nodes: next.nodes || "", buckets: next.buckets || "" });
  };

  const [clusters, nodes, buckets, account] = await Promise.all([
    api.get("/v1/storage/clusters" + query({ limit: LIMIT, offset: offsets.clusters })),
    api.get("/v1/storage/nodes" + query({ limit: LIMIT, offset: offsets.nodes })),
    api.get("/v1/storage/buckets" + query({ owner: mine ? user.account : "", limit: LIMIT, offset: offsets.buckets })),
    user ? storageAccount(user.account) : null,
  ]);

  main.append(pageHead("Storage", "Clusters of storage nodes hold the bytes of buckets; bucket owners pay rent from a deposit."));
  const forms = user ? accountForms(go, clusters.items) : null;
  if (user) main.append(accountSection(account, forms));

  main.append(
    section("Clusters", table([
      { label: "Cluster", value: (c) => link(`#/storage/clusters/${c.id}`, `Cluster ${c.id}${c.description ? ": " + c.description : ""}`) },
      { label: "Manager", value: (c) => link(`#/ledger/accounts/${c.manager}`, shortAddress(c.manager), { title: c.manager }) },
      { label: "Nodes", num: true, value: (c) => String(c.nodeCount) },
      { label: "Virtual nodes", num: true, value: (c) => String(c.vnodeCount) },
      { label: "Used of capacity", num: true, value: (c) => `${c.resourceUsed} of ${c.capacity} MiB` },
      { label: "Max replication", num: true, value: (c) => String(c.replicationMax) },
      { label: "Rent per MiB and month", num: true, value: (c) => formatUSD(c.totalRent) },
      { label: "Revenues", num: true, value: (c) => formatDML(c.revenues) },
    ], clusters.items, { caption: plural(clusters.total, "cluster"), emptyText: "No clusters yet." }),
    pager(clusters, (o) => hrefWith({ clusters: o }))),
    section("Nodes", table([
      { label: "Node", value: (n) => h("span", { class: "mono", title: n.key }, shortAddress(n.key)) },
      { label: "Provider", value: (n) => link(`#/ledger/accounts/${n.provider}`, shortAddress(n.provider), { title: n.provider }) },
      { label: "Cluster", value: (n) => (n.cluster ? link(`#/storage/clusters/${n.cluster}`, String(n.cluster)) : "None") },
      { label: "Status", value: (n) => (n.status ? badge(n.status) : "—") },
      { label: "Free of capacity", num: true, value: (n) => `${n.freeResource} of ${n.capacity}` },
      { label: "Rent per vnode and month", num: true, value: (n) => formatUSD(n.rentPerVNodePerMonth) },
      { label: "URL", value: (n) => n.params.url || "—" },
    ], nodes.items, { caption: plural(nodes.total, "node"), emptyText: "No storage nodes are registered." }),
    pager(nodes, (o) => hrefWith({ nodes: o }))),
    section(mine ? "Your buckets" : "Buckets",
      user ? h("p", {}, link(hrefWith({ mine: !mine, buckets: 0 }), mine ? "Show every bucket" : "Show only my buckets")) : null,
      table([
        { label: "Bucket", value: (b) => link(`#/storage/buckets/${b.id}`, `Bucket ${b.id}${b.description ? ": " + b.description : ""}`) },
        { label: "Owner", value: (b) => link(`#/ledger/accounts/${b.owner}`, b.owner === user?.account ? "You" : shortAddress(b.owner), { title: b.owner }) },
        { label: "Cluster", value: (b) => link(`#/storage/clusters/${b.cluster}`, String(b.cluster)) },
        { label: "Replication", num: true, value: (b) => String(b.replication) },
        { label: "Reserved", num: true, value: (b) => `${b.resourceReserved} MiB` },
        { label: "Public", value: (b) => (b.isPublic ? "Yes" : "No") },
        { label: "Rent per month", num: true, value: (b) => formatUSD(b.rentPerMonth) },
        { label: "Rent covered until", value: (b) => (b.rentCoveredUntil === undefined ? "No rent due" : time(b.rentCoveredUntil)) },
      ], buckets.items, { caption: plural(buckets.total, "bucket"), emptyText: mine ? "You have no buckets." : "No buckets yet." }),
      pager(buckets, (o) => hrefWith({ buckets: o }))),
    forms ? section("Create", h("div", { class: "grid" }, card(h("h3", {}, "A bucket"), forms.bucket), card(h("h3", {}, "A cluster"), forms.cluster))) : null);
}

// A new user has no storage account yet (404): that is "nothing deposited", not an error.
async function storageAccount(address) {
  try { return await api.get(`/v1/storage/accounts/${address}`); } catch (error) { if (error.status === 404) return null; throw error; }
}

// The forms of a signed-in user: deposit and withdraw (in the account section), create a
// bucket or a cluster (below the lists).
function accountForms(go, clusters) {
  const reload = (message) => { announce(message); go(location.hash); };
  const deposit = onSubmit(h("form", { "aria-label": "Deposit" },
    field({ label: "Deposit (DML)", name: "amount", required: true, attrs: { inputmode: "decimal" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Deposit"))),
  async ({ amount }) => { await api.post("/v1/storage/deposits", { amount: parseDML(amount) }); reload("Deposited."); });
  const withdraw = onSubmit(h("form", { "aria-label": "Withdraw" },
    field({ label: "Withdraw (DML)", name: "amount", required: true, attrs: { inputmode: "decimal" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "secondary" }, "Withdraw"))),
  async ({ amount }) => { await api.post("/v1/storage/withdrawals", { amount: parseDML(amount) }); reload("Withdrawn."); });

  const bucket = onSubmit(h("form", { "aria-label": "Create a bucket" },
    clusters.length
      ? field({ label: "Cluster", name: "cluster", required: true, options: clusters.map((c) => [c.id, `Cluster ${c.id} (up to ${c.replicationMax} replicas)`]) })
      : field({ label: "Cluster id", name: "cluster", type: "number", required: true, attrs: { min: "1" } }),
    field({ label: "Replicas", name: "replication", type: "number", value: "1", attrs: { min: "1", max: "255" } }),
    field({ label: "Bucket description", name: "description" }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Create the bucket"))),
  async (v) => {
    const written = await api.post("/v1/storage/buckets", { cluster: Number(v.cluster), replication: Number(v.replication), description: v.description });
    announce(`Bucket ${written.id} created. Reserve space for it next.`);
    go(`#/storage/buckets/${written.id}`);
  });
  const cluster = onSubmit(h("form", { "aria-label": "Create a cluster" },
    field({ label: "Cluster description", name: "description" }),
    h("div", { class: "form-row" },
      field({ label: "Max replicas per bucket", name: "replicationMax", type: "number", value: "3", required: true, attrs: { min: "1", max: "255" } }),
      field({ label: "MiB per virtual node", name: "resourcePerVNode", type: "number", value: "1024", required: true, attrs: { min: "1" } })),
    h("p", { class: "hint" }, "You become its manager; node providers add their nodes to it."),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "secondary" }, "Create the cluster"))),
  async (v) => {
    const written = await api.post("/v1/storage/clusters", { description: v.description, replicationMax: Number(v.replicationMax), resourcePerVNode: Number(v.resourcePerVNode) });
    announce(`Cluster ${written.id} created; you manage it.`);
    go(`#/storage/clusters/${written.id}`);
  });
  return { deposit, withdraw, bucket, cluster };
}

function accountSection(account, forms) {
  return section("Your storage account",
    h("div", { class: "grid" },
      card(account ? facts([
        ["Deposit", formatDML(account.deposit)],
        ["Withdrawable", formatDML(account.withdrawable)],
        ["Claimed by rent", formatDML(account.locked)],
        ["Bonded (pays for bytes served)", formatDML(account.bonded)],
        ["Unbonding", account.unbondingUnlocksAt ? [formatDML(account.unbonding), " until ", time(account.unbondingUnlocksAt)] : formatDML(account.unbonding)],
        ["Rent per month", formatUSD(account.rentPerMonth)],
        ["Rent covered until", account.rentCoveredUntil === undefined ? "No rent due" : time(account.rentCoveredUntil)],
      ]) : h("p", {}, "You have deposited nothing yet. Deposit DML to pay the rent of your buckets.")),
      card(forms.deposit, forms.withdraw)));
}
