// Post a bounty: title, description, one prize per rank, the three dates and the expiry rule.
// "Escrow the prize pool now" funds it in the same transaction; without it the bounty stays
// pending until its owner funds it from the bounty's page.

import { api, currentUser } from "../js/api.js";
import { h, pageHead, field, onSubmit, card, signInPrompt, announce, section } from "../js/dom.js";
import { parseDML, toDateTimeLocal, fromDateTimeLocal, formatDML } from "../js/format.js";

const DAY = 24 * 60 * 60 * 1000;

export async function render(main, { go }) {
  main.append(pageHead("Post a bounty", "Describe the problem, set the prizes and the dates."));
  if (!currentUser()) { main.append(signInPrompt("to post a bounty.")); return; }

  // Prizes: one labelled input per rank; ranks can be added and removed.
  const prizes = h("div", { role: "group", "aria-label": "Prizes" });
  const total = h("p", { class: "hint", "aria-live": "polite" });
  const renumber = () => {
    [...prizes.children].forEach((row, i) => {
      row.querySelector("label").textContent = `Prize for rank ${i + 1} (DML)`;
      const remove = row.querySelector("button");
      remove.hidden = prizes.children.length === 1;
      remove.setAttribute("aria-label", `Remove the prize for rank ${i + 1}`);
    });
    updateTotal();
  };
  const updateTotal = () => {
    try {
      const sum = [...prizes.querySelectorAll("input")].reduce((acc, input) => acc + BigInt(parseDML(input.value)), 0n);
      total.textContent = `Prize pool: ${formatDML(sum.toString())}`;
    } catch {
      total.textContent = "Prize pool: enter every prize as an amount of DML.";
    }
  };
  const addPrize = (value = "") => {
    const row = h("div", { class: "prize-row" },
      field({ label: "Prize", name: "prize", required: true, value, attrs: { inputmode: "decimal" } }),
      h("button", { type: "button", class: "secondary", onclick: () => { row.remove(); renumber(); prizes.querySelector("input")?.focus(); } }, "Remove"));
    row.querySelector("input").addEventListener("input", updateTotal);
    prizes.append(row);
    renumber();
    return row;
  };
  addPrize("10");

  const now = Date.now();
  const form = h("form", { "aria-label": "Post a bounty" },
    field({ label: "Title", name: "title", required: true, attrs: { maxlength: "200" } }),
    field({ label: "Description", name: "description", type: "textarea", rows: 5, hint: "What to solve, how submissions are judged." }),
    h("fieldset", {}, h("legend", {}, "Prizes"), prizes,
      h("button", { type: "button", class: "secondary", onclick: () => addPrize("").querySelector("input").focus() }, "Add a prize"), total),
    h("fieldset", {}, h("legend", {}, "Dates (your local time)"),
      h("div", { class: "form-row" },
        field({ label: "Enrollment ends", name: "enrollmentEnd", type: "datetime-local", required: true, value: toDateTimeLocal(now + 7 * DAY) }),
        field({ label: "Submissions end", name: "submissionEnd", type: "datetime-local", required: true, value: toDateTimeLocal(now + 14 * DAY) }),
        field({ label: "Evaluation deadline", name: "evaluationDeadline", type: "datetime-local", required: true, value: toDateTimeLocal(now + 21 * DAY) }))),
    field({ label: "If no winners are named by the deadline", name: "expiryRule", value: "refund_owner", options: [["refund_owner", "Refund me"], ["split_among_submitters", "Split the pool among the submitters"]] }),
    field({ label: "Escrow the prize pool now", name: "fund", type: "checkbox", checked: true, hint: "Otherwise fund it later from the bounty's page; enrollment opens only when it is fully funded." }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Post the bounty")));

  onSubmit(form, async (v, f) => {
    const body = {
      title: v.title.trim(),
      description: v.description,
      prizes: [...f.querySelectorAll('input[name="prize"]')].map((input, i) => {
        try { return parseDML(input.value); } catch (error) { throw new Error(`Prize ${i + 1}: ${error.message}`); }
      }),
      enrollmentEnd: fromDateTimeLocal(v.enrollmentEnd),
      submissionEnd: fromDateTimeLocal(v.submissionEnd),
      evaluationDeadline: fromDateTimeLocal(v.evaluationDeadline),
      expiryRule: v.expiryRule,
      fund: v.fund,
    };
    if (!(body.enrollmentEnd <= body.submissionEnd && body.submissionEnd <= body.evaluationDeadline)) {
      throw new Error("The dates must be in order: enrollment ends, then submissions end, then the evaluation deadline.");
    }
    const written = await api.post("/v1/bounties", body);
    announce(`Bounty ${written.id} posted${body.fund ? " and funded" : ""}.`);
    go(`#/bounties/${written.id}`);
  });
  main.append(section("The bounty", card(form)));
}
