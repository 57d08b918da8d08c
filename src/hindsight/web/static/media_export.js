// Bulk export of recordings and transcripts from the conversation list: select conversations
// (or take the whole search), ask for the ZIP, follow its progress, download it once.
// Text only: everything shown is set with textContent.
import { api } from "./app.js";

const EXPORTS = "/api/v1/insights/exports";
const POLL_MS = 1000;

function element(id) {
  return document.getElementById(id);
}

function picked() {
  return [...document.querySelectorAll("input.pick:checked")].map((box) => box.value);
}

function showError(error) {
  const box = element("export-error");
  box.textContent = error ? error.message || String(error) : "";
  box.hidden = !error;
}

function describe(job) {
  const done = `${job.conversations_done} of ${job.conversations} conversation${job.conversations === 1 ? "" : "s"}`;
  const failed = job.failed_items ? `, ${job.failed_items} could not be read (see manifest.csv)` : "";
  switch (job.status) {
    case "queued":
      return "Waiting to start…";
    case "building":
      return `Building: ${done}, ${job.items} file${job.items === 1 ? "" : "s"}${failed}`;
    case "ready":
      return `Ready: ${job.items} file${job.items === 1 ? "" : "s"} from ${done}${failed}. You can download it once.`;
    case "downloaded":
      return "Downloaded. Export again to get another copy.";
    case "expired":
      return "This export expired before it was downloaded. Export again.";
    default:
      return job.error || "The export failed. Try again.";
  }
}

function show(job) {
  element("export-progress").hidden = false;
  const bar = element("export-bar");
  bar.value = job.progress;
  bar.setAttribute("aria-valuetext", `${Math.round(job.progress * 100)}%`);
  element("export-status").textContent = describe(job);
  const link = element("export-download");
  link.hidden = job.status !== "ready";
  if (job.status === "ready") link.href = job.download_url;
  else link.removeAttribute("href");
}

async function follow(url) {
  for (;;) {
    const job = await api(url);
    show(job);
    if (!["queued", "building"].includes(job.status)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function start(path, body) {
  showError(null);
  element("export-selected").disabled = true;
  element("export-search").disabled = true;
  try {
    const job = await api(path, { method: "POST", json: body });
    show(job);
    await follow(job.url);
  } catch (error) {
    showError(error);
  } finally {
    element("export-search").disabled = false;
    refreshCount();
  }
}

function refreshCount() {
  const count = picked().length;
  element("export-count").textContent = String(count);
  element("export-selected").disabled = count === 0;
}

function setUp() {
  const section = element("media-export");
  if (!section) return;
  const table = document.querySelector("table.conversations");
  table.addEventListener("change", (event) => {
    if (event.target.id === "pick-all") {
      for (const box of document.querySelectorAll("input.pick")) box.checked = event.target.checked;
    }
    refreshCount();
  });
  element("export-selected").addEventListener("click", () =>
    start(EXPORTS, { conversation_ids: picked() }),
  );
  element("export-search").addEventListener("click", () => {
    const query = section.dataset.search;
    start(query ? `${EXPORTS}?${query}` : EXPORTS, { all_matching: true });
  });
  element("export-download").addEventListener("click", () => {
    // The download is the only one: once it has started, the link has nothing left to give.
    setTimeout(() => {
      const link = element("export-download");
      link.hidden = true;
      link.removeAttribute("href");
      element("export-status").textContent = "Downloaded. Export again to get another copy.";
    }, 0);
  });
  refreshCount();
}

setUp();
