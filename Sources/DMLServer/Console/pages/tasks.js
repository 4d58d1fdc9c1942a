// Tasks: open work (annotation, model contribution, model engineering) paid per accepted
// result, the viewer's own tasks, and the tasks the viewer works on.

import { api, query, currentUser } from "../js/api.js";
import { h, pageHead, table, pager, link, badge, signInPrompt } from "../js/dom.js";
import { formatDML, humanize, plural } from "../js/format.js";

const SCOPES = [["open", "Open tasks"], ["mine", "My tasks"], ["assigned", "Tasks I work on"]];
const LIMIT = 20;

export function kindLabel(kind) {
  if (kind.type === "data_annotation") return `Annotation (${kind.annotationType || "data"})`;
  return humanize(kind.type);
}

export async function render(main, { query: params }) {
  const user = currentUser();
  const scope = SCOPES.some(([s]) => s === params.get("scope")) ? params.get("scope") : "open";
  const offset = Number(params.get("offset") || 0);

  // The scopes are links styled as tabs; aria-current marks the chosen one.
  const tabs = h("nav", { "aria-label": "Which tasks", class: "filters card" },
    SCOPES.map(([value, label]) => h("a", {
      href: `#/tasks${query({ scope: value === "open" ? "" : value })}`,
      class: value === scope ? "button" : "button secondary",
      "aria-current": value === scope ? "page" : null,
    }, label)));

  main.append(pageHead("Tasks", "Work paid per accepted result. Take an assignment, send your result, get paid when it is accepted.",
    link("#/tasks/new", "Post a task", { class: "button" })), tabs);

  if (scope !== "open" && !user) { main.append(signInPrompt("to see your tasks.")); return; }
  const head = await api.get("/ready");
  const page = await api.get("/v1/tasks" + query({ scope, limit: LIMIT, offset }));
  main.append(
    table([
      { label: "Task", value: (t) => link(`#/tasks/${t.id}`, `#${t.id}: ${t.question.length > 70 ? t.question.slice(0, 69) + "…" : t.question}`) },
      { label: "Kind", value: (t) => kindLabel(t.kind) },
      { label: "Status", value: (t) => badge(t.status) },
      { label: "Reward per result", num: true, value: (t) => formatDML(t.rewardPerResult) },
      { label: "Assignments", num: true, value: (t) => `${t.assignments} of ${t.maxAssignments}` },
      { label: "Accepted", num: true, value: (t) => String(t.accepted) },
      { label: "Expires", num: true, value: (t) => expiry(t.expiresAtHeight, head.head) },
    ], page.items, { caption: `${plural(page.total, "task")} (current block ${head.head})`, emptyText: scope === "open" ? "No open tasks right now." : "No tasks here yet." }),
    pager(page, (next) => `#/tasks${query({ scope: scope === "open" ? "" : scope, offset: next || "" })}`));
}

// Tasks expire at a block height, not a time.
export function expiry(height, head) {
  return height > head ? `block ${height} (in ${height - head})` : `block ${height} (passed)`;
}
