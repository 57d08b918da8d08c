// The Actions API, as Flex UI offers it to plug-ins:
//   Actions.invokeAction(name, payload)
//   Actions.replaceAction(name, async (payload, original) => ...)
//   Actions.addListener("before" + name | "after" + name, (payload, cancel) => ...)
// Flex 1.x names (HistoricalReporting:view, InsightsPlayer:play, ...) are aliases of the Flex 2
// names, for actions and for listeners alike.

const ALIASES = {
  "HistoricalReporting:view": "HistoricalReportingView",
  "InsightsPlayer:play": "InsightsPlayerPlay",
  "InsightsPlayer:show": "InsightsPlayerShow",
  "InsightsPlayer:hide": "InsightsPlayerHide",
  "InsightsPlayer:initialized": "InsightsPlayerInitialized",
};

export function canonicalName(name) {
  if (typeof name !== "string" || !name) throw new TypeError("An action needs a name");
  return ALIASES[name] || name;
}

function canonicalEvent(event) {
  const match = /^(before|after)(.+)$/.exec(String(event));
  if (!match) throw new TypeError(`Listen to "before<Action>" or "after<Action>", not ${event}`);
  return match[1] + canonicalName(match[2]);
}

const actions = new Map();
const listeners = new Map();

function missing(name) {
  return async () => {
    throw new Error(`There is no action ${name}`);
  };
}

export const Actions = {
  registerAction(name, implementation) {
    if (typeof implementation !== "function") throw new TypeError("An action is a function");
    actions.set(canonicalName(name), implementation);
  },

  // The replacement gets (payload, original, ...context); calling original() (or
  // original(otherPayload)) runs what was there before.
  replaceAction(name, replacement) {
    if (typeof replacement !== "function") throw new TypeError("A replacement is a function");
    const key = canonicalName(name);
    const previous = actions.get(key) || missing(key);
    actions.set(key, (payload, ...context) =>
      replacement(payload, (override = payload) => previous(override, ...context), ...context),
    );
  },

  addListener(event, listener) {
    const key = canonicalEvent(event);
    if (!listeners.has(key)) listeners.set(key, []);
    listeners.get(key).push(listener);
  },

  removeListener(event, listener) {
    const key = canonicalEvent(event);
    listeners.set(key, (listeners.get(key) || []).filter((l) => l !== listener));
  },

  hasAction(name) {
    return actions.has(canonicalName(name));
  },

  async invokeAction(name, payload, ...context) {
    const key = canonicalName(name);
    const implementation = actions.get(key) || missing(key);
    let cancelled = false;
    const cancel = () => {
      cancelled = true;
    };
    for (const listener of listeners.get("before" + key) || []) {
      await listener(payload, cancel, ...context);
    }
    if (cancelled) return undefined;
    const result = await implementation(payload, ...context);
    for (const listener of listeners.get("after" + key) || []) {
      await listener(payload, result, ...context);
    }
    return result;
  },
};
