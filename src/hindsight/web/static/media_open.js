// Transcripts and pages (Embedded, Referenced, Raw) on the conversation screen, each opened
// through a short-lived link, and each saying in words why when it cannot be opened.
import { Actions, api, mintLink } from "./app.js";
import { element, message } from "./dom.js";
import { MAX_TRIES, unavailableAlert, withRetries } from "./media_failure.js";

// `screen` is what the conversation screen knows: {conversationId, segment, again(item)}.

function tryAgain(item, screen) {
  return element("button", {
    type: "button",
    class: "try-again",
    text: "Try again",
    onclick: () => screen.again(item),
  });
}

export async function openTranscript(item, screen) {
  const heading = element("h3", { class: "media-title", text: item.title || "Chat" });
  if (item.transcript && !item.transcript.available) {
    return element(
      "div",
      {},
      heading,
      unavailableAlert(item.type, "Hindsight holds no transcript for this chat"),
    );
  }
  const status = element("div", { class: "media-status", "aria-live": "polite" });
  let document_;
  try {
    document_ = await withRetries(
      async () => api((await mintLink(screen.segment.segment_id, item.index)).url),
      (tried, ms) => {
        status.replaceChildren(
          message(`Not opened (try ${tried} of ${MAX_TRIES}); trying again in ${ms / 1000} s…`),
        );
        screen.show(element("div", {}, heading, status));
      },
    );
  } catch (error) {
    return element("div", {}, heading, unavailableAlert(item.type, error.message, tryAgain(item, screen)));
  }
  const list = messages(document_.messages);
  document.dispatchEvent(new CustomEvent("hindsight:transcript-ready", { detail: list }));
  return element("div", {}, heading, list);
}

function messages(all) {
  const list = element("ol", { class: "transcript", "data-testid": "transcript" });
  all.forEach((m, position) => {
    const when = new Date(m.timestamp || m.date_created);
    const known = !Number.isNaN(when.getTime());
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
            datetime: known ? when.toISOString() : "",
            text: known ? when.toLocaleString([], { dateStyle: "medium", timeStyle: "medium" }) : "",
          }),
        ),
        element("p", { class: "body", text: m.body || "" }),
      ),
    );
  });
  if (!all.length) list.append(element("li", { class: "empty", text: "No messages." }));
  return list;
}

// Hand a page's link to the drill-down action (plug-ins may take it over); an unreachable page
// is said in words next to the button unless the person asked to open it anyway.
async function follow(item, screen, status, anyway) {
  const link = await mintLink(screen.segment.segment_id, item.index);
  if (link.unavailable && !anyway) {
    status.replaceChildren(unavailableAlert(item.type, link.unavailable));
    return "unavailable";
  }
  status.replaceChildren();
  return Actions.invokeAction("HistoricalReportingView", new URL(link.url, location.origin).href, {
    external: true,
    conversationId: screen.conversationId,
    segmentId: screen.segment.segment_id,
    mediaIndex: item.index,
    type: item.type,
    host: link.host,
    unavailable: link.unavailable || null,
  });
}

function opener(item, screen, text, { anyway = false } = {}) {
  const status = element("div", { class: "media-status" });
  const button = element("button", {
    type: "button",
    class: "open-link",
    text,
    onclick: () =>
      follow(item, screen, status, anyway).catch((error) =>
        status.replaceChildren(unavailableAlert(item.type, error.message)),
      ),
  });
  return element("div", { class: "opener" }, button, status);
}

const FALLBACK_TITLES = { Embedded: "Embedded page", Referenced: "Link", Raw: "External" };

export async function openPage(item, screen) {
  const title = item.title || FALLBACK_TITLES[item.type];
  const wrap = element("div", { class: item.type === "Embedded" ? "embedded" : "page-link" });
  wrap.append(element("h3", { class: "media-title", text: title }));
  const link = await mintLink(screen.segment.segment_id, item.index);
  if (link.unavailable) {
    wrap.append(
      unavailableAlert(item.type, link.unavailable, tryAgain(item, screen)),
      opener(item, screen, `Open ${item.title || "the page"} anyway`, { anyway: true }),
    );
    return wrap;
  }
  if (item.type !== "Embedded") {
    const what = item.type === "Raw" ? "the external page" : "the linked page";
    wrap.append(opener(item, screen, `Open ${item.title || what}`));
    return wrap;
  }
  if (link.frameable === false) {
    wrap.append(
      message("This page does not allow being shown inside Hindsight.", "note"),
      opener(item, screen, `Open ${item.title || "the page"} in a new tab`),
    );
    return wrap;
  }
  const frame = element("iframe", {
    src: link.url,
    title,
    sandbox: "allow-scripts allow-same-origin allow-forms allow-popups",
    referrerpolicy: "no-referrer",
    loading: "lazy",
    "data-testid": "embedded",
  });
  wrap.append(frame, opener(item, screen, "Open in a new tab instead"));
  return wrap;
}
