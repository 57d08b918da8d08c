// Quality on the conversation screen: assess the selected segment with a questionnaire while
// the recording plays (answers may carry the moment they refer to), comment on the current
// moment (or a chat message) with a tag, see scores per category and in total, and the
// history of a submitted assessment. Comments and answered moments are markers on the player's
// timeline. Everything from the server is written as text, never as HTML.
import { api, notify } from "./app.js";
import { element } from "./dom.js";

const box = document.getElementById("quality");
const state = JSON.parse(document.getElementById("conversation-state").textContent);
const segmentId = state.selected;
const segment = state.segments.find((s) => s.segment_id === segmentId) || null;
let data = null;
let pinnedMessage = null;

function clock(seconds) {
  if (!Number.isFinite(seconds)) return "";
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100) / 100}%`;
}

function player() {
  return window.hindsightConversation?.player || null;
}

function now() {
  const p = player();
  return p ? Math.round(p.currentTime() * 1000) / 1000 : null;
}

function seekButton(offset, label) {
  return element("button", {
    type: "button",
    class: "link seek-to",
    text: label || clock(offset),
    "data-offset": offset,
    onclick: () => player()?.seekTo(offset),
  });
}

// --- the markers on the player's timeline ------------------------------------------------------

function drawMarkers() {
  const p = player();
  if (!p || !data) return;
  const notes = data.comments
    .filter((c) => c.segment_id === segmentId && c.offset !== null)
    .map((c) => ({ offset: c.offset, label: `${c.tag.name}: ${c.comment}`, kind: "comment" }));
  for (const review of data.reviews.filter((r) => r.segment_id === segmentId)) {
    for (const answer of review.answers.filter((a) => a.offset !== null)) {
      notes.push({ offset: answer.offset, label: `${answer.question}: ${answer.answer}`, kind: "answer" });
    }
  }
  p.setNotes(notes);
}

document.addEventListener("hindsight:player-ready", drawMarkers);

// A chat message clicked in the transcript becomes what the next comment is pinned to.
document.addEventListener("hindsight:transcript-ready", (event) => {
  for (const item of event.detail.querySelectorAll("[data-message-index]")) {
    item.addEventListener("click", () => {
      pinnedMessage = Number(item.dataset.messageIndex);
      for (const other of event.detail.querySelectorAll(".pinned")) other.classList.remove("pinned");
      item.classList.add("pinned");
      updatePin();
    });
  }
});

// --- reviews: scores, answers, history ---------------------------------------------------------

function scoreTable(review) {
  const table = element("table", { class: "scores", "data-testid": "review-score" });
  table.append(
    element(
      "thead",
      {},
      element("tr", {}, element("th", { scope: "col", text: "Category" }), element("th", { scope: "col", class: "num", text: "Score" })),
    ),
  );
  const body = element("tbody");
  for (const row of review.score.categories) {
    body.append(element("tr", {}, element("th", { scope: "row", text: row.category }), element("td", { class: "num", text: percent(row.score) })));
  }
  body.append(
    element("tr", { class: "total" }, element("th", { scope: "row", text: "Total" }), element("td", { class: "num", "data-testid": "total-score", text: percent(review.score.total) })),
  );
  table.append(body);
  return table;
}

function reviewView(review) {
  const status = review.status === "submitted" ? "Submitted" : "Draft";
  const answers = element("ul", { class: "answers" });
  for (const a of review.answers) {
    answers.append(
      element(
        "li",
        {},
        element("span", { class: "question", text: `${a.question}: ` }),
        element("strong", { text: a.answer }),
        a.offset !== null ? element("span", { class: "at" }, " at ", seekButton(a.offset)) : null,
      ),
    );
  }
  const history = review.changes.length
    ? element(
        "details",
        { class: "history" },
        element("summary", { text: `Changed ${review.changes.length} time(s) after submission` }),
        element(
          "ul",
          {},
          ...review.changes.map((c) =>
            element("li", {
              text: `${new Date(c.at_ms).toLocaleString()} — ${c.by || "someone"} changed ${c.field} of “${c.question}” from ${c.before ?? "nothing"} to ${c.after ?? "nothing"}`,
            }),
          ),
        ),
      )
    : null;
  return element(
    "article",
    { class: `review ${review.status}`, "data-testid": "review", "data-segment": review.segment_id },
    element("h3", { text: `${review.questionnaire_name} — ${status}` }),
    element("p", { class: "fine", text: `By ${review.author || "unknown"}` }),
    scoreTable(review),
    answers,
    history,
  );
}

// --- assessing -----------------------------------------------------------------------------------

function mine(questionnaireSid) {
  return data.reviews.find(
    (r) => r.mine && r.segment_id === segmentId && r.questionnaire_sid === questionnaireSid,
  );
}

function questionField(question, existing, offsets) {
  const name = `answer-${question.sid}`;
  const choices = [...question.answer_set.answers];
  if (question.allow_na && data.not_applicable) choices.push(data.not_applicable);
  const fieldset = element("fieldset", { class: "question", "data-question": question.sid });
  fieldset.append(element("legend", { text: question.question }));
  if (question.description) fieldset.append(element("p", { class: "fine", text: question.description }));
  for (const choice of choices) {
    const id = `${name}-${choice.id}`;
    fieldset.append(
      element(
        "label",
        { for: id, class: "choice" },
        element("input", {
          type: "radio",
          id,
          name,
          value: choice.id,
          checked: existing && existing.answer_id === choice.id,
        }),
        ` ${choice.name}`,
      ),
    );
  }
  const shown = element("span", { class: "moment fine" });
  const show = () => {
    const at = offsets.get(question.sid);
    shown.replaceChildren(at === null || at === undefined ? "" : seekButton(at, `at ${clock(at)}`));
  };
  fieldset.append(
    element("button", {
      type: "button",
      class: "link mark-moment",
      text: "Mark this moment",
      "aria-label": `Mark the current moment for “${question.question}”`,
      onclick: () => {
        const at = now();
        if (at === null) {
          notify("Play the recording to mark a moment.");
          return;
        }
        offsets.set(question.sid, at);
        show();
      },
    }),
    shown,
  );
  show();
  return fieldset;
}

function assessForm() {
  const form = element("form", { class: "assess", "data-testid": "assess-form" });
  const picker = element("select", { id: "questionnaire-picker", name: "questionnaire" });
  picker.append(element("option", { value: "", text: "Choose a questionnaire…" }));
  for (const q of data.questionnaires) picker.append(element("option", { value: q.sid, text: q.name }));
  const questions = element("div", { class: "questions" });
  const offsets = new Map();
  const draw = () => {
    questions.replaceChildren();
    offsets.clear();
    const chosen = data.questionnaires.find((q) => q.sid === picker.value);
    if (!chosen) return;
    const existing = mine(chosen.sid);
    const given = new Map((existing?.answers || []).map((a) => [a.question_sid, a]));
    for (const [sid, a] of given) if (a.offset !== null) offsets.set(sid, a.offset);
    const byCategory = new Map();
    for (const q of chosen.questions) {
      if (!byCategory.has(q.category.name)) byCategory.set(q.category.name, []);
      byCategory.get(q.category.name).push(q);
    }
    for (const [category, listed] of byCategory) {
      questions.append(element("h4", { text: category }));
      for (const q of listed) questions.append(questionField(q, given.get(q.sid), offsets));
    }
    if (chosen.description) questions.prepend(element("p", { class: "fine", text: chosen.description }));
  };
  picker.addEventListener("change", draw);
  const save = async (submit) => {
    const chosen = data.questionnaires.find((q) => q.sid === picker.value);
    if (!chosen) {
      notify("Choose a questionnaire first.");
      return;
    }
    const answers = [];
    for (const q of chosen.questions) {
      const picked = form.querySelector(`input[name="answer-${q.sid}"]:checked`);
      if (picked) answers.push({ question_sid: q.sid, answer_id: picked.value, offset: offsets.get(q.sid) ?? null });
    }
    try {
      await api("/api/v1/quality/reviews", {
        method: "POST",
        json: { segment_id: segmentId, questionnaire_sid: chosen.sid, answers, submit },
      });
      notify(submit ? "Assessment submitted." : "Draft saved.");
      const keep = picker.value;
      await load();
      const again = document.getElementById("questionnaire-picker");
      if (again) {
        again.value = keep;
        again.dispatchEvent(new Event("change"));
      }
    } catch (error) {
      notify(`Not saved: ${error.message}`);
    }
  };
  form.addEventListener("submit", (event) => event.preventDefault());
  form.append(
    element("label", { for: "questionnaire-picker", text: "Questionnaire" }),
    picker,
    questions,
    element(
      "div",
      { class: "actions" },
      element("button", { type: "button", text: "Save draft", onclick: () => save(false) }),
      element("button", { type: "button", class: "primary", text: "Submit assessment", onclick: () => save(true) }),
    ),
  );
  return form;
}

// --- comments ------------------------------------------------------------------------------------

let pinLabel = null;

function updatePin() {
  if (!pinLabel) return;
  if (pinnedMessage !== null) pinLabel.textContent = `Pinned to message ${pinnedMessage + 1}`;
  else {
    const at = now();
    pinLabel.textContent = at === null ? "Not pinned to a moment" : `Pinned at ${clock(at)}`;
  }
}

function commentList() {
  const list = element("ol", { class: "comments", "data-testid": "comments" });
  for (const c of data.comments) {
    list.append(
      element(
        "li",
        { "data-segment": c.segment_id },
        element("span", { class: "tag", text: c.tag.name }),
        " ",
        element("span", { class: "comment-text", text: c.comment }),
        " ",
        c.offset !== null && c.segment_id === segmentId ? seekButton(c.offset) : null,
        c.message_index !== null ? element("span", { class: "fine", text: ` (message ${c.message_index + 1})` }) : null,
        element("span", { class: "fine", text: ` — ${c.author || "unknown"}` }),
      ),
    );
  }
  if (!data.comments.length) list.append(element("li", { class: "empty", text: "No comments yet." }));
  return list;
}

function commentForm() {
  const text = element("textarea", { id: "comment-text", name: "comment", rows: "2", maxlength: "4000", required: true });
  const tag = element("select", { id: "comment-tag", name: "tag" });
  for (const t of data.comment_tags) tag.append(element("option", { value: t.id, text: t.name, selected: t.default }));
  pinLabel = element("span", { class: "fine pin", "data-testid": "pin" });
  const form = element(
    "form",
    { class: "comment-form" },
    element("label", { for: "comment-text", text: "Comment" }),
    text,
    element("label", { for: "comment-tag", text: "Tag" }),
    tag,
    pinLabel,
    element("button", { type: "submit", text: "Add comment" }),
  );
  text.addEventListener("focus", updatePin);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { segment_id: segmentId, comment: text.value, tag_id: tag.value };
    if (pinnedMessage !== null) body.message_index = pinnedMessage;
    else if (now() !== null) body.offset = now();
    try {
      await api("/api/v1/quality/comments", { method: "POST", json: body });
      text.value = "";
      notify("Comment added.");
      await load();
    } catch (error) {
      notify(`Not added: ${error.message}`);
    }
  });
  updatePin();
  return form;
}

// --- the section -----------------------------------------------------------------------------------

function render() {
  const reviews = data.reviews.filter((r) => r.segment_id === segmentId);
  const parts = [element("h3", { text: "Assessments of this segment" })];
  if (reviews.length) for (const r of reviews) parts.push(reviewView(r));
  else parts.push(element("p", { class: "empty", text: "Not assessed yet." }));
  const assessable = data.can_assess && segment && segment.agent !== null;
  if (assessable && data.questionnaires.length) parts.push(assessForm());
  else if (assessable) parts.push(element("p", { class: "fine", text: "No active questionnaire to assess with." }));
  parts.push(element("h3", { text: "Comments" }), commentList());
  if (assessable) parts.push(commentForm());
  document.getElementById("quality-body").replaceChildren(...parts);
  drawMarkers();
}

async function load() {
  data = await api(`/api/v1/quality/conversations/${encodeURIComponent(state.conversation_id)}`);
  render();
}

if (box && segmentId) {
  load().catch((error) => {
    document.getElementById("quality-body").replaceChildren(element("p", { class: "note", text: `Quality data cannot be shown: ${error.message}` }));
  });
}
