// One job: its terms, the results devices sent, and for the requester the report — the
// aggregate of the paid results (charted from the JSON report) and every payment.

import { api, currentUser, download } from "../js/api.js";
import { h, pageHead, card, facts, section, table, badge, link, time, actionButton, notice, announce, empty } from "../js/dom.js";
import { formatDML, formatNumber, shortAddress, shortHash } from "../js/format.js";
import { barChart, lineChart } from "../js/chart.js";

export async function render(main, { params, go }) {
  const path = `/v1/jobs/${encodeURIComponent(params.id)}`;
  const job = await api.get(path);
  const user = currentUser();
  const isRequester = user?.account === job.requester;
  const results = user ? await api.get(`${path}/results`) : null;

  const actions = [];
  if (isRequester && job.status === "open" && Date.now() > job.deadlineMilliseconds) {
    actions.push(actionButton("Close the job and take back unpaid rewards", async () => {
      await api.post(`${path}/close`);
      announce("Job closed.");
      go(`#/jobs/${job.id}`);
    }, { className: "secondary" }));
  }

  main.append(
    pageHead(`Job ${job.id}`, null, link("#/jobs", "All jobs")),
    card(facts([
      ["Status", badge(job.status)],
      ["Requester", link(`#/ledger/accounts/${job.requester}`, isRequester ? "You" : shortAddress(job.requester), { title: job.requester })],
      ["Results paid", `${job.accepted} of ${job.devices} devices`],
      ["Reward per device", formatDML(job.rewardPerDevice)],
      ["Rewards held", formatDML(job.rewardsHeld)],
      ["Deadline", time(job.deadlineMilliseconds)],
      ["Live leases", job.liveLeases !== undefined ? String(job.liveLeases) : undefined],
      ["Requirements", job.requirements || "None"],
      ["Package", h("span", { class: "mono" }, job.artifact)],
      ["Validator", h("span", { class: "mono" }, job.validator)],
      ["Created in block", link(`#/ledger/blocks/${job.createdAtHeight}`, String(job.createdAtHeight))],
    ]), actions));

  if (isRequester) main.append(await reportSection(path, job));
  else main.append(section("Report", card(h("p", {}, user ? "Only the job's requester and moderators see its report." : "Sign in as the job's requester to see its report."))));

  if (results) {
    main.append(section("Results", table([
      { label: "Device", value: (r) => link(`#/ledger/accounts/${r.device}`, shortAddress(r.device), { title: r.device }) },
      { label: "Output", value: (r) => (r.output ? r.output.map((v) => formatNumber(v)).join(", ") : "—") },
      { label: "Challenged", value: (r) => (r.challenged ? "Yes" : "No") },
      { label: "Audited", value: (r) => (r.audited ? "Yes" : "No") },
      { label: "Paid in block", num: true, value: (r) => (r.height ? link(`#/ledger/blocks/${r.height}`, String(r.height)) : "Being paid") },
      { label: "Received", value: (r) => time(r.createdAtMilliseconds) },
    ], results.items, { caption: isRequester ? "Every result" : "Your results", emptyText: "No results yet." })));
  }
}

async function reportSection(path, job) {
  let report;
  try {
    report = await api.get(`${path}/report?format=json`);
  } catch (error) {
    return section("Report", notice(error.message, "bad"));
  }
  const parts = [];
  parts.push(facts([
    ["Algorithm", `${report.algorithm.title} ${report.algorithm.version} (${report.algorithm.aggregation})`],
    ["Results aggregated", String(report.results)],
    ["Total paid", formatDML(report.totalPaid)],
  ]));
  if (report.aggregateProblem) parts.push(notice(`No aggregate: ${report.aggregateProblem}`));
  if (report.columns?.length) {
    parts.push(barChart({ title: "Mean of each column", labels: report.columns.map((c) => c.name), values: report.columns.map((c) => c.mean) }),
      table([
        { label: "Column", value: (c) => c.name },
        { label: "Count", num: true, value: (c) => formatNumber(c.count) },
        { label: "Mean", num: true, value: (c) => formatNumber(c.mean) },
        { label: "Std. dev.", num: true, value: (c) => formatNumber(c.std) },
        { label: "Min", num: true, value: (c) => formatNumber(c.min) },
        { label: "Max", num: true, value: (c) => formatNumber(c.max) },
      ], report.columns, { caption: "Column statistics" }));
  } else if (report.aggregate?.length) {
    parts.push(barChart({ title: `Aggregate (${report.algorithm.aggregation})`, labels: report.fields, values: report.aggregate }),
      table([{ label: "Field", value: (r) => r.field }, { label: "Value", num: true, value: (r) => formatNumber(r.value) }],
        report.fields.map((field, i) => ({ field, value: report.aggregate[i] })), { caption: "Aggregate" }));
  }
  if (report.payments.length) {
    // Cumulative results paid, block by block: how fast the devices delivered.
    const byHeight = [...report.payments].sort((a, b) => a.height - b.height);
    parts.push(lineChart({ title: "Results paid over time", xLabel: "Block", yLabel: "Results paid", series: [{ name: "Results paid", points: byHeight.map((p, i) => [p.height, i + 1]) }] }));
  }
  parts.push(h("h3", {}, "Payments"), table([
    { label: "Device", value: (p) => link(`#/ledger/accounts/${p.device}`, shortAddress(p.device), { title: p.device }) },
    { label: "Paid", num: true, value: (p) => formatDML(p.paid) },
    { label: "Fuel", num: true, value: (p) => formatNumber(p.fuelUsed) },
    { label: "Checks", value: (p) => [p.challenged ? "challenged" : null, p.audited ? "audited" : null].filter(Boolean).join(", ") || "—" },
    { label: "Transaction", value: (p) => (p.transaction ? link(`#/ledger/transactions/${p.transaction}`, shortHash(p.transaction)) : "—") },
    { label: "Block", num: true, value: (p) => link(`#/ledger/blocks/${p.height}`, String(p.height)) },
  ], report.payments, { emptyText: "No payments yet." }));
  parts.push(h("div", { class: "form-actions" },
    actionButton("Download the HTML report", () => download(`${path}/report?format=html`, `job-${job.id}-report.html`), { className: "secondary" }),
    actionButton("Download CSV", () => download(`${path}/report?format=csv`, `job-${job.id}-report.csv`), { className: "secondary" })));
  return section("Report", card(parts.length ? parts : empty("Nothing to report yet.")));
}
