"""The demo day's block trades on an agenda, against the real sequencer: five minutes into
the block session the demo's seller alleges a block to a compliance buyer, which accepts it
two minutes after the allegation comes back; one allegation under the block minimum is
refused. And the demo market books the report on its own agenda."""

import datetime as dt
import heapq
import itertools
from zoneinfo import ZoneInfo

from engine.commands import ReportBlock
from engine.events import BlockAlleged, BlockRejected, BlockTrade, Event
from engine.reasons import Reason
from engine.reference import load_reference_data
from engine.sequencer import Sequencer
from gateway.demo.block_trades import BUYER, QUANTITY, SELLER, DemoBlockTrades
from gateway.demo.market import DemoMarket, opening_commands
from settlement.holds import SettlementHolds

SECOND = 1_000_000_000
REFERENCE = load_reference_data()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int) -> int:
    return int(dt.datetime(2026, 11, 24, hour, minute, tzinfo=SHANGHAI).timestamp()) * SECOND


def test_the_demo_alleges_and_accepts_a_block_and_has_one_refused():
    sequencer = Sequencer(REFERENCE, SettlementHolds(REFERENCE))
    opening = at(9, 30)
    for command in opening_commands(opening):
        sequencer.apply(command)
    agenda: list = []
    order = itertools.count()
    demo = DemoBlockTrades(
        REFERENCE, lambda ts, action: heapq.heappush(agenda, (ts, next(order), action)), opening
    )
    events: list[Event] = []
    while agenda:
        ts, _, action = heapq.heappop(agenda)
        for command in action(ts):
            applied = sequencer.apply(command)
            events += applied
            demo.on_events(applied)
    assert [type(event) for event in events] == [BlockRejected, BlockAlleged, BlockTrade]
    refused, alleged, trade = events
    assert refused.reason == Reason.BELOW_BLOCK_MINIMUM
    assert alleged.ts == at(13, 5) + 1
    assert (trade.sell_account, trade.buy_account, trade.quantity) == (SELLER, BUYER, QUANTITY)
    assert trade.ts == alleged.ts + 2 * 60 * SECOND
    demo.on_events([alleged])  # the same allegation again (a replayed stream): no second accept
    assert agenda == []


def test_the_demo_market_sends_the_block_reports_in_the_afternoon():
    demo = DemoMarket(None, REFERENCE, None, at(9, 30))  # type: ignore[arg-type]
    morning = demo.step(at(13, 4))
    assert not [command for command in morning if type(command) is ReportBlock]
    afternoon = [command for command in demo.step(at(13, 6)) if type(command) is ReportBlock]
    assert [command.quantity for command in afternoon] == [50_000, QUANTITY]
