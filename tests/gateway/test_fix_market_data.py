"""MarketDataRequest (V) -> W / X / Y, against the real sequencer and market-data publisher:
exact layouts, every reject reason, and a FIX client's rebuilt book equal to the published
one after any order flow. Every outbound message passes the data dictionary on the wire."""

import datetime as dt
import json
import random
from zoneinfo import ZoneInfo

import pytest
import simplefix
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands import CancelOrder, MoveCash, MoveHolding, NewOrder, OpenAccount
from engine.memory_holds import MemoryHolds
from engine.money import format_cny
from engine.orders import (
    AccountKind,
    CashMovementKind,
    HoldingMovementKind,
    OrderType,
    Side,
    TimeInForce,
)
from engine.reference import load_reference_data
from engine.sequencer import Sequencer
from gateway.fix.application import SessionId
from gateway.fix.codec import encode, parse
from gateway.fix.dictionary import load_dictionary
from gateway.fix.json_encoding import JsonEncoding
from gateway.fix.message import Message
from gateway.fix.validation import Validator
from gateway.trading.market_data import MAX_SUBSCRIPTIONS, FixMarketData, RejectReason
from surveillance.market_data import MarketDataPublisher

SHANGHAI = ZoneInfo("Asia/Shanghai")
REFERENCE = load_reference_data()
DICTIONARY = load_dictionary()
VALIDATOR = Validator(DICTIONARY)
MEMBER = SessionId("M1-MD", "TCX")
OTHER = SessionId("M2-MD", "TCX")
BUY, SELL = Side.BUY, Side.SELL
TEN_AM = int(dt.datetime(2026, 11, 24, 10, tzinfo=SHANGHAI).timestamp()) * 1_000_000_000


class Market:
    """The real sequencer feeding the publisher; two funded accounts that may trade."""

    def __init__(self) -> None:
        self.sequencer = Sequencer(REFERENCE, MemoryHolds())
        self.publisher = MarketDataPublisher(REFERENCE)
        self.ts = TEN_AM
        self.count = 0
        for account in ("A1", "A2"):
            self.apply(OpenAccount(0, account, "M1", AccountKind.INVESTOR, "", 0, "t"))
            self.apply(MoveCash(0, account, 10**12, CashMovementKind.DEPOSIT, f"c{account}", "t"))
            for symbol in ("TJEA25", "CCER"):
                allocate = HoldingMovementKind.ALLOCATE
                self.apply(MoveHolding(0, account, symbol, 10**6, allocate, account + symbol, "t"))

    def apply(self, command) -> None:
        self.publisher.apply_all(self.sequencer.apply(command))

    def order(self, side: int, price: str, quantity: int, symbol: str = "TJEA25") -> None:
        self.ts += 1_000_000_000
        self.count += 1
        account = "A1" if side == BUY else "A2"
        fen = int(price.replace(".", ""))
        self.apply(
            NewOrder(self.ts, account, f"o{self.count}", symbol, side, OrderType.LIMIT,
                     TimeInForce.DAY, fen, quantity)
        )  # fmt: skip


class RecordingOutbox:
    """The Outbox protocol, keeping what was sent per session."""

    def __init__(self) -> None:
        self.sent: list[tuple[SessionId, Message]] = []

    def send(self, session: SessionId, message: Message) -> int:
        self.sent.append((session, message))
        return len(self.sent)

    def logout(self, session: SessionId, text: str) -> bool:
        return False

    def take(self, session: SessionId = MEMBER) -> list[Message]:
        mine = [wire(message) for to, message in self.sent if to == session]
        self.sent = [(to, message) for to, message in self.sent if to != session]
        return mine


def wire(message: Message) -> Message:
    """The message as the acceptor sends it (header stamped, encoded), parsed back and
    checked against the FIX 4.4 dictionary: what a member's engine would refuse fails here."""
    stamped = Message.of(
        message.msg_type, (34, "7"), (49, "TCX"), (52, "20261124-02:00:00.000"), (56, "M1-MD")
    )
    stamped.fields += message.fields[1:]
    parsed = parse(encode(stamped, DICTIONARY.begin_string), DICTIONARY.data_length)
    assert VALIDATOR.validate(parsed) is None, (VALIDATOR.validate(parsed), message)
    return parsed


ENVELOPE = frozenset({8, 9, 10, 34, 35, 49, 52, 56})


def body(message: Message) -> list[tuple[int, str]]:
    return [(tag, value) for tag, value in message.fields if tag not in ENVELOPE]


def request(req_id: str = "r1", kind: str = "1", depth: str = "5", types: str = "012",
            symbols: tuple[str, ...] = ("TJEA25",), *extra: tuple[int, str]):  # fmt: skip
    """MarketDataRequest fields in dictionary order; `extra` goes before the groups."""
    return [
        (262, req_id), (263, kind), (264, depth), *extra,
        (267, str(len(types))), *((269, t) for t in types),
        (146, str(len(symbols))), *((55, s) for s in symbols),
    ]  # fmt: skip


def answer(feed: FixMarketData, fields, session: SessionId = MEMBER) -> list[Message]:
    return [wire(reply) for reply in feed.on_request(session, fields)]


@pytest.fixture
def market() -> Market:
    return Market()


@pytest.fixture
def outbox() -> RecordingOutbox:
    return RecordingOutbox()


@pytest.fixture
def feed(market, outbox) -> FixMarketData:
    return FixMarketData(market.publisher, outbox)


def trade_time(market: Market) -> tuple[tuple[int, str], tuple[int, str]]:
    moment = dt.datetime.fromtimestamp(market.ts / 1e9, dt.UTC)
    return (272, f"{moment:%Y%m%d}"), (273, f"{moment:%H:%M:%S}.000")


# -- snapshots --------------------------------------------------------------------------


def test_a_snapshot_shows_each_side_best_first_and_the_last_trade(market, feed, outbox):
    market.order(SELL, "50.00", 10)
    market.order(BUY, "50.00", 10)  # trades 10 at 50.00
    when = trade_time(market)
    market.order(BUY, "49.90", 100)
    market.order(BUY, "49.90", 20)
    market.order(BUY, "49.80", 50)
    market.order(SELL, "50.10", 30)
    (w,) = answer(feed, request(kind="0"))
    assert w.msg_type == "W"
    assert body(w) == [
        (262, "r1"), (55, "TJEA25"), (268, "4"),
        (269, "0"), (270, "49.90"), (271, "120"), (346, "2"), (290, "1"),
        (269, "0"), (270, "49.80"), (271, "50"), (346, "1"), (290, "2"),
        (269, "1"), (270, "50.10"), (271, "30"), (346, "1"), (290, "1"),
        (269, "2"), (270, "50.00"), (271, "10"), *when,
    ]  # fmt: skip
    assert feed.subscriptions(MEMBER) == [] and outbox.sent == []  # a snapshot only


def test_a_snapshot_keeps_to_the_depth_and_entry_types_asked_for(market, feed):
    for price in ("50.10", "50.20", "50.30"):
        market.order(SELL, price, 5)
    market.order(BUY, "49.00", 7)
    w1, w2 = answer(feed, request(kind="0", depth="2", types="1", symbols=("TJEA25", "CCER")))
    assert body(w1) == [
        (262, "r1"), (55, "TJEA25"), (268, "2"),
        (269, "1"), (270, "50.10"), (271, "5"), (346, "1"), (290, "1"),
        (269, "1"), (270, "50.20"), (271, "5"), (346, "1"), (290, "2"),
    ]  # fmt: skip
    assert body(w2) == [(262, "r1"), (55, "CCER"), (268, "0")]  # an empty book


# -- subscriptions ----------------------------------------------------------------------


def test_a_subscription_answers_with_the_snapshot_then_sends_each_change(market, feed, outbox):
    market.order(SELL, "50.00", 300)
    (w,) = answer(feed, request())
    assert body(w)[2:] == [(268, "1"), (269, "1"), (270, "50.00"), (271, "300"), (346, "1"),
                           (290, "1")]  # fmt: skip
    assert feed.subscriptions(MEMBER) == ["r1"]

    market.order(BUY, "49.50", 40)
    (bid,) = outbox.take()
    assert body(bid) == [(262, "r1"), (268, "1"), (279, "0"), (269, "0"), (55, "TJEA25"),
                         (270, "49.50"), (271, "40"), (346, "1"), (290, "1")]  # fmt: skip

    market.order(BUY, "50.10", 200)  # trades 200 at 50.00; the offer shrinks to 100
    trade, offer = outbox.take()
    assert body(trade) == [
        (262, "r1"), (268, "1"), (279, "0"), (269, "2"), (278, "1"), (55, "TJEA25"),
        (270, "50.00"), (271, "200"), *trade_time(market),
    ]  # fmt: skip
    assert body(offer) == [(262, "r1"), (268, "1"), (279, "1"), (269, "1"), (55, "TJEA25"),
                           (270, "50.00"), (271, "100"), (346, "1"), (290, "1")]  # fmt: skip

    market.order(BUY, "50.00", 100)  # the offer trades away entirely
    _, gone = outbox.take()
    assert body(gone) == [(262, "r1"), (268, "1"), (279, "2"), (269, "1"), (55, "TJEA25"),
                          (270, "50.00"), (290, "1")]  # fmt: skip


def test_levels_that_leave_or_enter_the_top_n_are_deleted_or_new(market, feed, outbox):
    market.order(BUY, "49.00", 1)
    market.order(BUY, "48.00", 2)
    answer(feed, request(depth="2", types="0"))
    market.order(BUY, "49.50", 3)  # pushes 48.00 out of the top two
    (x,) = outbox.take()
    assert body(x) == [
        (262, "r1"), (268, "2"),
        (279, "2"), (269, "0"), (55, "TJEA25"), (270, "48.00"), (290, "2"),
        (279, "0"), (269, "0"), (55, "TJEA25"), (270, "49.50"), (271, "3"), (346, "1"), (290, "1"),
    ]  # fmt: skip
    market.order(BUY, "47.00", 9)  # below the top two: nothing to send
    market.order(SELL, "50.00", 5)  # an offer: not asked for
    assert outbox.take() == []


def test_trades_alone_when_only_trades_are_asked_for(market, feed, outbox):
    answer(feed, request(types="2"))
    market.order(SELL, "50.00", 5)
    market.order(BUY, "50.00", 5)
    (x,) = outbox.take()
    assert [value for tag, value in body(x) if tag in (269, 270, 271)] == ["2", "50.00", "5"]


def test_unsubscribe_stops_the_updates_and_frees_the_id(market, feed, outbox):
    answer(feed, request())
    assert answer(feed, request(kind="2")) == []
    assert feed.subscriptions(MEMBER) == []
    market.order(SELL, "50.00", 5)
    assert outbox.take() == []
    assert [w.msg_type for w in answer(feed, request())] == ["W"]  # r1 may be used again


def test_unsubscribing_an_unknown_id_is_answered_without_a_reason(feed):
    (y,) = answer(feed, request(req_id="nope", kind="2"))
    assert y.msg_type == "Y" and not y.has(281)
    assert y.get(58) == "no live subscription with MDReqID (262) 'nope' to end"


def test_logout_ends_the_sessions_subscriptions_only(market, feed, outbox):
    answer(feed, request())
    answer(feed, request(req_id="r2", types="1"))
    answer(feed, request(), session=OTHER)
    feed.on_logout(MEMBER)
    assert feed.subscriptions(MEMBER) == []
    market.order(SELL, "50.00", 5)
    assert outbox.take(MEMBER) == []
    assert len(outbox.take(OTHER)) == 1


# -- rejects ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason", "text"),
    [
        (request(symbols=("NOPE",)), RejectReason.UNKNOWN_SYMBOL,
         "unknown Symbol (55) NOPE; the instruments are CCER, TJCER, TJEA24, TJEA25"),
        (request(symbols=()), RejectReason.UNKNOWN_SYMBOL, "name at least one instrument"),
        (request(kind="3"), RejectReason.UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE,
         "SubscriptionRequestType (263) '3' is not offered"),
        (request(depth="0"), RejectReason.UNSUPPORTED_MARKET_DEPTH,
         "MarketDepth (264) '0' is not offered: 1 (top of book) to 5 levels"),
        (request(depth="6"), RejectReason.UNSUPPORTED_MARKET_DEPTH, "MarketDepth (264) '6'"),
        (request("r1", "1", "5", "012", ("TJEA25",), (265, "0")),
         RejectReason.UNSUPPORTED_MD_UPDATE_TYPE, "MDUpdateType (265) 0 (full refresh)"),
        (request("r1", "1", "5", "012", ("TJEA25",), (266, "N")),
         RejectReason.UNSUPPORTED_AGGREGATED_BOOK, "AggregatedBook (266) N is not offered"),
        (request(types="0B"), RejectReason.UNSUPPORTED_MD_ENTRY_TYPE,
         "MDEntryType (269) B: offered are 0 bid, 1 offer, 2 trade"),
        (request("r1", "1", "5", "012", ("TJEA25",), (546, "2")),
         RejectReason.UNSUPPORTED_SCOPE, "Scope (546) must be 1 (local market)"),
        (request("r1", "1", "5", "012", ("TJEA25",), (286, "1")),
         RejectReason.UNSUPPORTED_OPEN_CLOSE_SETTLE_FLAG, "OpenCloseSettlFlag (286)"),
        ([*request(), (386, "1"), (336, "DAY")], RejectReason.UNSUPPORTED_TRADING_SESSION_ID,
         "one continuous session"),
    ],
)  # fmt: skip
def test_what_is_not_offered_is_rejected_with_its_reason(feed, fields, reason, text):
    (y,) = answer(feed, fields)
    assert body(y)[:2] == [(262, "r1"), (281, reason.value)]
    assert text in y.get(58)
    assert feed.subscriptions(MEMBER) == []  # nothing changed


def test_accepted_options_are_not_rejected(feed):
    extra = ((265, "1"), (266, "Y"), (546, "1"), (547, "N"))
    assert [w.msg_type for w in answer(feed, request("r1", "1", "1", "0", ("CCER",), *extra))] == [
        "W"
    ]


@pytest.mark.parametrize("kind", ["0", "1"])
def test_an_id_in_use_is_a_duplicate(feed, kind):
    answer(feed, request())
    (y,) = answer(feed, request(kind=kind, types="1"))
    assert (y.get(281), y.get(262)) == (RejectReason.DUPLICATE_MD_REQ_ID, "r1")
    assert "already names a live subscription" in y.get(58)
    answer(feed, request(), session=OTHER)  # ids belong to their session
    assert feed.subscriptions(OTHER) == ["r1"]


def test_subscriptions_per_session_are_bounded(feed):
    for number in range(MAX_SUBSCRIPTIONS):
        answer(feed, request(req_id=f"r{number}"))
    (y,) = answer(feed, request(req_id="one-more"))
    assert y.get(281) == RejectReason.INSUFFICIENT_BANDWIDTH
    assert [w.msg_type for w in answer(feed, request(req_id="snap", kind="0"))] == ["W"]


# -- a FIX client's view ----------------------------------------------------------------


class ClientBook:
    """What a member's FIX engine keeps: levels by side and price from W, then X."""

    def __init__(self) -> None:
        self.levels: dict[tuple[str, str, str], tuple[str, str]] = {}

    def apply(self, message: Message) -> None:
        entries = _entries(body(message))
        if message.msg_type == "W":
            symbol = message.get(55)
            self.levels = {k: v for k, v in self.levels.items() if k[0] != symbol}
        for entry in entries:
            if entry.get(269) == "2":
                continue
            symbol = entry.get(55, message.get(55))
            key = (symbol, entry[269], entry[270])
            if entry.get(279) == "2":
                del self.levels[key]
            else:
                self.levels[key] = (entry[271], entry[346])

    def side(self, symbol: str, entry_type: str) -> list[tuple[str, int, int]]:
        levels = [(p, int(q), int(n)) for (s, t, p), (q, n) in self.levels.items()
                  if (s, t) == (symbol, entry_type)]  # fmt: skip
        return sorted(levels, key=lambda level: float(level[0]), reverse=entry_type == "0")


def _entries(fields: list[tuple[int, str]]) -> list[dict[int, str]]:
    """Group instances, split at their delimiter (279 in X, 269 in W)."""
    start = next(i for i, (tag, _) in enumerate(fields) if tag == 268) + 1
    delimiter = fields[start][0] if start < len(fields) else None
    entries: list[dict[int, str]] = []
    for tag, value in fields[start:]:
        if tag == delimiter:
            entries.append({})
        entries[-1][tag] = value
    return entries


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), depth=st.integers(1, 5), steps=st.integers(1, 120))
def test_a_client_rebuilds_the_published_book_from_w_and_x(seed, depth, steps):
    rng = random.Random(seed)
    market, outbox = Market(), RecordingOutbox()
    feed = FixMarketData(market.publisher, outbox)
    book = ClientBook()
    for message in answer(feed, request(depth=str(depth), symbols=("TJEA25", "CCER"))):
        book.apply(message)
    traded = 0
    for _ in range(steps):
        live = list(market.sequencer.orders.values())
        if live and rng.random() < 0.25:
            order = rng.choice(live)
            market.ts += 1
            market.apply(CancelOrder(market.ts, order.account, "x", order.instrument, "",
                                     order.order_id))  # fmt: skip
        else:
            symbol = rng.choice(("TJEA25", "CCER"))
            price = REFERENCE.instruments[symbol].reference_price + rng.randint(-6, 6)
            market.order(rng.choice((BUY, SELL)), format_cny(price), rng.randint(1, 50), symbol)
        for message in outbox.take():
            book.apply(message)
            traded += sum(1 for e in _entries(body(message)) if e.get(269) == "2")
    for symbol in ("TJEA25", "CCER"):
        for entry_type, side in (("0", BUY), ("1", SELL)):
            levels = market.publisher.depth(symbol, side)
            best = sorted(levels.items(), reverse=side == BUY)[:depth]
            assert book.side(symbol, entry_type) == [(format_cny(p), q, n) for p, (q, n) in best]
    assert traded == sum(len(market.publisher.tape(s)) for s in ("TJEA25", "CCER"))


def test_simplefix_reads_our_snapshot_and_incremental_groups(market, feed, outbox):
    market.order(BUY, "49.90", 10)
    market.order(SELL, "50.10", 20)
    (w,) = answer(feed, request())
    market.order(SELL, "49.90", 4)
    trade, bid = outbox.take()
    parser = simplefix.FixParser()
    for message in (w, trade, bid):
        parser.append_buffer(encode(message, DICTIONARY.begin_string))
    snapshot, printed, change = (parser.get_message() for _ in range(3))
    assert snapshot.get(35) == b"W" and snapshot.get(268) == b"2"
    assert [snapshot.get(269, n) for n in (1, 2)] == [b"0", b"1"]
    assert [snapshot.get(270, n) for n in (1, 2)] == [b"49.90", b"50.10"]
    assert [printed.get(tag) for tag in (35, 279, 269, 270)] == [b"X", b"0", b"2", b"49.90"]
    assert [change.get(tag) for tag in (35, 279, 269, 271)] == [b"X", b"1", b"0", b"6"]


def test_web_clients_get_the_entries_as_json_arrays(market, feed, outbox):
    market.order(BUY, "49.90", 10)
    (w,) = answer(feed, request(types="0"))
    market.order(BUY, "49.95", 3)
    (x,) = outbox.take()
    encoding = JsonEncoding(DICTIONARY)
    snapshot = json.loads(encoding.from_frame(encode(w, DICTIONARY.begin_string)))["Body"]
    update = json.loads(encoding.from_frame(encode(x, DICTIONARY.begin_string)))["Body"]
    assert snapshot["NoMDEntries"] == [
        {"MDEntryType": "0", "MDEntryPx": "49.90", "MDEntrySize": "10", "NumberOfOrders": "1",
         "MDEntryPositionNo": "1"},
    ]  # fmt: skip
    assert update == {
        "MDReqID": "r1",
        "NoMDEntries": [
            {"MDUpdateAction": "0", "MDEntryType": "0", "Symbol": "TJEA25", "MDEntryPx": "49.95",
             "MDEntrySize": "3", "NumberOfOrders": "1", "MDEntryPositionNo": "1"},
        ],
    }  # fmt: skip
