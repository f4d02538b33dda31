// The audit trail: every step on the alerts (who, when, from which status to which, and
// why), newest first, and the registry's own record of supervisors' actions.

import { get } from "../api.js";
import { dateTime, h, label, statusBadge, table } from "../format.js";

export async function auditPage(main) {
  const steps = await get("/api/dashboard/audit");
  let registry = null;
  try {
    registry = await get("/api/admin/audit");
  } catch {
    registry = null; // a surveillance-only process does not serve the registry
  }
  const actor = h("input", { placeholder: "filter by supervisor or alert…", id: "audit-filter", size: 28 });
  const list = h("div", { id: "audit-list" });
  const show = () => {
    const needle = actor.value.trim().toLowerCase();
    const rows = steps.filter((e) => !needle || `${e.actor} ${e.alert_id} ${e.pattern}`.toLowerCase().includes(needle));
    list.replaceChildren(table(["When (Beijing)", "Who", "Alert", "Step", "From", "To", "Assignee", "Disposition", "Comment"],
      rows.map((e) => h("tr", { dataset: { action: e.action, alert: e.alert_id } },
        h("td", { class: "nowrap" }, dateTime(e.ts)), h("td", {}, e.actor),
        h("td", {}, h("a", { href: `#/alerts/${e.alert_id}` }, label(e.pattern))),
        h("td", {}, label(e.action)), h("td", {}, e.from_status ? label(e.from_status) : "—"), h("td", {}, statusBadge(e.to_status)),
        h("td", {}, e.assignee || "—"), h("td", {}, e.disposition ? label(e.disposition) : "—"), h("td", { class: "reason" }, e.comment)))));
  };
  actor.addEventListener("input", show);
  show();
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, "Audit trail"), h("span", { class: "muted" }, "append-only; newest first")),
    h("section", { class: "card" }, h("h2", {}, "Alert workflow"), actor, list),
    registry ? h("section", { class: "card" }, h("h2", {}, "Registry administration"),
      h("div", { class: "scroll" }, table(Object.keys(registry[0] || { record: "" }), registry.slice(-200).reverse().map((entry) =>
        h("tr", {}, Object.values(entry).map((value) => h("td", {}, typeof value === "object" ? JSON.stringify(value) : String(value)))))))) : "",
  );
}
