// Jobs: devices run an algorithm package on their own data and are paid per accepted result;
// federated jobs train a model together in rounds. Lists of both, and the form that posts a job.

import { api, query, currentUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, table, pager, link, badge, time, card, section, signInPrompt, announce } from "../js/dom.js";
import { formatDML, parseDML, toDateTimeLocal, fromDateTimeLocal, plural } from "../js/format.js";

const STATUSES = [["", "Any status"], ["open", "Open"], ["completed", "Completed"], ["closed", "Closed"]];
const LIMIT = 20;

export async function render(main, { query: params, go }) {
  const user = currentUser();
  const filters = { status: params.get("status") || "", mine: params.get("mine") === "1" && Boolean(user), offset: Number(params.get("offset") || 0) };
  const hrefWith = (changes) => {
    const next = { ...filters, offset: 0, ...changes };
    return "#/jobs" + query({ ...next, mine: next.mine ? "1" : "", offset: next.offset || "" });
  };
  const form = h("form", { class: "filters card", "aria-label": "Filter jobs" },
    field({ label: "Status", name: "status", value: filters.status, options: STATUSES }),
    user ? field({ label: "Only jobs I posted", name: "mine", type: "checkbox", checked: filters.mine }) : null,
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Apply")));
  onSubmit(form, async (v) => go(hrefWith({ status: v.status, mine: Boolean(v.mine) })));

  const [jobs, federated] = await Promise.all([
    api.get("/v1/jobs" + query({ status: filters.status, mine: filters.mine ? "true" : "", limit: LIMIT, offset: filters.offset })),
    api.get("/v1/federated" + query({ status: filters.status, limit: LIMIT })),
  ]);

  main.append(
    pageHead("Jobs", "Devices run an algorithm on their own data and are paid per accepted result. Reports aggregate the results.",
      link("#/jobs/new", "Post a job", { class: "button" })),
    form,
    section("Jobs", table([
      { label: "Job", value: (j) => link(`#/jobs/${j.id}`, `Job ${j.id}`) },
      { label: "Status", value: (j) => badge(j.status) },
      { label: "Results paid", num: true, value: (j) => `${j.accepted} of ${j.devices}` },
      { label: "Reward per device", num: true, value: (j) => formatDML(j.rewardPerDevice) },
      { label: "Rewards held", num: true, value: (j) => formatDML(j.rewardsHeld) },
      { label: "Deadline", value: (j) => time(j.deadlineMilliseconds) },
      { label: "Requirements", value: (j) => j.requirements || "—" },
    ], jobs.items, { caption: plural(jobs.total, "job"), emptyText: "No jobs match." }),
    pager(jobs, (offset) => hrefWith({ offset }))),
    section("Federated training", table([
      { label: "Job", value: (j) => link(`#/federated/${j.id}`, `Federated job ${j.id}`) },
      { label: "Status", value: (j) => badge(j.status) },
      { label: "Rounds recorded", num: true, value: (j) => `${j.roundsRecorded} of ${j.rounds}` },
      { label: "Devices per round", num: true, value: (j) => String(j.devicesPerRound) },
      { label: "Reward per device and round", num: true, value: (j) => formatDML(j.rewardPerDevicePerRound) },
      { label: "Deadline", value: (j) => time(j.deadlineMilliseconds) },
    ], federated.items, { caption: plural(federated.total, "federated job"), emptyText: "No federated jobs match." })));
}

export async function renderCreate(main, { go, query: params }) {
  main.append(pageHead("Post a job", "Pay devices to run an algorithm package you created or bought. The rewards of every device are escrowed now."));
  if (!currentUser()) { main.append(signInPrompt("to post a job.")); return; }
  const form = h("form", { "aria-label": "Post a job" },
    field({ label: "Algorithm id", name: "algorithm", type: "number", required: true, value: params.get("algorithm") || "", hint: "A marketplace algorithm whose artifact is a package.", attrs: { min: "1" } }),
    h("div", { class: "form-row" },
      field({ label: "Devices", name: "devices", type: "number", required: true, value: "10", attrs: { min: "1", max: "100000" } }),
      field({ label: "Reward per device (DML)", name: "reward", required: true, value: "1", attrs: { inputmode: "decimal" } })),
    field({ label: "Deadline (your local time)", name: "deadline", type: "datetime-local", required: true, value: toDateTimeLocal(Date.now() + 7 * 86400000) }),
    field({ label: "Device requirements (optional)", name: "requirements", hint: "Free text shown to devices, for example ram>=2GB.", attrs: { maxlength: "512" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Post the job")));
  onSubmit(form, async (v) => {
    const written = await api.post("/v1/jobs", {
      algorithm: Number(v.algorithm), devices: Number(v.devices), rewardPerDevice: parseDML(v.reward),
      deadlineMilliseconds: fromDateTimeLocal(v.deadline), requirements: v.requirements || null,
    });
    announce(`Job ${written.id} posted.`);
    go(`#/jobs/${written.id}`);
  });
  main.append(section("The job", card(form)));
}
