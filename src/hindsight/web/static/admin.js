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

// Retention: the policy (empty keeps for ever), sweeps on demand, releasing holds.
const policyForm = document.getElementById("retention-policy");

function days(value) {
  return value === "" || value === null ? null : Number(value);
}

function describeSweep(report) {
  const verb = report.dry_run ? "Would delete" : "Deleted";
  return `${verb} ${report.conversations} conversations, ${report.recordings} recordings and ${report.transcripts} transcripts; ${report.held} on hold kept.`;
}

policyForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(policyForm);
  const result = document.getElementById("retention-result");
  try {
    await api("/api/v1/retention/policy", {
      method: "POST",
      json: {
        conversation_days: days(data.get("conversation_days")),
        recording_days: days(data.get("recording_days")),
        transcript_days: days(data.get("transcript_days")),
      },
    });
    result.textContent = "Policy saved.";
  } catch (error) {
    result.textContent = `Not saved: ${error.message}`;
  }
});

async function sweep(dryRun) {
  const result = document.getElementById("retention-result");
  if (!dryRun && !confirm("Delete everything the saved policy says has expired? This cannot be undone.")) return;
  result.textContent = dryRun ? "Counting…" : "Deleting…";
  try {
    const report = await api("/api/v1/retention/runs", { method: "POST", json: { dry_run: dryRun } });
    result.textContent = describeSweep(report);
  } catch (error) {
    result.textContent = error.message;
  }
}

document.getElementById("retention-preview")?.addEventListener("click", () => sweep(true));
document.getElementById("retention-run")?.addEventListener("click", () => sweep(false));

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-release]");
  if (!button) return;
  try {
    await api(`/api/v1/retention/holds/${encodeURIComponent(button.dataset.release)}`, {
      method: "DELETE",
    });
    location.reload();
  } catch (error) {
    notify(error.message);
  }
});

// Every handler above is attached: what a browser test waits for before using the forms (a
// click that came sooner would submit the form natively).
document.body.dataset.adminReady = "1";

// Single sign-on: the provider, the claims mapping and the password policy, through /api/v1/sso.
function groupRoles(text) {
  const mapping = {};
  for (const line of (text || "").split("\n")) {
    const at = line.lastIndexOf("=");
    if (at < 0) continue;
    const group = line.slice(0, at).trim();
    if (group) mapping[group] = list(line.slice(at + 1));
  }
  return mapping;
}

document.getElementById("sso-config")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  const result = document.getElementById("sso-result");
  const scopeClaims = {};
  for (const kind of ["teams", "queues", "departments"]) {
    const claim = (data.get(`${kind}_claim`) || "").trim();
    if (claim) scopeClaims[kind] = claim;
  }
  const secret = data.get("client_secret");
  try {
    await api("/api/v1/sso", {
      method: "POST",
      json: {
        enabled: data.get("enabled") === "on",
        display_name: data.get("display_name"),
        issuer: data.get("issuer"),
        client_id: data.get("client_id"),
        ...(secret ? { client_secret: secret } : {}),
        scopes: data.get("scopes"),
        claims_mapping: {
          username_claim: data.get("username_claim"),
          groups_claim: data.get("groups_claim"),
          group_roles: groupRoles(data.get("group_roles")),
          scope_claims: scopeClaims,
        },
        create_people: data.get("create_people") === "on",
        local_passwords: data.get("local_passwords") === "on",
        break_glass_user_sid: data.get("break_glass_user_sid") || null,
      },
    });
    result.textContent = "Single sign-on saved.";
    location.reload();
  } catch (error) {
    result.textContent = `Not saved: ${error.message}`;
  }
});
