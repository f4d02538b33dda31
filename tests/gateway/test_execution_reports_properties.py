"""Property: over any valid event stream the reports' quantities add up and AvgPx is right.

A small model plays a member's orders (accept, fill against a counterparty, amend, cancel
for any cause) and emits the engine events for them; every report must then agree with
the model: CumQty + LeavesQty == OrderQty while live, LeavesQty 0 once closed, AvgPx the
exact average rounded half-even at six decimals, nothing negative, ExecIDs never reused.
"""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import events
from engine.orders import CancelCause
from gateway.members import hash_password, parse_directory
from gateway.trading.execution_reports import ExecutionReports
from gateway.trading.tags import Tag

TS = 1_790_000_000_000_000_000
DIRECTORY = parse_directory(
    {
        "members": {"M01": {"accounts": ["A1"]}, "M02": {"accounts": ["B1"]}},
        "sessions": {
            "M01-OE": {"member": "M01", "type": "order_entry", "password": hash_password("p")},
        },
    }
)
COUNTERPARTY = {1: 9001, 2: 9002}  # side -> the other member's resting order, never exhausted
QUANTITY_FIELDS = (Tag.OrderQty, Tag.CumQty, Tag.LeavesQty, Tag.LastQty)


class ModelOrder:
    def __init__(self, order_id: int, side: int, price: int, quantity: int):
        self.order_id = order_id
        self.client_id = f"c{order_id}"
        self.side = side
        self.price = price
        self.quantity = quantity
        self.cum = 0
        self.notional = 0
        self.cancelled = False

    @property
    def leaves(self) -> int:
        return 0 if self.cancelled else self.quantity - self.cum

    @property
    def live(self) -> bool:
        return self.leaves > 0


def trade_event(seq: int, order: ModelOrder, quantity: int, price: int) -> events.Trade:
    ours = (order.order_id, "A1", order.client_id, order.leaves)
    theirs = (COUNTERPARTY[order.side], "B1", "k", 10**9)
    buy, sell = (ours, theirs) if order.side == 1 else (theirs, ours)
    return events.Trade(seq, TS + seq, seq, "TJEA25", price, quantity, 2, *buy, *sell)


def check(report: dict[int, str], order: ModelOrder) -> None:
    assert report[Tag.OrderID] == str(order.order_id)
    for tag in QUANTITY_FIELDS:
        if tag in report:
            assert int(report[tag]) >= 0
    assert int(report[Tag.OrderQty]) == order.quantity
    assert int(report[Tag.CumQty]) == order.cum
    assert int(report[Tag.LeavesQty]) == order.leaves
    if order.cancelled:
        assert report[Tag.OrdStatus] in ("4", "C")
    else:
        assert int(report[Tag.CumQty]) + int(report[Tag.LeavesQty]) == order.quantity
        assert report[Tag.OrdStatus] == (
            "2" if order.cum == order.quantity else "1" if order.cum else "0"
        )
    avg = Decimal(report[Tag.AvgPx])
    assert avg >= 0
    if order.cum:
        expected_micro_cny = round(Fraction(order.notional * 10_000, order.cum))
        assert avg * 1_000_000 == expected_micro_cny
    else:
        assert avg == 0


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_reports_agree_with_the_order_model(data):
    reports = ExecutionReports(DIRECTORY)
    orders: list[ModelOrder] = []
    exec_ids: set[str] = set()
    prices = st.integers(4500, 5500)
    for seq in range(1, data.draw(st.integers(1, 40)) + 1):
        live = [o for o in orders if o.live]
        action = data.draw(
            st.sampled_from(["accept", "fill", "amend", "cancel"] if live else ["accept"])
        )
        if action == "accept":
            order = ModelOrder(
                seq,
                data.draw(st.sampled_from([1, 2])),
                data.draw(prices),
                data.draw(st.integers(1, 1000)),
            )
            orders.append(order)
            event = events.OrderAccepted(
                seq,
                TS + seq,
                order.order_id,
                "A1",
                order.client_id,
                "TJEA25",
                order.side,
                2,
                0,
                order.price,
                order.quantity,
            )
        else:
            order = data.draw(st.sampled_from(live))
            if action == "fill":
                quantity = data.draw(st.integers(1, order.leaves))
                price = data.draw(prices)
                order.cum += quantity
                order.notional += quantity * price
                event = trade_event(seq, order, quantity, price)
            elif action == "amend":
                order.quantity = data.draw(st.integers(order.cum + 1, order.cum + 1000))
                order.price = data.draw(prices)
                old, order.client_id = order.client_id, f"c{order.order_id}.{seq}"
                event = events.OrderAmended(
                    seq,
                    TS + seq,
                    order.order_id,
                    "A1",
                    order.client_id,
                    old,
                    "TJEA25",
                    order.side,
                    order.price,
                    order.quantity,
                    order.leaves,
                    False,
                )
            else:
                cause = data.draw(st.sampled_from(CancelCause))
                event = events.OrderCancelled(
                    seq,
                    TS + seq,
                    order.order_id,
                    "A1",
                    order.client_id,
                    "TJEA25",
                    order.side,
                    order.price,
                    order.leaves,
                    order.cum,
                    cause,
                )
                order.cancelled = True
        (delivery,) = reports.apply(event)
        report = dict(delivery.message.fields)
        check(report, order)
        assert report[Tag.ExecID] not in exec_ids
        exec_ids.add(report[Tag.ExecID])
