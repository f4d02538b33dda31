// The live market panel for one instrument: price chart with band and closing window,
// volume, the quote, five levels of depth, the tape, the trading state, halt and resume.

import { followMarket, get, post } from "../api.js";
import { marketChart } from "../charts.js";
import { h, price, qty, table, time } from "../format.js";

export async function marketPanel(main, wanted) {
  const info = await get("/api/dashboard/instruments");
  const symbol = wanted || info.instruments.find((i) => i.symbol === "TJEA25")?.symbol || info.instruments[0].symbol;
  const instrument = info.instruments.find((i) => i.symbol === symbol);
  if (!instrument) throw new Error(`No instrument ${symbol}.`);

  const tabs = h("nav", { class: "tabs" }, info.instruments.map((i) =>
    h("a", { href: `#/market/${i.symbol}`, class: i.symbol === symbol ? "active" : "" }, i.symbol)));
  const state = h("span", { id: "state", class: "state" }, "…");
  const band = h("span", { id: "band", class: "muted" });
  const figures = h("div", { class: "figures" });
  const chartBox = h("div", { id: "price-chart", class: "chart" });
  const fit = h("input", { type: "checkbox", id: "fit-band" });
  const depth = h("div", { id: "depth" });
  const tape = h("div", { id: "tape", class: "scroll" });
  const reason = h("input", { name: "reason", placeholder: "Reason (recorded in the audit trail)", required: true, size: 34 });
  const message = h("p", { class: "muted", id: "halt-message", role: "status" });
  const haltButton = h("button", { class: "danger", id: "halt", type: "button" }, "Halt trading");
  const resumeButton = h("button", { class: "primary", id: "resume", type: "button" }, "Resume trading");

  const closing = info.closing_window
    ? `closing window ${time(info.closing_window[0]).slice(0, 5)}–${time(info.closing_window[1]).slice(0, 5)} shaded`
    : "";
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, `${symbol} `, h("small", {}, instrument.name)), state, band),
    tabs,
    h("div", { class: "grid market" },
      h("section", { class: "card wide" },
        figures,
        chartBox,
        h("p", { class: "legend" },
          h("label", {}, fit, " show the whole price band"),
          h("span", { class: "key band" }, "price band"),
          h("span", { class: "key closing" }, closing),
          h("span", { class: "muted" }, "1-minute bars, Beijing time"))),
      h("section", { class: "card" },
        h("h2", {}, "Depth (best 5)"), depth,
        h("h2", {}, "Trading state"),
        h("form", { class: "stack", onsubmit: (e) => e.preventDefault() }, reason,
          h("div", { class: "row" }, haltButton, resumeButton), message)),
      h("section", { class: "card" }, h("h2", {}, "Trades"), tape),
    ),
  );

  const chart = marketChart(chartBox, info.sessions, info.closing_window);
  fit.addEventListener("change", () => chart.fitToBand(fit.checked));
  const trades = [];

  function showState(s) {
    state.textContent = s.status === "halted" ? (s.market_halted ? "MARKET HALTED" : "HALTED") : "TRADING";
    state.className = `state ${s.status}`;
    state.title = s.reason || "";
    band.textContent = s.band_low ? `band ${price(s.band_low)} – ${price(s.band_high)} · reference ${price(s.reference_price)}` : "";
    chart.setBand(s.band_low, s.band_high);
    haltButton.disabled = s.instrument_halted;
    resumeButton.disabled = !s.instrument_halted;
  }

  function showQuote(q) {
    const figure = (name, value, id) => h("div", { class: "figure" }, h("span", { class: "name" }, name), h("span", { class: "value", id }, value));
    figures.replaceChildren(
      figure("Last", price(q.last_price), "last-price"),
      figure("Bid", q.bid_price ? `${price(q.bid_price)} × ${qty(q.bid_quantity)}` : "—"),
      figure("Ask", q.ask_price ? `${price(q.ask_price)} × ${qty(q.ask_quantity)}` : "—"),
      figure("Open", price(q.open)),
      figure("High", price(q.high)),
      figure("Low", price(q.low)),
      figure("Volume (t)", qty(q.volume), "volume"),
      figure("Turnover (CNY)", price(q.turnover)),
    );
  }

  function showDepth(d) {
    const rows = [];
    for (let i = 4; i >= 0; i -= 1) {
      const ask = d.asks[i];
      rows.push(h("tr", { class: "ask" }, h("td", {}, ask ? `Ask ${i + 1}` : ""), h("td", { class: "num" }, ask ? price(ask.price) : ""), h("td", { class: "num" }, ask ? qty(ask.quantity) : ""), h("td", { class: "num muted" }, ask ? ask.orders : "")));
    }
    for (let i = 0; i < 5; i += 1) {
      const bid = d.bids[i];
      rows.push(h("tr", { class: "bid" }, h("td", {}, bid ? `Bid ${i + 1}` : ""), h("td", { class: "num" }, bid ? price(bid.price) : ""), h("td", { class: "num" }, bid ? qty(bid.quantity) : ""), h("td", { class: "num muted" }, bid ? bid.orders : "")));
    }
    depth.replaceChildren(table(["", "Price", "Tonnes", "Orders"], rows, { class: "depth" }));
  }

  function showTape() {
    tape.replaceChildren(table(["Time", "Price", "Tonnes", "Side"], trades.slice(-50).reverse().map((t) =>
      h("tr", {}, h("td", {}, time(t.ts)), h("td", { class: `num ${t.aggressor}` }, price(t.price)), h("td", { class: "num" }, qty(t.quantity)), h("td", {}, t.aggressor)))));
  }

  const stop = followMarket(symbol, (m) => {
    if (m.type === "snapshot") {
      showState(m.state);
      showQuote(m.quote);
      showDepth(m.depth);
      chart.setBars(m.bars);
      trades.splice(0, trades.length, ...m.trades);
      showTape();
    } else if (m.type === "quote") showQuote(m);
    else if (m.type === "depth") showDepth(m);
    else if (m.type === "state") showState(m);
    else if (m.type === "bar") chart.update(m);
    else if (m.type === "trade") {
      trades.push(m);
      showTape();
    }
  });

  async function act(path, done) {
    if (!reason.value.trim()) {
      message.textContent = "Give a reason: it goes on the record.";
      reason.focus();
      return;
    }
    try {
      await post(path, { instrument: symbol, reason: reason.value.trim() });
      message.textContent = `${done} at ${time(BigInt(Date.now()) * 1000000n)}.`;
      reason.value = "";
    } catch (error) {
      message.textContent = error.status === 404
        ? "Halts are served by the gateway: route /api/admin to it (see the deploy README)."
        : error.message;
    }
  }
  haltButton.addEventListener("click", () => act("/api/admin/halt", `${symbol} halted`));
  resumeButton.addEventListener("click", () => act("/api/admin/resume", `${symbol} resumed`));

  return () => {
    stop();
    chart.chart.remove();
  };
}
