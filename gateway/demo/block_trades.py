"""The demo day's block trades (协议大宗交易): five minutes into the afternoon block
session a seller outside the simulated members alleges a block to a compliance buyer,
which accepts it two minutes after it hears of it; and an allegation under the block
minimum is refused, so the dashboard's block page, the tape and the bulletin show both a
trade and a refusal.

The seller is its own member (Bohai Carbon), so the block is a real two-party one: an
allegation by one member, accepted by the other. The report joins the demo's agenda; the
acceptance is booked on it when the allegation comes back as an event (the exchange
numbers the block), as a member's system would.
"""

from collections.abc import Callable, Sequence

from engine.commands import AcceptBlock, Command, MoveHolding, OpenAccount, ReportBlock
from engine.events import BlockAlleged, Event
from engine.orders import AccountKind, HoldingMovementKind, Side
from engine.reference import NS_PER_SECOND, ReferenceData
from gateway.members import Member, Role

SELLER_MEMBER = "BOHAI"
SELLER = "BH1"
BUYER, BUYER_MEMBER = "CE1", "SIM"  # a compliance entity among the simulated members
SYMBOL = "TJEA25"
QUANTITY = 150_000
ACCEPT_AFTER_NS = 2 * 60 * NS_PER_SECOND  # of demo time
REPORTED_AFTER_NS = 5 * 60 * NS_PER_SECOND  # into the block session

Action = Callable[[int], list[Command]]


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
        self, reference: ReferenceData, schedule: Callable[[int, Action], None], opening: int
    ):
        self.schedule = schedule
        listed = reference.instruments[SYMBOL]
        self.minimum, self.price = listed.block_min_quantity, listed.reference_price
        self.report_id = ""
        self.accepted: set[int] = set()
        window = reference.calendar.block_bounds(opening)
        if window is not None:
            schedule(window[0] + REPORTED_AFTER_NS, self._report)

    def _report(self, ts: int) -> list[Command]:
        """One allegation under the minimum (refused), then the block itself."""
        self.report_id = f"block-{ts}"
        return [
            ReportBlock(
                ts, SELLER_MEMBER, f"small-{ts}", SYMBOL, Side.SELL, SELLER, BUYER,
                self.minimum // 2, self.price,
            ),
            ReportBlock(
                ts + 1, SELLER_MEMBER, self.report_id, SYMBOL, Side.SELL, SELLER, BUYER,
                QUANTITY, self.price,
            ),
        ]  # fmt: skip

    def on_events(self, events: Sequence[Event]) -> None:
        """A gateway listener: the buyer books its acceptance once it hears of the block."""
        for event in events:
            if (
                type(event) is BlockAlleged
                and event.report_id == self.report_id
                and event.block_id not in self.accepted
            ):
                self.accepted.add(event.block_id)
                self.schedule(event.ts + ACCEPT_AFTER_NS, self._acceptance(event.block_id))

    def _acceptance(self, block_id: int) -> Action:
        def accept(ts: int) -> list[Command]:
            return [AcceptBlock(ts, BUYER_MEMBER, f"accept-{block_id}", block_id)]

        return accept
