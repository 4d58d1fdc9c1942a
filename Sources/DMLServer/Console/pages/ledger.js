// The ledger explorer: the chain's head, a lookup (block, transaction or account), the latest
// blocks, and the ledger's events as they happen (server-sent events, see js/events.js).

import { api, query } from "../js/api.js";
import { h, pageHead, card, facts, section, field, onSubmit, link, time, empty } from "../js/dom.js";
import { streamEvents } from "../js/events.js";

const RECENT_BLOCKS = 10;
const LIVE_ROWS = 50;

export async function render(main, { go }) {
  const ready = await api.get("/ready");
  const heights = [];
  for (let h0 = ready.head; h0 >= 0 && heights.length < RECENT_BLOCKS; h0 -= 1) heights.push(h0);
  const [blocks, recent] = await Promise.all([
    Promise.all(heights.map((height) => api.get(`/v1/ledger/blocks/${height}`))),
    api.get("/v1/ledger/events" + query({ after: Math.max(0, ready.head - RECENT_BLOCKS), limit: 200 })),
  ]);

  const lookup = onSubmit(h("form", { class: "filters", role: "search", "aria-label": "Look up on the ledger" },
    field({ label: "Block height, transaction hash or account", name: "q", required: true, attrs: { spellcheck: "false", autocomplete: "off", size: "48" } }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Look up"))),
  async ({ q }) => {
    const text = q.trim();
    if (/^\d+$/.test(text)) go(`#/ledger/blocks/${text}`);
    else if (/^[0-9a-fA-F]{64}$/.test(text)) go(`#/ledger/transactions/${text.toLowerCase()}`);
    else if (/^dml1[02-9ac-hj-np-z]{58}$/i.test(text)) go(`#/ledger/accounts/${text.toLowerCase()}`);
    else throw new Error("Enter a block height (a number), a transaction hash (64 hex digits) or an account (dml1…).");
  });

  // Blocks table body: new blocks are added at the top as their events arrive.
  const blockRows = h("tbody");
  const blockRow = (b) => h("tr", {},
    h("th", { scope: "row", class: "num" }, link(`#/ledger/blocks/${b.height}`, String(b.height))),
    h("td", {}, time(b.timestampMilliseconds)),
    h("td", { class: "num" }, String(b.transactions.length)),
    h("td", { class: "num" }, String(b.events.length)));
  blocks.forEach((b) => blockRows.append(blockRow(b)));
  const blocksTable = h("div", { class: "table-wrap" }, h("table", {},
    h("caption", {}, "Newest first"),
    h("thead", {}, h("tr", {}, ["Height", "Time", "Transactions", "Events"].map((label, i) => h("th", { scope: "col", class: i === 1 ? null : "num" }, label)))),
    blockRows));

  const eventRows = h("tbody");
  const eventRow = (e) => h("tr", {},
    h("th", { scope: "row", class: "num" }, link(`#/ledger/blocks/${e.height}`, String(e.height))),
    h("td", {}, e.module),
    h("td", {}, e.name),
    h("td", { class: "event-text" }, e.text));
  [...recent].reverse().slice(0, LIVE_ROWS).forEach((e) => eventRows.append(eventRow(e)));
  const noEvents = empty("No events yet. They appear here as blocks are made.");
  noEvents.hidden = recent.length > 0;
  const eventsTable = h("div", { class: "table-wrap" }, h("table", {},
    h("caption", {}, "Newest first"),
    h("thead", {}, h("tr", {}, ["Block", "Module", "Event", "Details"].map((label, i) => h("th", { scope: "col", class: i === 0 ? "num" : null }, label)))),
    eventRows));

  // Live state, shown as text (not colour alone) and not announced on every event: a screen
  // reader would otherwise be flooded.
  const dot = h("span", { class: "live-dot", "aria-hidden": "true" });
  const stateText = h("span", {}, "Connecting…");
  // A toggle button keeps its name; aria-pressed says whether it is on. Events that arrive
  // while paused wait and are shown on resume.
  let paused = false;
  let live = "Connecting…";
  const waiting = [];
  const showState = () => { stateText.textContent = paused ? `Paused (${waiting.length} new)` : live; };
  const pause = h("button", { type: "button", class: "secondary", "aria-pressed": "false" }, "Pause live updates");
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) waiting.splice(0).forEach(show);
    showState();
  });

  const headText = h("span", {}, String(ready.head));
  let top = ready.head;
  async function show(event) {
    noEvents.hidden = true;
    eventRows.prepend(eventRow(event));
    while (eventRows.children.length > LIVE_ROWS) eventRows.lastChild.remove();
    if (event.height > top) {
      top = event.height;
      headText.textContent = String(top);
      try {
        blockRows.prepend(blockRow(await api.get(`/v1/ledger/blocks/${event.height}`)));
        while (blockRows.children.length > RECENT_BLOCKS) blockRows.lastChild.remove();
      } catch { /* the block shows up on the next visit */ }
    }
  }

  const controller = new AbortController();
  streamEvents({
    after: ready.head,
    signal: controller.signal,
    onState: (state) => {
      dot.classList.toggle("on", state === "live");
      live = { live: "Live", reconnecting: "Reconnecting…", stopped: "Stopped" }[state] ?? state;
      showState();
    },
    onEvent: (event) => {
      if (!paused) show(event);
      else if (waiting.length < LIVE_ROWS) waiting.push(event);
      else { waiting.shift(); waiting.push(event); }
      if (paused) showState();
    },
  });

  main.append(
    pageHead("Ledger explorer", "Every block, transaction and event of the chain, as it happens."),
    card(facts([
      ["Chain", h("span", { class: "mono" }, ready.chain)],
      ["Head block", headText],
      ["Indexed up to", String(ready.indexed)],
      ["This server", ready.sequencer ? "Sequences the chain" : "Follows the chain"],
    ]), lookup),
    h("div", { class: "columns-2-3" },
      section("Latest blocks", blocksTable),
      section("Events", h("p", { class: "form-actions" }, dot, stateText, pause), noEvents, eventsTable)));
  return () => controller.abort();
}

