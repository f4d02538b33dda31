// Enforcement restrictions: the register page, an account's restrictions with the lift
// control, and the form that restricts an account (on the account page and an alert page).
// All through the supervisors' REST API (/api/admin/.../restrictions).

import { get, post } from "../api.js";
import { dateTime, h, label, table } from "../format.js";

const MODES = [["cancel_only", "cancel only"], ["sell_only", "sell only"], ["suspended", "suspended"]];

export function restrictionsOf(account) {
  return get(`/api/admin/restrictions?account=${encodeURIComponent(account)}`);
}

// The records as a table; in-force ones get a lift control when `onChange` is given.
export function restrictionTable(records, onChange, { showAccount = false, id = "restrictions" } = {}) {
  const liftCell = (r) => {
    if (!onChange || r.status !== "in_force") return h("td", {}, r.lift_reason ? `${r.lifted_by}: ${r.lift_reason}` : "");
    const why = h("input", { placeholder: "why lift", size: 14, class: "lift-reason" });
    const message = h("span", { class: "error", role: "alert" });
    const lift = async () => {
      message.textContent = "";
      try {
        await post(`/api/admin/accounts/${encodeURIComponent(r.account)}/restrictions/${encodeURIComponent(r.reference)}/lift`, { reason: why.value });
        await onChange();
      } catch (error) {
        message.textContent = error.message;
      }
    };
    return h("td", { class: "nowrap" }, why, " ", h("button", { type: "button", class: "lift", onclick: lift }, "Lift"), " ", message);
  };
  const headers = [...(showAccount ? ["Account"] : []), "Mode", "Status", "Reason", "Imposed", "By", "Until", "Reference", "Lifted"];
  return table(headers, records.map((r) => h("tr", { class: `restriction ${r.status}`, dataset: { reference: r.reference } },
    showAccount ? h("td", {}, h("a", { href: `#/accounts/${encodeURIComponent(r.account)}` }, r.account)) : null,
    h("td", {}, label(r.mode)), h("td", {}, h("span", { class: `status ${r.status}` }, label(r.status))),
    h("td", { class: "reason" }, r.reason), h("td", { class: "nowrap" }, dateTime(r.imposed_ts)), h("td", {}, r.imposed_by),
    h("td", { class: "nowrap" }, r.until ? dateTime(r.until) : "until lifted"), h("td", { class: "mono" }, r.reference),
    liftCell(r))), { id });
}

// The form that restricts `account`; `alertId` links the restriction to an alert.
export function restrictForm(account, onChange, alertId = "") {
  const mode = h("select", { name: "mode", class: "restrict-mode" }, MODES.map(([value, text]) => h("option", { value }, text)));
  const reason = h("input", { name: "reason", placeholder: "reason (required)", size: 24, class: "restrict-reason" });
  const until = h("input", { name: "until", placeholder: "until YYYY-MM-DD (empty: until lifted)", size: 22, class: "restrict-until" });
  const cancel = h("input", { type: "checkbox", name: "cancel_resting", class: "restrict-cancel" });
  const message = h("p", { class: "error", role: "alert" });
  const submit = async () => {
    message.textContent = "";
    try {
      await post(`/api/admin/accounts/${encodeURIComponent(account)}/restrictions`, {
        mode: mode.value, reason: reason.value, until: until.value, cancel_resting: cancel.checked, alert_id: alertId,
      });
      reason.value = "";
      await onChange();
    } catch (error) {
      message.textContent = error.message;
    }
  };
  return h("form", { class: "stack restrict-form", dataset: { account }, onsubmit: (e) => e.preventDefault() },
    h("div", { class: "row" }, h("strong", {}, `Restrict ${account}`), mode),
    reason, until, h("label", {}, cancel, " also cancel its live orders"),
    h("button", { type: "button", class: "danger restrict", onclick: submit }, "Restrict"), message);
}

// One account's restrictions with the controls, refreshed after each change.
export async function accountRestrictions(account, alertId = "") {
  const box = h("div", { class: "account-restrictions", dataset: { account } });
  const refresh = async () => {
    let records;
    try {
      records = await restrictionsOf(account);
    } catch (error) {
      box.replaceChildren(h("p", { class: "muted" }, `Restrictions unavailable here: ${error.message}`));
      return;
    }
    box.replaceChildren(restrictionTable(records, refresh, { id: `restrictions-${account}` }), restrictForm(account, refresh, alertId));
  };
  await refresh();
  return box;
}

export async function restrictionsPage(main) {
  const body = h("div", {});
  main.append(h("div", { class: "title-row" }, h("h1", {}, "Restriction register")),
    h("section", { class: "card" }, h("p", { class: "muted" }, "Every enforcement restriction, newest first. Restrict an account from its page or an alert's."), body));
  const refresh = async () => body.replaceChildren(restrictionTable(await get("/api/admin/restrictions"), refresh, { showAccount: true, id: "register" }));
  await refresh();
}
