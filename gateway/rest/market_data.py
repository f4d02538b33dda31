"""Public market data over REST and a read-only websocket feed (no login).

The publisher (surveillance/market_data) is fed every event by surveillance (or the gateway
where surveillance runs elsewhere); this module only serves what it publishes. The
bulletins' history is the registry's (the publisher's store), so it outlives restarts.

A websocket subscriber names its instruments, gets a snapshot of each, then every
incremental message in order, each with a per-instrument `seq` so a gap is visible. A
subscriber that cannot keep up is dropped (code 1013) rather than slowing the exchange: it
reconnects and starts again from a snapshot.
"""

import asyncio
import contextlib
from typing import Annotated

import msgspec
from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from prometheus_client import Gauge

from surveillance.http_responses import documented
from surveillance.market_data import MarketDataPublisher, encode_message
from surveillance.market_data.messages import Message
from surveillance.market_data.publisher import UnknownInstrument
from surveillance.websocket_departure import until_client_leaves

SUBSCRIBERS = Gauge("tcx_market_data_subscribers", "Open public market-data websockets")
QUEUE_LIMIT = 10_000  # messages a subscriber may fall behind before it is dropped


def _json(value) -> Response:
    return Response(msgspec.json.encode(value), media_type="application/json")


def market_data_router(publisher: MarketDataPublisher) -> APIRouter:
    router = APIRouter(tags=["market data"], responses=documented(404, 503))

    def known(symbol: str) -> None:
        if symbol not in publisher.instruments():
            raise HTTPException(404, {"reason": "unknown_instrument", "text": f"no {symbol!r}"})

    @router.get("/api/market")
    async def market() -> Response:
        """A snapshot of every instrument: quote, depth, state, last bulletin."""
        return _json([publisher.snapshot(symbol) for symbol in publisher.instruments()])

    @router.get("/api/market/{symbol}")
    async def snapshot(symbol: str) -> Response:
        known(symbol)
        return _json(publisher.snapshot(symbol))

    @router.get("/api/market/{symbol}/trades")
    async def tape(symbol: str) -> Response:
        """The most recent trades, oldest first (anonymous)."""
        known(symbol)
        return _json(publisher.tape(symbol))

    @router.get("/api/market/{symbol}/blocks")
    async def blocks(symbol: str) -> Response:
        """Today's block trades (协议大宗交易), oldest first (anonymous)."""
        known(symbol)
        return _json(publisher.blocks(symbol))

    @router.get("/api/market/{symbol}/bars")
    async def bars(symbol: str) -> Response:
        """Today's 1-minute OHLCV bars (minutes with trades only)."""
        known(symbol)
        return _json(publisher.bars(symbol))

    @router.get("/api/bulletins")
    async def all_bulletins(
        trading_date: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")] = None,
    ) -> Response:
        """Every instrument's daily bulletins kept (the registry's history), in the order
        they were published; `trading_date=YYYY-MM-DD` for one day's."""
        return _json(publisher.store.history(trading_date=trading_date))

    @router.get("/api/bulletins/{symbol}")
    async def bulletins(symbol: str) -> Response:
        """The daily bulletins published so far for the instrument, oldest first."""
        known(symbol)
        return _json(publisher.store.history(symbol))

    @router.websocket("/ws/market")
    async def feed(websocket: WebSocket, instruments: str = "") -> None:
        """`/ws/market?instruments=TJEA25,CCER` (empty: every instrument)."""
        await websocket.accept()
        wanted = [s for s in instruments.split(",") if s] or None
        queue: asyncio.Queue[Message | None] = asyncio.Queue()
        overflowed = False

        def deliver(message: Message) -> None:
            nonlocal overflowed
            if overflowed:
                return
            if queue.qsize() >= QUEUE_LIMIT:
                overflowed = True
                queue.put_nowait(None)  # tells the sender to drop this subscriber
                return
            queue.put_nowait(message)

        try:
            subscription = publisher.subscribe(deliver, wanted)
        except UnknownInstrument as unknown:
            await websocket.close(1008, str(unknown))
            return
        SUBSCRIBERS.inc()
        sending = asyncio.create_task(_send_until_dropped(websocket, queue))
        listening = asyncio.create_task(until_client_leaves(websocket))
        try:
            await asyncio.wait((sending, listening), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sending.cancel()
            listening.cancel()
            SUBSCRIBERS.dec()
            subscription.close()
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # a client gone: no error
                await websocket.close()

    return router


async def _send_until_dropped(websocket: WebSocket, queue: asyncio.Queue) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while (message := await queue.get()) is not None:
            await websocket.send_text(encode_message(message).decode())
        await websocket.close(1013, "too slow: reconnect for a fresh snapshot")
