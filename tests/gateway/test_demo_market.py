"""The demo market's pacing and its replayed morning: people and algorithms act seconds
apart, the agenda gives the same flow however it is stepped, and `run` sends the morning
since the opening before it trades live."""

import asyncio
import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import CancelOrder, EndOfDay, NewOrder, OpenAccount
from engine.reference import load_reference_data
from engine.sequencer import Sequencer
from gateway.clock import SessionClock
from gateway.demo.market import MORNING, NS, DemoMarket, opening_commands
from settlement.holds import SettlementHolds
from surveillance.replay import Surveillance
from tests.engine.conftest import OPEN

REFERENCE = load_reference_data()
MINUTE = 60 * NS


def demo(seed: int = 2026) -> DemoMarket:
    return DemoMarket(None, REFERENCE, None, OPEN, seed=seed)  # type: ignore[arg-type]


def test_a_spoofers_large_bid_rests_seconds_before_it_is_pulled():
    commands = demo().step(OPEN + 30 * MINUTE)
    lures = {
        c.client_order_id: c.ts for c in commands if type(c) is NewOrder and c.quantity == 20_000
    }
    pulls = {
        c.orig_client_order_id: c.ts
        for c in commands
        if type(c) is CancelOrder and c.orig_client_order_id in lures
    }
    assert len(lures) >= 5 and pulls.keys() == lures.keys()
    for order, placed in lures.items():
        assert 3.5 * NS <= pulls[order] - placed <= 7.5 * NS


def test_market_makers_requote_on_their_rhythm():
    commands = demo().step(OPEN + 5 * MINUTE)
    for maker, rhythm in (("MM1", 4 * NS), ("MM2", 6 * NS)):
        bids = [
            c.ts
            for c in commands
            if type(c) is NewOrder and c.account == maker and c.instrument == "TJEA25"
        ][::2]
        assert len(bids) > 40
        assert {later - earlier for earlier, later in itertools.pairwise(bids)} == {rhythm}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    cuts=st.lists(st.integers(1, 10 * MINUTE), min_size=1, max_size=6),
)
def test_the_agenda_gives_the_same_flow_however_it_is_stepped(seed, cuts):
    whole = demo(seed).step(OPEN + 10 * MINUTE)
    stepped = demo(seed)
    pieces = [c for cut in sorted(cuts) for c in stepped.step(OPEN + cut)]
    pieces += stepped.step(OPEN + 10 * MINUTE)
    assert pieces == whole
    assert [c.ts for c in whole] == sorted(c.ts for c in whole)
    assert all(OPEN < c.ts <= OPEN + 10 * MINUTE for c in whole)


def test_surveillance_sees_spoofing_that_rested_seconds():
    """The flow through the real sequencer and every detector: the alerts' evidence reads
    like a person's episode, not a burst within a nanosecond."""
    commands = opening_commands(OPEN) + demo().step(OPEN + 20 * MINUTE)
    sequencer = Sequencer(REFERENCE, SettlementHolds(REFERENCE))
    surveillance = Surveillance(REFERENCE)
    for command in commands:
        for event in sequencer.apply(command):
            surveillance.on_event(event)
    surveillance.finish()
    spoofs = [a for a in surveillance.alerts.values() if a.pattern == "spoofing"]
    assert spoofs
    assert all(1.0 <= a.evidence["seconds_to_cancel"] <= 10.0 for a in spoofs)
    assert all("cancelled it after" in a.reason for a in spoofs)


class Recorder:
    """Stands in for the gateway: keeps what the demo submits, and stops the demo after
    `batches` submissions."""

    def __init__(self, stop: asyncio.Event, batches: int):
        self.batches: list[list] = []
        self.stop = stop
        self.wanted = batches

    async def submit(self, commands) -> None:
        self.batches.append(list(commands))
        if len(self.batches) == self.wanted:
            self.stop.set()


def test_run_sends_the_morning_since_the_opening_before_trading_live():
    clock = SessionClock(REFERENCE.calendar, dt.date(2026, 11, 24), into_session=MORNING)
    assert clock.start - clock.opening == 3600 * NS
    stop = asyncio.Event()
    gateway = Recorder(stop, batches=1 + 59 + 3)  # opening, a batch a minute, live steps
    market = DemoMarket(gateway, REFERENCE, clock, clock.opening, step_seconds=0.01)  # type: ignore[arg-type]
    asyncio.run(asyncio.wait_for(market.run(stop), 30))

    opening, *morning = gateway.batches
    assert {type(c) for c in opening} >= {OpenAccount}
    assert all(c.ts == clock.opening for c in opening)
    replayed = [c for batch in morning for c in batch]
    assert replayed[0].ts < clock.opening + MINUTE  # trading from 09:30 on
    assert replayed[-1].ts >= clock.start - MINUTE  # up to the clock
    assert [c.ts for c in replayed] == sorted(c.ts for c in replayed)
    assert all(len(batch) < 2_000 for batch in morning)  # a simulated minute at a time


def test_the_members_wait_out_the_lunch_break_and_stop_at_the_close():
    calendar = REFERENCE.calendar
    morning, afternoon = calendar.session_windows(calendar.trading_date(OPEN))
    market = demo()
    *commands, close = market.step(afternoon[1] + 10 * MINUTE)
    inside = [c for c in commands if any(s <= c.ts < e for s, e in (morning, afternoon))]
    assert inside == commands
    assert type(close) is EndOfDay and close.trading_date == "2026-11-24"
    assert any(c.ts == afternoon[0] for c in commands)  # back at 13:00
    assert not market.agenda  # nobody left to act after 15:00
