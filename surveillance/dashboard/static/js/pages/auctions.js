// Government auctions for the authority's supervisors: the calendar and the creation form
// (#/auctions); one auction (#/auctions/ID) with its live demand curve (tonnes bid by
// price, highest first, against the volume and the floor), the bidders and the caps they
// use, and after clearing the clearing price, the allotments and the results. Creating
// and cancelling need a comment: it goes into the audit with the supervisor's name.

import { get, post } from "../api.js";
import { dateTime, h, label, money, qty, table } from "../format.js";

const SVG = "http://www.w3.org/2000/svg";
const cny = (fen) => money(fen);

function svg(tag, attributes = {}, text = "") {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text) element.textContent = text;
  return element;
}

// The demand curve as steps: x = cumulative tonnes, y = price; the volume offered as a
// vertical line, the floor as a horizontal one, and once cleared the clearing price.
export function demandChart(curve, volume, floor, clearing) {
  const width = 640, height = 280, pad = 48;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "demand-curve", role: "img" });
  const prices = curve.map((p) => p.price).concat([floor, clearing || floor]);
  const top = Math.max(...prices) * 1.02, bottom = Math.min(...prices) * 0.98;
  const most = Math.max(volume, curve.length ? curve[curve.length - 1].cumulative : 0) * 1.1;
  const x = (t) => pad + (t / most) * (width - 2 * pad);
  const y = (p) => height - pad - ((p - bottom) / (top - bottom || 1)) * (height - 2 * pad);
  chart.append(svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }));
  chart.append(svg("line", { x1: pad, y1: pad, x2: pad, y2: height - pad, class: "axis" }));
  let path = "", from = 0;
  for (const point of curve) {
    path += `${path ? "L" : "M"}${x(from)},${y(point.price)} L${x(point.cumulative)},${y(point.price)} `;
    from = point.cumulative;
  }
  if (path) chart.append(svg("path", { d: path, class: "demand", "data-points": curve.length }));
  chart.append(svg("line", { x1: x(volume), y1: pad, x2: x(volume), y2: height - pad, class: "volume" }));
  chart.append(svg("text", { x: x(volume) + 4, y: pad + 12, class: "volume" }, `volume ${qty(volume)} t`));
  chart.append(svg("line", { x1: pad, y1: y(floor), x2: width - pad, y2: y(floor), class: "floor" }));
  chart.append(svg("text", { x: width - pad - 110, y: y(floor) - 4, class: "floor" }, `floor ${cny(floor)}`));
  if (clearing) {
    chart.append(svg("line", { x1: pad, y1: y(clearing), x2: width - pad, y2: y(clearing), class: "clearing" }));
    chart.append(svg("text", { x: pad + 4, y: y(clearing) - 4, class: "clearing" }, `clearing ${cny(clearing)}`));
  }
  return chart;
}

function localInput(name, labelText) {
  return h("label", {}, labelText, h("input", { name, type: "datetime-local", required: true }));
}

// datetime-local is the browser's wall clock: the form asks for Beijing time explicitly.
const beijing = (value) => `${value}:00+08:00`;

function creationForm(done) {
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "card grid", id: "create-auction" },
    h("h2", {}, "New auction"),
    h("label", {}, "Auction id", h("input", { name: "auction_id", required: true })),
    h("label", {}, "Instrument", h("input", { name: "instrument", value: "TJEA25", required: true })),
    h("label", {}, "Auction account", h("input", { name: "seller", required: true })),
    h("label", {}, "Volume (t)", h("input", { name: "volume", type: "number", min: 1, required: true })),
    h("label", {}, "Lot (t)", h("input", { name: "lot", type: "number", value: 1000, min: 1 })),
    h("label", {}, "Fixed floor (CNY)", h("input", { name: "floor_price", value: "0" })),
    h("label", {}, "or floor = factor × VWAP", h("input", { name: "floor_factor", value: "0" })),
    h("label", {}, "VWAP window from", h("input", { name: "floor_window_from", type: "date" })),
    h("label", {}, "VWAP window to", h("input", { name: "floor_window_to", type: "date" })),
    localInput("announce_at", "Announce (Beijing)"), localInput("open_at", "Open (Beijing)"),
    localInput("close_at", "Close (Beijing)"), localInput("results_at", "Full results (Beijing)"),
    h("label", {}, "Entity cap (% of verified emissions)", h("input", { name: "entity_cap_percent", value: 2 })),
    h("label", {}, "Investor cap (t)", h("input", { name: "investor_cap", value: 100000 })),
    h("label", {}, "Control group cap (% of volume)", h("input", { name: "group_cap_percent", value: 50 })),
    h("label", {}, "Ties", h("select", { name: "tie_rule" }, h("option", { value: "time" }, "time priority"), h("option", { value: "pro_rata" }, "pro rata"))),
    h("label", {}, "Undersubscribed", h("select", { name: "undersubscription" }, h("option", { value: "sell_bid" }, "sell what was bid"), h("option", { value: "cancel" }, "cancel"))),
    h("label", {}, h("input", { name: "shortfall_only", type: "checkbox" }), " only entities with a shortfall"),
    h("label", {}, h("input", { name: "no_investors", type: "checkbox" }), " no investors"),
    h("label", {}, h("input", { name: "surrender_only", type: "checkbox" }), " surrender-only"),
    h("label", {}, h("input", { name: "irrevocable", type: "checkbox" }), " irrevocable bids"),
    h("label", { class: "wide" }, "Entities (ACCOUNT:VERIFIED:SHORTFALL, one a line)", h("textarea", { name: "entities", rows: 3 })),
    h("label", { class: "wide" }, "Comment (required, audited)", h("input", { name: "comment", required: true, minlength: 1 })),
    h("button", { class: "primary" }, "Create auction"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const entities = String(f.get("entities") || "").split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
      const [account, verified, shortfall] = line.split(":");
      return { account, verified_emissions: Number(verified), shortfall: Number(shortfall || 0) };
    });
    try {
      await post("/api/admin/auctions", {
        auction_id: f.get("auction_id"), instrument: f.get("instrument"), seller: f.get("seller"),
        volume: Number(f.get("volume")), lot: Number(f.get("lot")), floor_price: f.get("floor_price"),
        floor_factor: Number(f.get("floor_factor")), floor_window_from: f.get("floor_window_from") || "",
        floor_window_to: f.get("floor_window_to") || "",
        announce_at: beijing(f.get("announce_at")), open_at: beijing(f.get("open_at")),
        close_at: beijing(f.get("close_at")), results_at: beijing(f.get("results_at")),
        entity_cap_percent: Number(f.get("entity_cap_percent")), investor_cap: Number(f.get("investor_cap")),
        group_cap_percent: Number(f.get("group_cap_percent")), tie_rule: f.get("tie_rule"),
        undersubscription: f.get("undersubscription"), shortfall_only: f.has("shortfall_only"),
        investors: !f.has("no_investors"), surrender_only: f.has("surrender_only"),
        irrevocable: f.has("irrevocable"), entities, comment: f.get("comment"),
      });
      done(f.get("auction_id"));
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  return form;
}

export async function auctionCalendar(main) {
  const auctions = await get("/api/admin/auctions");
  main.append(
    h("div", { class: "title-row" }, h("h1", {}, "Government auctions"), h("span", { class: "muted" }, "newest first")),
    h("section", { class: "card" }, table(["Auction", "Instrument", "Volume", "Floor", "Announced", "Bidding window", "State"],
      auctions.map((a) => h("tr", { dataset: { auction: a.auction_id } },
        h("td", {}, h("a", { href: `#/auctions/${encodeURIComponent(a.auction_id)}` }, a.auction_id)),
        h("td", {}, a.instrument), h("td", { class: "num" }, `${qty(a.volume)} t`), h("td", { class: "num" }, cny(a.floor_price)),
        h("td", { class: "nowrap" }, dateTime(a.announce_at)),
        h("td", { class: "nowrap" }, `${dateTime(a.open_at)} – ${dateTime(a.close_at)}`),
        h("td", {}, h("span", { class: `status ${a.state}` }, label(a.state))))))),
    creationForm((id) => { location.hash = `#/auctions/${encodeURIComponent(id)}`; }),
  );
}

export async function auctionPage(main, auctionId) {
  const body = h("div", { id: "auction" });
  main.append(body);
  const render = async () => {
    const a = await get(`/api/admin/auctions/${encodeURIComponent(auctionId)}`);
    const clearing = a.results && a.results.price;
    const floorInputs = a.floor_factor_bp
      ? `${a.floor_factor_bp / 10000} × VWAP ${a.floor_window_from}…${a.floor_window_to} (${qty(a.floor_volume)} t, ${a.floor_days} days, turnover ${cny(a.floor_turnover)})`
      : "fixed";
    const cancel = h("form", { class: "inline", id: "cancel-auction" },
      h("input", { name: "comment", placeholder: "why (required, audited)", required: true, size: 30 }),
      h("button", {}, "Cancel auction"), h("span", { class: "error", role: "alert" }));
    cancel.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await post(`/api/admin/auctions/${encodeURIComponent(auctionId)}/cancel`, { comment: new FormData(cancel).get("comment") });
        await render();
      } catch (failure) {
        cancel.querySelector(".error").textContent = failure.message;
      }
    });
    const full = a.full_results;
    body.replaceChildren(
      h("div", { class: "title-row" }, h("h1", {}, `Auction ${a.auction_id}`), h("span", { class: `status ${a.state}`, id: "auction-state" }, label(a.state))),
      h("section", { class: "card" },
        h("p", {}, `${a.instrument}: ${qty(a.volume)} t in lots of ${qty(a.lot)} t from ${a.seller}; floor ${cny(a.floor_price)} (${floorInputs}); ` +
          `bidding ${dateTime(a.open_at)} – ${dateTime(a.close_at)}; ties by ${label(a.tie_rule === 1 ? "time" : "pro_rata")}; ` +
          `${a.surrender_only ? "surrender-only; " : ""}${a.irrevocable ? "irrevocable bids; " : ""}created by ${a.created_by}: “${a.comment}”`),
        ["settled", "cancelled"].includes(a.state) ? "" : cancel),
      h("section", { class: "card" }, h("h2", {}, clearing ? `Demand curve — cleared at ${cny(clearing)}` : "Demand curve (live)"),
        demandChart(a.demand_curve, a.volume, a.floor_price, clearing)),
      h("section", { class: "card" }, h("h2", {}, "Bidders and caps"),
        table(["Account", "Control group", "Bid (t)", "Cap (t)", "Group bid (t)", "Group cap (t)", "Allotted (t)"],
          a.bidders.map((b) => h("tr", { dataset: { bidder: b.account } }, h("td", {}, h("a", { href: `#/accounts/${b.account}` }, b.account)),
            h("td", {}, b.control_group || "—"), h("td", { class: "num" }, qty(b.bid)), h("td", { class: "num" }, qty(b.cap)),
            h("td", { class: "num" }, qty(b.group_bid)), h("td", { class: "num" }, qty(b.group_cap)), h("td", { class: "num" }, qty(b.allotted)))))),
      a.results ? h("section", { class: "card", id: "auction-results" }, h("h2", {}, "Results"),
        h("p", {}, a.results.cancelled ? "Undersubscribed: cancelled, nothing allotted." :
          `Clearing price ${cny(a.results.price)}; ${qty(a.results.volume_sold)} t sold.`),
        full ? h("p", {}, `Bid ${qty(full.bid_volume)} t (cover ${(full.cover_ratio_bp / 10000).toFixed(2)}), ${full.bidders} bidders, ${full.winners} winners, ` +
          `revenue ${cny(full.revenue)} CNY; compliance ${qty(full.compliance_volume)} t, investors ${qty(full.investor_volume)} t; ` +
          `bids ${cny(full.min_bid)}–${cny(full.max_bid)} (mean ${cny(full.mean_bid)}); HHI ${full.hhi}.`) : h("p", { class: "muted" }, "Full results not yet published."),
        table(["Bid", "Account", "Price", "Bid (t)", "Allotted (t)"], a.allotments.map((b) => h("tr", {},
          h("td", { class: "num" }, b.bid_number), h("td", {}, b.account), h("td", { class: "num" }, cny(b.price)),
          h("td", { class: "num" }, qty(b.quantity)), h("td", { class: "num" }, qty(b.allotted)))))) : "",
    );
    return a.state === "cancelled" || Boolean(full); // nothing more will change
  };
  let done = await render();
  const timer = setInterval(async () => {
    if (!done) done = await render();
  }, 1000);
  return () => clearInterval(timer);
}
