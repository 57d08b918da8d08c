// The questionnaire editor: categories, questions (answer set, N/A allowed, description),
// questionnaires (their questions in order, active or not) and the account's answer sets.
// Text from the server is written as text, never as HTML.
import { api, notify } from "./app.js";
import { element } from "./dom.js";

let data = null;
let chosen = []; // the question SIDs of the questionnaire being edited, in order

const $ = (id) => document.getElementById(id);

async function attempt(work, done) {
  try {
    await work();
    notify(done);
    await load();
  } catch (error) {
    notify(`Not saved: ${error.message}`);
  }
}

function question(sid) {
  return data.questions.find((q) => q.sid === sid);
}

// --- questionnaires ------------------------------------------------------------------------------

function drawChosen() {
  const list = $("questionnaire-questions");
  list.replaceChildren();
  chosen.forEach((sid, position) => {
    const q = question(sid);
    const move = (step) => {
      const target = position + step;
      if (target < 0 || target >= chosen.length) return;
      [chosen[position], chosen[target]] = [chosen[target], chosen[position]];
      drawChosen();
    };
    list.append(
      element(
        "li",
        { "data-question": sid },
        element("span", { text: q ? q.question : sid }),
        element("button", { type: "button", text: "Up", "aria-label": `Move “${q?.question}” up`, onclick: () => move(-1) }),
        element("button", { type: "button", text: "Down", "aria-label": `Move “${q?.question}” down`, onclick: () => move(1) }),
        element("button", {
          type: "button",
          text: "Remove",
          "aria-label": `Remove “${q?.question}”`,
          onclick: () => {
            chosen.splice(position, 1);
            drawChosen();
          },
        }),
      ),
    );
  });
  const add = $("questionnaire-add");
  add.replaceChildren(element("option", { value: "", text: "Choose a question…" }));
  for (const q of data.questions.filter((q) => !chosen.includes(q.sid))) {
    add.append(element("option", { value: q.sid, text: `${q.question} (${q.category.name})` }));
  }
}

function editQuestionnaire(item) {
  const form = $("questionnaire-form");
  form.elements.sid.value = item ? item.sid : "";
  form.elements.name.value = item ? item.name : "";
  form.elements.description.value = item ? item.description : "";
  chosen = item ? item.questions.map((q) => q.sid) : [];
  $("questionnaire-form-title").textContent = item ? `Edit ${item.name}` : "New questionnaire";
  drawChosen();
}

function questionnaireRows() {
  const body = $("questionnaire-rows");
  body.replaceChildren();
  for (const item of data.questionnaires) {
    body.append(
      element(
        "tr",
        { "data-questionnaire": item.sid },
        element("td", { text: item.name }),
        element("td", { text: String(item.questions.length) }),
        element("td", { text: item.active ? "Active" : "Inactive" }),
        element(
          "td",
          {},
          element("button", { type: "button", text: "Edit", onclick: () => editQuestionnaire(item) }),
          element("button", {
            type: "button",
            text: item.active ? "Deactivate" : "Activate",
            onclick: () =>
              attempt(
                () => api(`/api/v1/quality/questionnaires/${item.sid}`, { method: "POST", json: { active: !item.active } }),
                item.active ? "Questionnaire deactivated." : "Questionnaire activated.",
              ),
          }),
        ),
      ),
    );
  }
}

$("questionnaire-add").addEventListener("change", (event) => {
  if (event.target.value) chosen.push(event.target.value);
  drawChosen();
});
$("questionnaire-reset").addEventListener("click", () => editQuestionnaire(null));
$("questionnaire-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const sid = form.elements.sid.value;
  const existing = data.questionnaires.find((q) => q.sid === sid);
  const json = {
    name: form.elements.name.value,
    description: form.elements.description.value,
    question_sids: chosen,
    active: existing ? existing.active : true,
  };
  const path = sid ? `/api/v1/quality/questionnaires/${sid}` : "/api/v1/quality/questionnaires";
  attempt(() => api(path, { method: "POST", json }), "Questionnaire saved.").then(() => editQuestionnaire(null));
});

// --- questions -----------------------------------------------------------------------------------

function editQuestion(item) {
  const form = $("question-form");
  form.elements.sid.value = item ? item.sid : "";
  form.elements.question.value = item ? item.question : "";
  form.elements.description.value = item ? item.description : "";
  if (item) {
    form.elements.category_sid.value = item.category.sid;
    form.elements.answer_set_id.value = item.answer_set.id;
  }
  form.elements.allow_na.checked = item ? item.allow_na : false;
  $("question-form-title").textContent = item ? "Edit question" : "New question";
}

function questionRows() {
  const body = $("question-rows");
  body.replaceChildren();
  for (const item of data.questions) {
    body.append(
      element(
        "tr",
        { "data-question": item.sid },
        element("td", { text: item.question }),
        element("td", { text: item.category.name }),
        element("td", { text: item.answer_set.name }),
        element("td", { text: item.allow_na ? "Yes" : "No" }),
        element("td", { text: String(item.usage) }),
        element("td", {}, element("button", { type: "button", text: "Edit", onclick: () => editQuestion(item) })),
      ),
    );
  }
  const categories = $("question-category");
  const keepCategory = categories.value;
  categories.replaceChildren(...data.categories.map((c) => element("option", { value: c.sid, text: c.name })));
  if (keepCategory) categories.value = keepCategory;
  const sets = $("question-answer-set");
  const keepSet = sets.value;
  sets.replaceChildren(
    ...data.answer_sets.map((s) =>
      element("option", { value: s.id, text: `${s.name} (${s.answers.map((a) => `${a.name} ${a.score}`).join(", ")})` }),
    ),
  );
  if (keepSet) sets.value = keepSet;
}

$("question-reset").addEventListener("click", () => editQuestion(null));
$("question-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const sid = form.elements.sid.value;
  const json = {
    question: form.elements.question.value,
    description: form.elements.description.value,
    category_sid: form.elements.category_sid.value,
    answer_set_id: form.elements.answer_set_id.value,
    allow_na: form.elements.allow_na.checked,
  };
  const path = sid ? `/api/v1/quality/questions/${sid}` : "/api/v1/quality/questions";
  attempt(() => api(path, { method: "POST", json }), "Question saved.").then(() => editQuestion(null));
});

// --- categories and answer sets ------------------------------------------------------------------

$("category-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = event.target.elements.name.value;
  attempt(() => api("/api/v1/quality/categories", { method: "POST", json: { name } }), "Category added.").then(
    () => event.target.reset(),
  );
});

$("answer-set-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const answers = form.elements.answers.value
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [name, score] = line.split("=").map((part) => part.trim());
      return { name, score: Number(score) };
    });
  attempt(
    () => api("/api/v1/quality/answer-sets", { method: "POST", json: { name: form.elements.name.value, answers } }),
    "Answer set added.",
  ).then(() => form.reset());
});

function lists() {
  $("category-list").replaceChildren(...data.categories.map((c) => element("li", { text: c.name })));
  $("answer-set-list").replaceChildren(
    ...data.answer_sets.map((s) =>
      element("li", { text: `${s.name}: ${s.answers.map((a) => `${a.name} (${a.score})`).join(", ")}${s.builtin ? "" : " — added"}` }),
    ),
  );
}

async function load() {
  data = await api("/api/v1/quality/catalogue");
  questionnaireRows();
  questionRows();
  lists();
  drawChosen();
}

load().catch((error) => notify(`The questionnaires cannot be shown: ${error.message}`));
