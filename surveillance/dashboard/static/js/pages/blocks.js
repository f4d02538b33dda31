// Block trades (协议大宗交易): the open allegations with their expiry, which a supervisor
// may cancel with a mandatory comment (audited), today's block trades with their price
// against the book, and today's allegations that ended without a trade.

import { get, post } from "../api.js";
import { h, label, pct, price, qty, table, time } from "../format.js";

function accountLink(account) {
  return h("a", { href: `#/accounts/${encodeURIComponent(account)}` }, account);
}

function cancelForm(allegation, done) {
  const comment = h("input", { name: "comment", placeholder: "Why (kept in the audit log)", size: 32, required: true });
  const error = h("span", { class: "error", role: "alert" });
  const form = h("form", { class: "inline cancel-block" }, comment, h("button", { class: "danger" }, "Cancel allegation"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!comment.value.trim()) {
      error.textContent = "A comment is required.";
      return;
    }
    try {
      await post(`/api/admin/blocks/${allegation.block_id}/cancel`, { comment: comment.value.trim() });
      done();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  return form;
}

function render(main, desk, reload) {
  const openRows = desk.open.map((a) => h("tr", { dataset: { block: a.block_id } },
    h("td", { class: "mono" }, a.block_id), h("td", { class: "mono" }, time(a.ts)), h("td", {}, a.instrument),
    h("td", { class: "num" }, qty(a.quantity)), h("td", { class: "num" }, price(a.price)),
    h("td", {}, accountLink(a.buy_account)), h("td", {}, accountLink(a.sell_account)),
    h("td", {}, `${a.reporter} → ${a.counterparty_member}`), h("td", { class: "mono strong" }, time(a.expires)),
    h("td", {}, cancelForm(a, reload))));
  const tradeRows = desk.trades.slice().reverse().map((t) => {
    const away = t.percent_from_market;
    return h("tr", { dataset: { trade: t.trade_id } },
      h("td", { class: "mono" }, time(t.ts)), h("td", {}, t.instrument), h("td", { class: "num" }, qty(t.quantity)),
      h("td", { class: "num strong" }, price(t.price)), h("td", { class: "num" }, price(t.market_price)),
      h("td", { class: "muted" }, t.market_source),
      h("td", { class: `num ${Math.abs(away ?? 0) > 10 ? "warning" : ""}` }, away === null ? "—" : pct(away)),
      h("td", {}, accountLink(t.buy_account)), h("td", {}, accountLink(t.sell_account)), h("td", {}, t.cross ? "cross" : "allegation"));
  });
  const endedRows = desk.ended.slice().reverse().map((c) => h("tr", {},
    h("td", { class: "mono" }, c.block_id), h("td", { class: "mono" }, time(c.ts)), h("td", {}, c.instrument),
    h("td", { class: "num" }, qty(c.quantity)), h("td", { class: "num" }, price(c.price)), h("td", {}, label(c.cause)),
    h("td", {}, c.actor || "—"), h("td", { class: "reason" }, c.text || "")));
  main.replaceChildren(
    h("div", { class: "title-row" }, h("h1", {}, "Block trades"), h("span", { class: "muted" }, "negotiated off the book, 13:00–15:00, at least the block minimum")),
    h("section", { class: "card" }, h("h2", {}, "Open allegations ", h("small", { class: "muted" }, "(awaiting the counterparty; they lapse at their expiry)")),
      table(["Block", "Reported", "Instrument", "Tonnes", "Price", "Buyer", "Seller", "Members", "Expires", "Supervisor"], openRows, { id: "open-blocks" })),
    h("section", { class: "card" }, h("h2", {}, "Today's block trades ", h("small", { class: "muted" }, "(price against the book's VWAP of the hour before, or the reference price)")),
      table(["Time", "Instrument", "Tonnes", "Price", "Market", "Market is", "From market", "Buyer", "Seller", "Reported as"], tradeRows, { id: "block-trades" })),
    h("section", { class: "card" }, h("h2", {}, "Ended without a trade today"),
      table(["Block", "Time", "Instrument", "Tonnes", "Price", "Why", "By", "Comment"], endedRows, { id: "ended-blocks" })),
  );
}

export async function blocksPage(main) {
  let timer = null;
  const reload = async () => render(main, await get("/api/dashboard/blocks"), reload);
  await reload();
  timer = setInterval(() => {
    if (!main.querySelector("form.cancel-block input:focus")) reload().catch(() => {});
  }, 5000);
  return () => clearInterval(timer);
}
