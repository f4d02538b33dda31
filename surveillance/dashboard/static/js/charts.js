// The dashboard's charts, drawn by TradingView's lightweight-charts (vendor/, Apache-2.0).
// Each function takes a container and returns what its page updates. Times on the axes are
// Beijing time (see format.chartTime); prices read as CNY with two decimals.

import { chartTime, time } from "./format.js";

const { createChart, LineStyle, CrosshairMode } = window.LightweightCharts;

const UP = "#0f9d58";
const DOWN = "#d93025";
const BAND = "#b26a00";
const CLOSING = "rgba(66, 133, 244, 0.10)";
const SUBJECT = "#7b1fa2";

const cnyFormat = { type: "price", precision: 2, minMove: 0.01 };

function baseChart(container, height, extra = {}) {
  return createChart(container, {
    height,
    autoSize: true,
    layout: { background: { color: "#ffffff" }, textColor: "#333", fontSize: 12 },
    grid: { vertLines: { color: "#f0f0f0" }, horzLines: { color: "#f0f0f0" } },
    crosshair: { mode: CrosshairMode.Normal },
    rightPriceScale: { borderColor: "#ddd" },
    timeScale: { borderColor: "#ddd", timeVisible: true, secondsVisible: false },
    localization: { priceFormatter: (p) => p.toFixed(2) },
    ...extra,
  });
}

// The live market panel: 1-minute candles on the whole trading day's axis (its sessions,
// minute by minute), volume bars, the price band as two dashed lines and the closing
// window shaded. `update(bar)` takes a market-data bar message.
export function marketChart(container, sessions, closingWindow) {
  const chart = baseChart(container, 380);
  const day = chart.addAreaSeries({
    priceScaleId: "day", topColor: CLOSING, bottomColor: CLOSING, lineColor: "rgba(0,0,0,0)",
    lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false,
  });
  chart.priceScale("day").applyOptions({ visible: false, scaleMargins: { top: 0, bottom: 0 } });
  const candles = chart.addCandlestickSeries({
    upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
    priceFormat: cnyFormat,
  });
  const volume = chart.addHistogramSeries({
    priceScaleId: "volume", priceFormat: { type: "volume" }, color: "rgba(90, 110, 140, 0.45)",
    priceLineVisible: false, lastValueVisible: false,
  });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });

  // Every minute of the day's sessions is on the axis; the closing window's are shaded.
  const [closeStart, closeEnd] = closingWindow ? closingWindow.map(chartTime) : [0, 0];
  const minutes = [];
  for (const [open, close] of sessions) {
    for (let t = chartTime(open); t < chartTime(close); t += 60) {
      minutes.push(t >= closeStart && t < closeEnd ? { time: t, value: 1 } : { time: t });
    }
  }
  day.setData(minutes);

  let band = null;
  let bandLines = [];
  let fitBand = false;
  const withBand = (original) => {
    const range = original();
    if (!range || !band || !fitBand) return range;
    range.priceRange.minValue = Math.min(range.priceRange.minValue, band[0]);
    range.priceRange.maxValue = Math.max(range.priceRange.maxValue, band[1]);
    return range;
  };
  candles.applyOptions({ autoscaleInfoProvider: withBand });

  const bars = new Map(); // chart time -> candle
  function toCandle(bar) {
    return {
      time: chartTime(bar.start_ts),
      open: Number(bar.open), high: Number(bar.high), low: Number(bar.low), close: Number(bar.close),
    };
  }
  function toVolume(bar) {
    return {
      time: chartTime(bar.start_ts),
      value: bar.volume,
      color: Number(bar.close) >= Number(bar.open) ? "rgba(15,157,88,0.45)" : "rgba(217,48,37,0.45)",
    };
  }
  // The last hour or so of trading, not the whole day: candles wide enough to read.
  function showRecent() {
    const times = [...bars.keys()];
    if (!times.length) return chart.timeScale().fitContent();
    const last = times.at(-1);
    const from = Math.max(times[0] - 300, last - 3600);
    const dayEnd = minutes.length ? minutes.at(-1).time : last;
    chart.timeScale().setVisibleRange({ from, to: Math.min(dayEnd, Math.max(last + 1800, from + 3600)) });
  }
  function record() {
    const last = [...bars.values()].at(-1);
    container.dataset.bars = String(bars.size);
    container.dataset.lastClose = last ? last.close.toFixed(2) : "";
  }

  return {
    chart,
    setBars(list) {
      bars.clear();
      for (const bar of list) bars.set(chartTime(bar.start_ts), toCandle(bar));
      candles.setData([...bars.values()]);
      volume.setData(list.map(toVolume));
      record();
      showRecent();
    },
    update(bar) {
      const candle = toCandle(bar);
      const latest = Math.max(0, ...bars.keys());
      if (candle.time < latest) return; // an amended older bar: the next snapshot has it
      bars.set(candle.time, candle);
      candles.update(candle);
      volume.update(toVolume(bar));
      record();
    },
    setBand(low, high) {
      for (const line of bandLines) candles.removePriceLine(line);
      bandLines = [];
      band = low && high ? [Number(low), Number(high)] : null;
      if (!band) return;
      const line = (price, title) => candles.createPriceLine({
        price, title, color: BAND, lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true,
      });
      bandLines = [line(band[0], "band low"), line(band[1], "band high")];
      container.dataset.band = `${band[0].toFixed(2)}-${band[1].toFixed(2)}`;
    },
    fitToBand(on) {
      fitBand = on;
      candles.applyOptions({ autoscaleInfoProvider: (original) => withBand(original) });
      chart.priceScale("right").applyOptions({ autoScale: true });
    },
  };
}

// An alert's window: every trade of the instrument as a line in event order (the window
// may be a few milliseconds long), the subject's orders and trades marked. The axis labels
// carry the real Beijing time to the millisecond.
export function windowChart(container, steps, events, onPick) {
  // x is the event's step + 1 (the axis needs positive, increasing "times")
  const label = (x) => time(steps[x - 1] ?? steps.at(-1) ?? 0, true);
  const chart = baseChart(container, 320, {
    timeScale: { borderColor: "#ddd", tickMarkFormatter: (step) => label(step) },
    localization: { priceFormatter: (p) => p.toFixed(2), timeFormatter: (step) => label(step) },
  });
  const trades = chart.addLineSeries({
    color: "#1a73e8", lineWidth: 2, priceFormat: cnyFormat, pointMarkersVisible: true,
  });
  const orders = chart.addLineSeries({ color: "rgba(0,0,0,0)", priceFormat: cnyFormat, lastValueVisible: false, priceLineVisible: false });

  // The alert's own orders and trades (its evidence) are labelled; the subject's other
  // activity is marked small, unlabelled, so a busy account does not bury them.
  const lastPrice = new Map();
  const orderPrice = new Map();
  const markers = [];
  const mark = (event, marker) => markers.push({
    ...marker, time: event.step + 1, size: event.evidence ? 1.4 : 0.6,
    text: event.evidence ? marker.text : "",
  });
  for (const event of events) {
    if (event.type === "trade") {
      lastPrice.set(event.step + 1, Number(event.price));
      if (event.subject) {
        mark(event, {
          position: "inBar", color: SUBJECT, shape: "circle",
          text: `trade ${event.quantity} t @ ${event.price} (${event.buy_account} buys from ${event.sell_account})`,
        });
      }
    } else {
      orderPrice.set(event.step + 1, Number(event.price));
      const buy = event.side === "buy";
      const what = event.type === "cancelled" ? "cancel" : event.type === "amended" ? "amend" : buy ? "buy" : "sell";
      mark(event, {
        position: buy ? "belowBar" : "aboveBar",
        color: event.type === "cancelled" ? DOWN : buy ? UP : "#e37400",
        shape: event.type === "cancelled" ? "square" : buy ? "arrowUp" : "arrowDown",
        text: `${event.account} ${what} ${event.quantity} t @ ${event.price}`,
      });
    }
  }
  trades.setData([...lastPrice].map(([t, value]) => ({ time: t, value })));
  orders.setData([...orderPrice].map(([t, value]) => ({ time: t, value })));
  const carrier = lastPrice.size ? trades : orders;
  carrier.setMarkers(markers.sort((a, b) => a.time - b.time));
  chart.timeScale().fitContent();
  container.dataset.markers = String(markers.length);
  container.dataset.trades = String(events.filter((e) => e.type === "trade").length);
  chart.subscribeClick((param) => {
    if (param.time) onPick(param.time - 1);
  });
  return chart;
}

// Counts over time, one line each (an account's orders, cancels and trades per step).
export function activityChart(container, rows) {
  const chart = baseChart(container, 220, { localization: { priceFormatter: (n) => n.toFixed(0) } });
  const series = [
    ["orders", "#1a73e8"], ["cancels", DOWN], ["trades", UP],
  ].map(([key, color]) => {
    const line = chart.addLineSeries({
      color, lineWidth: 2, title: key, pointMarkersVisible: true,
      priceFormat: { type: "price", precision: 0, minMove: 1 },
    });
    line.setData(rows.map((row) => ({ time: chartTime(row.start), value: row[key] })));
    return line;
  });
  chart.timeScale().fitContent();
  return { chart, series };
}

// The bulletin history: the daily close (VWAP) as a line with volume bars beneath.
export function bulletinChart(container, bulletins) {
  const chart = baseChart(container, 260, { timeScale: { borderColor: "#ddd" } });
  const close = chart.addLineSeries({ color: "#1a73e8", lineWidth: 2, priceFormat: cnyFormat, title: "close (VWAP)" });
  const volume = chart.addHistogramSeries({
    priceScaleId: "volume", priceFormat: { type: "volume" }, color: "rgba(90,110,140,0.45)",
    priceLineVisible: false, lastValueVisible: false,
  });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.75, bottom: 0 } });
  const rows = bulletins.filter((b) => b.close !== null);
  close.setData(rows.map((b) => ({ time: b.trading_date, value: Number(b.close) })));
  volume.setData(bulletins.map((b) => ({ time: b.trading_date, value: b.volume })));
  chart.timeScale().fitContent();
  return chart;
}
