// The daily bulletin per instrument: open, high, low, close (the day's VWAP), change,
// volume and turnover, block trades and cumulative totals, with the history of closes.

import { get } from "../api.js";
import { bulletinChart } from "../charts.js";
import { h, pct, price, qty, table } from "../format.js";

export async function bulletinPage(main, wanted) {
  const market = await get("/api/market");
  const latest = market.map((snapshot) => [snapshot.instrument, snapshot.bulletin, snapshot.quote]);
  const symbol = wanted || "TJEA25";
  const history = await get(`/api/bulletins/${encodeURIComponent(symbol)}`);
  const chartBox = h("div", { id: "bulletin-chart", class: "chart small" });
  const change = (b) => (b?.change === null || b?.change === undefined ? "—" : `${Number(b.change) > 0 ? "+" : ""}${price(b.change)} (${pct(Number(b.change_percent))})`);
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, "Daily bulletin")),
    h("section", { class: "card" },
      h("h2", {}, "Latest published day, every instrument ", h("small", { class: "muted" }, "(today's figures so far beside it)")),
      table(["Instrument", "Date", "Open", "High", "Low", "Close (VWAP)", "Change", "Volume (t)", "Turnover (CNY)", "Block (t)", "Cumulative (t)", "Today so far"],
        latest.map(([instrument, b, q]) => h("tr", { class: instrument === symbol ? "selected" : "" },
          h("td", {}, h("a", { href: `#/bulletin/${instrument}` }, instrument)),
          h("td", {}, b?.trading_date || "none yet"),
          h("td", { class: "num" }, price(b?.open)), h("td", { class: "num" }, price(b?.high)), h("td", { class: "num" }, price(b?.low)),
          h("td", { class: "num strong" }, price(b?.close), b?.carried_over ? " (carried)" : ""),
          h("td", { class: `num ${Number(b?.change) < 0 ? "down" : "up"}` }, change(b)),
          h("td", { class: "num" }, qty(b?.volume)), h("td", { class: "num" }, price(b?.turnover)),
          h("td", { class: "num" }, qty(b?.block_volume)), h("td", { class: "num" }, qty(b?.cumulative_volume)),
          h("td", { class: "num muted" }, `${qty(q.volume)} t, last ${price(q.last_price)}`))),
        { id: "bulletin-latest" })),
    h("section", { class: "card" },
      h("h2", {}, `${symbol}: history`),
      history.length ? chartBox : h("p", { class: "muted" }, "No bulletin published yet: the first comes at the end of the trading day."),
      table(["Date", "Open", "High", "Low", "Close (VWAP)", "Change", "Volume (t)", "Turnover (CNY)"],
        history.slice().reverse().map((b) => h("tr", {}, h("td", {}, b.trading_date), h("td", { class: "num" }, price(b.open)),
          h("td", { class: "num" }, price(b.high)), h("td", { class: "num" }, price(b.low)), h("td", { class: "num strong" }, price(b.close)),
          h("td", { class: `num ${Number(b.change) < 0 ? "down" : "up"}` }, change(b)), h("td", { class: "num" }, qty(b.volume)), h("td", { class: "num" }, price(b.turnover)))),
        { id: "bulletin-history" })),
  );
  let chart = null;
  if (history.length) chart = bulletinChart(chartBox, history);
  return () => chart && chart.remove();
}
