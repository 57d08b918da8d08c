// Example Hindsight plug-in: open Raw media links of chosen hosts in a panel beside the page,
// instead of a new browser tab. Copy this file into the plug-in directory
// (HINDSIGHT_PLUGINS_DIR, default <data dir>/plugins), set HOSTS to your tool's host names, and
// add its origin to HINDSIGHT_FRAME_ORIGINS so pages may show it in a frame.
//
// It replaces the drill-down action exactly as a Flex plug-in would:
//   Actions.replaceAction("HistoricalReportingView", async (url, original) => ...)
// Hindsight passes a third argument with what it knows of the click: {external, host, type,
// conversationId, segmentId, mediaIndex}. `url` is a short-lived Hindsight media link, which
// leads to the page only for the person who is signed in (and records that they opened it).

const HOSTS = ["qa.example.org"];

export function init(hindsight) {
  hindsight.Actions.replaceAction("HistoricalReportingView", async (url, original, context) => {
    const opensPage = context && context.external && HOSTS.includes(context.host);
    if (!opensPage) return original(url);
    hindsight.panel.open(`Conversation ${context.conversationId || ""}`.trim(), url);
    return "panel";
  });
}
