"""The supervisors' dashboard: its web page, the JSON its pages need, and live alerts.

The page itself (static/) is public, like any login page; every JSON endpoint needs a
supervisor (the same dependency as the alerts API), and the alerts websocket a token the
browser gets after logging in (sessions.py). Market data, the alert queue and workflow,
halts and the registry are the existing APIs (/api/market, /ws/market, /api/alerts,
/api/admin); this router adds what only the dashboard asks: the account view, an alert's
window with its subject's orders and trades, the book replayed at any moment, the
alerts' audit trail across alerts, the instruments' trading hours, and the day's block
trades (the supervisor's cancellation of an allegation is /api/admin/blocks).

Prices and money leave here as decimal CNY text, as the public market data does.
"""

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec
from fastapi import (
    APIRouter,
    Depends,
    HTTPException,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from engine.events import OrderAccepted, OrderAmended, OrderCancelled, Trade
from engine.money import format_cny
from engine.orders import AccountKind, Side
from engine.reference import ReferenceData
from surveillance.alert import Alert
from surveillance.alert_store import AlertFilter, AlertStore
from surveillance.alerts_api import AlertView, AuditView, refusals
from surveillance.dashboard.alert_feed import AlertFeed
from surveillance.dashboard.day_history import DayHistory, OrderEvent
from surveillance.dashboard.sessions import Sessions
from surveillance.http_responses import documented
from surveillance.store_thread import StoreThread
from surveillance.websocket_departure import until_client_leaves
from surveillance.workflow import User, require_supervisor

_form_login = HTTPBasic(auto_error=False)
STATIC = Path(__file__).parent / "static"
WINDOW_MARGIN_NS = 30 * 1_000_000_000  # shown either side of an alert's window
LISTED = 200  # most recent orders and trades on an account page
AUDIT_ALERTS = 200  # most recently changed alerts whose trails the audit page merges

Balances = Callable[[str], Awaitable[list[dict]]]  # account -> registry balances


def _json(value: Any) -> Response:
    return Response(msgspec.json.encode(value), media_type="application/json")


def _side(side: int) -> str:
    return "buy" if side == Side.BUY else "sell"


def order_event_json(event: OrderEvent, subjects: frozenset[str] = frozenset()) -> dict:
    """One order event for a page: prices in CNY, who, and whether it is the subject's."""
    if isinstance(event, Trade):
        return {
            "type": "trade",
            "ts": event.ts,
            "instrument": event.instrument,
            "trade_id": event.trade_id,
            "price": format_cny(event.price),
            "quantity": event.quantity,
            "aggressor": _side(event.aggressor_side),
            "buy_account": event.buy_account,
            "sell_account": event.sell_account,
            "buy_order_id": event.buy_order_id,
            "sell_order_id": event.sell_order_id,
            "subject": bool({event.buy_account, event.sell_account} & subjects),
        }
    body = {
        "ts": event.ts,
        "instrument": event.instrument,
        "order_id": event.order_id,
        "account": event.account,
        "client_order_id": event.client_order_id,
        "side": _side(event.side),
        "price": format_cny(event.price),
        "subject": event.account in subjects,
    }
    if isinstance(event, OrderAccepted):
        return body | {"type": "accepted", "quantity": event.quantity}
    if isinstance(event, OrderAmended):
        return body | {"type": "amended", "quantity": event.quantity, "leaves": event.leaves}
    assert isinstance(event, OrderCancelled)
    return body | {
        "type": "cancelled",
        "quantity": event.cancelled_quantity,
        "filled": event.filled_quantity,
        "cause": event.cause,
    }


def dashboard_router(
    reference: ReferenceData,
    history: DayHistory,
    store: StoreThread,
    current_user: Callable[..., User],
    clock: Callable[[], int],
    balances: Balances | None = None,
) -> APIRouter:
    """`current_user` is the supervisors' FastAPI dependency (also called with Basic
    credentials by the login form's endpoint); `balances` reads an account's
    registry balances (the composition root passes it when the registry is reachable)."""
    router = APIRouter(tags=["dashboard"], responses=documented(401, 403, 404, 429, 503))
    Supervisor = Annotated[User, Depends(current_user)]
    sessions = Sessions(clock)
    feed = AlertFeed()
    attached: list[Callable[[], None]] = []  # the feed joins the store on the first socket

    def supervisor(user: User) -> None:
        with refusals():
            require_supervisor(user)

    @router.get("/dashboard", include_in_schema=False)
    async def page() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    @router.get("/dashboard/{path:path}", include_in_schema=False)
    async def static_file(path: str) -> FileResponse:
        """The page's files; anything else (a page's address) gets the page itself."""
        wanted = (STATIC / path).resolve()
        if path and wanted.is_file() and wanted.is_relative_to(STATIC):
            return FileResponse(wanted)
        return FileResponse(STATIC / "index.html")

    @router.post("/api/dashboard/session")
    async def log_in(
        credentials: Annotated[HTTPBasicCredentials | None, Depends(_form_login)],
        request: Request,
    ) -> dict:
        """Checks the login form's Basic credentials and issues the websocket token. A
        refusal carries no Basic challenge, so the browser shows the form's message
        instead of its own password dialog."""
        if credentials is None:
            raise HTTPException(401, "unknown user or wrong password")
        try:
            user = await current_user(credentials, request)
        except HTTPException as refused:
            headers = {k: v for k, v in (refused.headers or {}).items() if k == "Retry-After"}
            raise HTTPException(refused.status_code, refused.detail, headers or None) from None
        supervisor(user)
        session = sessions.open(user.name)
        return {"user": session.user, "token": session.token, "expires": session.expires}

    @router.get("/api/dashboard/instruments")
    async def instruments(user: Supervisor) -> Response:
        """Each instrument with today's sessions and closing window (ns, UTC), the closing
        window as the marking-the-close detector's current parameters have it."""
        supervisor(user)
        calendar = reference.calendar
        today = calendar.trading_date(clock())
        day = next(
            (
                today + dt.timedelta(days=back)
                for back in range(0, -10, -1)
                if calendar.is_trading_day(today + dt.timedelta(days=back))
            ),
            today,
        )
        sessions_today = calendar.session_windows(day)
        current = await store(lambda alerts: alerts.parameters.current())
        closing_ns = current.marking_the_close.closing_window_min * 60 * 1_000_000_000
        close = sessions_today[-1][1] if sessions_today else 0
        return _json(
            {
                "now": clock(),  # the exchange's time (a demo market runs its own day)
                "trading_date": day.isoformat(),
                "timezone": calendar.timezone,
                "sessions": sessions_today,
                "closing_window": [close - closing_ns, close] if close else None,
                "instruments": [
                    {
                        "symbol": symbol,
                        "name": instrument.name,
                        "kind": instrument.kind,
                        "tick": format_cny(instrument.tick),
                    }
                    for symbol, instrument in reference.instruments.items()
                ],
            }
        )

    @router.get("/api/dashboard/accounts/{account}")
    async def account(account: str, user: Supervisor) -> Response:
        """Holdings against limits, orders, trades, activity, alerts, linked accounts."""
        supervisor(user)
        holder = history.view.holders.get(account)
        if holder is None:
            raise HTTPException(
                404, {"reason": "unknown_account", "message": f"no account {account!r}"}
            )
        orders, trades = history.account_events(account, LISTED)
        past = await store(lambda alerts: alerts.search(AlertFilter(account=account), limit=LISTED))
        steps = history.activity.get(account, {})
        return _json(
            {
                "account": account,
                "member": holder.member,
                "kind": "compliance" if holder.kind == AccountKind.COMPLIANCE else "investor",
                "control_group": holder.control_group,
                "allocation": holder.allocation,
                "linked_accounts": history.linked_accounts(account),
                "holdings": history.holdings(account),
                "registry_balances": await balances(account) if balances else None,
                "orders": [order_event_json(e) for e in orders],
                "trades": [order_event_json(e) for e in trades],
                "activity": [
                    {"start": start, **dataclasses.asdict(counts)}
                    for start, counts in sorted(steps.items())
                ],
                "alerts": [AlertView.of(s).model_dump(mode="json") for s in past.alerts],
                "blocks": history.blocks.of_account(account),
            }
        )

    @router.get("/api/dashboard/blocks")
    async def blocks(user: Supervisor) -> Response:
        """Open block allegations with their expiry, today's block trades with their price
        against the book, and today's allegations that ended without a trade."""
        supervisor(user)
        desk = history.blocks
        return _json({"open": desk.allegations(), "trades": desk.trades, "ended": desk.ended()})

    async def window_of(alert_id: str) -> tuple[Alert, list[OrderEvent]]:
        """The alert and its instrument's order events within the margin of its window."""
        with refusals():
            stored = await store(lambda alerts: alerts.get(alert_id))
        alert = stored.alert
        if not alert.instrument:
            return alert, []
        start, end = alert.window_start - WINDOW_MARGIN_NS, alert.window_end + WINDOW_MARGIN_NS
        return alert, history.window(alert.instrument, start, end)

    @router.get("/api/dashboard/alerts/{alert_id}/window")
    async def alert_window(alert_id: str, user: Supervisor) -> Response:
        """The alert's instrument around its window: every trade, the subject's orders."""
        supervisor(user)
        alert, events = await window_of(alert_id)
        subjects = frozenset(alert.accounts)
        steps = sorted({e.ts for e in events})
        step_of = {ts: index for index, ts in enumerate(steps)}
        return _json(
            {
                "alert_id": alert.id,
                "instrument": alert.instrument,
                "accounts": list(alert.accounts),
                "steps": steps,  # the distinct event times, for the book replay
                "events": [
                    order_event_json(e, subjects)
                    | {"step": step_of[e.ts], "evidence": _in_evidence(e, alert)}
                    for e in events
                    if isinstance(e, Trade) or e.account in subjects
                ],
            }
        )

    @router.get("/api/dashboard/alerts/{alert_id}/book")
    async def alert_book(
        alert_id: str, user: Supervisor, step: Annotated[int, Query(ge=0)] = 0
    ) -> Response:
        """The book replayed after the window's `step`-th distinct event time (as listed
        in the window's `steps`): the best five levels each side, the subject's share."""
        supervisor(user)
        alert, events = await window_of(alert_id)
        steps = sorted({e.ts for e in events})
        if not steps:
            raise HTTPException(
                404, {"reason": "no_events", "message": "no order events kept for this window"}
            )
        if step >= len(steps):
            raise HTTPException(
                422, {"reason": "bad_step", "message": f"step must be below {len(steps)}"}
            )
        replayed = history.book_at(alert.instrument, steps[step], frozenset(alert.accounts))
        for side in ("bids", "asks"):
            for level in replayed[side]:
                level["price"] = format_cny(level["price"])
        return _json({"instrument": alert.instrument, "step": step, "at": steps[step], **replayed})

    @router.get("/api/dashboard/audit")
    async def audit(user: Supervisor) -> list[dict]:
        """Every workflow step on the most recently changed alerts, newest first."""
        supervisor(user)

        def trails(alerts: AlertStore) -> list[dict]:
            page = alerts.search(AlertFilter(), limit=500)
            recent = sorted(page.alerts, key=lambda s: -s.updated_ts)[:AUDIT_ALERTS]
            return [
                {
                    "alert_id": stored.alert.id,
                    "pattern": stored.alert.pattern,
                    **AuditView.model_validate(entry).model_dump(mode="json"),
                }
                for stored in recent
                for entry in alerts.trail(stored.alert.id)
            ]

        entries = await store(trails)
        return sorted(entries, key=lambda entry: (-entry["ts"], entry["alert_id"]))

    @router.websocket("/ws/alerts")
    async def alert_changes(websocket: WebSocket, token: str = "") -> None:
        """Every alert raised, merged or worked from now on, as the alerts API shows it."""
        await websocket.accept()  # then a refusal can say why (1008 and a reason)
        if sessions.user(token) is None:
            await websocket.close(1008, "log in first: a valid dashboard token is needed")
            return
        if not attached:
            loop = asyncio.get_running_loop()
            attached.append(await store(lambda alerts: feed.attach(alerts, loop)))
        queue = feed.listen()
        listening = asyncio.create_task(until_client_leaves(websocket))
        try:
            while not listening.done():
                getting = asyncio.create_task(queue.get())
                await asyncio.wait((getting, listening), return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():
                    getting.cancel()
                    break
                change = getting.result()
                if change is None:
                    await websocket.send_json({"type": "reload"})
                    continue
                stored, entry = change
                await websocket.send_json(
                    {
                        "type": "alert",
                        "action": entry.action,
                        "alert": AlertView.of(stored).model_dump(mode="json"),
                    }
                )
        except WebSocketDisconnect:
            pass
        finally:
            listening.cancel()
            feed.leave(queue)
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()

    return router


def _in_evidence(event: OrderEvent, alert: Alert) -> bool:
    """Whether the alert names the event's order or trade among its evidence."""
    if isinstance(event, Trade):
        return event.trade_id in alert.trade_ids
    return event.order_id in alert.order_ids
