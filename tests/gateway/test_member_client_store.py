"""The member client's state file and message parsing, without an exchange."""

from hypothesis import given
from hypothesis import strategies as st

from engine.orders import Side
from gateway.client.messages import MarketDataEntry, market_data
from gateway.client.store import ClientStore, OrderIdentity, SessionDay
from gateway.fix.message import Message

DAY = SessionDay("ws://127.0.0.1:1/fix", "M1-OE", "TCX", "2026-11-24")
numbers = st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 10**6)), max_size=20)


@given(numbers)
def test_sequence_numbers_never_go_back_within_a_day(tmp_path_factory, raises):
    store = ClientStore(tmp_path_factory.mktemp("state") / "client.sqlite3")
    for sender, target in raises:
        store.raise_numbers(DAY, sender, target)
    senders, targets = [s for s, _ in raises] or [1], [t for _, t in raises] or [1]
    assert store.next_numbers(DAY) == (max(senders), max(targets))
    store.reset(DAY)
    assert store.next_numbers(DAY) == (1, 1)


def test_a_new_day_or_another_exchange_starts_at_one(tmp_path):
    store = ClientStore(tmp_path / "client.sqlite3")
    store.raise_numbers(DAY, 40, 70)
    assert store.next_numbers(SessionDay(DAY.url, DAY.session, DAY.target, "2026-11-25")) == (1, 1)
    elsewhere = SessionDay("ws://elsewhere/fix", DAY.session, DAY.target, DAY.day)
    assert store.next_numbers(elsewhere) == (1, 1)


def test_orders_are_remembered_by_any_client_order_id(tmp_path):
    store = ClientStore(tmp_path / "client.sqlite3")
    order = OrderIdentity("BUYER", "TJEA25", Side.BUY)
    store.remember_order(DAY, "a1", order)
    assert ClientStore(tmp_path / "client.sqlite3").order(DAY, "a1") == order
    assert store.order(DAY, "a2") is None


entries = st.lists(
    st.tuples(
        st.sampled_from([("0", "bid"), ("1", "offer"), ("2", "trade")]),
        st.integers(1, 99_999).map(lambda fen: f"{fen // 100}.{fen % 100:02d}"),
        st.integers(1, 99_999),
    ),
    max_size=12,
)


@given(entries)
def test_a_snapshot_parses_into_its_entries_in_order(book):
    fields = [(262, "r1"), (55, "TJEA25"), (268, str(len(book)))]
    for (code, _), price, size in book:
        fields += [(269, code), (270, price), (271, str(size)), (346, "1"), (290, "1")]
    update = market_data(Message.of("W", *fields))
    assert update.snapshot and update.symbol == "TJEA25"
    assert update.entries == tuple(
        MarketDataEntry("new", name, price, size) for (_, name), price, size in book
    )


@given(entries)
def test_an_incremental_refresh_parses_action_and_symbol_per_entry(book):
    fields = [(262, "r1"), (268, str(len(book)))]
    for index, ((code, _), price, size) in enumerate(book):
        fields += [(279, str(index % 3)), (269, code), (55, "CCER"), (270, price)]
        fields += [(271, str(size))] if index % 3 != 2 else []  # a delete has no size
    update = market_data(Message.of("X", *fields))
    assert not update.snapshot and update.symbol == ("CCER" if book else "")
    actions = ("new", "change", "delete")
    assert update.entries == tuple(
        MarketDataEntry(actions[i % 3], name, price, size if i % 3 != 2 else 0)
        for i, ((_, name), price, size) in enumerate(book)
    )
