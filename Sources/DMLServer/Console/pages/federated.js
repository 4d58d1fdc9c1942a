// One federated training job: its plan, the rounds recorded so far (charted: evaluation
// accuracy and loss, the devices' training loss), and for the requester the report with the
// privacy spent per round and every payout.

import { api, currentUser, download } from "../js/api.js";
import { h, pageHead, card, facts, section, table, badge, link, time, actionButton, notice, announce } from "../js/dom.js";
import { formatDML, formatNumber, shortAddress, humanize } from "../js/format.js";
import { lineChart } from "../js/chart.js";

export async function render(main, { params, go }) {
  const path = `/v1/federated/${encodeURIComponent(params.id)}`;
  const job = await api.get(path);
  const user = currentUser();
  const isRequester = user?.account === job.requester;
  const rounds = job.recorded ?? [];

  const actions = [];
  if (isRequester && job.status === "open" && Date.now() > job.deadlineMilliseconds) {
    actions.push(actionButton("Close the job and take back unpaid rewards", async () => { await api.post(`${path}/close`); announce("Closed."); go(`#/federated/${job.id}`); }, { className: "secondary" }));
  }
  const plan = job.planDetails;
  main.append(
    pageHead(`Federated job ${job.id}`, null, link("#/jobs", "All jobs")),
    card(facts([
      ["Status", badge(job.status)],
      ["Requester", link(`#/ledger/accounts/${job.requester}`, isRequester ? "You" : shortAddress(job.requester), { title: job.requester })],
      ["Rounds recorded", `${job.roundsRecorded} of ${job.rounds}`],
      ["Current round", job.currentRound !== undefined ? `${job.currentRound} (${humanize(job.phase)}, ${job.joined} joined)` : undefined],
      ["Devices per round", String(job.devicesPerRound)],
      ["Reward per device and round", formatDML(job.rewardPerDevicePerRound)],
      ["Rewards held", formatDML(job.rewardsHeld)],
      ["Deadline", time(job.deadlineMilliseconds)],
      ["Dataset", job.dataset],
      ["Privacy", job.epsilon !== undefined ? `ε = ${formatNumber(job.epsilon)}, δ = ${formatNumber(job.delta)}` : undefined],
      ["Strategy", plan?.strategy?.name],
      ["Model", plan?.model?.kind ?? plan?.model?.type],
      ["Final model", job.finalModel ? h("span", { class: "mono" }, job.finalModel) : undefined],
    ]), actions),
    section("Rounds", roundCharts(rounds), table([
      { label: "Round", num: true, value: (r) => String(r.round) },
      { label: "Devices", num: true, value: (r) => String(r.devices) },
      { label: "Dropouts", num: true, value: (r) => String(r.dropouts) },
      { label: "Accuracy", num: true, value: (r) => formatNumber(r.accuracy) },
      { label: "Loss", num: true, value: (r) => formatNumber(r.loss) },
      { label: "Training loss", num: true, value: (r) => formatNumber(r.trainingLoss) },
      { label: "Seconds", num: true, value: (r) => formatNumber(r.seconds) },
    ], rounds, { caption: "Rounds this server recorded", emptyText: "No round recorded yet." })));
  if (isRequester) main.append(await reportSection(path, job));
}

function roundCharts(rounds) {
  if (rounds.length === 0) return null;
  const series = (name, key) => ({ name, points: rounds.filter((r) => Number.isFinite(r[key])).map((r) => [r.round, r[key]]) });
  const charts = [];
  const accuracy = series("Accuracy", "accuracy");
  if (accuracy.points.length) charts.push(lineChart({ title: "Accuracy by round", xLabel: "Round", yLabel: "Accuracy", series: [accuracy] }));
  const losses = [series("Evaluation loss", "loss"), series("Training loss", "trainingLoss")].filter((s) => s.points.length);
  if (losses.length) charts.push(lineChart({ title: "Loss by round", xLabel: "Round", yLabel: "Loss", series: losses }));
  return h("div", { class: "grid" }, charts);
}

async function reportSection(path, job) {
  let report;
  try { report = await api.get(`${path}/report?format=json`); } catch (error) { return section("Report", notice(error.message, "bad")); }
  const parts = [facts([
    ["Total paid", formatDML(report.totalPaid)],
    ["Rewards held", formatDML(report.rewardsHeld)],
    ["Privacy guarantee", report.privacy ? `ε = ${formatNumber(report.privacy.epsilon)}, δ = ${formatNumber(report.privacy.delta)}` : "No differential privacy"],
  ])];
  if (report.epsilonByRound?.length) {
    parts.push(lineChart({ title: "Privacy spent (ε) after each round", xLabel: "Round", yLabel: "ε", series: [{ name: "ε", points: report.epsilonByRound.map((e, i) => [i + 1, e]) }] }));
  }
  parts.push(h("h3", {}, "Payouts"), table([
    { label: "Round", num: true, value: (p) => String(p.round) },
    { label: "Devices paid", num: true, value: (p) => String(p.devices.length) },
    { label: "Paid", num: true, value: (p) => formatDML(p.paid) },
  ], report.payouts, { emptyText: "No payouts yet." }),
  h("div", { class: "form-actions" },
    actionButton("Download the HTML report", () => download(`${path}/report?format=html`, `federated-${job.id}-report.html`), { className: "secondary" }),
    actionButton("Download CSV", () => download(`${path}/report?format=csv`, `federated-${job.id}-report.csv`), { className: "secondary" })));
  return section("Report", card(parts));
}
