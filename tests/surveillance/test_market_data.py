"""Market data from hand-written event sequences: depth, quotes, bars, state, bulletins,
sequence numbers and subscriptions. The same publisher runs against the real sequencer
in test_market_data_engine.py."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.events import (
    AccountOpened,
    DayClosed,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    ReferencePriceSet,
    Trade,
    TradingStatus,
)
from engine.orders import CancelCause, OrderType, SelfTradePrevention, Side, TimeInForce
from engine.reference import load_reference_data
from surveillance.market_data import (
    Continuity,
    DailyBulletin,
    Depth,
    EventGap,
    MarketDataPublisher,
    Quote,
    SequenceTracker,
    Snapshot,
    UnknownInstrument,
    decode_message,
    encode_message,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUY, SELL = Side.BUY, Side.SELL
REFERENCE = load_reference_data()


def at(hh: int, mm: int, ss: int = 0, ns: int = 0, day: int = 24) -> int:
    """A Shanghai wall-clock time on 2026-11-<day> as ns since the epoch."""
    moment = dt.datetime(2026, 11, day, hh, mm, ss, tzinfo=SHANGHAI)
    return int(moment.timestamp()) * 1_000_000_000 + ns


class Script:
    """Writes engine events the way the sequencer numbers them, applies each to a
    publisher and keeps the messages."""

    def __init__(self, publisher: MarketDataPublisher, instrument: str = "TJEA25"):
        self.publisher = publisher
        self.instrument = instrument
        self.seq = 0
        self.ts = at(9, 30)
        self.order_id = 0
        self.trade_id = 0
        self.orders: dict[int, tuple[int, int]] = {}  # order id -> (side, price)
        self.messages: list = []

    def emit(self, event_type, **fields):
        self.seq += 1
        fields.setdefault("ts", self.ts)
        messages = self.publisher.apply(event_type(seq=self.seq, **fields))
        self.messages += messages
        return messages

    def accept(self, side, price, quantity, tif=TimeInForce.DAY, order_type=OrderType.LIMIT):
        self.order_id += 1
        self.orders[self.order_id] = (side, price)
        self.emit(
            OrderAccepted,
            order_id=self.order_id,
            account="A1" if side == BUY else "A2",
            client_order_id=f"c{self.order_id}",
            instrument=self.instrument,
            side=side,
            order_type=order_type,
            time_in_force=tif,
            price=price,
            quantity=quantity,
        )
        return self.order_id

    def trade(self, aggressor: int, resting: int, quantity: int, aggressor_leaves, resting_leaves):
        side, price = self.orders[resting]
        buy, sell = (resting, aggressor) if side == BUY else (aggressor, resting)
        buy_leaves, sell_leaves = (
            (resting_leaves, aggressor_leaves)
            if side == BUY
            else (aggressor_leaves, resting_leaves)
        )
        self.trade_id += 1
        return self.emit(
            Trade,
            trade_id=self.trade_id,
            instrument=self.instrument,
            price=price,
            quantity=quantity,
            aggressor_side=SELL if side == BUY else BUY,
            buy_order_id=buy,
            buy_account="A1",
            buy_client_order_id=f"c{buy}",
            buy_leaves=buy_leaves,
            sell_order_id=sell,
            sell_account="A2",
            sell_client_order_id=f"c{sell}",
            sell_leaves=sell_leaves,
        )

    def cancel(self, order_id, quantity, cause=CancelCause.REQUESTED, filled=0):
        side, price = self.orders[order_id]
        return self.emit(
            OrderCancelled,
            order_id=order_id,
            account="A1",
            client_order_id=f"c{order_id}",
            instrument=self.instrument,
            side=side,
            price=price,
            cancelled_quantity=quantity,
            filled_quantity=filled,
            cause=cause,
        )

    def amend(self, order_id, price, quantity, leaves, priority_kept=False):
        side, _ = self.orders[order_id]
        self.orders[order_id] = (side, price)
        return self.emit(
            OrderAmended,
            order_id=order_id,
            account="A1",
            client_order_id=f"a{order_id}",
            orig_client_order_id=f"c{order_id}",
            instrument=self.instrument,
            side=side,
            price=price,
            quantity=quantity,
            leaves=leaves,
            priority_kept=priority_kept,
        )

    def status(self, halted: bool, instrument: str = ""):
        return self.emit(
            TradingStatus, instrument=instrument, halted=halted, actor="sup", reason="test"
        )

    def day_closed(self, date="2026-11-24", **figures):
        fields = dict(
            trading_date=date,
            instrument=self.instrument,
            open_price=0,
            high_price=0,
            low_price=0,
            close_price=5000,
            carried_over=False,
            volume=0,
            turnover=0,
            expired_orders=0,
            next_reference=figures.get("close_price", 5000),
            next_band_low=4500,
            next_band_high=5500,
        )
        return self.emit(DayClosed, **(fields | figures))


def new_script(**options) -> Script:
    return Script(MarketDataPublisher(REFERENCE, **options))


def levels(depth: Depth, side: str) -> list[tuple[str, int, int]]:
    return [(level.price, level.quantity, level.orders) for level in getattr(depth, side)]


def last(messages, kind):
    found = [m for m in messages if isinstance(m, kind)]
    return found[-1] if found else None


# -- depth, best bid/offer ----------------------------------------------------------------


def test_resting_orders_aggregate_per_level_and_only_the_best_five_are_published():
    script = new_script()
    for price in (4990, 4995, 4995, 4980, 4970, 4960, 4950):
        script.accept(BUY, price, 10)
    script.accept(SELL, 5010, 7)
    script.accept(SELL, 5010, 3)

    depth = last(script.messages, Depth)
    assert levels(depth, "bids") == [
        ("49.95", 20, 2),
        ("49.90", 10, 1),
        ("49.80", 10, 1),
        ("49.70", 10, 1),
        ("49.60", 10, 1),
    ]
    assert levels(depth, "asks") == [("50.10", 10, 2)]
    quote = last(script.messages, Quote)
    assert (quote.bid_price, quote.bid_quantity) == ("49.95", 20)
    assert (quote.ask_price, quote.ask_quantity) == ("50.10", 10)
    assert script.publisher.depth("TJEA25", BUY)[4950] == (10, 1)


def test_an_order_below_the_best_five_publishes_nothing():
    script = new_script()
    for price in (4990, 4980, 4970, 4960, 4950):
        script.accept(BUY, price, 10)
    assert script.messages
    script.messages.clear()
    script.accept(BUY, 4940, 10)
    assert script.messages == []
    assert script.publisher.depth("TJEA25", BUY)[4940] == (10, 1)


def test_an_order_inside_the_five_but_not_best_sends_depth_without_a_quote():
    script = new_script()
    for price in (4990, 4980, 4970):
        script.accept(BUY, price, 10)
    script.messages.clear()
    script.accept(BUY, 4985, 4)
    assert [type(m) for m in script.messages] == [Depth]


def test_a_crossing_buy_trades_first_and_rests_its_remainder_at_its_limit():
    script = new_script()
    ask_1 = script.accept(SELL, 5000, 30)
    ask_2 = script.accept(SELL, 5005, 50)
    script.messages.clear()

    buy = script.accept(BUY, 5010, 100)
    assert script.messages == []  # matched before it rests: the book never shows it crossed
    script.trade(buy, ask_1, 30, aggressor_leaves=70, resting_leaves=0)
    quote = last(script.messages, Quote)
    assert (quote.bid_price, quote.ask_price, quote.last_price) == (None, "50.05", "50.00")
    script.trade(buy, ask_2, 50, aggressor_leaves=20, resting_leaves=0)

    quote = last(script.messages, Quote)
    assert (quote.bid_price, quote.bid_quantity, quote.ask_price) == ("50.10", 20, None)
    assert (quote.last_price, quote.last_quantity, quote.volume) == ("50.05", 50, 80)
    depth = last(script.messages, Depth)
    assert levels(depth, "bids") == [("50.10", 20, 1)]
    assert levels(depth, "asks") == []


def test_a_partial_fill_of_a_resting_order_keeps_the_level_with_less():
    script = new_script()
    ask = script.accept(SELL, 5000, 30)
    buy = script.accept(BUY, 5000, 10)
    script.trade(buy, ask, 10, aggressor_leaves=0, resting_leaves=20)
    assert script.publisher.depth("TJEA25", SELL) == {5000: (20, 1)}
    assert script.publisher.depth("TJEA25", BUY) == {}


def test_ioc_and_market_orders_never_rest():
    script = new_script()
    ask = script.accept(SELL, 5000, 10)
    ioc = script.accept(BUY, 5001, 25, tif=TimeInForce.IOC)
    script.trade(ioc, ask, 10, aggressor_leaves=15, resting_leaves=0)
    script.cancel(ioc, 15, cause=CancelCause.IOC_REMAINDER, filled=10)
    market = script.accept(SELL, 4500, 5, tif=TimeInForce.IOC, order_type=OrderType.MARKET)
    script.cancel(market, 5, cause=CancelCause.IOC_REMAINDER)

    assert script.publisher.depth("TJEA25", BUY) == {}
    assert script.publisher.depth("TJEA25", SELL) == {}
    quote = last(script.messages, Quote)
    assert (quote.bid_price, quote.ask_price) == (None, None)


def test_self_trade_prevention_cancelling_the_resting_order_lets_the_incoming_rest():
    script = new_script()
    own_ask = script.accept(SELL, 5000, 10)
    script.accept(BUY, 5000, 10)
    assert script.publisher.depth("TJEA25", BUY) == {}
    script.cancel(own_ask, 10, cause=CancelCause.SELF_TRADE)
    assert script.publisher.depth("TJEA25", BUY) == {5000: (10, 1)}
    assert script.publisher.depth("TJEA25", SELL) == {}


def test_under_cancel_both_the_incoming_order_waits_for_its_own_cancel():
    rules = dataclasses.replace(
        REFERENCE.rules, self_trade_prevention=SelfTradePrevention.CANCEL_BOTH
    )
    script = Script(MarketDataPublisher(dataclasses.replace(REFERENCE, rules=rules)))
    own_ask = script.accept(SELL, 5000, 10)
    buy = script.accept(BUY, 5000, 10)
    script.messages.clear()
    script.cancel(own_ask, 10, cause=CancelCause.SELF_TRADE)
    script.cancel(buy, 10, cause=CancelCause.SELF_TRADE)
    assert all(not m.bids for m in script.messages if isinstance(m, Depth))
    assert script.publisher.depth("TJEA25", BUY) == {}


def test_amends_move_quantity_and_price_and_a_crossing_amend_matches_first():
    script = new_script()
    bid = script.accept(BUY, 4990, 50)
    ask = script.accept(SELL, 5010, 20)
    script.amend(bid, 4990, 40, leaves=40, priority_kept=True)
    assert script.publisher.depth("TJEA25", BUY) == {4990: (40, 1)}
    script.amend(bid, 4995, 40, leaves=40)
    assert script.publisher.depth("TJEA25", BUY) == {4995: (40, 1)}

    script.amend(bid, 5010, 40, leaves=40)
    assert script.publisher.depth("TJEA25", BUY) == {}  # crossing: matched before it rests
    script.trade(bid, ask, 20, aggressor_leaves=20, resting_leaves=0)
    assert script.publisher.depth("TJEA25", BUY) == {5010: (20, 1)}
    assert script.publisher.depth("TJEA25", SELL) == {}


def test_cancel_and_expiry_remove_orders():
    script = new_script()
    first = script.accept(BUY, 4990, 10)
    second = script.accept(BUY, 4990, 5)
    script.cancel(first, 10)
    assert script.publisher.depth("TJEA25", BUY) == {4990: (5, 1)}
    script.cancel(second, 5, cause=CancelCause.EXPIRED)
    assert script.publisher.depth("TJEA25", BUY) == {}
    quote = last(script.messages, Quote)
    assert (quote.bid_price, quote.bid_quantity) == (None, 0)


# -- model check: the published depth always equals the live orders -----------------------

# One step: ("rest", side, ticks from 50.00, quantity), ("cancel", pick), ("amend", pick,
# ticks, quantity), ("hit", side, quantity): an IOC that takes part of the oldest order at
# the best price of `side`.
_step = st.one_of(
    st.tuples(st.just("rest"), st.sampled_from([BUY, SELL]), st.integers(1, 9), st.integers(1, 50)),
    st.tuples(st.just("cancel"), st.integers(0, 1_000)),
    st.tuples(st.just("amend"), st.integers(0, 1_000), st.integers(1, 9), st.integers(1, 60)),
    st.tuples(st.just("hit"), st.sampled_from([BUY, SELL]), st.integers(1, 60)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_step, min_size=30, max_size=120))
def test_published_quote_and_depth_always_match_the_live_orders(steps):
    """Bids sit below 50.00 and asks above it, so only `hit` trades. After every event the
    last Quote and Depth sent equal what the live orders add up to, so sending only on a
    change loses nothing."""
    script = new_script()
    live: dict[int, list[int]] = {}  # order id -> [side, price, leaves], in time order

    for step in steps:
        if step[0] == "rest":
            _, side, ticks, quantity = step
            price = 5000 - ticks if side == BUY else 5000 + ticks
            live[script.accept(side, price, quantity)] = [side, price, quantity]
        elif step[0] == "cancel" and live:
            order_id = list(live)[step[1] % len(live)]
            script.cancel(order_id, live.pop(order_id)[2])
        elif step[0] == "amend" and live:
            _, pick, ticks, quantity = step
            order_id = list(live)[pick % len(live)]
            side = live[order_id][0]
            price = 5000 - ticks if side == BUY else 5000 + ticks
            script.amend(order_id, price, quantity, leaves=quantity)
            del live[order_id]
            live[order_id] = [side, price, quantity]  # a new place in time
        elif step[0] == "hit":
            _, side, quantity = step
            resting = [(oid, o) for oid, o in live.items() if o[0] == side]
            if not resting:
                continue
            best = (max if side == BUY else min)(o[1] for _, o in resting)
            order_id, order = next((oid, o) for oid, o in resting if o[1] == best)
            taken = min(quantity, order[2])
            ioc = script.accept(SELL if side == BUY else BUY, best, quantity, tif=TimeInForce.IOC)
            script.trade(ioc, order_id, taken, quantity - taken, order[2] - taken)
            order[2] -= taken
            if order[2] == 0:
                del live[order_id]
            if quantity > taken:
                script.cancel(ioc, quantity - taken, cause=CancelCause.IOC_REMAINDER)

        for side, name in ((BUY, "bids"), (SELL, "asks")):
            expected: dict[int, tuple[int, int]] = {}
            for order_side, price, leaves in live.values():
                if order_side == side:
                    quantity, count = expected.get(price, (0, 0))
                    expected[price] = (quantity + leaves, count + 1)
            assert script.publisher.depth("TJEA25", side) == expected
            best_five = sorted(expected.items(), reverse=side == BUY)[:5]
            published = last(script.messages, Depth)
            assert (levels(published, name) if published else []) == [
                (f"{price / 100:.2f}", quantity, count) for price, (quantity, count) in best_five
            ]
            quote = last(script.messages, Quote)
            best_price = f"{best_five[0][0] / 100:.2f}" if best_five else None
            assert (getattr(quote, name[:3] + "_price") if quote else None) == best_price


# -- bars ---------------------------------------------------------------------------------


def test_bars_follow_local_minutes_across_boundaries_and_the_lunch_break():
    script = new_script()
    prints = [  # (time, price, quantity)
        (at(9, 30, 10), 5000, 10),
        (at(9, 30, 40), 5004, 5),
        (at(9, 30, 59, 999_999_999), 4998, 2),
        (at(9, 31, 0), 5001, 1),  # exactly on the boundary: the next bar
        (at(11, 29, 59, 999_999_999), 5010, 3),
        (at(13, 0, 0), 5020, 4),
        (at(13, 0, 30), 5015, 6),
    ]
    for ts, price, quantity in prints:
        script.ts = ts
        resting = script.accept(SELL, price, quantity)
        script.ts = ts
        incoming = script.accept(BUY, price, quantity)
        script.trade(incoming, resting, quantity, 0, 0)

    bars = script.publisher.bars("TJEA25")
    assert [(b.start, b.open, b.high, b.low, b.close, b.volume, b.trades) for b in bars] == [
        ("2026-11-24T09:30:00+08:00", "50.00", "50.04", "49.98", "49.98", 17, 3),
        ("2026-11-24T09:31:00+08:00", "50.01", "50.01", "50.01", "50.01", 1, 1),
        ("2026-11-24T11:29:00+08:00", "50.10", "50.10", "50.10", "50.10", 3, 1),
        ("2026-11-24T13:00:00+08:00", "50.20", "50.20", "50.15", "50.15", 10, 2),
    ]
    assert bars[0].turnover == "850.16"  # 50.00x10 + 50.04x5 + 49.98x2
    assert bars[1].start_ts == at(9, 31)
    assert bars[0].start_ts == at(9, 30)
    # one bar message per trade, the last of each minute equal to the kept bar
    bar_messages = [m for m in script.messages if type(m).__name__ == "Bar"]
    assert len(bar_messages) == len(prints)
    assert bar_messages[2] == bars[0]


def test_bar_history_is_bounded():
    script = new_script(bar_history=2)
    for minute in range(4):
        script.ts = at(10, minute)
        ask = script.accept(SELL, 5000, 1)
        bid = script.accept(BUY, 5000, 1)
        script.trade(bid, ask, 1, 0, 0)
    assert [b.start[11:16] for b in script.publisher.bars("TJEA25")] == ["10:02", "10:03"]


def test_the_tape_keeps_the_latest_trades_anonymously():
    script = new_script(tape_length=3)
    for i in range(5):
        ask = script.accept(SELL, 5000 + i, 2)
        bid = script.accept(BUY, 5000 + i, 2)
        script.trade(bid, ask, 2, 0, 0)
    tape = script.publisher.tape("TJEA25")
    assert [(t.trade_id, t.price, t.quantity, t.aggressor) for t in tape] == [
        (3, "50.02", 2, "buy"),
        (4, "50.03", 2, "buy"),
        (5, "50.04", 2, "buy"),
    ]
    assert b"A1" not in encode_message(tape[0])


# -- instrument state and band ------------------------------------------------------------


def test_state_starts_from_reference_data_with_its_band():
    snapshot = MarketDataPublisher(REFERENCE).snapshot("TJEA25")
    state = snapshot.state
    assert (state.status, state.reference_price) == ("trading", "50.00")
    assert (state.band_low, state.band_high) == ("45.00", "55.00")


def test_instrument_and_market_halts_are_separate():
    script = new_script()
    script.status(True, "TJEA25")
    assert script.messages[-1].status == "halted"
    assert script.messages[-1].instrument_halted
    script.status(True)  # the whole market: one state message per instrument
    halted = {m.instrument: m.status for m in script.messages[-len(REFERENCE.instruments) :]}
    assert halted == {symbol: "halted" for symbol in REFERENCE.instruments}
    script.status(False)
    after_resume = {m.instrument: m.status for m in script.messages[-len(REFERENCE.instruments) :]}
    assert after_resume["TJEA25"] == "halted"  # its own halt still stands
    assert after_resume["CCER"] == "trading"
    script.status(False, "TJEA25")
    assert script.publisher.snapshot("TJEA25").state.status == "trading"


def test_reference_price_and_the_close_move_the_band():
    script = new_script()
    script.emit(
        ReferencePriceSet,
        instrument="TJEA25",
        reference_price=6000,
        band_low=5400,
        band_high=6600,
        actor="sup",
    )
    state = script.messages[-1]
    assert (state.reference_price, state.band_low, state.band_high) == ("60.00", "54.00", "66.00")
    script.day_closed(
        close_price=6100, next_reference=6100, next_band_low=5490, next_band_high=6710
    )
    state = script.publisher.snapshot("TJEA25").state
    assert (state.reference_price, state.band_low, state.band_high) == ("61.00", "54.90", "67.10")


# -- the daily bulletin -------------------------------------------------------------------


def trade_day(script: Script, prints: list[tuple[int, int]]) -> None:
    for price, quantity in prints:
        ask = script.accept(SELL, price, quantity)
        bid = script.accept(BUY, price, quantity)
        script.trade(bid, ask, quantity, 0, 0)


def test_bulletin_change_against_the_reference_then_against_the_previous_close():
    script = new_script()
    trade_day(script, [(5100, 100), (5150, 100)])
    script.day_closed(
        open_price=5100, high_price=5150, low_price=5100, close_price=5125,
        volume=200, turnover=1_025_000,
    )  # fmt: skip
    first = script.publisher.store.latest("TJEA25")
    assert (first.open, first.high, first.low, first.close) == ("51.00", "51.50", "51.00", "51.25")
    assert (first.previous_close, first.change, first.change_percent) == ("50.00", "1.25", "2.50")
    assert (first.volume, first.turnover) == (200, "10250.00")
    assert (first.block_volume, first.block_turnover) == (0, "0.00")
    assert (first.cumulative_volume, first.cumulative_turnover) == (200, "10250.00")

    script.day_closed(
        date="2026-11-25", open_price=5000, high_price=5000, low_price=5000, close_price=5000,
        volume=10, turnover=50_000,
    )  # fmt: skip
    second = script.publisher.store.latest("TJEA25")
    assert (second.previous_close, second.change, second.change_percent) == (
        "51.25",
        "-1.25",
        "-2.44",  # -1.25 / 51.25 = -2.439...%
    )
    assert (second.cumulative_volume, second.cumulative_turnover) == (210, "10750.00")
    assert [b.trading_date for b in script.publisher.store.history("TJEA25")] == [
        "2026-11-24",
        "2026-11-25",
    ]


def test_a_carried_over_close_has_no_open_and_no_change():
    script = new_script()
    script.day_closed(close_price=5000, carried_over=True)
    bulletin = script.publisher.store.latest("TJEA25")
    assert (bulletin.open, bulletin.high, bulletin.low) == (None, None, None)
    assert (bulletin.close, bulletin.carried_over) == ("50.00", True)
    assert (bulletin.change, bulletin.change_percent, bulletin.volume) == ("0.00", "0.00", 0)


def test_the_close_starts_a_new_day_on_the_quote_and_keeps_the_last_trade():
    script = new_script()
    trade_day(script, [(5100, 10)])
    script.day_closed(open_price=5100, high_price=5100, low_price=5100, close_price=5100,
                      volume=10, turnover=51_000)  # fmt: skip
    kinds = [type(m).__name__ for m in script.messages[-3:]]
    assert kinds == ["DailyBulletin", "InstrumentState", "Quote"]
    quote = script.messages[-1]
    assert (quote.open, quote.volume, quote.turnover) == (None, 0, "0.00")
    assert (quote.last_price, quote.last_quantity) == ("51.00", 10)


def test_a_restarted_publisher_continues_from_the_stored_history():
    script = new_script()
    script.day_closed(open_price=5200, high_price=5200, low_price=5200, close_price=5200,
                      volume=30, turnover=156_000)  # fmt: skip
    history = script.publisher.store

    restarted = Script(MarketDataPublisher(REFERENCE, history, next_event_seq=script.seq + 1))
    restarted.seq = script.seq
    restarted.day_closed(date="2026-11-25", open_price=5304, high_price=5304, low_price=5304,
                         close_price=5304, volume=1, turnover=5304)  # fmt: skip
    bulletin = history.latest("TJEA25")
    assert (bulletin.previous_close, bulletin.change_percent) == ("52.00", "2.00")
    assert (bulletin.cumulative_volume, bulletin.cumulative_turnover) == (31, "1613.04")
    assert restarted.publisher.snapshot("TJEA25").bulletin == bulletin


def test_replaying_the_stream_against_the_kept_history_adds_nothing():
    script = new_script()
    trade_day(script, [(5100, 10)])
    script.day_closed(open_price=5100, high_price=5100, low_price=5100, close_price=5100,
                      volume=10, turnover=51_000)  # fmt: skip
    script.day_closed(date="2026-11-25", close_price=5100, carried_over=True)
    history = script.publisher.store
    kept = history.history()
    events: list = []

    class Recorder:
        def apply(self, event):
            events.append(event)
            return []

    replay = Script(Recorder())  # the same script, recorded this time
    trade_day(replay, [(5100, 10)])
    replay.day_closed(open_price=5100, high_price=5100, low_price=5100, close_price=5100,
                      volume=10, turnover=51_000)  # fmt: skip
    replay.day_closed(date="2026-11-25", close_price=5100, carried_over=True)

    replayed = MarketDataPublisher(REFERENCE, history)
    messages = replayed.apply_all(events)
    assert history.history() == kept
    assert [m for m in messages if isinstance(m, DailyBulletin)] == kept
    assert replayed.snapshot("TJEA25") == script.publisher.snapshot("TJEA25")


def test_a_second_close_of_the_same_day_rolls_the_day_but_publishes_no_second_bulletin(caplog):
    """The engine accepts an end-of-day run twice for one date; the bulletin stays the
    first, and the feed follows the engine on (refusing the event would stop surveillance
    on every start, since it replays the day)."""
    script = new_script()
    (first, *_) = script.day_closed(close_price=5100)
    with caplog.at_level("WARNING", logger="tcx.market_data"):
        messages = script.day_closed(close_price=5300, next_band_low=4800, next_band_high=5800)
    assert not any(isinstance(m, DailyBulletin) for m in messages)
    assert "already kept" in caplog.text
    assert script.publisher.last_event_seq == script.seq
    assert script.publisher.store.history() == [first]
    snapshot = script.publisher.snapshot("TJEA25")
    assert snapshot.bulletin == first
    assert (snapshot.state.band_low, snapshot.state.band_high) == ("48.00", "58.00")
    assert [m.seq for m in messages] == [first.seq + 3, first.seq + 4]  # no gap either


# -- sequence numbers, gaps and subscriptions ---------------------------------------------


def test_a_skipped_event_is_refused_and_a_redelivered_one_changes_nothing():
    script = new_script()
    script.accept(BUY, 4990, 10)
    script.seq += 1  # an event goes missing
    with pytest.raises(EventGap, match="expected 2"):
        script.accept(BUY, 4991, 10)
    assert script.publisher.last_event_seq == 1
    assert script.publisher.depth("TJEA25", BUY) == {4990: (10, 1)}

    redelivered = OrderAccepted(1, at(9, 30), 1, "A1", "c1", "TJEA25", BUY, 2, 0, 4990, 10)
    assert script.publisher.apply(redelivered) == []
    assert script.publisher.depth("TJEA25", BUY) == {4990: (10, 1)}


def test_events_that_publish_nothing_still_advance_the_stream():
    script = new_script()
    script.emit(
        AccountOpened, account="A1", member="M1", kind=1, control_group="", allocation=0, actor="s"
    )
    assert script.messages == []
    assert script.publisher.last_event_seq == 1


def test_channels_are_gapless_per_instrument_and_a_lost_message_is_detected():
    script = new_script()
    received: list = []
    script.publisher.subscribe(received.append, ["TJEA25", "CCER"])
    for i in range(3):
        script.instrument = "TJEA25"
        script.accept(BUY, 4990 + i, 1)
        script.instrument = "CCER"
        script.accept(SELL, 6010 + i, 1)
    script.status(True)

    assert [type(m) for m in received[:2]] == [Snapshot, Snapshot]
    for symbol in ("TJEA25", "CCER"):
        channel = [m.seq for m in received if m.instrument == symbol]
        assert channel == list(range(channel[0], channel[0] + len(channel)))

    tracker = SequenceTracker()
    verdicts = [tracker.observe(m) for m in received]
    assert set(verdicts) == {Continuity.IN_ORDER}
    lost = [m for m in received if m.instrument == "TJEA25" and not isinstance(m, Snapshot)][1]
    tracker = SequenceTracker()
    verdicts = [tracker.observe(m) for m in received if m is not lost]
    assert verdicts.count(Continuity.GAP) == 1
    assert tracker.observe(received[2]) == Continuity.DUPLICATE


def test_a_snapshot_after_a_gap_brings_the_subscriber_back_in_order():
    script = new_script()
    script.accept(BUY, 4990, 10)
    tracker = SequenceTracker()
    script.accept(BUY, 4995, 10)  # missed by the subscriber
    assert tracker.observe(script.messages[-1]) == Continuity.GAP
    assert tracker.observe(script.publisher.snapshot("TJEA25")) == Continuity.IN_ORDER
    assert tracker.observe(script.messages[-1]) == Continuity.DUPLICATE  # in the snapshot
    script.accept(BUY, 4999, 10)
    assert [tracker.observe(m) for m in script.messages[-2:]] == [Continuity.IN_ORDER] * 2
    assert tracker.expected("TJEA25") == script.messages[-1].seq + 1


def test_a_new_subscriber_gets_a_snapshot_that_matches_the_incrementals():
    script = new_script()
    bid = script.accept(BUY, 4990, 10)
    ask = script.accept(SELL, 4990, 4)
    script.trade(ask, bid, 4, 0, 6)
    received: list = []
    script.publisher.subscribe(received.append, ["TJEA25"])
    snapshot = received[0]
    assert snapshot.seq == script.messages[-1].seq
    assert snapshot.quote.bid_price == "49.90" and snapshot.quote.bid_quantity == 6
    assert [t.trade_id for t in snapshot.trades] == [1]
    assert len(snapshot.bars) == 1
    script.accept(SELL, 5010, 1)
    assert [m.seq for m in received[1:]] == [snapshot.seq + 1, snapshot.seq + 2]


def test_a_failing_subscriber_is_closed_and_the_others_keep_receiving():
    script = new_script()

    def broken(message):
        raise ConnectionError("client went away")

    bad = script.publisher.subscribe(broken, ["TJEA25"])
    assert bad.closed and isinstance(bad.error, ConnectionError)
    received: list = []
    good = script.publisher.subscribe(received.append)
    assert {m.instrument for m in received} == set(REFERENCE.instruments)
    script.accept(BUY, 4990, 10)
    assert [type(m).__name__ for m in received[-2:]] == ["Quote", "Depth"]
    good.close()
    script.accept(BUY, 4991, 10)
    assert [type(m).__name__ for m in received[-2:]] == ["Quote", "Depth"]
    assert len([m for m in received if not isinstance(m, Snapshot)]) == 2


def test_unknown_instruments_are_refused_by_readers_and_subscribe():
    publisher = MarketDataPublisher(REFERENCE)
    with pytest.raises(UnknownInstrument, match="'NOPE'"):
        publisher.subscribe(print, ["TJEA25", "NOPE"])
    with pytest.raises(UnknownInstrument):
        publisher.snapshot("NOPE")
    assert publisher.instruments() == sorted(REFERENCE.instruments)


def test_an_instrument_listed_later_is_followed_from_its_first_event():
    script = new_script()
    script.instrument = "TJEA26"
    script.accept(BUY, 5100, 10)
    assert "TJEA26" in script.publisher.instruments()
    assert script.messages[0].seq == 1
    assert script.publisher.snapshot("TJEA26").state.reference_price is None


# -- the JSON edge ------------------------------------------------------------------------


def test_every_message_survives_json_with_decimal_text_prices():
    script = new_script()
    trade_day(script, [(5000, 3)])
    script.accept(BUY, 4999, 2)
    script.status(True, "TJEA25")
    script.day_closed(open_price=5000, high_price=5000, low_price=5000, close_price=5000,
                      volume=3, turnover=15_000)  # fmt: skip
    messages = [*script.messages, script.publisher.snapshot("TJEA25")]
    kinds = {type(m).__name__ for m in messages}
    assert kinds >= {"Quote", "Depth", "TradePrint", "Bar", "InstrumentState", "DailyBulletin"}
    for message in messages:
        assert decode_message(encode_message(message)) == message
    assert b'"bid_price":"49.99"' in encode_message(last(script.messages, Quote))
    assert isinstance(last(script.messages, DailyBulletin), DailyBulletin)
