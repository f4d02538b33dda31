// How numbers and times read on every page: CNY with two decimals, whole tonnes with
// thousands separators, times in Beijing time whatever the browser's own zone.

export const ZONE = "Asia/Shanghai";
export const BEIJING_OFFSET_S = 8 * 3600;

const clock = new Intl.DateTimeFormat("en-GB", {
  timeZone: ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
const day = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const tonnes = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const cny = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const nsToMs = (ns) => Number(BigInt(ns) / 1000000n);
const fractionMs = (ns) => String(Number(BigInt(ns) % 1000000000n) / 1e6 | 0).padStart(3, "0");

export function time(ns, withMs = false) {
  if (!ns) return "—";
  const text = clock.format(new Date(nsToMs(ns)));
  return withMs ? `${text}.${fractionMs(ns)}` : text;
}

export function dateTime(ns) {
  if (!ns) return "—";
  return `${day.format(new Date(nsToMs(ns)))} ${time(ns)}`;
}

// Prices arrive as decimal CNY text ("50.00") or null.
export function price(text) {
  return text === null || text === undefined ? "—" : cny.format(Number(text));
}

export function money(fen) {
  return cny.format(fen / 100);
}

export function qty(value) {
  return value === null || value === undefined ? "—" : tonnes.format(value);
}

export function pct(value) {
  return value === null || value === undefined ? "—" : `${cny.format(value)}%`;
}

export function label(snake) {
  return String(snake).replaceAll("_", " ");
}

// Chart time for lightweight-charts: seconds, shifted so its UTC axis shows Beijing time.
export function chartTime(ns) {
  return Math.floor(nsToMs(ns) / 1000) + BEIJING_OFFSET_S;
}

// Builds DOM from a tag, attributes and children; strings become text (never HTML).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function table(headers, rows, attributes = {}) {
  return h("table", attributes,
    h("thead", {}, h("tr", {}, headers.map((name) => h("th", {}, name)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "None."))),
  );
}

export function statusBadge(status) {
  return h("span", { class: `status ${status}` }, label(status));
}

export function scoreBadge(score) {
  const level = score >= 80 ? "high" : score >= 50 ? "medium" : "low";
  return h("span", { class: `score ${level}` }, String(score));
}
