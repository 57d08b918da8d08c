// Media that cannot be opened: a few tries with growing pauses, then the reason in words.
// One try is one link minted and one request followed, so the audit trail holds one record of
// each per real attempt; nothing is retried when trying again cannot help (a 4xx answer).

export const MAX_TRIES = 3;
const PAUSES_MS = [1000, 2500]; // before the second and the third try

const NAMES = {
  VoiceRecording: "Recording",
  ChatTranscript: "Transcript",
  Embedded: "Embedded page",
  Referenced: "Linked page",
  Raw: "External page",
};

export function unavailableText(type, reason) {
  const what = NAMES[type] || "Media";
  const why = String(reason || "it could not be opened").replace(/\.$/, "");
  // "The host …" reads on after the colon as "the host …"; names (Hindsight …) keep their case.
  const flowing = /^(The|A|An|Its|This|Only) /.test(why) ? why[0].toLowerCase() + why.slice(1) : why;
  return `${what} unavailable: ${flowing}`;
}

// An element assistive technology announces at once, saying what failed and why.
export function unavailableAlert(type, reason, ...actions) {
  const box = document.createElement("div");
  box.className = "media-unavailable";
  const text = document.createElement("p");
  text.setAttribute("role", "alert");
  text.className = "error";
  text.textContent = unavailableText(type, reason);
  box.append(text, ...actions);
  return box;
}

function retryable(error) {
  // No status: the request itself failed (the network); 5xx: the source may come back.
  return !error.status || error.status >= 500 || error.status === 429;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Run `attempt` up to MAX_TRIES times while it fails in a way a retry may mend, pausing longer
// each time; `waiting(n, ms)` is told before each pause. The last error is thrown.
export async function withRetries(attempt, waiting = () => {}) {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt(tried);
    } catch (error) {
      if (tried >= MAX_TRIES || !retryable(error)) throw error;
      const ms = PAUSES_MS[Math.min(tried - 1, PAUSES_MS.length - 1)];
      waiting(tried, ms);
      await pause(ms);
    }
  }
}

// Follow a recording link for its first bytes only, so a failure comes back with its reason
// (an <audio> element's error says only that it failed); the player then streams the link.
export async function probeMedia(url) {
  const response = await fetch(url, {
    headers: { Range: "bytes=0-1" },
    credentials: "same-origin",
  });
  if (response.ok) {
    response.body?.cancel().catch(() => {});
    return;
  }
  let reason = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body && body.message) reason = body.message;
  } catch {
    // not JSON: the status says enough
  }
  const error = new Error(reason);
  error.status = response.status;
  throw error;
}
