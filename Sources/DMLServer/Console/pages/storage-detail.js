// A storage cluster (its nodes and how the ring shares blobs among them) and a bucket (its
// rent, until when the owner's deposit covers it, its access lists, and reserving space).

import { api, currentUser } from "../js/api.js";
import { h, pageHead, card, facts, section, table, badge, link, time, field, onSubmit, actionButton, announce } from "../js/dom.js";
import { formatDML, formatUSD, shortAddress, formatNumber } from "../js/format.js";

export async function renderCluster(main, { params, go }) {
  const cluster = await api.get(`/v1/storage/clusters/${encodeURIComponent(params.id)}`);
  const user = currentUser();
  const shares = new Map((cluster.ring?.members ?? []).map((m) => [m.node, m]));
  main.append(
    pageHead(`Cluster ${cluster.id}`, cluster.description || null, link("#/storage", "All storage")),
    card(facts([
      ["Manager", link(`#/ledger/accounts/${cluster.manager}`, cluster.manager === user?.account ? "You" : cluster.manager, { class: cluster.manager === user?.account ? null : "mono" })],
      ["Nodes", String(cluster.nodeCount)],
      ["Virtual nodes", String(cluster.vnodeCount)],
      ["MiB per virtual node", String(cluster.resourcePerVNode)],
      ["Capacity", `${cluster.capacity} MiB`],
      ["Reserved by buckets", `${cluster.resourceUsed} MiB`],
      ["Max replicas per bucket", String(cluster.replicationMax)],
      ["Rent per MiB and month", formatUSD(cluster.totalRent)],
      ["Usage rate per GB served", formatUSD(cluster.usageRatePerGB)],
      ["Revenues to distribute", formatDML(cluster.revenues)],
    ]), user ? actionButton("Distribute the revenues", async () => {
      await api.post(`/v1/storage/clusters/${cluster.id}/distribute`);
      announce("Revenues distributed.");
      go(`#/storage/clusters/${cluster.id}`);
    }, { className: "secondary" }) : null),
    section("Member nodes", table([
      { label: "Node", value: (n) => h("span", { class: "mono", title: n.key }, shortAddress(n.key)) },
      { label: "Status", value: (n) => (n.status ? badge(n.status) : "—") },
      { label: "Virtual nodes", num: true, value: (n) => String(n.vnodes?.length ?? shares.get(n.key)?.vnodes ?? 0) },
      { label: "Ring share", num: true, value: (n) => (shares.has(n.key) ? `${formatNumber(shares.get(n.key).share * 100)} %` : "—") },
      { label: "Rent per vnode and month", num: true, value: (n) => formatUSD(n.rentPerVNodePerMonth) },
      { label: "Earnings", num: true, value: (n) => formatDML(n.earnings) },
      { label: "URL", value: (n) => n.params.url || "—" },
    ], cluster.nodes ?? [], { emptyText: "No nodes have joined this cluster yet." })));
}

export async function renderBucket(main, { params, go }) {
  const bucket = await api.get(`/v1/storage/buckets/${encodeURIComponent(params.id)}`);
  const user = currentUser();
  const isOwner = user?.account === bucket.owner;
  const reload = (message) => { announce(message); go(`#/storage/buckets/${bucket.id}`); };
  const actions = [];
  if (isOwner) {
    actions.push(onSubmit(h("form", { "aria-label": "Reserve space" },
      field({ label: "Reserve more space (MiB)", name: "resource", type: "number", required: true, value: "1", hint: "Rent grows with the space reserved.", attrs: { min: "1" } }),
      h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Reserve"))),
    async ({ resource }) => { await api.post(`/v1/storage/buckets/${bucket.id}/allocate`, { resource: Number(resource) }); reload("Space reserved."); }));
  }
  if (user) actions.push(actionButton("Settle the rent due", async () => { await api.post(`/v1/storage/buckets/${bucket.id}/settle`); reload("Rent settled."); }, { className: "secondary" }));

  main.append(
    pageHead(`Bucket ${bucket.id}`, bucket.description || null, link("#/storage", "All storage")),
    h("div", { class: "grid" },
      card(facts([
        ["Owner", link(`#/ledger/accounts/${bucket.owner}`, isOwner ? "You" : bucket.owner, { class: isOwner ? null : "mono" })],
        ["Cluster", link(`#/storage/clusters/${bucket.cluster}`, `Cluster ${bucket.cluster}`)],
        ["Replicas", String(bucket.replication)],
        ["Space reserved", `${bucket.resourceReserved} MiB per node`],
        ["Public", bucket.isPublic ? "Yes: anyone may read" : "No"],
        ["Rent per month", formatUSD(bucket.rentPerMonth)],
        ["Rent covered until", bucket.rentCoveredUntil === undefined ? "No rent due" : time(bucket.rentCoveredUntil)],
      ])),
      actions.length ? section("What you can do", card(actions)) : null),
    bucket.readers || bucket.writers ? section("Access",
      table([{ label: "Reader", value: (a) => h("span", { class: "mono" }, a) }], bucket.readers ?? [], { emptyText: "No readers besides the owner." }),
      table([{ label: "Writer", value: (a) => h("span", { class: "mono" }, a) }], bucket.writers ?? [], { emptyText: "No writers besides the owner." })) : null);
}
