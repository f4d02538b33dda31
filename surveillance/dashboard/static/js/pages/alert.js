// One alert: why it was raised, the evidence, its window on a chart with the subject's
// orders and trades marked, the book replayed at any moment of it, the workflow steps
// and the audit trail (updated live when anyone works the alert).

import { followAlerts, get, login, post } from "../api.js";
import { windowChart } from "../charts.js";
import { dateTime, h, label, price, qty, scoreBadge, statusBadge, table, time } from "../format.js";
import { evidenceShares, isShare } from "../shares.js";
import { accountRestrictions } from "./restrictions.js";

const DISPOSITIONS = [["no_action", "no action"], ["warning_letter", "warning letter"], ["referral", "referral to the regulator"]];

// The letter is behind the supervisor's login, so it is fetched with it and saved from a blob.
async function downloadLetter(base, alertId, message) {
  message.textContent = "";
  const answer = await fetch(`${base}/warning-letter`, { headers: { Authorization: login()?.basic || "" } });
  if (!answer.ok) {
    message.textContent = `The letter could not be made (HTTP ${answer.status}).`;
    return;
  }
  const link = h("a", { href: URL.createObjectURL(await answer.blob()), download: `warning-letter-${alertId}.html` });
  document.body.append(link);
  link.click();
  link.remove();
}

export async function alertPage(main, alertId) {
  const base = `/api/alerts/${encodeURIComponent(alertId)}`;
  const [detail, window_] = await Promise.all([get(base), get(`/api/dashboard/alerts/${encodeURIComponent(alertId)}/window`)]);
  const header = h("div", { class: "title-row" });
  const facts = h("dl", { class: "facts" });
  const reason = h("p", { class: "reason-text", id: "alert-reason" });
  const evidence = h("div", { id: "evidence" });
  const shares = h("div", { id: "shares" });
  const trail = h("div", { id: "trail" });
  const actions = h("div", { id: "actions" });
  const chartBox = h("div", { id: "window-chart", class: "chart" });
  const book = h("div", { id: "book" });
  const slider = h("input", { type: "range", min: 0, max: Math.max(0, window_.steps.length - 1), value: 0, id: "replay-step", class: "grow" });
  const when = h("span", { id: "replay-time", class: "mono" });
  const events = h("div", { id: "subject-events", class: "scroll" });

  main.append(
    h("p", {}, h("a", { href: "#/alerts" }, "← Alert queue")),
    header,
    h("div", { class: "grid alert" },
      h("section", { class: "card wide" }, h("h2", {}, "Reason"), reason, facts, h("h2", {}, "Evidence"), evidence, h("h2", {}, "Accounts' shares"), shares),
      h("section", { class: "card" }, h("h2", {}, "Work this alert"), actions),
      h("section", { class: "card wide" },
        h("h2", {}, `Window on ${window_.instrument || "—"} `, h("small", { class: "muted" }, "±30 s, in event order; ▲ buys, ▼ sells, ■ cancels, ● the subject's trades; large and labelled: the alert's evidence")),
        window_.steps.length ? chartBox : h("p", { class: "muted" }, "No order events kept for this window (the alert is about a day or the whole market)."),
        h("h2", {}, "Subject's orders and trades"), events),
      h("section", { class: "card" },
        h("h2", {}, "Order-book replay"),
        window_.steps.length
          ? h("div", { class: "stack" }, h("div", { class: "row" }, slider, when), book, h("p", { class: "muted" }, "Click the chart or move the slider. Tonnes of the subject's orders are highlighted."))
          : h("p", { class: "muted" }, "Nothing to replay.")),
      h("section", { class: "card full", id: "alert-restrictions" }, h("h2", {}, "Enforcement: restrict the subject's accounts"),
        ...(await Promise.all(detail.alert.accounts.map((account) => accountRestrictions(account, detail.alert.id))))),
      h("section", { class: "card full" }, h("h2", {}, "Audit trail"), trail),
    ),
  );

  // the alert's evidence first, then the subject's other activity in the window
  const subjectRows = [
    ...window_.events.filter((e) => e.subject && e.evidence),
    ...window_.events.filter((e) => e.subject && !e.evidence),
  ];
  events.replaceChildren(table(["Time", "Event", "Account", "Side", "Price", "Tonnes", "Order"],
    subjectRows.map((e) => h("tr", { class: `${e.type} ${e.evidence ? "evidence" : ""}`, title: e.evidence ? "named in the alert's evidence" : "" },
      h("td", { class: "mono" }, time(e.ts, true)),
      h("td", {}, e.type),
      h("td", {}, e.type === "trade" ? `${e.buy_account} ← ${e.sell_account}` : e.account),
      h("td", {}, e.type === "trade" ? e.aggressor : e.side),
      h("td", { class: "num" }, price(e.price)),
      h("td", { class: "num" }, qty(e.quantity)),
      h("td", { class: "mono" }, e.type === "trade" ? `#${e.trade_id}` : e.order_id)))));

  async function replay(step) {
    slider.value = String(step);
    const replayed = await get(`/api/dashboard/alerts/${encodeURIComponent(alertId)}/book?step=${step}`);
    when.textContent = `${time(replayed.at, true)} (${step + 1} of ${window_.steps.length})`;
    const row = (cls, name, level) => h("tr", { class: `${cls} ${level?.subject_quantity ? "subject" : ""}` },
      h("td", {}, name), h("td", { class: "num" }, level ? price(level.price) : ""),
      h("td", { class: "num" }, level ? qty(level.quantity) : ""),
      h("td", { class: "num" }, level?.subject_quantity ? qty(level.subject_quantity) : ""));
    const rows = [];
    for (let i = 4; i >= 0; i -= 1) rows.push(row("ask", replayed.asks[i] ? `Ask ${i + 1}` : "", replayed.asks[i]));
    for (let i = 0; i < 5; i += 1) rows.push(row("bid", replayed.bids[i] ? `Bid ${i + 1}` : "", replayed.bids[i]));
    book.replaceChildren(table(["", "Price", "Tonnes", "Subject's"], rows, { class: "depth" }));
  }

  let chart = null;
  if (window_.steps.length) {
    chart = windowChart(chartBox, window_.steps, window_.events, replay);
    slider.addEventListener("input", () => replay(Number(slider.value)));
    const named = new Set(detail.alert.order_ids);
    const first = window_.events.find((e) => named.has(e.order_id)) || window_.events.find((e) => e.subject);
    await replay(first ? first.step : 0);
  }

  let shownRevision = -1;
  function show(current) {
    const a = current.alert;
    if (a.revision === shownRevision) return; // already on screen (the step's own answer)
    shownRevision = a.revision;
    header.replaceChildren(h("h1", {}, label(a.pattern), " ", scoreBadge(a.score)), statusBadge(a.status), h("span", { class: "muted mono" }, a.id));
    reason.textContent = a.reason;
    const fact = (name, ...value) => [h("dt", {}, name), h("dd", {}, ...value)];
    facts.replaceChildren(
      ...fact("Instrument", a.instrument || "whole market"),
      ...fact("Accounts", a.accounts.map((acc, i) => [i ? ", " : "", h("a", { href: `#/accounts/${acc}` }, acc)])),
      ...fact("Control group", a.control_group || "—"),
      ...fact("Window", `${dateTime(a.window_start)} – ${time(a.window_end)} Beijing`),
      ...fact("Assignee", a.assignee || "unassigned"),
      ...fact("Disposition", a.disposition ? label(a.disposition) : "—"),
      ...fact("Orders / trades", `${a.order_ids.length} orders, ${a.trade_ids.length} trades`),
    );
    shares.replaceChildren(evidenceShares(a.evidence));
    evidence.replaceChildren(table(["Measure", "Value"], Object.entries(a.evidence).filter(([k]) => !isShare(k)).map(([k, v]) =>
      h("tr", {}, h("td", {}, label(k)), h("td", { class: typeof v === "number" ? "num" : "" }, typeof v === "number" ? v.toLocaleString("en-US") : v)))));
    trail.replaceChildren(table(["#", "When (Beijing)", "Who", "Step", "From", "To", "Assignee", "Disposition", "Comment"],
      current.trail.slice().reverse().map((e) => h("tr", { dataset: { action: e.action } },
        h("td", { class: "num" }, e.revision), h("td", { class: "nowrap" }, dateTime(e.ts)), h("td", {}, e.actor),
        h("td", {}, label(e.action)), h("td", {}, e.from_status ? label(e.from_status) : "—"), h("td", {}, statusBadge(e.to_status)),
        h("td", {}, e.assignee || "—"), h("td", {}, e.disposition ? label(e.disposition) : "—"), h("td", { class: "reason" }, e.comment)))));
    showActions(a);
  }

  function showActions(a) {
    const comment = h("textarea", { name: "comment", rows: 3, placeholder: "Comment (required: why)", id: "comment" });
    const assignee = h("input", { name: "assignee", placeholder: "supervisor", size: 12, id: "assignee", value: login().user });
    const disposition = h("select", { name: "disposition", id: "disposition" },
      DISPOSITIONS.filter(([value]) => a.status === "escalated" || value === "no_action").map(([value, text]) => h("option", { value }, text)));
    const message = h("p", { class: "error", role: "alert", id: "action-error" });
    const step = (path, body) => async () => {
      message.textContent = "";
      try {
        await post(`${base}/${path}`, { comment: comment.value, ...body() });
        show(await get(base));
      } catch (error) {
        message.textContent = error.message;
      }
    };
    const button = (id, text, path, body = () => ({}), cls = "") => h("button", { type: "button", id, class: cls, onclick: step(path, body) }, text);
    const buttons = [];
    if (a.status === "new") buttons.push(button("start-review", "Take it (start review)", "review", () => ({}), "primary"));
    if (a.status !== "closed") buttons.push(h("div", { class: "row" }, button("assign", "Assign to", "assign", () => ({ assignee: assignee.value })), assignee));
    if (a.status === "in_review") buttons.push(button("escalate", "Escalate", "escalate", () => ({ assignee: "" }), "warn"));
    if (a.status === "in_review" || a.status === "escalated") {
      buttons.push(h("div", { class: "row" }, button("close", "Close as", "close", () => ({ disposition: disposition.value }), "danger"), disposition));
    }
    if (a.status === "closed" && a.disposition === "warning_letter") {
      buttons.push(h("div", { class: "row" },
        h("button", { type: "button", id: "download-letter", onclick: () => downloadLetter(base, a.id, message) }, "Download warning letter"),
        button("letter-sent", "Record letter as sent", "warning-letter/sent", () => ({}), "primary")));
    }
    buttons.push(button("add-comment", "Add comment", "comments"));
    actions.replaceChildren(h("form", { class: "stack", onsubmit: (e) => e.preventDefault() }, comment, ...buttons, message));
  }

  show(detail);
  const stop = followAlerts(async (message) => {
    if (message.type === "alert" && message.alert.id === detail.alert.id) {
      const current = await get(base);
      const typed = document.getElementById("comment")?.value || "";
      show(current);
      document.getElementById("comment").value = typed;
    }
  });
  return () => {
    stop();
    if (chart) chart.remove();
  };
}
