// One account: who it is and who it is linked to, holdings against the position limit,
// its orders, trades, cancels and order-to-trade ratio over the day, and its past alerts.

import { get } from "../api.js";
import { activityChart } from "../charts.js";
import { h, label, money, pct, price, qty, scoreBadge, statusBadge, table, time } from "../format.js";
import { accountRestrictions } from "./restrictions.js";

export async function accountPage(main, account) {
  const view = await get(`/api/dashboard/accounts/${encodeURIComponent(account)}`);
  const totals = view.activity.reduce((sum, row) => ({
    orders: sum.orders + row.orders, amends: sum.amends + row.amends,
    cancels: sum.cancels + row.cancels, trades: sum.trades + row.trades,
  }), { orders: 0, amends: 0, cancels: 0, trades: 0 });
  // messages per trade, as the message-flooding detector counts them
  const messages = totals.orders + totals.amends + totals.cancels;
  const ratio = totals.trades ? messages / totals.trades : null;
  const chartBox = h("div", { id: "activity-chart", class: "chart small" });

  const limitRow = (row) => {
    const share = Math.min(100, row.percent_of_limit);
    const level = row.percent_of_limit > 100 ? "breach" : row.percent_of_limit >= 90 ? "warning" : "ok";
    return h("tr", {},
      h("td", {}, row.instrument), h("td", {}, row.instrument_class),
      h("td", { class: "num" }, qty(row.account_tonnes)),
      h("td", { class: "num" }, qty(row.group_class_tonnes)),
      h("td", { class: "num" }, qty(row.position_limit)),
      h("td", { class: "nowrap" }, h("div", { class: `meter ${level}`, title: pct(row.percent_of_limit) }, h("span", { style: `width:${share}%` })), " ", pct(row.percent_of_limit)));
  };

  const balances = view.registry_balances;
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, `Account ${view.account}`), h("span", { class: "muted" }, `${view.kind} · member ${view.member}`)),
    h("div", { class: "grid account" },
      h("section", { class: "card" },
        h("h2", {}, "Who"),
        h("dl", { class: "facts" },
          h("dt", {}, "Member"), h("dd", {}, view.member),
          h("dt", {}, "Kind"), h("dd", {}, view.kind),
          h("dt", {}, "Control group"), h("dd", {}, view.control_group || "none (stands alone)"),
          h("dt", {}, "Allocation"), h("dd", {}, `${qty(view.allocation)} t`),
          h("dt", {}, "Linked accounts"), h("dd", { id: "linked" }, view.linked_accounts.length
            ? view.linked_accounts.map((a, i) => [i ? ", " : "", h("a", { href: `#/accounts/${a}` }, a)]) : "none"),
          h("dt", {}, "Today"), h("dd", {}, `${qty(totals.orders)} orders, ${qty(totals.amends)} amends, ${qty(totals.cancels)} cancels, ${qty(totals.trades)} trades`),
          h("dt", {}, "Order-to-trade"), h("dd", { id: "otr" }, ratio === null ? `${qty(messages)} messages, no trades` : `${ratio.toFixed(1)} messages per trade`)),
        balances && balances.length ? [h("h2", {}, "Registry balances"), table(["Asset", "State", "Amount"], balances.map((b) =>
          h("tr", {}, h("td", {}, b.asset), h("td", {}, label(b.state)), h("td", { class: "num" }, b.asset === "CNY" ? `${money(b.amount)} CNY` : `${qty(b.amount)} t`))))] : ""),
      h("section", { class: "card wide" },
        h("h2", {}, "Holdings against the position limit ", h("small", { class: "muted" }, "(the control group counts as one holder, per instrument class)")),
        table(["Instrument", "Class", "Account (t)", "Group, class (t)", "Limit (t)", "Of limit"], view.holdings.map(limitRow), { id: "holdings" }),
        h("h2", {}, "Orders, cancels and trades per 10 minutes"),
        view.activity.length ? chartBox : h("p", { class: "muted" }, "No activity kept for this account.")),
      h("section", { class: "card" }, h("h2", {}, "Trades"), h("div", { class: "scroll" },
        table(["Time", "Side", "Price", "Tonnes", "Counterparty"], view.trades.slice().reverse().map((t) => {
          const bought = t.buy_account === view.account;
          return h("tr", {}, h("td", { class: "mono" }, time(t.ts, true)), h("td", { class: bought ? "buy" : "sell" }, bought ? "buy" : "sell"),
            h("td", { class: "num" }, price(t.price)), h("td", { class: "num" }, qty(t.quantity)), h("td", {}, bought ? t.sell_account : t.buy_account));
        }), { id: "trades" }))),
      h("section", { class: "card wide" }, h("h2", {}, "Orders"), h("div", { class: "scroll" },
        table(["Time", "Event", "Instrument", "Side", "Price", "Tonnes", "Order", "Client id"], view.orders.slice().reverse().map((e) =>
          h("tr", { class: e.type }, h("td", { class: "mono" }, time(e.ts, true)), h("td", {}, e.type), h("td", {}, e.instrument || ""),
            h("td", {}, e.side), h("td", { class: "num" }, price(e.price)), h("td", { class: "num" }, qty(e.quantity)),
            h("td", { class: "mono" }, e.order_id), h("td", { class: "mono" }, e.client_order_id))), { id: "orders" }))),
      h("section", { class: "card full", id: "account-restrictions" }, h("h2", {}, "Enforcement restrictions"), await accountRestrictions(view.account)),
      h("section", { class: "card full" }, h("h2", {}, "Past alerts"),
        table(["Score", "Pattern", "Instrument", "Window", "Status", "Reason"], view.alerts.map((a) =>
          h("tr", { class: "clickable", onclick: () => { location.hash = `#/alerts/${a.id}`; } },
            h("td", {}, scoreBadge(a.score)), h("td", {}, h("a", { href: `#/alerts/${a.id}` }, label(a.pattern))), h("td", {}, a.instrument || "—"),
            h("td", { class: "nowrap" }, `${time(a.window_start)}–${time(a.window_end)}`), h("td", {}, statusBadge(a.status)), h("td", { class: "reason" }, a.reason))),
        { id: "account-alerts" })),
    ),
  );
  let chart = null;
  if (view.activity.length) chart = activityChart(chartBox, view.activity).chart;
  return () => chart && chart.remove();
}
