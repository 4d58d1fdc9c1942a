// One task and its results. Workers take an assignment and send a result; the creator (or
// the validator) accepts or rejects results; after expiry anyone settles stalled assignments
// and the creator withdraws what is unowed.

import { api, currentUser } from "../js/api.js";
import { h, pageHead, card, facts, section, table, badge, link, field, onSubmit, actionButton, signInPrompt, announce } from "../js/dom.js";
import { formatDML, humanize, shortAddress, storageName } from "../js/format.js";
import { kindLabel, expiry } from "./tasks.js";

export async function render(main, { params, go }) {
  const path = `/v1/tasks/${encodeURIComponent(params.id)}`;
  const [task, ready] = await Promise.all([api.get(path), api.get("/ready")]);
  const user = currentUser();
  const isCreator = user?.account === task.creator;
  const isJudge = isCreator || (task.validation.strategy === "custom_accept" && task.validation.validator === user?.account);
  const expired = ready.head >= task.expiresAtHeight;
  const reload = (message) => { announce(message); go(`#/tasks/${task.id}`); };
  const results = user ? await api.get(`${path}/results?limit=100`) : null;

  const steps = [];
  if (!user) steps.push(signInPrompt("to take this task or see its results."));
  else {
    if (!isCreator && task.acceptingWork && !task.viewerSubmission) {
      steps.push(actionButton(task.stakePerAssignment !== "0" ? `Take an assignment (stake ${formatDML(task.stakePerAssignment)})` : "Take an assignment", async () => {
        await api.post(`${path}/assignments`);
        reload("You hold an assignment on this task. Send your result next.");
      }));
    }
    if (task.viewerSubmission === "assigned" && !expired) steps.push(resultForm(path, reload));
    if (task.viewerSubmission && task.viewerSubmission !== "assigned") steps.push(h("p", {}, `Your result: ${humanize(task.viewerSubmission)}.`));
    if (isCreator && expired && task.status !== "withdrawn") {
      steps.push(actionButton("Withdraw unowed rewards", async () => { await api.post(`${path}/withdraw`); reload("Rewards withdrawn."); }, { className: "secondary" }));
    }
    if (steps.length === 0) steps.push(h("p", {}, isCreator ? "Wait for workers to send results; judge them below." : "This task takes no more assignments."));
  }

  const kind = task.kind;
  main.append(
    pageHead(`Task ${task.id}`, null, link("#/tasks", "All tasks")),
    h("div", { class: "grid" },
      card(facts([
        ["Question", h("span", { class: "prose" }, task.question)],
        ["Kind", kindLabel(kind)],
        ["Status", badge(task.status)],
        ["Creator", link(`#/ledger/accounts/${task.creator}`, isCreator ? "You" : shortAddress(task.creator), { title: task.creator })],
        ["Reward per accepted result", formatDML(task.rewardPerResult)],
        ["Stake per assignment", formatDML(task.stakePerAssignment)],
        ["Rewards held", formatDML(task.rewardsHeld)],
        ["Assignments", `${task.assignments} of ${task.maxAssignments}`],
        ["Accepted results", String(task.accepted)],
        ["Acceptance", humanize(task.validation.strategy) + (task.validation.validator ? ` by ${shortAddress(task.validation.validator)}` : "")],
        ["Expires", expiry(task.expiresAtHeight, ready.head)],
        ["Created in block", link(`#/ledger/blocks/${task.createdAtHeight}`, String(task.createdAtHeight))],
      ])),
      section("What you can do", card(steps))),
    section("Details", card(facts([
      ["Files", kind.files ? h("ul", {}, kind.files.map((f) => h("li", { class: "mono" }, f))) : undefined],
      ["Files are on", kind.filesStorage ? storageName(kind.filesStorage) : undefined],
      ["Class labels", kind.classLabels || undefined],
      ["Credentials", kind.credentials || undefined],
      ["Script", kind.script ? `${kind.script.path} (${storageName(kind.script.storage)})` : undefined],
      ["Model", kind.model ? `${kind.model.path} (${storageName(kind.model.storage)})` : undefined],
      ["Results", task.results ? `${task.results.assigned} assigned, ${task.results.pendingValidation} waiting, ${task.results.accepted} accepted, ${task.results.rejected} rejected, ${task.results.abandoned} abandoned` : undefined],
    ]))),
    results ? section("Results", table([
      { label: "Worker", value: (r) => link(`#/ledger/accounts/${r.worker}`, shortAddress(r.worker), { title: r.worker }) },
      { label: "Status", value: (r) => badge(r.status) },
      { label: "Result", value: (r) => resultText(r.result) },
      { label: "Stake", num: true, value: (r) => formatDML(r.stake) },
      { label: "Paid", num: true, value: (r) => (r.paidAmount ? formatDML(r.paidAmount) : "—") },
      { label: "Actions", value: (r) => judgeButtons(r, { isJudge, expired, path, reload, strategy: task.validation.strategy }) },
    ], results.items, { caption: isCreator ? "Every assignment" : "Your assignment", emptyText: isCreator ? "No assignments yet." : "You have not taken this task." })) : null);
}

function resultText(result) {
  if (!result) return "Not sent yet";
  if (result.inline !== undefined) return h("span", { class: "prose" }, result.inline);
  return h("span", { class: "mono" }, `${result.stored.path} (${storageName(result.stored.storage)})`);
}

function judgeButtons(r, { isJudge, expired, path, reload, strategy }) {
  const out = [];
  if (isJudge && r.status === "pending_validation" && strategy === "manual_accept") {
    out.push(actionButton("Accept", async () => { await api.post(`${path}/validations`, { worker: r.worker, accept: true }); reload("Result accepted; the worker is paid."); }),
      actionButton("Reject", async () => { await api.post(`${path}/validations`, { worker: r.worker, accept: false }); reload("Result rejected."); }, { className: "secondary" }));
  }
  if (expired && ["assigned", "pending_validation"].includes(r.status)) {
    out.push(actionButton("Settle", async () => { await api.post(`${path}/settle`, { worker: r.worker }); reload("Assignment settled."); }, { className: "secondary" }));
  }
  return out.length ? out : "—";
}

function resultForm(path, reload) {
  const form = h("form", { "aria-label": "Send your result" },
    field({ label: "Your result", name: "inline", type: "textarea", rows: 3, required: true, hint: "Text, at most 2 048 bytes. Store larger results and send their address.", attrs: { maxlength: "2048" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Send the result")));
  return onSubmit(form, async ({ inline }) => {
    await api.post(`${path}/results`, { inline });
    reload("Your result is sent.");
  });
}
