// The dashboard's shell: login, navigation by the address's #fragment, the clock, and the
// badge that counts alerts raised while the supervisor is on another page.

import { followAlerts, get, login, logIn, logOut } from "./api.js";
import { time } from "./format.js";
import { accountPage } from "./pages/account.js";
import { alertPage } from "./pages/alert.js";
import { alertQueue } from "./pages/alerts.js";
import { auditPage } from "./pages/audit.js";
import { auctionCalendar, auctionPage } from "./pages/auctions.js";
import { bulletinPage } from "./pages/bulletin.js";
import { complianceEntityPage, complianceYearPage, pledgeRegisterPage } from "./pages/compliance.js";
import { marketPanel } from "./pages/market.js";
import { restrictionsPage } from "./pages/restrictions.js";

const routes = [
  [/^#\/market(?:\/([^/]+))?$/, "market", marketPanel],
  [/^#\/alerts$/, "alerts", alertQueue],
  [/^#\/alerts\/([^/]+)$/, "alerts", alertPage],
  [/^#\/accounts\/([^/]+)$/, "", accountPage],
  [/^#\/audit$/, "audit", auditPage],
  [/^#\/bulletin(?:\/([^/]+))?$/, "bulletin", bulletinPage],
  [/^#\/restrictions$/, "restrictions", restrictionsPage],
  [/^#\/compliance\/entities\/([^/]+)$/, "compliance", complianceEntityPage],
  [/^#\/compliance(?:\/(\d{4}))?$/, "compliance", complianceYearPage],
  [/^#\/pledges$/, "pledges", pledgeRegisterPage],
  [/^#\/auctions$/, "auctions", auctionCalendar],
  [/^#\/auctions\/([^/]+)$/, "auctions", auctionPage],
];

let leavePage = () => {};
let stopAlerts = null;
let unseen = 0;
let clockOffsetMs = 0; // the exchange's clock less the browser's

async function setClock() {
  const info = await get("/api/dashboard/instruments");
  clockOffsetMs = info.now / 1e6 - Date.now();
  tick();
}

function showLogin() {
  if (stopAlerts) stopAlerts();
  stopAlerts = null;
  document.getElementById("top").hidden = true;
  document.getElementById("page").hidden = true;
  document.getElementById("login").hidden = false;
  document.querySelector("#login-form input[name=user]").focus();
}

// Once per login: the exchange's clock, and the count of alerts raised elsewhere.
function startSession() {
  if (stopAlerts) return;
  setClock();
  stopAlerts = followAlerts((message) => {
    if (message.type !== "alert" || message.action !== "raised") return;
    if (location.hash.startsWith("#/alerts")) return;
    unseen += 1;
    const badge = document.getElementById("new-alerts");
    badge.textContent = String(unseen);
    badge.hidden = false;
  });
}

async function route() {
  leavePage();
  leavePage = () => {};
  if (!login()) return showLogin();
  document.getElementById("login").hidden = true;
  document.getElementById("top").hidden = false;
  document.getElementById("user").textContent = login().user;
  startSession();
  const hash = location.hash && location.hash !== "#/login" ? location.hash : "#/market";
  const found = routes.map(([pattern, nav, page]) => [hash.match(pattern), nav, page]).find(([m]) => m);
  if (!found) {
    location.hash = "#/market";
    return;
  }
  const [match, nav, page] = found;
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === nav);
  }
  if (nav === "alerts") {
    unseen = 0;
    document.getElementById("new-alerts").hidden = true;
  }
  const main = document.getElementById("page");
  main.hidden = false;
  main.replaceChildren();
  try {
    leavePage = (await page(main, ...match.slice(1).map((part) => part && decodeURIComponent(part)))) || (() => {});
  } catch (error) {
    main.replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: error.message }));
  }
}

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = document.getElementById("login-error");
  error.textContent = "";
  try {
    await logIn(form.get("user"), form.get("password"));
    event.target.reset();
    if (location.hash === "#/login" || !location.hash) location.hash = "#/market";
    else route();
  } catch (failure) {
    error.textContent = failure.message;
  }
});

document.getElementById("logout").addEventListener("click", () => {
  logOut();
  location.hash = "#/login";
});

document.getElementById("account-search").addEventListener("submit", (event) => {
  event.preventDefault();
  const account = new FormData(event.target).get("account").trim();
  if (account) location.hash = `#/accounts/${encodeURIComponent(account)}`;
});

function tick() {
  const now = BigInt(Math.round(Date.now() + clockOffsetMs)) * 1000000n;
  document.getElementById("clock").textContent = `${time(now)} Beijing`;
}
tick();
setInterval(tick, 1000);

window.addEventListener("hashchange", route);
route();
