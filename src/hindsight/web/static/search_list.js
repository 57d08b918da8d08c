// The conversation list's own tools: columns to show or hide (remembered on the server for
// this person) and saved searches (save the filters in force, open, rename, delete).
// Text only: names are set with textContent / value, never as HTML.
import { api } from "./app.js";

const SAVED = "/api/v1/insights/saved-searches";

function showError(error) {
  const box = document.getElementById("saved-error");
  if (!box) return;
  box.textContent = error ? error.message || String(error) : "";
  box.hidden = !error;
}

function applyColumns(hidden) {
  for (const cell of document.querySelectorAll("[data-column]")) {
    cell.classList.toggle("hidden-column", hidden.has(cell.dataset.column));
  }
}

// The choices are made from the table's headings when the menu first opens (so the page holds
// no second set of labels named like the filters).
function buildChoices(box) {
  for (const heading of document.querySelectorAll("thead th[data-column]")) {
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = "column";
    input.value = heading.dataset.column;
    input.checked = !heading.classList.contains("hidden-column");
    const label = document.createElement("label");
    label.append(input, ` ${heading.dataset.label}`);
    box.append(label);
  }
}

function columnChoices() {
  const menu = document.getElementById("columns-menu");
  const box = document.getElementById("column-choices");
  if (!menu || !box) return;
  menu.addEventListener("toggle", () => {
    if (menu.open && !box.querySelector("input")) buildChoices(box);
  });
  box.addEventListener("change", async () => {
    const hidden = new Set(
      [...box.querySelectorAll("input[name=column]")].filter((i) => !i.checked).map((i) => i.value),
    );
    applyColumns(hidden);
    try {
      const saved = await api("/api/v1/insights/list-columns", {
        method: "PUT",
        json: { hidden_columns: [...hidden] },
      });
      box.dataset.saved = saved.hidden_columns.join(",");
    } catch (error) {
      showError(error);
    }
  });
}

// The filters in force, as the list's own query (a page token is not a filter).
function currentQuery() {
  const params = new URLSearchParams(location.search);
  params.delete("page_token");
  return params.toString();
}

function renameForm(item, button) {
  const input = document.createElement("input");
  input.value = button.dataset.name || "";
  input.maxLength = 80;
  input.setAttribute("aria-label", "New name");
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Save name";
  const form = document.createElement("form");
  form.className = "inline-form";
  form.append(input, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`${SAVED}/${encodeURIComponent(item.dataset.sid)}`, {
        method: "PATCH",
        json: { name: input.value },
      });
      location.reload();
    } catch (error) {
      showError(error);
    }
  });
  button.replaceWith(form);
  input.focus();
}

function savedSearches() {
  const form = document.getElementById("save-search");
  const list = document.getElementById("saved-list");
  if (!form || !list) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(null);
    try {
      await api(SAVED, {
        method: "POST",
        json: { name: form.elements.name.value, query: currentQuery() },
      });
      location.reload();
    } catch (error) {
      showError(error);
    }
  });
  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    const item = button && button.closest("li[data-sid]");
    if (!item) return;
    showError(null);
    if (button.classList.contains("saved-rename")) {
      renameForm(item, button);
    } else if (button.classList.contains("saved-delete")) {
      try {
        await api(`${SAVED}/${encodeURIComponent(item.dataset.sid)}`, { method: "DELETE" });
        location.reload();
      } catch (error) {
        showError(error);
      }
    }
  });
}

columnChoices();
savedSearches();
