// The ledger's live events: GET /v1/ledger/events/stream (server-sent events).
// The server names each message after the event ("event: transferred"), so an EventSource
// would need one listener per event name; reading the stream with fetch gets them all. A
// stream ends after at most a minute (so server shutdowns never wait on it): we reconnect
// with ?after=<last height>, and drop anything already seen.

export function streamEvents({ after, onEvent, onState, signal }) {
  const seen = new Set();
  let last = after;

  async function once() {
    const response = await fetch(`/v1/ledger/events/stream?after=${last}&seconds=60`, { signal, headers: { Accept: "text/event-stream" } });
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    onState("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        handle(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  function handle(message) {
    const data = message.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).replace(/^ /, "")).join("\n");
    if (!data) return; // a comment or keep-alive
    let event;
    try { event = JSON.parse(data); } catch { return; }
    const key = `${event.height}:${event.position}`;
    if (seen.has(key)) return;
    seen.add(key);
    last = Math.max(last, event.height - 1); // reconnect from the block before, in case it was cut short
    onEvent(event);
  }

  (async () => {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await once();
        failures = 0;
      } catch (error) {
        if (signal.aborted || error.name === "AbortError") break;
        failures += 1;
        onState("reconnecting");
        // Back off up to 15 s while the server is away.
        await new Promise((resolve) => setTimeout(resolve, Math.min(15000, 1000 * 2 ** failures)));
      }
    }
    onState("stopped");
  })();
}
