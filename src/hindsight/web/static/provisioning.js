// Provisioning (SCIM) on the Admin page: tokens (shown once), revoking, the group mapping.
import { api, notify } from "./app.js";

document.getElementById("new-scim-token")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById("new-scim-token-result");
  try {
    const created = await api("/api/v1/scim/tokens", {
      method: "POST",
      json: { name: new FormData(form).get("name") },
    });
    result.textContent = `Token for ${created.name} (shown once; copy it now): ${created.token}`;
    form.reset();
  } catch (error) {
    result.textContent = `Not created: ${error.message}`;
  }
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-revoke-token]");
  if (!button) return;
  try {
    await api(`/api/v1/scim/tokens/${button.dataset.revokeToken}`, { method: "DELETE" });
    location.reload();
  } catch (error) {
    notify(error.message);
  }
});

document.getElementById("scim-mapping")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = document.getElementById("scim-mapping-result");
  let mapping;
  try {
    mapping = JSON.parse(document.getElementById("sm-json").value || "{}");
  } catch {
    result.textContent = "Not saved: the mapping is not valid JSON";
    return;
  }
  try {
    const saved = await api("/api/v1/scim/mapping", { method: "PUT", json: mapping });
    result.textContent = `Saved; ${saved.people_changed} provisioned people got new roles or scope.`;
  } catch (error) {
    result.textContent = `Not saved: ${error.message}`;
  }
});
