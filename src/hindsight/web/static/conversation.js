// The conversation screen: the selected segment's media, opened through short-lived links.
// Recordings in the player, transcripts as messages, embedded pages in a sandboxed frame,
// links through the drill-down action. Data is written as text, never as HTML.
import { Actions, api, mintLink, notify, pluginsLoaded } from "./app.js";

const state = JSON.parse(document.getElementById("conversation-state").textContent);
const view = document.getElementById("media-view");
const segment = state.segments.find((s) => s.segment_id === state.selected) || null;
const SPEEDS = [0.5, 1, 1.5, 2];

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function clock(seconds) {
  if (!Number.isFinite(seconds)) return "0:00";
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function message(text, kind = "note") {
  return element("p", { class: kind, text });
}

// --- the player -----------------------------------------------------------------------------

class Player {
  constructor(item) {
    this.item = item;
    this.audio = element("audio", { preload: "metadata", class: "audio" });
    this.root = element("div", { class: "player", "data-testid": "player" });
    this.recovering = false;
    // Moments others pin to the recording (quality comments): [{offset, label, kind}].
    this.notes = [];
  }

  currentTime() {
    return this.audio.currentTime;
  }

  seekTo(seconds) {
    this.audio.currentTime = seconds;
    this.update();
  }

  setNotes(notes) {
    this.notes = notes;
    if (this.playhead) this.drawTimeline();
  }

  async start() {
    await this.load();
    this.render();
    window.hindsightConversation.player = this;
    this.audio.addEventListener("error", () => this.recover());
    this.audio.addEventListener("loadedmetadata", () => {
      if (state.t !== null && state.t !== undefined) this.audio.currentTime = state.t;
      this.drawTimeline();
      this.update();
      Actions.invokeAction("InsightsPlayerInitialized", {
        segmentId: segment.segment_id,
        duration: this.audio.duration,
      });
      document.dispatchEvent(new CustomEvent("hindsight:player-ready", { detail: this }));
    });
    for (const event of ["timeupdate", "play", "pause", "ratechange", "durationchange"]) {
      this.audio.addEventListener(event, () => this.update());
    }
    if (state.play) this.play();
    this.loadAnalysis();
    return this.root;
  }

  // Waveform and who spoke when: computed once in the background; asked for until it is done.
  async loadAnalysis(attempt = 0) {
    let analysis;
    try {
      analysis = await api(
        `/api/v1/media/analysis?segment_id=${segment.segment_id}&index=${this.item.index}`,
      );
    } catch {
      this.analysisNote.textContent = "No talk analysis for this recording.";
      return;
    }
    if (analysis.status === "done") {
      this.analysis = analysis;
      this.drawAnalysis();
      return;
    }
    if (analysis.status === "failed" || attempt > 30) {
      this.analysisNote.textContent = "Talk analysis is not available for this recording.";
      return;
    }
    this.analysisNote.textContent = "Analysing the recording…";
    setTimeout(() => this.loadAnalysis(attempt + 1), 2000);
  }

  drawAnalysis() {
    const analysis = this.analysis;
    const duration = analysis.duration_ms;
    this.analysisNote.textContent = "";
    if (!duration) return;
    this.bands.replaceChildren();
    const long = 3000; // a silence this long (ms) is shown as "long silence"
    const layers = [
      ["customer", analysis.intervals.customer],
      ["agent", analysis.intervals.agent],
      ["crosstalk", analysis.intervals.crosstalk],
      ["silence", (analysis.intervals.silence || []).filter(([a, b]) => b - a >= long)],
    ];
    for (const [name, intervals] of layers) {
      for (const [start, end] of intervals || []) {
        const band = element("span", { class: `band ${name}`, title: `${name} ${clock(start / 1000)}–${clock(end / 1000)}` });
        band.style.left = `${(100 * start) / duration}%`;
        band.style.width = `${Math.max((100 * (end - start)) / duration, 0.15)}%`;
        this.bands.append(band);
      }
    }
    this.drawWaveform(analysis.peaks);
    this.showMeasures(analysis.measures, analysis.segment_measures);
  }

  drawWaveform(peaks) {
    if (!peaks || !peaks.length) return;
    const canvas = this.waveform;
    const width = (canvas.width = canvas.clientWidth * (window.devicePixelRatio || 1));
    const height = (canvas.height = 64 * (window.devicePixelRatio || 1));
    const context = canvas.getContext("2d");
    const channels = peaks.channels || 1;
    const columns = peaks.length;
    const colours = ["#1b7f4c", "#1f5fbf"];
    for (let channel = 0; channel < channels; channel++) {
      context.fillStyle = colours[channel % 2];
      const middle = (height / channels) * (channel + 0.5);
      const scale = height / channels / 2 / 128;
      for (let x = 0; x < width; x++) {
        const column = Math.floor((x / width) * columns);
        const at = (column * channels + channel) * 2;
        const low = peaks.data[at];
        const high = peaks.data[at + 1];
        context.fillRect(x, middle - high * scale, 1, Math.max((high - low) * scale, 1));
      }
    }
  }

  showMeasures(whole, stretch) {
    const names = {
      agent_talk_time: "Agent talk",
      customer_talk_time: "Customer talk",
      crosstalk_time: "Cross-talk",
      silence_time: "Silence",
      longest_silence_before_agent: "Longest silence before agent",
      longest_talk_by_agent: "Longest talk by agent",
      longest_talk_by_customer: "Longest talk by customer",
    };
    const table = element("table", { class: "measures", "data-testid": "talk-measures" });
    table.append(
      element(
        "thead",
        {},
        element(
          "tr",
          {},
          element("th", { scope: "col", text: "Talk analytics" }),
          element("th", { scope: "col", class: "num", text: "This segment" }),
          element("th", { scope: "col", class: "num", text: "Whole recording" }),
        ),
      ),
    );
    const body = element("tbody");
    for (const [key, label] of Object.entries(names)) {
      const value = (m) => (m && m[key] !== null && m[key] !== undefined ? clock(m[key]) : "–");
      body.append(
        element(
          "tr",
          {},
          element("th", { scope: "row", text: label }),
          element("td", { class: "num", text: value(stretch) }),
          element("td", { class: "num", text: value(whole) }),
        ),
      );
    }
    table.append(body);
    this.measures.replaceChildren(table);
  }

  async load(keepTime = false) {
    const link = await mintLink(segment.segment_id, this.item.index);
    const at = this.audio.currentTime;
    this.audio.src = link.url;
    this.expires = link.expires_ms;
    if (keepTime) this.audio.currentTime = at;
  }

  // A link lives minutes; a long listen or a late seek gets a new one where the old one left.
  async recover() {
    if (this.recovering) return;
    this.recovering = true;
    const playing = !this.audio.paused;
    try {
      await this.load(true);
      if (playing) await this.audio.play();
    } catch (error) {
      notify(`The recording cannot be played: ${error.message}`);
    } finally {
      this.recovering = false;
    }
  }

  play() {
    return this.audio.play().catch(() => notify("Press play to start the recording."));
  }

  render() {
    this.toggle = element("button", {
      type: "button",
      class: "play",
      "aria-label": "Play",
      onclick: () => (this.audio.paused ? this.play() : this.audio.pause()),
    });
    this.seek = element("input", {
      type: "range",
      min: "0",
      max: "0",
      step: "0.1",
      value: "0",
      class: "seek",
      "aria-label": "Position in the recording",
      oninput: () => {
        this.audio.currentTime = Number(this.seek.value);
      },
    });
    this.time = element("span", { class: "time", "aria-live": "off", text: "0:00 / 0:00" });
    this.speeds = SPEEDS.map((speed) =>
      element("button", {
        type: "button",
        class: "speed",
        "aria-pressed": speed === 1 ? "true" : "false",
        "data-speed": speed,
        text: `${speed}×`,
        onclick: () => {
          this.audio.playbackRate = speed;
        },
      }),
    );
    this.positionLink = element("input", {
      type: "text",
      readonly: true,
      class: "position-link",
      "aria-label": "Link to this moment",
    });
    const copy = element("button", {
      type: "button",
      class: "copy",
      text: "Copy link to this moment",
      onclick: () => this.copyPosition(),
    });
    this.timeline = element("div", { class: "timeline", role: "group", "aria-label": "Timeline" });
    this.bands = element("div", { class: "bands", "aria-hidden": "true" });
    this.waveform = element("canvas", { class: "waveform", "aria-hidden": "true" });
    this.analysisNote = element("p", { class: "fine analysis-note", "aria-live": "polite" });
    this.measures = element("div", { class: "talk-measures" });
    const key = element(
      "p",
      { class: "legend" },
      element("span", { class: "swatch customer" }),
      "Customer ",
      element("span", { class: "swatch agent" }),
      "Agent ",
      element("span", { class: "swatch crosstalk" }),
      "Cross-talk ",
      element("span", { class: "swatch silence" }),
      "Long silence",
    );
    const channels = this.item.channels || ["customer", "others"];
    const legend = element(
      "p",
      { class: "channels" },
      `Left channel: ${channels[0] || "customer"} · Right channel: ${channels[1] || "agent"}`,
    );
    const title = element("h3", { class: "media-title", text: this.item.title || "Recording" });
    this.root.append(
      title,
      this.audio,
      element("div", { class: "controls" }, this.toggle, this.seek, this.time),
      element("div", { class: "speeds", role: "group", "aria-label": "Speed" }, ...this.speeds),
      this.waveform,
      this.timeline,
      key,
      legend,
      this.analysisNote,
      this.measures,
      element("div", { class: "share" }, copy, this.positionLink),
    );
  }

  update() {
    const duration = Number.isFinite(this.audio.duration) ? this.audio.duration : 0;
    this.seek.max = String(duration);
    this.seek.value = String(this.audio.currentTime);
    this.time.textContent = `${clock(this.audio.currentTime)} / ${clock(duration)}`;
    const playing = !this.audio.paused;
    this.toggle.textContent = playing ? "Pause" : "Play";
    this.toggle.setAttribute("aria-label", playing ? "Pause" : "Play");
    for (const button of this.speeds) {
      const active = Number(button.dataset.speed) === this.audio.playbackRate;
      button.setAttribute("aria-pressed", active ? "true" : "false");
    }
    if (this.playhead && duration) {
      this.playhead.style.left = `${(100 * this.audio.currentTime) / duration}%`;
    }
    this.positionLink.value = this.positionUrl();
  }

  positionUrl() {
    const url = new URL(location.pathname, location.origin);
    url.searchParams.set("segment", segment.segment_id);
    url.searchParams.set("t", String(Math.floor(this.audio.currentTime)));
    return url.href;
  }

  async copyPosition() {
    this.positionLink.value = this.positionUrl();
    try {
      await navigator.clipboard.writeText(this.positionLink.value);
      notify("Link copied: whoever opens it must sign in and be allowed to see this call.");
    } catch {
      this.positionLink.select();
    }
  }

  // Segment markers: where each segment of the conversation starts in the recording.
  drawTimeline() {
    const duration = this.audio.duration;
    this.timeline.replaceChildren(this.bands);
    this.playhead = element("span", { class: "playhead", "aria-hidden": "true" });
    this.timeline.append(this.playhead);
    this.drawNotes(duration);
    const start = this.item.start_time;
    if (!start || !Number.isFinite(duration) || duration <= 0) return;
    for (const other of state.segments) {
      const offset = (other.start_ms - start) / 1000;
      if (offset < 0 || offset > duration) continue;
      const marker = element("button", {
        type: "button",
        class: `marker${other.segment_id === segment.segment_id ? " current" : ""}`,
        title: `${other.kind}${other.agent ? `: ${other.agent}` : ""} at ${clock(offset)}`,
        "aria-label": `${other.kind}${other.agent ? ` with ${other.agent}` : ""}, ${clock(offset)}`,
        onclick: () => {
          this.audio.currentTime = offset;
        },
      });
      marker.style.left = `${(100 * offset) / duration}%`;
      this.timeline.append(marker);
    }
  }
}

// Pinned moments: a marker each, which seeks there when clicked.
Player.prototype.drawNotes = function drawNotes(duration) {
  if (!Number.isFinite(duration) || duration <= 0) return;
  for (const note of this.notes) {
    if (!Number.isFinite(note.offset) || note.offset < 0 || note.offset > duration) continue;
    const marker = element("button", {
      type: "button",
      class: `note-marker ${note.kind || ""}`,
      title: `${note.label} at ${clock(note.offset)}`,
      "aria-label": `${note.label}, ${clock(note.offset)}`,
      "data-offset": note.offset,
      onclick: () => this.seekTo(note.offset),
    });
    marker.style.left = `${(100 * note.offset) / duration}%`;
    this.timeline.append(marker);
  }
};

// --- the other kinds of media ---------------------------------------------------------------

async function transcript(item) {
  if (item.transcript && !item.transcript.available) {
    return message("Hindsight holds no transcript for this chat.");
  }
  const link = await mintLink(segment.segment_id, item.index);
  const document_ = await api(link.url);
  const list = element("ol", { class: "transcript", "data-testid": "transcript" });
  document_.messages.forEach((m, position) => {
    const when = new Date(m.timestamp || m.date_created);
    list.append(
      element(
        "li",
        // Its place in the transcript: what a quality comment pins itself to.
        { class: `message ${m.role || "participant"}`, "data-message-index": position },
        element(
          "div",
          { class: "meta" },
          element("span", { class: "author", text: m.author || "unknown" }),
          element("span", { class: "role", text: m.role || "" }),
          element("time", {
            datetime: Number.isNaN(when.getTime()) ? "" : when.toISOString(),
            text: Number.isNaN(when.getTime()) ? "" : when.toLocaleString(),
          }),
        ),
        element("p", { class: "body", text: m.body || "" }),
      ),
    );
  });
  document.dispatchEvent(new CustomEvent("hindsight:transcript-ready", { detail: list }));
  if (!document_.messages.length) list.append(element("li", { class: "empty", text: "No messages." }));
  return element("div", {}, element("h3", { class: "media-title", text: item.title || "Chat" }), list);
}

async function open(item) {
  const link = await mintLink(segment.segment_id, item.index);
  const url = new URL(link.url, location.origin).href;
  return Actions.invokeAction("HistoricalReportingView", url, {
    external: true,
    conversationId: state.conversation_id,
    segmentId: segment.segment_id,
    mediaIndex: item.index,
    type: item.type,
    host: link.host,
  });
}

function opener(item, text) {
  return element("button", {
    type: "button",
    class: "open-link",
    text,
    onclick: () => open(item).catch((error) => notify(error.message)),
  });
}

async function embedded(item) {
  const link = await mintLink(segment.segment_id, item.index);
  const wrap = element("div", { class: "embedded" });
  wrap.append(element("h3", { class: "media-title", text: item.title || "Embedded page" }));
  if (link.frameable === false) {
    wrap.append(
      message("This page does not allow being shown inside Hindsight.", "note"),
      opener(item, `Open ${item.title || "the page"} in a new tab`),
    );
    return wrap;
  }
  const frame = element("iframe", {
    src: link.url,
    title: item.title || "Embedded page",
    sandbox: "allow-scripts allow-same-origin allow-forms allow-popups",
    referrerpolicy: "no-referrer",
    loading: "lazy",
    "data-testid": "embedded",
  });
  wrap.append(frame, opener(item, "Open in a new tab instead"));
  return wrap;
}

async function show(item) {
  if (!state.can_play) return message("Your roles do not allow opening media.");
  switch (item.type) {
    case "VoiceRecording":
      if (!item.playable) {
        return message("Only the first recording plays in compatible mode.", "note");
      }
      return new Player(item).start();
    case "ChatTranscript":
      return transcript(item);
    case "Embedded":
      return embedded(item);
    case "Referenced":
      return element(
        "div",
        {},
        element("h3", { class: "media-title", text: item.title || "Link" }),
        opener(item, `Open ${item.title || "the linked page"}`),
      );
    case "Raw":
      return element(
        "div",
        {},
        element("h3", { class: "media-title", text: item.title || "External" }),
        opener(item, `Open ${item.title || "the external page"}`),
      );
    default:
      return message(`Unknown media type ${item.type}`);
  }
}

async function select(index) {
  if (!segment) return;
  const item = segment.media.find((m) => m.index === index);
  if (!item || !view) return;
  for (const tab of document.querySelectorAll(".media-tab")) {
    tab.setAttribute("aria-selected", Number(tab.dataset.index) === index ? "true" : "false");
  }
  view.replaceChildren(message("Opening…"));
  try {
    view.replaceChildren(await show(item));
  } catch (error) {
    view.replaceChildren(message(`This media cannot be opened: ${error.message}`, "error"));
  }
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
