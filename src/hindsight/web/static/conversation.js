// The conversation screen: the selected segment's media, opened through short-lived links.
// Recordings in the player, transcripts as messages, embedded pages in a sandboxed frame,
// links through the drill-down action. Data is written as text, never as HTML.
import { api, notify, pluginsLoaded } from "./app.js";
import { message } from "./dom.js";
import { unavailableAlert } from "./media_failure.js";
import { openPage, openTranscript } from "./media_open.js";
import { Player } from "./player.js";

const state = JSON.parse(document.getElementById("conversation-state").textContent);
const view = document.getElementById("media-view");
const segment = state.segments.find((s) => s.segment_id === state.selected) || null;

// What the media modules need of this screen: the segment, and how to show or reopen an item.
const screen = {
  conversationId: state.conversation_id,
  segment,
  again: (item) => select(item.index),
  show: (node) => view?.replaceChildren(node),
};

async function show(item) {
  if (!state.can_play) return message("Your roles do not allow opening media.");
  switch (item.type) {
    case "VoiceRecording":
      if (!item.playable) {
        return message("Only the first recording plays in compatible mode.", "note");
      }
      return new Player(item, segment, state).start();
    case "ChatTranscript":
      return openTranscript(item, screen);
    case "Embedded":
    case "Referenced":
    case "Raw":
      return openPage(item, screen);
    default:
      return message(`Unknown media type ${item.type}`);
  }
}

// Opening an item takes a round trip; only the latest choice may fill the view. Without this a
// slow first item (opened when the page loads) replaced the one clicked meanwhile.
let latest = 0;

async function select(index) {
  if (!segment) return;
  const item = segment.media.find((m) => m.index === index);
  if (!item || !view) return;
  for (const tab of document.querySelectorAll(".media-tab")) {
    tab.setAttribute("aria-selected", Number(tab.dataset.index) === index ? "true" : "false");
  }
  const mine = ++latest;
  view.replaceChildren(message("Opening…"));
  let shown;
  try {
    shown = await show(item);
  } catch (error) {
    shown = unavailableAlert(item.type, error.message);
  }
  if (mine === latest) view.replaceChildren(shown);
}

function wireTabs() {
  const tabs = [...document.querySelectorAll(".media-tab")];
  tabs.forEach((tab, position) => {
    tab.addEventListener("click", () => select(Number(tab.dataset.index)));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(position + step + tabs.length) % tabs.length];
      next.focus();
      next.click();
    });
  });
}

window.hindsightConversation = {
  conversationId: state.conversation_id,
  segmentId: state.selected,
  player: null,
  async select(segmentId, { play = false } = {}) {
    if (segmentId !== state.selected) {
      location.assign(`?segment=${encodeURIComponent(segmentId)}${play ? "&play=1" : ""}`);
      return "navigated";
    }
    const recording = segment?.media.find((m) => m.type === "VoiceRecording" && m.playable);
    if (recording) {
      state.play = play;
      await select(recording.index);
    }
    return "playing";
  },
  showMedia(visible) {
    document.querySelector(".card.media")?.toggleAttribute("hidden", !visible);
  },
};

wireTabs();
pluginsLoaded.then(() => {
  if (segment && segment.media.length) {
    const first = state.play
      ? segment.media.find((m) => m.type === "VoiceRecording" && m.playable) || segment.media[0]
      : segment.media[0];
    select(first.index);
  }
});

// Legal hold (people who manage retention): keeps the conversation and its media from deletion.
const holdBox = document.getElementById("legal-hold");
const holdPath = "/api/v1/retention/holds";

document.getElementById("place-hold")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const reason = new FormData(event.target).get("reason");
  try {
    await api(holdPath, {
      method: "POST",
      json: { conversation_id: holdBox.dataset.conversation, reason },
    });
    location.reload();
  } catch (error) {
    notify(`No hold placed: ${error.message}`);
  }
});

document.getElementById("release-hold")?.addEventListener("click", async () => {
  try {
    await api(`${holdPath}/${encodeURIComponent(holdBox.dataset.conversation)}`, { method: "DELETE" });
    location.reload();
  } catch (error) {
    notify(error.message);
  }
});
