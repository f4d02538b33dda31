// The server, as the pages see it: REST with the supervisor's Basic login, and the two
// websockets (market data is public; alerts need the token issued at login).

const KEY = "tcx.dashboard";

export function login() {
  return JSON.parse(sessionStorage.getItem(KEY) || "null");
}

export async function logIn(user, password) {
  const basic = "Basic " + btoa(`${user}:${password}`);
  const answer = await fetch("/api/dashboard/session", {
    method: "POST",
    headers: { Authorization: basic },
  });
  if (!answer.ok) {
    throw new Error(answer.status === 401 ? "Unknown user or wrong password." : await problem(answer));
  }
  const session = await answer.json();
  sessionStorage.setItem(KEY, JSON.stringify({ basic, user: session.user, token: session.token }));
}

export function logOut() {
  sessionStorage.removeItem(KEY);
}

async function problem(answer) {
  try {
    const body = await answer.json();
    const detail = body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg).join("; ");
    return detail?.message || detail?.text || `HTTP ${answer.status}`;
  } catch {
    return `HTTP ${answer.status}`;
  }
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const session = login();
  const headers = { Authorization: session?.basic || "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (answer.status === 401) {
    logOut();
    location.hash = "#/login";
    throw new ApiError(401, "Please sign in again.");
  }
  if (!answer.ok) throw new ApiError(answer.status, await problem(answer));
  return answer.json();
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});

function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${path}`;
}

// A websocket that reconnects after a drop; `onMessage` gets parsed JSON. Returns a closer.
export function follow(path, onMessage, onOpen = () => {}) {
  let socket;
  let closed = false;
  const connect = () => {
    socket = new WebSocket(socketUrl(path));
    socket.onopen = onOpen;
    socket.onmessage = (message) => onMessage(JSON.parse(message.data));
    socket.onclose = (event) => {
      if (event.code === 1008) {
        // the token is no longer known (the exchange restarted): sign in again
        logOut();
        location.hash = "#/login";
      } else if (!closed) setTimeout(connect, 1000);
    };
  };
  connect();
  return () => {
    closed = true;
    socket.close();
  };
}

export function followAlerts(onMessage) {
  return follow(`/ws/alerts?token=${encodeURIComponent(login()?.token || "")}`, onMessage);
}

export function followMarket(symbol, onMessage) {
  return follow(`/ws/market?instruments=${encodeURIComponent(symbol)}`, onMessage);
}
