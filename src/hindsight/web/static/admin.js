// Administration: create users, reset passwords, disable and enable, through /api/v1/users.
import { api, notify } from "./app.js";

function list(text) {
  return (text || "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}

document.getElementById("new-user")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById("new-user-result");
  const data = new FormData(form);
  try {
    const created = await api("/api/v1/users", {
      method: "POST",
      json: {
        username: data.get("username"),
        full_name: data.get("full_name") || null,
        roles: [data.get("role")],
        scope: { teams: list(data.get("teams")), queues: list(data.get("queues")) },
      },
    });
    result.textContent = `Created ${created.username}. Password (shown once): ${created.generated_password}`;
    form.reset();
  } catch (error) {
    result.textContent = `Not created: ${error.message}`;
  }
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action][data-sid]");
  if (!button) return;
  const sid = button.dataset.sid;
  try {
    if (button.dataset.action === "reset") {
      const done = await api(`/api/v1/users/${sid}/password`, { method: "POST", json: {} });
      notify(`New password for ${done.username} (shown once): ${done.generated_password}`);
    } else {
      const status = button.dataset.action === "disable" ? "disabled" : "active";
      await api(`/api/v1/users/${sid}`, { method: "POST", json: { status } });
      location.reload();
    }
  } catch (error) {
    notify(error.message);
  }
});
