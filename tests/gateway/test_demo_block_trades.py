"""The demo day's block trades, against the real sequencer: in the afternoon block session
the demo's seller alleges a block to a compliance buyer, which accepts it two demo
minutes later; one allegation under the block minimum is refused."""

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from engine.commands import Command
from engine.events import BlockAlleged, BlockRejected, BlockTrade, Event
from engine.reasons import Reason
from engine.reference import load_reference_data
from engine.sequencer import Sequencer
from gateway.demo.block_trades import BUYER, QUANTITY, SELLER, DemoBlockTrades
from gateway.demo.market import opening_commands
from gateway.trading.command_replies import answers
from settlement.holds import SettlementHolds

SECOND = 1_000_000_000


class SteppingClock:
    """Beijing wall time from `start`, 20 s on at every reading."""

    def __init__(self, start: dt.datetime):
        self.ts = int(start.timestamp()) * SECOND

    def now(self) -> int:
        self.ts += 20 * SECOND
        return self.ts


class EngineGateway:
    """The gateway's request, answered by a real sequencer."""

    def __init__(self, sequencer: Sequencer, stop: asyncio.Event):
        self.sequencer = sequencer
        self.stop = stop
        self.events: list[Event] = []

    async def request(self, command: Command) -> list[Event]:
        events = self.sequencer.apply(command)
        self.events += events
        if any(type(event) is BlockTrade for event in events):
            self.stop.set()
        return [event for event in events if answers(command, event)]


def test_the_demo_alleges_and_accepts_a_block_and_has_one_refused():
    reference = load_reference_data()
    sequencer = Sequencer(reference, SettlementHolds(reference))
    start = dt.datetime(2026, 11, 24, 13, 4, tzinfo=ZoneInfo("Asia/Shanghai"))
    clock = SteppingClock(start)
    for command in opening_commands(clock.now()):
        sequencer.apply(command)

    async def run() -> list[Event]:
        stop = asyncio.Event()
        gateway = EngineGateway(sequencer, stop)
        demo = DemoBlockTrades(gateway, reference, clock, step_seconds=0)
        await asyncio.wait_for(demo.run(stop), 10)
        return gateway.events

    events = asyncio.run(run())
    kinds = [type(event) for event in events]
    assert kinds == [BlockRejected, BlockAlleged, BlockTrade]
    assert events[0].reason == Reason.BELOW_BLOCK_MINIMUM
    trade = events[2]
    assert (trade.sell_account, trade.buy_account, trade.quantity) == (SELLER, BUYER, QUANTITY)
    assert trade.ts - events[1].ts >= 2 * 60 * SECOND
    window = reference.calendar.block_bounds(trade.ts)
    assert window[0] <= events[1].ts and trade.ts < window[1]
