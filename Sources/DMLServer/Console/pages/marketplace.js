// The marketplace: search, tag filters and sorting of algorithm listings, and the form that
// publishes a new one (upload the artifact, then list it by its content address).

import { api, query, currentUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, table, pager, link, badge, card, signInPrompt, announce, section } from "../js/dom.js";
import { formatDML, parseDML, plural } from "../js/format.js";

const SORTS = [["newest", "Newest"], ["oldest", "Oldest"], ["price", "Price, lowest first"], ["price_desc", "Price, highest first"], ["downloads", "Most downloaded"]];
const STATUSES = [["active", "On sale"], ["pending_review", "Waiting for review"], ["inactive", "Off sale"], ["any", "Any status"]];
const LIMIT = 20;

function tagList(text) {
  return (text || "").split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
}

export async function render(main, { query: params, go }) {
  const filters = {
    q: params.get("q") || "", tags: params.get("tags") || "", sort: params.get("sort") || "newest",
    status: params.get("status") || "active", offset: Number(params.get("offset") || 0),
  };
  // The filters live in the hash, so Back and Forward (and bookmarks) restore them; defaults are left out.
  const hrefWith = (changes) => {
    const next = { ...filters, offset: 0, ...changes };
    return "#/marketplace" + query({ ...next, status: next.status === "active" ? "" : next.status, sort: next.sort === "newest" ? "" : next.sort, offset: next.offset || "" });
  };

  const form = h("form", { class: "filters card", role: "search", "aria-label": "Search algorithms" },
    field({ label: "Search", name: "q", type: "search", value: filters.q, attrs: { placeholder: "Title or description" } }),
    field({ label: "Tags", name: "tags", value: filters.tags, hint: "Comma-separated; all must match.", attrs: { placeholder: "vision, nlp" } }),
    field({ label: "Sort by", name: "sort", value: filters.sort, options: SORTS }),
    field({ label: "Status", name: "status", value: filters.status, options: STATUSES }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Search"),
      filters.q || filters.tags ? link("#/marketplace", "Clear filters") : null));
  onSubmit(form, async (v) => go(hrefWith({ q: v.q.trim(), tags: tagList(v.tags).join(","), sort: v.sort, status: v.status })));

  const page = await api.get("/v1/algorithms" + query({
    q: filters.q, tags: filters.tags, sort: filters.sort, status: filters.status, limit: LIMIT, offset: filters.offset,
  }));

  // A tag is a toggle button: pressing it adds or removes it from the filter.
  const active = new Set(tagList(filters.tags));
  const tagButton = (tag) => h("button", {
    type: "button", class: "tag", "aria-pressed": String(active.has(tag)),
    "aria-label": `${active.has(tag) ? "Remove" : "Filter by"} tag ${tag}`,
    onclick: () => {
      const next = new Set(active);
      if (next.has(tag)) next.delete(tag); else next.add(tag);
      go(hrefWith({ tags: [...next].join(",") }));
    },
  }, tag);

  const rows = table([
    { label: "Algorithm", value: (a) => link(`#/marketplace/${a.id}`, a.title) },
    { label: "Tags", value: (a) => (a.tags.length ? a.tags.map(tagButton) : "—") },
    { label: "Status", value: (a) => badge(a.status) },
    { label: "Price", num: true, value: (a) => formatDML(a.price) },
    { label: "Downloads", num: true, value: (a) => String(a.downloads) },
    { label: "Purchases", num: true, value: (a) => String(a.purchases) },
    { label: "Version", num: true, value: (a) => String(a.version) },
  ], page.items, {
    caption: `${plural(page.total, "algorithm")} found`,
    emptyText: filters.q || filters.tags ? "No algorithm matches these filters." : "No algorithms are listed yet.",
  });

  main.append(
    pageHead("Marketplace", "Algorithms and models for sale. Buy one to download it or run it in a job.",
      link("#/marketplace/new", "Publish an algorithm", { class: "button" })),
    form,
    rows,
    pager(page, (offset) => hrefWith({ offset })));
}

export async function renderPublish(main, { go }) {
  main.append(pageHead("Publish an algorithm", "Upload the artifact (a WebAssembly module, a package, a model file), then list it. A moderator reviews it before it goes on sale."));
  if (!currentUser()) { main.append(signInPrompt("to publish an algorithm.")); return; }
  const form = h("form", { "aria-label": "Publish an algorithm" },
    field({ label: "Artifact file", name: "file", type: "file", required: true, hint: "At most 64 MiB; stored by its content address." }),
    field({ label: "Title", name: "title", required: true, attrs: { maxlength: "200" } }),
    field({ label: "Description", name: "description", type: "textarea" }),
    field({ label: "Data required", name: "dataRequired", type: "textarea", rows: 2, hint: "What data it needs to run." }),
    field({ label: "Tags", name: "tags", hint: "Comma-separated, at most 16." }),
    h("div", { class: "form-row" },
      field({ label: "Price (DML)", name: "price", required: true, value: "1", attrs: { inputmode: "decimal" } }),
      field({ label: "Device fee (DML)", name: "deviceFee", value: "0", hint: "Paid per device that runs it in a job.", attrs: { inputmode: "decimal" } })),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Upload and publish")));
  onSubmit(form, async (v, f) => {
    const file = f.elements.file.files[0];
    if (!file) throw new Error("Choose the artifact file to upload.");
    const price = parseDML(v.price, { allowZero: true });
    const deviceFee = parseDML(v.deviceFee || "0", { allowZero: true });
    const artifact = await api.post("/v1/algorithms/artifacts", file);
    const written = await api.post("/v1/algorithms", {
      title: v.title, description: v.description, dataRequired: v.dataRequired, tags: tagList(v.tags),
      price, deviceFee, artifact: artifact.cid,
    });
    announce(`Algorithm ${written.id} published; it waits for review.`);
    go(`#/marketplace/${written.id}`);
  });
  main.append(section("Listing", card(form)));
}
