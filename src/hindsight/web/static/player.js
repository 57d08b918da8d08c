// The recording player of the conversation screen, for people who review calls all day: play,
// skip back and forward, seek by clicking or dragging on the waveform and talk bands, the
// playhead across both, speeds, keyboard shortcuts, the segment playing highlighted; and a
// recording that cannot be played said in words after a few tries (media_failure.js).
import { Actions, api, mintLink, notify } from "./app.js";
import { clock, element } from "./dom.js";
import { MAX_TRIES, probeMedia, unavailableAlert } from "./media_failure.js";

const SPEEDS = [0.5, 1, 1.25, 1.5, 2];
const SKIPS = [-10, -5, 5, 10];
const PAUSES_MS = [1000, 2500]; // before the second and the third try
// Playing this far past where a link was (re)opened shows the source works: a later failure
// (an expired link, a dropped connection) starts a fresh count of tries.
const PROGRESS_RESETS_TRIES_S = 10;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Asking again for a pending talk analysis: 1 s, 1.5 s, 2.25 s, ... at most 20 s apart.
const ANALYSIS_POLLS = 25;
export const analysisDelay = (attempt) => Math.min(1000 * 1.5 ** attempt, 20_000);

function retryable(error) {
  return !error.status || error.status >= 500 || error.status === 429;
}

function typing(target) {
  return !!target.closest?.("input, textarea, select, [contenteditable], [role=tab]");
}

export class Player {
  constructor(item, segment, state) {
    this.item = item;
    this.segment = segment;
    this.state = state;
    this.audio = element("audio", { preload: "metadata", class: "audio" });
    this.root = element("div", { class: "player", "data-testid": "player" });
    this.tries = 0;
    this.failed = false;
    this.connecting = false;
    this.loaded = false;
    this.openedAt = 0;
    // Moments others pin to the recording (quality comments): [{offset, label, kind}].
    this.notes = [];
  }

  currentTime() {
    return this.audio.currentTime;
  }

  setNotes(notes) {
    this.notes = notes;
    if (this.loaded) this.drawTimeline();
  }

  start() {
    if (window.hindsightConversation) window.hindsightConversation.player = this;
    this.render();
    this.wireAudio();
    this.wireScrubbing();
    this.wireKeys();
    this.connect({ first: true });
    return this.root;
  }

  // --- opening the recording: mint a link, check it answers, hand it to <audio> ------------

  async connect({ first = false, keepTime = false } = {}) {
    if (this.connecting) return;
    this.connecting = true;
    const at = this.audio.currentTime;
    const wasPlaying = !this.audio.paused;
    this.setStatus("Opening the recording…");
    let link;
    try {
      link = await this.openLink();
    } catch (error) {
      this.connecting = false;
      this.fail(error.message);
      return;
    }
    this.connecting = false;
    this.setStatus("");
    this.loaded = false;
    this.openedAt = keepTime ? at : 0;
    this.audio.src = link.url;
    if (keepTime) this.audio.currentTime = at;
    if (first) {
      this.loadAnalysis();
      if (this.state.play) this.play();
    } else if (wasPlaying) {
      this.play();
    }
  }

  async openLink() {
    for (;;) {
      this.tries += 1;
      try {
        const link = await mintLink(this.segment.segment_id, this.item.index);
        await probeMedia(link.url);
        return link;
      } catch (error) {
        if (this.tries >= MAX_TRIES || !retryable(error)) throw error;
        const ms = PAUSES_MS[Math.min(this.tries - 1, PAUSES_MS.length - 1)];
        this.setStatus(
          `The recording did not open (try ${this.tries} of ${MAX_TRIES}): ` +
            `trying again in ${Math.round(ms / 100) / 10} s…`,
        );
        await pause(ms);
      }
    }
  }

  // <audio> failed after the link answered: a link that expired during a long listen, or a
  // connection dropped, is opened again where it left off; a file the browser cannot decode
  // (it failed before its length was known) is not worth another try.
  onAudioError() {
    if (this.failed || this.connecting || !this.audio.getAttribute("src")) return;
    if (!this.loaded) {
      this.fail("the file is not audio this browser can play");
      return;
    }
    if (this.tries >= MAX_TRIES) {
      this.fail("the recording stopped and could not be opened again");
      return;
    }
    const ms = PAUSES_MS[Math.min(this.tries - 1, PAUSES_MS.length - 1)];
    pause(ms).then(() => this.connect({ keepTime: true }));
  }

  fail(reason) {
    this.failed = true;
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load();
    const again = element("button", {
      type: "button",
      class: "try-again",
      text: "Try again",
      onclick: () => {
        this.failed = false;
        this.tries = 0;
        this.connect({ first: !this.analysisStarted });
      },
    });
    this.status.replaceChildren(unavailableAlert("VoiceRecording", reason, again));
    this.analysisNote.textContent = "";
    this.update();
  }

  setStatus(text) {
    this.status.replaceChildren();
    if (text) this.status.append(element("p", { class: "note", text }));
  }

  wireAudio() {
    this.audio.addEventListener("error", () => this.onAudioError());
    this.audio.addEventListener("loadedmetadata", () => {
      this.loaded = true;
      if (this.state.t !== null && this.state.t !== undefined && !this.startedAt) {
        this.audio.currentTime = this.state.t;
      }
      this.startedAt = true;
      this.drawTimeline();
      this.update();
      Actions.invokeAction("InsightsPlayerInitialized", {
        segmentId: this.segment.segment_id,
        duration: this.audio.duration,
      });
      document.dispatchEvent(new CustomEvent("hindsight:player-ready", { detail: this }));
    });
    this.audio.addEventListener("timeupdate", () => {
      if (Math.abs(this.audio.currentTime - this.openedAt) >= PROGRESS_RESETS_TRIES_S) {
        this.tries = 0;
      }
    });
    for (const event of ["timeupdate", "play", "pause", "ratechange", "durationchange", "seeked"]) {
      this.audio.addEventListener(event, () => this.update());
    }
  }

  play() {
    return this.audio.play().catch(() => notify("Press play to start the recording."));
  }

  toggle() {
    if (this.failed || !this.loaded) return;
    if (this.audio.paused) this.play();
    else this.audio.pause();
  }

  duration() {
    return Number.isFinite(this.audio.duration) ? this.audio.duration : 0;
  }

  seekTo(seconds) {
    const duration = this.duration();
    if (!duration || this.failed) return;
    this.audio.currentTime = Math.min(Math.max(seconds, 0), duration);
    this.update();
  }

  skip(seconds) {
    this.seekTo(this.audio.currentTime + seconds);
  }

  changeSpeed(step) {
    const at = SPEEDS.indexOf(this.audio.playbackRate);
    const next = SPEEDS[Math.min(Math.max((at < 0 ? 1 : at) + step, 0), SPEEDS.length - 1)];
    this.audio.playbackRate = next;
  }

  // --- waveform and who spoke when ------------------------------------------------------------

  // Computed once in the background; asked for until it is done, less and less often (1 s,
  // then half as long again each time, at most 20 s apart, giving up after about 6 minutes).
  async loadAnalysis(attempt = 0) {
    this.analysisStarted = true;
    if (this.failed) return;
    let analysis;
    try {
      analysis = await api(
        `/api/v1/media/analysis?segment_id=${this.segment.segment_id}&index=${this.item.index}`,
      );
    } catch {
      if (!this.failed) this.analysisNote.textContent = "No talk analysis for this recording.";
      return;
    }
    if (this.failed) return;
    if (analysis.status === "done") {
      this.analysis = analysis;
      this.drawAnalysis();
      return;
    }
    if (analysis.status === "failed" || attempt >= ANALYSIS_POLLS) {
      this.analysisNote.textContent = "Talk analysis is not available for this recording.";
      return;
    }
    this.analysisNote.textContent = "Analysing the recording…";
    setTimeout(() => this.loadAnalysis(attempt + 1), analysisDelay(attempt));
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
        const band = element("span", {
          class: `band ${name}`,
          title: `${name} ${clock(start / 1000)}–${clock(end / 1000)}`,
        });
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
    const head = element(
      "tr",
      {},
      element("th", { scope: "col", text: "Talk analytics" }),
      element("th", { scope: "col", class: "num", text: "This segment" }),
      element("th", { scope: "col", class: "num", text: "Whole recording" }),
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
    const table = element(
      "table",
      { class: "measures", "data-testid": "talk-measures" },
      element("thead", {}, head),
      body,
    );
    this.measures.replaceChildren(table);
  }

  // --- controls ---------------------------------------------------------------------------------

  render() {
    this.playButton = element("button", {
      type: "button",
      class: "play",
      text: "Play",
      "aria-keyshortcuts": "Space",
      onclick: () => this.toggle(),
    });
    this.skips = SKIPS.map((seconds) =>
      element("button", {
        type: "button",
        class: "jump",
        "data-skip": seconds,
        text: `${seconds < 0 ? "−" : "+"}${Math.abs(seconds)} s`,
        "aria-label": `${seconds < 0 ? "Back" : "Forward"} ${Math.abs(seconds)} seconds`,
        "aria-keyshortcuts": Math.abs(seconds) === 5
          ? (seconds < 0 ? "ArrowLeft" : "ArrowRight")
          : (seconds < 0 ? "Shift+ArrowLeft" : "Shift+ArrowRight"),
        onclick: () => this.skip(seconds),
      }),
    );
    const seekId = `seek-${this.item.index}`;
    this.seek = element("input", {
      type: "range",
      id: seekId,
      min: "0",
      max: "0",
      step: "0.1",
      value: "0",
      class: "seek",
      oninput: () => this.seekTo(Number(this.seek.value)),
    });
    this.time = element("span", { class: "time", "aria-live": "off", text: "–:–– / –:––" });
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
      id: `moment-${this.item.index}`,
      readonly: true,
      class: "position-link",
    });
    const copy = element("button", {
      type: "button",
      class: "copy",
      text: "Copy link to this moment",
      onclick: () => this.copyPosition(),
    });
    this.status = element("div", { class: "media-status", "aria-live": "polite" });
    this.timeline = element("div", { class: "timeline" });
    this.bands = element("div", { class: "bands", "aria-hidden": "true" });
    this.waveform = element("canvas", { class: "waveform", "aria-hidden": "true" });
    this.playhead = element("span", { class: "playhead", "aria-hidden": "true" });
    // Waveform and talk bands are one surface to click or drag on, the playhead across both.
    this.scrub = element(
      "div",
      {
        class: "scrub",
        "data-testid": "scrub",
        title: "Click or drag to move through the recording",
      },
      this.waveform,
      this.timeline,
      this.playhead,
    );
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
    const shortcuts = element("p", {
      class: "fine shortcuts",
      text: "Keys: Space play or pause · ← → 5 s · Shift + ← → 10 s · [ ] slower or faster",
    });
    const title = element("h3", { class: "media-title", text: this.item.title || "Recording" });
    const [back10, back5, forward5, forward10] = this.skips;
    this.root.append(
      title,
      this.audio,
      this.status,
      element(
        "div",
        { class: "controls" },
        back10,
        back5,
        this.playButton,
        forward5,
        forward10,
        element("label", { for: seekId, class: "seek-label", text: "Position" }),
        this.seek,
        this.time,
      ),
      element(
        "div",
        { class: "speeds", role: "group", "aria-labelledby": `speed-${this.item.index}` },
        element("span", { id: `speed-${this.item.index}`, class: "speed-label", text: "Speed" }),
        ...this.speeds,
      ),
      (this.details = element(
        "div",
        { class: "player-details" },
        this.scrub,
        key,
        legend,
        shortcuts,
        this.analysisNote,
        this.measures,
      )),
      element(
        "div",
        { class: "share" },
        element("label", { for: `moment-${this.item.index}`, text: "Link to this moment" }),
        this.positionLink,
        copy,
      ),
    );
    this.update();
  }

  wireScrubbing() {
    const seekAt = (event) => {
      const box = this.scrub.getBoundingClientRect();
      if (!box.width) return;
      this.seekTo(((event.clientX - box.left) / box.width) * this.duration());
    };
    this.scrub.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest("button")) return;
      this.dragging = true;
      this.scrub.setPointerCapture?.(event.pointerId);
      seekAt(event);
      event.preventDefault();
    });
    this.scrub.addEventListener("pointermove", (event) => {
      if (this.dragging) seekAt(event);
    });
    const stop = () => {
      this.dragging = false;
    };
    this.scrub.addEventListener("pointerup", stop);
    this.scrub.addEventListener("pointercancel", stop);
  }

  // Shortcuts anywhere on the screen except where keys mean typing or choosing a tab.
  wireKeys() {
    document.addEventListener("keydown", (event) => {
      if (!this.root.isConnected || event.defaultPrevented) return;
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const onButton = event.target.closest?.("button, a, summary");
      let handled = true;
      if (event.key === " " || event.key === "k") {
        if (onButton && event.key === " ") return; // the focused button acts on Space itself
        this.toggle();
      } else if (event.key === "ArrowLeft") this.skip(event.shiftKey ? -10 : -5);
      else if (event.key === "ArrowRight") this.skip(event.shiftKey ? 10 : 5);
      else if (event.key === "j") this.skip(-10);
      else if (event.key === "l") this.skip(10);
      else if (event.key === "[" || event.key === "<") this.changeSpeed(-1);
      else if (event.key === "]" || event.key === ">") this.changeSpeed(1);
      else handled = false;
      if (handled) event.preventDefault();
    });
  }

  update() {
    const duration = this.duration();
    const usable = !this.failed && this.loaded;
    this.seek.max = String(duration);
    this.seek.value = String(this.audio.currentTime);
    this.time.textContent = usable
      ? `${clock(this.audio.currentTime)} / ${clock(duration)}`
      : "–:–– / –:––";
    const playing = !this.audio.paused;
    this.playButton.textContent = playing ? "Pause" : "Play";
    for (const control of [this.playButton, this.seek, ...this.skips]) control.disabled = !usable;
    for (const button of this.speeds) {
      const active = Number(button.dataset.speed) === this.audio.playbackRate;
      button.setAttribute("aria-pressed", active ? "true" : "false");
    }
    this.playhead.hidden = !usable || !duration;
    this.details.hidden = this.failed;
    if (duration) this.playhead.style.left = `${(100 * this.audio.currentTime) / duration}%`;
    this.positionLink.value = this.positionUrl();
    this.highlightPlaying();
  }

  // The segment the playhead is in, marked in the segment list and on the timeline.
  highlightPlaying() {
    const start = this.item.start_time;
    if (!start || !this.loaded) return;
    const now = start + this.audio.currentTime * 1000;
    const playing = this.state.segments.find(
      (s) => s.start_ms <= now && (s.end_ms === null || now < s.end_ms) && s.kind !== "Conversation",
    ) || this.state.segments.find((s) => s.start_ms <= now && (s.end_ms === null || now < s.end_ms));
    const id = playing ? playing.segment_id : null;
    if (id === this.playingSegment) return;
    this.playingSegment = id;
    for (const link of document.querySelectorAll(".segment-list a[data-segment]")) {
      const on = link.dataset.segment === id;
      link.closest("li")?.classList.toggle("playing", on);
      if (on) link.setAttribute("data-playing", "true");
      else link.removeAttribute("data-playing");
    }
    for (const marker of this.timeline.querySelectorAll(".marker")) {
      marker.classList.toggle("playing", marker.dataset.segment === id);
    }
  }

  positionUrl() {
    const url = new URL(location.pathname, location.origin);
    url.searchParams.set("segment", this.segment.segment_id);
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
    if (Number.isFinite(duration) && duration > 0) this.drawNotes(duration);
    const start = this.item.start_time;
    if (!start || !Number.isFinite(duration) || duration <= 0) return;
    for (const other of this.state.segments) {
      const offset = (other.start_ms - start) / 1000;
      if (offset < 0 || offset > duration) continue;
      const who = other.agent ? ` with ${other.agent}` : "";
      const marker = element("button", {
        type: "button",
        class: `marker${other.segment_id === this.segment.segment_id ? " current" : ""}`,
        "data-segment": other.segment_id,
        title: `${other.kind}${who} at ${clock(offset)}`,
        "aria-label": `${other.kind}${who}, ${clock(offset)}`,
        onclick: () => this.seekTo(offset),
      });
      marker.style.left = `${(100 * offset) / duration}%`;
      this.timeline.append(marker);
    }
    this.playingSegment = undefined;
    this.highlightPlaying();
  }

  // Pinned moments: a marker each, which seeks there when clicked.
  drawNotes(duration) {
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
  }
}
