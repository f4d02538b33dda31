// The alert queue: highest score first, filtered, updated live as alerts are raised,
// merged and worked (the list is fetched again, at most a few times a second).

import { followAlerts, get } from "../api.js";
import { dateTime, h, label, scoreBadge, statusBadge, table, time } from "../format.js";

const STATUSES = ["new", "in_review", "escalated", "closed"];
let remembered = new URLSearchParams({ status: "open" });

export async function alertQueue(main) {
  const [patterns, info] = await Promise.all([get("/api/parameters"), get("/api/dashboard/instruments")]);
  const select = (name, options, chosen) => h("select", { name },
    options.map(([value, text]) => h("option", { value, selected: value === chosen }, text)));
  const form = h("form", { class: "filters", id: "alert-filters" },
    h("label", {}, "Status ", select("status", [["open", "open (not closed)"], ["", "any"], ...STATUSES.map((s) => [s, label(s)])], remembered.get("status") || "")),
    h("label", {}, "Pattern ", select("pattern", [["", "any"], ...patterns.map((p) => [p.pattern, label(p.pattern)])], remembered.get("pattern") || "")),
    h("label", {}, "Instrument ", select("instrument", [["", "any"], ...info.instruments.map((i) => [i.symbol, i.symbol])], remembered.get("instrument") || "")),
    h("label", {}, "Account ", h("input", { name: "account", size: 10, value: remembered.get("account") || "" })),
    h("label", {}, "Assignee ", h("input", { name: "assignee", size: 10, value: remembered.get("assignee") || "" })),
    h("label", {}, "Min score ", h("input", { name: "min_score", type: "number", min: 0, max: 100, size: 4, value: remembered.get("min_score") || "0" })),
  );
  const summary = h("p", { class: "muted", id: "queue-summary" });
  const list = h("div", { id: "alert-list" });
  const live = h("span", { class: "live", id: "live" }, "● live");
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, "Alert queue"), live),
    h("section", { class: "card" }, form, summary, list),
  );

  const fresh = new Set();
  async function load() {
    const chosen = new FormData(form);
    remembered = new URLSearchParams([...chosen].filter(([, v]) => v !== ""));
    const query = new URLSearchParams({ limit: "200" });
    for (const [name, value] of remembered) {
      if (name === "status" && value === "open") for (const s of STATUSES.slice(0, 3)) query.append("status", s);
      else query.append(name, value);
    }
    const page = await get(`/api/alerts?${query}`);
    summary.textContent = `${page.total} alert${page.total === 1 ? "" : "s"}${page.total > page.alerts.length ? `, the first ${page.alerts.length} shown` : ""}.`;
    list.replaceChildren(table(
      ["Score", "Pattern", "Instrument", "Accounts", "Group", "Window (Beijing)", "Raised", "Status", "Assignee", "Reason"],
      page.alerts.map((a) => h("tr", {
        class: `clickable ${fresh.has(a.id) ? "fresh" : ""}`, dataset: { alert: a.id },
        onclick: () => { location.hash = `#/alerts/${a.id}`; },
      },
      h("td", {}, scoreBadge(a.score)),
      h("td", {}, h("a", { href: `#/alerts/${a.id}` }, label(a.pattern))),
      h("td", {}, a.instrument || "—"),
      h("td", {}, a.accounts.map((acc, i) => [i ? ", " : "", h("a", { href: `#/accounts/${acc}`, onclick: (e) => e.stopPropagation() }, acc)])),
      h("td", {}, a.control_group || "—"),
      h("td", { class: "nowrap" }, `${time(a.window_start)}–${time(a.window_end)}`),
      h("td", { class: "nowrap" }, dateTime(a.raised_ts)),
      h("td", {}, statusBadge(a.status)),
      h("td", {}, a.assignee || "—"),
      h("td", { class: "reason" }, a.reason))),
      { class: "queue" },
    ));
  }

  let pending = null;
  const reloadSoon = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      load();
    }, 300);
  };
  form.addEventListener("change", load);
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  await load();
  const stop = followAlerts((message) => {
    if (message.type === "alert" && message.action === "raised") fresh.add(message.alert.id);
    reloadSoon();
  });
  return () => {
    stop();
    clearTimeout(pending);
  };
}
