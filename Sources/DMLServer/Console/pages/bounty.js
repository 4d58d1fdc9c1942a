// One bounty: prizes, funding, dates, counts and winners, and the steps of its life that the
// viewer may take. The ledger decides who may do what; the page only offers the buttons that
// can succeed for this viewer and shows the server's message when one is refused anyway.
//
//   pending ─fund─▶ (fully funded) ─open enrollment─▶ enrollment_open ─enroll…─▶ enrollment_closed
//   ─▶ submissions_open ─submit…─▶ submissions_closed ─pick winners─▶ evaluated ─pay out─▶ paid

import { api, currentUser } from "../js/api.js";
import { h, pageHead, card, facts, section, table, badge, link, time, field, onSubmit, actionButton, signInPrompt, announce, empty } from "../js/dom.js";
import { formatDML, parseDML, toDecimal, subAmounts, compareAmounts, humanize, shortAddress } from "../js/format.js";

const FINAL = ["paid", "cancelled", "expired"];

export async function render(main, { params, go }) {
  const bounty = await api.get(`/v1/bounties/${encodeURIComponent(params.id)}`);
  const user = currentUser();
  const isOwner = user?.account === bounty.owner;
  const path = `/v1/bounties/${bounty.id}`;
  const reload = (message) => { announce(message); go(`#/bounties/${bounty.id}`); };
  const missing = subAmounts(bounty.prizePool, bounty.funded);
  const fullyFunded = compareAmounts(missing, "0") <= 0;

  // Submissions: the owner sees all, a participant their own; anonymous viewers none.
  let submissions = [];
  if (user) {
    try { submissions = await api.get(`${path}/submissions`); } catch { submissions = []; }
  }

  const steps = [];
  const step = (label, call, message, options) => steps.push(actionButton(label, async () => { await api.post(`${path}/${call}`); reload(message); }, options));

  if (!user) {
    steps.push(signInPrompt("to fund, enroll in or submit to this bounty."));
  } else if (isOwner) {
    if (bounty.status === "pending" && !fullyFunded) steps.push(fundForm(bounty, missing, path, reload));
    if (bounty.status === "pending" && fullyFunded) step("Open enrollment", "open-enrollment", "Enrollment is open.");
    if (bounty.status === "enrollment_open") step("Close enrollment", "close-enrollment", "Enrollment is closed.");
    if (bounty.status === "enrollment_closed") step("Open submissions", "open-submissions", "Submissions are open.");
    if (bounty.status === "submissions_open") step("Close submissions", "close-submissions", "Submissions are closed.");
    if (bounty.status === "submissions_closed") steps.push(winnersForm(bounty, submissions, path, reload));
    if (bounty.status === "evaluated") step("Pay out the prizes", "payout", "The prizes are paid.");
    if (["pending", "enrollment_open"].includes(bounty.status) && bounty.participants === 0) {
      step("Cancel the bounty", "cancel", "The bounty is cancelled and its escrow refunded.", { className: "danger", confirmText: "Cancel this bounty and refund its escrow to you?" });
    }
  } else {
    if (bounty.status === "enrollment_open") step("Enroll", "enrollments", "You are enrolled.");
    if (bounty.status === "submissions_open") steps.push(submitForm(path, reload));
  }
  // After the evaluation deadline anyone may pay out an awarded bounty or apply the expiry rule
  // of one never awarded (so a slow owner cannot hold the money).
  if (user && !FINAL.includes(bounty.status) && Date.now() > bounty.evaluationDeadline) {
    if (bounty.status !== "evaluated") step("Apply the expiry rule", "expire", "The expiry rule is applied.", { className: "secondary" });
    else if (!isOwner) step("Pay out the prizes", "payout", "The prizes are paid.", { className: "secondary" });
  }
  if (user && steps.length === 0) steps.push(h("p", {}, FINAL.includes(bounty.status) ? "This bounty is closed." : "Nothing to do for you at this stage."));

  main.append(
    pageHead(bounty.title, null, link("#/bounties", "All bounties")),
    h("div", { class: "grid" },
      card(facts([
        ["Status", badge(bounty.status)],
        ["Prize pool", formatDML(bounty.prizePool)],
        ["Funded", h("span", { class: "progress" },
          h("progress", { max: "100", value: String(percent(bounty.funded, bounty.prizePool)), "aria-label": "Funded share of the prize pool" }),
          `${formatDML(bounty.funded)} of ${formatDML(bounty.prizePool)}`)],
        ["Owner", link(`#/ledger/accounts/${bounty.owner}`, isOwner ? "You" : shortAddress(bounty.owner), { title: bounty.owner })],
        ["Participants", String(bounty.participants)],
        ["Submissions", String(bounty.submissions)],
        ["Enrollment ends", time(bounty.enrollmentEnd)],
        ["Submissions end", time(bounty.submissionEnd)],
        ["Evaluation deadline", time(bounty.evaluationDeadline)],
        ["If never awarded", bounty.expiryRule === "refund_owner" ? "The owner is refunded" : "The pool is split among the submitters"],
      ])),
      section("What you can do", card(steps))),
    section("Description", card(bounty.description ? h("p", { class: "prose" }, bounty.description) : empty("No description."))),
    section("Prizes", table([
      { label: "Rank", num: true, value: (p) => String(p.rank) },
      { label: "Prize", num: true, value: (p) => formatDML(p.amount) },
      { label: "Winner", value: (p) => (p.winner ? link(`#/ledger/accounts/${p.winner}`, p.winner, { class: "mono" }) : "Not named yet") },
    ], bounty.prizes.map((amount, i) => ({ rank: i + 1, amount, winner: bounty.winners[i] })))),
    user ? section("Submissions", table([
      { label: "Participant", value: (s) => link(`#/ledger/accounts/${s.participant}`, shortAddress(s.participant), { title: s.participant }) },
      { label: "Artifact", value: (s) => h("span", { class: "mono" }, s.artifact) },
      { label: "Note", value: (s) => s.note || "—" },
      { label: "Block", num: true, value: (s) => link(`#/ledger/blocks/${s.height}`, String(s.height)) },
    ], submissions, { emptyText: isOwner ? "No submissions yet." : "You have no submission on this bounty." })) : null);
}

function percent(part, whole) {
  if (BigInt(whole) === 0n) return 0;
  return Number((BigInt(part) * 100n) / BigInt(whole));
}

// The owner adds to the escrow of a pending bounty, up to its prize pool.
function fundForm(bounty, missing, path, reload) {
  const form = h("form", { "aria-label": "Fund the bounty" },
    h("p", {}, `The escrow holds ${formatDML(bounty.funded)} of ${formatDML(bounty.prizePool)}. Enrollment opens only once it is fully funded.`),
    field({ label: "Amount to escrow (DML)", name: "amount", required: true, value: toDecimal(missing), attrs: { inputmode: "decimal" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Fund the bounty")));
  return onSubmit(form, async ({ amount }) => {
    await api.post(`${path}/fund`, { amount: parseDML(amount) });
    reload(`Escrowed ${formatDML(parseDML(amount))}.`);
  });
}

function submitForm(path, reload) {
  const form = h("form", { "aria-label": "Submit a solution" },
    field({ label: "Artifact (content address)", name: "artifact", required: true, hint: "The CID of your solution, for example one returned by an upload.", attrs: { spellcheck: "false", maxlength: "128" } }),
    field({ label: "Note (optional)", name: "note", type: "textarea", rows: 2, attrs: { maxlength: "1024" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Submit")));
  return onSubmit(form, async ({ artifact, note }) => {
    await api.post(`${path}/submissions`, { artifact: artifact.trim(), note });
    reload("Your submission is recorded.");
  });
}

// One winner per prize, chosen among the participants who submitted.
function winnersForm(bounty, submissions, path, reload) {
  if (submissions.length < bounty.prizes.length) {
    return h("p", {}, `${humanize(bounty.status)}: there are ${submissions.length} submissions for ${bounty.prizes.length} prizes. Each prize needs its own winner who submitted.`);
  }
  const options = [["", "Choose a participant"], ...submissions.map((s) => [s.participant, shortAddress(s.participant) + (s.note ? ` — ${s.note.slice(0, 40)}` : "")])];
  const form = h("form", { "aria-label": "Pick the winners" },
    bounty.prizes.map((amount, i) => field({ label: `Winner of rank ${i + 1} (${formatDML(amount)})`, name: `winner${i}`, required: true, options })),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Name the winners")));
  return onSubmit(form, async (v) => {
    const winners = bounty.prizes.map((_, i) => v[`winner${i}`]);
    if (new Set(winners).size !== winners.length) throw new Error("Each prize needs a different winner.");
    await api.post(`${path}/winners`, { winners });
    reload("The winners are named. Pay out the prizes next.");
  });
}
