// Every page: local times, the default actions, drill-down from tables, plug-ins, and the
// warning before an idle session ends. Nothing here writes HTML from data: text only.
import { Actions } from "./actions.js";

const body = document.body;
const csrf = body.dataset.csrf || "";

export async function api(path, { method = "GET", json } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
    credentials: "same-origin",
  });
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new Error("Signed out");
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.message) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

export async function mintLink(segmentId, index) {
  return api("/api/v1/media/links", { method: "POST", json: { segment_id: segmentId, index } });
}

export function notify(message) {
  const notice = document.getElementById("notice");
  if (!notice) return;
  notice.textContent = message;
  notice.hidden = !message;
}

function localTimes(root = document) {
  for (const element of root.querySelectorAll("time[datetime]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) {
      element.title = element.textContent;
      element.textContent = moment.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    }
  }
}

// --- the side panel plug-ins may use -------------------------------------------------------

const panel = {
  open(title, content) {
    const aside = document.getElementById("plugin-panel");
    const bodyElement = document.getElementById("plugin-panel-body");
    document.getElementById("plugin-panel-title").textContent = title || "Panel";
    bodyElement.replaceChildren();
    if (typeof content === "string") {
      const frame = document.createElement("iframe");
      frame.src = content;
      frame.title = title || "Panel";
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups");
      frame.referrerPolicy = "no-referrer";
      bodyElement.append(frame);
    } else if (content instanceof Node) {
      bodyElement.append(content);
    }
    aside.hidden = false;
    document.getElementById("plugin-panel-close").focus();
    return aside;
  },
  close() {
    document.getElementById("plugin-panel").hidden = true;
  },
};

// --- default actions ---------------------------------------------------------------------------

// The drill-down, as Flex does it: (url, original). `context` says more, for plug-ins that
// want it: {external, conversationId, segmentId, mediaIndex, type, host}.
Actions.registerAction("HistoricalReportingView", async (url, context = {}) => {
  if (context.external) {
    const opened = window.open(url, "_blank", "noopener,noreferrer");
    if (!opened) notify("Your browser blocked the new window; allow pop-ups for Hindsight.");
    return opened ? "opened" : "blocked";
  }
  location.assign(url);
  return "navigated";
});

async function segmentOf(payload) {
  const { segmentId, taskSid } = payload || {};
  if (!segmentId && !taskSid) throw new Error("InsightsPlayerPlay needs a segmentId or a taskSid");
  const query = segmentId
    ? `segment_id=${encodeURIComponent(segmentId)}`
    : `task_sid=${encodeURIComponent(taskSid)}`;
  return api(`/api/v1/insights/drilldown?${query}`);
}

Actions.registerAction("InsightsPlayerPlay", async (payload) => {
  const found = await segmentOf(payload);
  const screen = window.hindsightConversation;
  if (screen && screen.conversationId === found.conversation_id) {
    return screen.select(found.segment_id, { play: true });
  }
  const target = `/conversations/${encodeURIComponent(found.conversation_id)}`;
  location.assign(`${target}?segment=${found.segment_id}&play=1`);
  return "navigated";
});
Actions.registerAction("InsightsPlayerShow", async () => window.hindsightConversation?.showMedia(true));
Actions.registerAction("InsightsPlayerHide", async () => window.hindsightConversation?.showMedia(false));
Actions.registerAction("InsightsPlayerInitialized", async (payload) => payload);

export async function drill(conversationId) {
  const found = await api(
    `/api/v1/insights/drilldown?conversation_id=${encodeURIComponent(conversationId)}`,
  );
  const link = found.action === "open_externally"
    ? await mintLink(found.segment_id, found.media_index)
    : null;
  // A page whose host cannot be reached opens on the conversation screen instead, which says
  // so in words (and still offers it), rather than as the browser's own error page.
  if (link && !link.unavailable) {
    const url = new URL(link.url, location.origin).href;
    return Actions.invokeAction("HistoricalReportingView", url, {
      external: true,
      conversationId,
      segmentId: found.segment_id,
      mediaIndex: found.media_index,
      type: link.type,
      host: link.host,
      unavailable: null,
    });
  }
  const path = `/conversations/${encodeURIComponent(conversationId)}?segment=${found.segment_id}`;
  return Actions.invokeAction("HistoricalReportingView", new URL(path, location.origin).href, {
    external: false,
    conversationId,
    segmentId: found.segment_id,
  });
}

function wireDrillDowns() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.drill[data-conversation]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    pluginsLoaded
      .then(() => drill(link.dataset.conversation))
      .catch((error) => notify(`Could not open the conversation: ${error.message}`));
  });
}

// --- plug-ins ----------------------------------------------------------------------------------

export const hindsight = {
  Actions,
  api,
  mintLink,
  notify,
  panel,
  user: body.dataset.user || null,
  version: 1,
};
window.Hindsight = hindsight;
window.Actions = Actions;

async function loadPlugins() {
  const names = (body.dataset.plugins || "").split(",").filter(Boolean);
  for (const name of names) {
    try {
      const module = await import(`/plugins/${encodeURIComponent(name)}`);
      const init = module.init || module.default;
      if (typeof init === "function") await init(hindsight);
    } catch (error) {
      console.error(`Plug-in ${name} failed to load`, error);
      notify(`Plug-in ${name} failed to load.`);
    }
  }
  document.documentElement.dataset.pluginsReady = "true";
}

// --- the idle session ---------------------------------------------------------------------

function watchIdle() {
  const deadline = Number(body.dataset.idleDeadline || 0);
  if (!deadline) return;
  const warnAt = deadline - 2 * 60 * 1000 - Date.now();
  const endAt = deadline - Date.now();
  if (warnAt > 0) {
    setTimeout(() => notify("You will be signed out in 2 minutes without activity."), warnAt);
  }
  setTimeout(() => {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }, Math.max(endAt, 0) + 1000);
}

export const pluginsLoaded = loadPlugins();
document.getElementById("plugin-panel-close")?.addEventListener("click", () => panel.close());
localTimes();
wireDrillDowns();
watchIdle();
export { Actions, localTimes };
