// The audit trail: every step on the alerts (who, when, from which status to which, and
// why), newest first, and the registry's own record of supervisors' actions.

import { get } from "../api.js";
import { dateTime, h, label, money, qty, statusBadge, table } from "../format.js";

// Registry entries carry cash in fen and allowances in tonnes (those name an instrument).
function amount(entry) {
  if (!entry.amount) return "—";
  return entry.instrument ? `${qty(entry.amount)} t ${entry.instrument}` : `${money(entry.amount)} CNY`;
}

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
    registry ? h("section", { class: "card" }, h("h2", {}, "Registry administration ", h("small", { class: "muted" }, "(accounts, cash and allowances, by supervisors)")),
      h("div", { class: "scroll" }, table(["#", "When (Beijing)", "Who", "What", "Account", "Amount", "Reference", "Detail"],
        registry.slice(-200).reverse().map((e) => h("tr", {},
          h("td", { class: "num" }, e.seq), h("td", { class: "nowrap" }, dateTime(e.ts)), h("td", {}, e.actor),
          h("td", {}, label(e.kind)), h("td", {}, h("a", { href: `#/accounts/${e.account}` }, e.account)),
          h("td", { class: "num" }, amount(e)), h("td", {}, e.reference), h("td", { class: "muted" }, e.detail)))))) : "",
  );
}
