"""The block-trades page's view of the day, from the event stream: the open allegations
with their expiry, today's block trades with their price against the book (the book's
VWAP of the hour before, or its reference price, as the block-away detector measures),
and each account's block trades for its page.

Prices leave here as decimal CNY text, as on the rest of the dashboard.
"""

from collections import deque

from engine.block_trades import BlockCause
from engine.events import BlockAlleged, BlockClosed, BlockTrade, DayClosed, Event, Trade
from engine.money import format_cny
from engine.orders import Side
from engine.reference import ReferenceData

HOUR_NS = 3600 * 1_000_000_000


class BlockDesk:
    def __init__(self, reference: ReferenceData):
        self.references = {s: i.reference_price for s, i in reference.instruments.items()}
        self.open: dict[int, BlockAlleged] = {}
        self.closed: list[BlockClosed] = []  # today's allegations ended without a trade
        self.trades: list[dict] = []  # today's block trades, as the page shows them
        self.book: dict[str, deque[tuple[int, int, int]]] = {}  # the last hour's (ts, px, qty)

    def apply(self, event: Event) -> None:
        kind = type(event)
        if kind is Trade:
            recent = self.book.setdefault(event.instrument, deque())
            recent.append((event.ts, event.price, event.quantity))
            while recent and recent[0][0] < event.ts - HOUR_NS:
                recent.popleft()
        elif kind is BlockAlleged:
            self.open[event.block_id] = event
        elif kind is BlockClosed:
            self.open.pop(event.block_id, None)
            self.closed.append(event)
        elif kind is BlockTrade:
            self.open.pop(event.block_id, None)
            self.trades.append(self._traded(event))
        elif kind is DayClosed:
            self.references[event.instrument] = event.next_reference
            self.book.pop(event.instrument, None)
            self.trades = [t for t in self.trades if t["instrument"] != event.instrument]
            self.closed = [c for c in self.closed if c.instrument != event.instrument]

    def allegations(self) -> list[dict]:
        """The open allegations, soonest to expire first."""
        return [
            {
                "block_id": alleged.block_id,
                "instrument": alleged.instrument,
                "quantity": alleged.quantity,
                "price": format_cny(alleged.price),
                "reporter": alleged.member,
                "report_id": alleged.report_id,
                "buy_account": alleged.account
                if alleged.side == Side.BUY
                else alleged.counterparty,
                "sell_account": alleged.counterparty
                if alleged.side == Side.BUY
                else alleged.account,
                "counterparty_member": alleged.counterparty_member,
                "ts": alleged.ts,
                "expires": alleged.expires,
            }
            for alleged in sorted(self.open.values(), key=lambda a: (a.expires, a.block_id))
        ]

    def ended(self) -> list[dict]:
        return [
            {
                "block_id": closed.block_id,
                "instrument": closed.instrument,
                "quantity": closed.quantity,
                "price": format_cny(closed.price),
                "cause": BlockCause(closed.cause).name.lower(),
                "actor": closed.actor,
                "text": closed.text,
                "ts": closed.ts,
            }
            for closed in self.closed
        ]

    def of_account(self, account: str) -> list[dict]:
        return [t for t in self.trades if account in (t["buy_account"], t["sell_account"])]

    def _traded(self, trade: BlockTrade) -> dict:
        recent = self.book.get(trade.instrument, deque())
        while recent and recent[0][0] < trade.ts - HOUR_NS:
            recent.popleft()
        volume = sum(q for _, _, q in recent)
        if volume:
            market = round(sum(p * q for _, p, q in recent) / volume)
            source = "book VWAP, last hour"
        else:
            market = self.references.get(trade.instrument, 0)
            source = "reference price"
        return {
            "trade_id": trade.trade_id,
            "block_id": trade.block_id,
            "instrument": trade.instrument,
            "quantity": trade.quantity,
            "price": format_cny(trade.price),
            "buy_account": trade.buy_account,
            "sell_account": trade.sell_account,
            "cross": trade.cross,
            "ts": trade.ts,
            "market_price": format_cny(market) if market else None,
            "market_source": source,
            "percent_from_market": (
                round((trade.price - market) * 100 / market, 2) if market else None
            ),
        }
