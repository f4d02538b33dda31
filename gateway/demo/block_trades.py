"""The demo day's block trades (协议大宗交易): in the afternoon block session a seller
outside the simulated members alleges a block to a compliance buyer, which accepts it a
couple of minutes later; and an allegation under the block minimum is refused, so the
dashboard's block page, the tape and the bulletin show both the trade and a refusal.

The seller is its own member (Bohai Carbon), so the block is a real two-party one: an
allegation by one member, accepted by the other.
"""

import asyncio
import contextlib
import logging

from engine.commands import AcceptBlock, Command, MoveHolding, OpenAccount, ReportBlock
from engine.events import BlockAlleged, BlockRejected
from engine.orders import AccountKind, HoldingMovementKind, Side
from engine.reference import NS_PER_SECOND, ReferenceData
from gateway.clock import Clock
from gateway.members import Member, Role
from gateway.trading.gateway_service import GatewayService, RequestTimeout

log = logging.getLogger("tcx.demo")

SELLER_MEMBER = "BOHAI"
SELLER = "BH1"
BUYER, BUYER_MEMBER = "CE1", "SIM"  # a compliance entity among the simulated members
SYMBOL = "TJEA25"
QUANTITY = 150_000
ACCEPT_AFTER_NS = 2 * 60 * NS_PER_SECOND  # of demo time
REPORTED_AFTER_NS = 5 * 60 * NS_PER_SECOND  # into the block session


def block_members() -> dict[str, Member]:
    return {
        SELLER_MEMBER: Member(
            SELLER_MEMBER, "Bohai Carbon Asset Management", Role.MEMBER, frozenset({SELLER})
        )
    }


def block_opening_commands(ts: int, actor: str) -> list[Command]:
    return [
        OpenAccount(ts, SELLER, SELLER_MEMBER, AccountKind.INVESTOR, "", 0, actor),
        MoveHolding(
            ts, SELLER, SYMBOL, 300_000, HoldingMovementKind.ALLOCATE, "demo-alloc-BH1", actor
        ),
    ]


class DemoBlockTrades:
    def __init__(
        self,
        gateway: GatewayService,
        reference: ReferenceData,
        clock: Clock,
        step_seconds: float = 0.25,
    ):
        self.gateway = gateway
        self.calendar = reference.calendar
        self.minimum = reference.instruments[SYMBOL].block_min_quantity
        self.reference_price = reference.instruments[SYMBOL].reference_price
        self.clock = clock
        self.step_seconds = step_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Once a day: wait for the block session, report, and accept."""
        reported_on = None
        while not stop.is_set():
            now = self.clock.now()
            window = self.calendar.block_bounds(now)
            day = self.calendar.trading_date(now)
            if window and reported_on != day and window[0] + REPORTED_AFTER_NS <= now < window[1]:
                reported_on = day
                with contextlib.suppress(RequestTimeout):
                    await self._day_of_blocks(now, day.isoformat(), stop)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.step_seconds)

    async def _day_of_blocks(self, now: int, day: str, stop: asyncio.Event) -> None:
        price = self.reference_price
        small = ReportBlock(
            now, SELLER_MEMBER, f"small-{day}", SYMBOL, Side.SELL, SELLER, BUYER,
            self.minimum // 2, price,
        )  # fmt: skip
        (refused,) = await self.gateway.request(small)
        if type(refused) is BlockRejected:
            log.info("demo block under the minimum refused", extra={"text": refused.text})
        report = ReportBlock(
            self.clock.now(), SELLER_MEMBER, f"block-{day}", SYMBOL, Side.SELL, SELLER, BUYER,
            QUANTITY, price,
        )  # fmt: skip
        (alleged,) = await self.gateway.request(report)
        if type(alleged) is not BlockAlleged:
            return
        accept_at = alleged.ts + ACCEPT_AFTER_NS
        while self.clock.now() < accept_at and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.step_seconds)
        if not stop.is_set():
            accept = AcceptBlock(self.clock.now(), BUYER_MEMBER, f"accept-{day}", alleged.block_id)
            await self.gateway.request(accept)
