// The compliance year: every entity's status with a filter and the surrender deadline's
// countdown, national-market cancellations pending; one entity's page (allocation
// history, the lineage of its tonnes, surrenders, pledges, status); the pledge register.

import { get } from "../api.js";
import { dateTime, h, label, money, qty, statusBadge, table } from "../format.js";

const STATUSES = ["awaiting_emissions", "outstanding", "compliant", "non_compliant"];

function lastYear() {
  return new Date().getUTCFullYear() - 1;
}

export async function complianceYearPage(main, wanted) {
  const year = Number(wanted) || lastYear();
  const [view, moves] = await Promise.all([
    get(`/api/admin/compliance/years/${year}`),
    get("/api/admin/compliance/national-moves"),
  ]);
  const filter = h("select", { id: "status-filter", "aria-label": "Status" },
    h("option", { value: "" }, "every status"), STATUSES.map((s) => h("option", { value: s }, label(s))));
  const list = h("div", { id: "compliance-table" });
  const show = () => {
    const rows = view.entities.filter((e) => !filter.value || e.status === filter.value);
    list.replaceChildren(table(["Entity", "Status", "Verified (t)", "Allowances (t)", "Offsets (t)", "Shortfall (t)", "Coverage"],
      rows.map((e) => h("tr", { dataset: { account: e.account, status: e.status } },
        h("td", {}, h("a", { href: `#/compliance/entities/${e.account}` }, e.account)),
        h("td", {}, statusBadge(e.status)), h("td", { class: "num" }, qty(e.verified_emissions)),
        h("td", { class: "num" }, qty(e.surrendered_allowances)), h("td", { class: "num" }, qty(e.surrendered_offsets)),
        h("td", { class: "num" }, qty(e.shortfall)), h("td", {}, label(e.coverage))))));
  };
  filter.addEventListener("change", show);
  show();
  const countdown = view.days_left >= 0 ? `${view.days_left} days left` : `passed ${-view.days_left} days ago`;
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, `Compliance year ${year}`),
      h("span", { id: "deadline", class: "muted", dataset: { daysLeft: view.days_left } }, `surrender deadline ${view.deadline}: ${countdown}`),
      h("a", { href: `#/compliance/${year - 1}` }, `← ${year - 1}`), h("a", { href: `#/compliance/${year + 1}` }, `${year + 1} →`)),
    h("section", { class: "card" }, h("h2", {}, "Entities"), filter, list),
    h("section", { class: "card" }, h("h2", {}, "Non-compliant at the deadline"),
      table(["Entity", "Shortfall (t)", "Consequence"], view.non_compliant.map((n) => h("tr", {},
        h("td", {}, n.account), h("td", { class: "num" }, qty(n.shortfall)), h("td", {}, n.consequence))), { id: "non-compliant" })),
    h("section", { class: "card" }, h("h2", {}, "National-market moves: cancellations pending"),
      table(["Entity", "Sector", "Moved on", "Deadline", "Days left", "Frozen (t)", "Cancelled"],
        moves.map((m) => h("tr", { dataset: { account: m.account } }, h("td", {}, m.account), h("td", {}, m.sector), h("td", {}, m.moved_on),
          h("td", {}, m.deadline), h("td", { class: "num" }, m.cancelled_ts ? "—" : m.days_left),
          h("td", { class: "num" }, qty(Object.values(m.frozen).reduce((a, b) => a + b, 0))),
          h("td", {}, m.cancelled_ts ? `${dateTime(m.cancelled_ts)} by ${m.cancelled_by}` : "pending"))), { id: "national-moves" })),
  );
}

export async function complianceEntityPage(main, account) {
  const view = await get(`/api/admin/compliance/entities/${encodeURIComponent(account)}`);
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, `Compliance entity ${account}`), h("span", { class: "muted" }, label(view.coverage)),
      h("a", { href: `#/accounts/${account}` }, "trading account")),
    h("section", { class: "card" }, h("h2", {}, "Allocation history"),
      table(["Year", "Status", "Previous (t)", "Verified (t)", "New facilities (t)", "Batch 1 (t)", "Debt deducted", "Final (t)", "Batch 2 (t)", "Incentives", "Non-fossil", "Clawed back", "Debt"],
        view.years.map((y) => h("tr", { dataset: { year: y.year } }, h("td", {}, y.year), h("td", {}, statusBadge(y.status)),
          h("td", { class: "num" }, qty(y.previous_emissions)), h("td", { class: "num" }, qty(y.verified_emissions)),
          h("td", { class: "num" }, qty(y.new_facility_emissions)), h("td", { class: "num" }, qty(y.batch1)),
          h("td", { class: "num" }, qty(y.debt_deducted)), h("td", { class: "num" }, y.batch2_done ? qty(y.final_allocation) : "—"),
          h("td", { class: "num" }, y.batch2_done ? qty(y.batch2) : "—"), h("td", { class: "num" }, qty(y.incentives)),
          h("td", { class: "num" }, qty(y.non_fossil)), h("td", { class: "num" }, qty(y.clawed_back)), h("td", { class: "num" }, qty(y.debt)))),
        { id: "allocation-history" })),
    h("section", { class: "card" }, h("h2", {}, "Lineage of the tonnes held ", h("small", { class: "muted" }, "(acquisition lots, in consumption order)")),
      table(["Instrument", "State", "Source", "Acquired (seq)", "Tonnes"], view.lots.map((l) => h("tr", { dataset: { source: l.source } },
        h("td", {}, l.instrument), h("td", {}, l.state), h("td", {}, label(l.source)), h("td", { class: "num" }, l.acquired_seq),
        h("td", { class: "num" }, qty(l.quantity)))), { id: "lineage" })),
    h("section", { class: "card" }, h("h2", {}, "Surrenders"),
      table(["Reference", "Year", "Instrument", "Tonnes", "When", "Who", "Reversed"], view.surrenders.map((s) => h("tr", {},
        h("td", {}, s.reference), h("td", {}, s.year), h("td", {}, s.instrument), h("td", { class: "num" }, qty(s.quantity)),
        h("td", { class: "nowrap" }, dateTime(s.ts)), h("td", {}, s.actor),
        h("td", {}, s.reversed_ts ? `${dateTime(s.reversed_ts)} by ${s.reversed_by}: ${s.reversal_reason}` : "—"))), { id: "surrenders" })),
    h("section", { class: "card" }, h("h2", {}, "Pledges"), pledgeTable(view.pledges)),
    h("section", { class: "card" }, h("h2", {}, "Operations"),
      h("div", { class: "scroll" }, table(["When", "Who", "Operation", "Year", "Reference", "State"], view.operations.slice().reverse().map((o) => h("tr", {},
        h("td", { class: "nowrap" }, dateTime(o.ts)), h("td", {}, o.actor), h("td", {}, label(o.kind)), h("td", {}, o.year || "—"),
        h("td", {}, o.reference), h("td", {}, o.state)))))),
  );
}

function pledgeTable(pledges) {
  return table(["Reference", "Pledgor", "Pledgee", "Instrument", "Tonnes", "Contract", "Amount (CNY)", "Maturity", "State", "Changed"],
    pledges.map((p) => h("tr", { dataset: { state: p.state } }, h("td", {}, p.reference),
      h("td", {}, h("a", { href: `#/compliance/entities/${p.account}` }, p.account)), h("td", {}, p.pledgee),
      h("td", {}, p.instrument), h("td", { class: "num" }, qty(p.quantity)), h("td", {}, p.contract),
      h("td", { class: "num" }, money(p.amount)), h("td", {}, p.maturity), h("td", {}, statusBadge(p.state)),
      h("td", { class: "nowrap" }, `${dateTime(p.changed_ts)} by ${p.changed_by}`))), { class: "pledges" });
}

export async function pledgeRegisterPage(main) {
  const view = await get("/api/admin/pledges");
  const pledged = view.pledges.filter((p) => p.state === "pledged");
  const totals = {};
  for (const p of pledged) totals[p.instrument] = (totals[p.instrument] || 0) + p.quantity;
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, "Pledge register"),
      h("span", { id: "pledged-totals", class: "muted" }, Object.entries(totals).map(([i, t]) => `${i}: ${qty(t)} t pledged`).join(" · ") || "nothing pledged")),
    h("section", { class: "card" }, h("h2", {}, "Pledges"), pledgeTable(view.pledges)),
    h("section", { class: "card" }, h("h2", {}, "Registered pledgees"),
      table(["Pledgee", "Name", "Account", "Registered"], view.pledgees.map((p) => h("tr", {}, h("td", {}, p.pledgee), h("td", {}, p.name),
        h("td", {}, p.account), h("td", { class: "nowrap" }, `${dateTime(p.registered_ts)} by ${p.registered_by}`))))),
  );
}
