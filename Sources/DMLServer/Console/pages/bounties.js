// The bounties list: filter by status (and the viewer's own), search, sort by newest,
// deadline or prize pool.

import { api, query, currentUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, table, pager, link, badge, time } from "../js/dom.js";
import { formatDML, humanize, plural } from "../js/format.js";

export const STATUSES = ["pending", "enrollment_open", "enrollment_closed", "submissions_open", "submissions_closed", "evaluated", "paid", "cancelled", "expired"];
const SORTS = [["newest", "Newest"], ["deadline", "Submission deadline"], ["prize", "Prize pool"]];
const LIMIT = 20;

export async function render(main, { query: params, go }) {
  const user = currentUser();
  const filters = {
    status: params.get("status") || "", q: params.get("q") || "", sort: params.get("sort") || "newest",
    mine: params.get("mine") === "1" && Boolean(user), offset: Number(params.get("offset") || 0),
  };
  const hrefWith = (changes) => {
    const next = { ...filters, offset: 0, ...changes };
    return "#/bounties" + query({ ...next, sort: next.sort === "newest" ? "" : next.sort, mine: next.mine ? "1" : "", offset: next.offset || "" });
  };

  const form = h("form", { class: "filters card", role: "search", "aria-label": "Filter bounties" },
    field({ label: "Search", name: "q", type: "search", value: filters.q, attrs: { placeholder: "Title or description" } }),
    field({ label: "Status", name: "status", value: filters.status, options: [["", "Any status"], ...STATUSES.map((s) => [s, humanize(s)])] }),
    field({ label: "Sort by", name: "sort", value: filters.sort, options: SORTS }),
    user ? field({ label: "Only mine", name: "mine", type: "checkbox", checked: filters.mine }) : null,
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Apply")));
  onSubmit(form, async (v) => go(hrefWith({ q: v.q.trim(), status: v.status, sort: v.sort, mine: Boolean(v.mine) })));

  const page = await api.get("/v1/bounties" + query({
    status: filters.status, q: filters.q, sort: filters.sort, owner: filters.mine ? user.account : "", limit: LIMIT, offset: filters.offset,
  }));

  main.append(
    pageHead("Bounties", "Prizes for the best solution to a problem: enroll, submit, and the owner picks the winners.",
      link("#/bounties/new", "Post a bounty", { class: "button" })),
    form,
    table([
      { label: "Bounty", value: (b) => link(`#/bounties/${b.id}`, b.title) },
      { label: "Status", value: (b) => badge(b.status) },
      { label: "Prize pool", num: true, value: (b) => formatDML(b.prizePool) },
      { label: "Funded", num: true, value: (b) => formatDML(b.funded) },
      { label: "Submissions close", value: (b) => time(b.submissionEnd) },
      { label: "Participants", num: true, value: (b) => String(b.participants) },
      { label: "Submissions", num: true, value: (b) => String(b.submissions) },
    ], page.items, {
      caption: `${plural(page.total, "bounty", "bounties")} found`,
      emptyText: filters.status || filters.q || filters.mine ? "No bounty matches these filters." : "No bounties yet. Post the first one.",
    }),
    pager(page, (offset) => hrefWith({ offset })));
}
