"""The gateway holds only live orders in memory; done ones stay answerable from disk.

Through the real engine (tests/gateway/test_execution_reports_sequencer.py's Exchange):
many orders that fill, are cancelled, or are replaced and then cancelled leave the
in-memory views at the size of what still rests, while an OrderStatusRequest for any of
them, by any ClOrdID of its chain or by OrderID, still answers what the last report said.
"""

import threading

from gateway.trading.order_views import WRITE_EVERY
from gateway.trading.tags import Tag
from tests.gateway.test_execution_reports_sequencer import (
    DIRECTORY,
    Exchange,
    cancel_request,
    order,
    summary,
)

ROUNDS = WRITE_EVERY // 3 + 20  # past one write of the done-order store, and some waiting
PACE_NS = 25_000_000  # 40 messages/s: under a session's message rate limit


class PacedExchange(Exchange):
    def send(self, session_id: str, msg_type: str, **fields: str) -> dict[str, list[dict]]:
        self.ts += PACE_NS
        return super().send(session_id, msg_type, **fields)


def status(exchange: Exchange, **fields: str) -> dict:
    body = [(Tag[name], value) for name, value in fields.items()]
    reply = exchange.app.on_message(DIRECTORY.sessions["M01-OE"], "H", body, exchange.ts).reply
    return dict(reply.fields)


def same_order_state(report: dict, answer: dict) -> bool:
    """The status answer shows the order as its last report left it."""
    keys = (Tag.OrderID, Tag.ClOrdID, Tag.OrdStatus, Tag.CumQty, Tag.LeavesQty, Tag.AvgPx)
    return all(report[key] == answer[key] for key in (*keys, Tag.OrderQty, Tag.Price))


def test_views_in_memory_are_the_live_orders_and_done_ones_still_answer():
    exchange = PacedExchange()
    views = exchange.app.reports.views
    last_report: dict[str, dict] = {}  # every ClOrdID of a done order -> its last report
    for n in range(ROUNDS):
        # filled: a resting sell taken by a buy
        exchange.send("M02-OE", "D", **order(f"s{n}", "B1", "2", "10", "50.00"))
        filled = exchange.send("M01-OE", "D", **order(f"f{n}", "A1", "1", "10", "50.00"))
        last_report[f"f{n}"] = filled["M01-OE"][-1]
        # cancelled
        exchange.send("M01-OE", "D", **order(f"c{n}", "A1", "1", "5", "49.00"))
        cancelled = exchange.send("M01-OE", "F", **cancel_request(f"c{n}x", f"c{n}"))
        last_report[f"c{n}"] = last_report[f"c{n}x"] = cancelled["M01-OE"][-1]
        # replaced twice, then cancelled: a chain of four ClOrdIDs
        exchange.send("M01-OE", "D", **order(f"r{n}", "A1", "1", "5", "49.00"))
        for new, old, qty in ((f"r{n}a", f"r{n}", "6"), (f"r{n}b", f"r{n}a", "7")):
            replace = order(new, "A1", "1", qty, "49.10")
            exchange.send("M01-OE", "G", **replace, OrigClOrdID=old)
        done = exchange.send("M01-OE", "F", **cancel_request(f"r{n}x", f"r{n}b"))
        for client_id in (f"r{n}", f"r{n}a", f"r{n}b", f"r{n}x"):
            last_report[client_id] = done["M01-OE"][-1]
    resting = exchange.send("M01-OE", "D", **order("live", "A1", "1", "3", "48.00"))

    assert len(views) == 1  # only "live" rests
    assert len(views._by_client_id) == 1
    assert len(views.done) == 4 * ROUNDS  # f, c, r per round, and each s (B1's)

    assert summary(status(exchange, ClOrdID="live", Account="A1")) == ("I", "0", "0", "3", "0")
    assert resting["M01-OE"][0][Tag.ClOrdID] == "live"
    for n in (0, ROUNDS // 2, ROUNDS - 1):
        for client_id in (f"f{n}", f"c{n}", f"c{n}x", f"r{n}", f"r{n}a", f"r{n}b", f"r{n}x"):
            answer = status(exchange, ClOrdID=client_id, Account="A1")
            assert answer[Tag.ExecType] == "I"
            assert same_order_state(last_report[client_id], answer), client_id
        by_id = status(exchange, ClOrdID="?", OrderID=last_report[f"r{n}x"][Tag.OrderID])
        assert same_order_state(last_report[f"r{n}x"], by_id)
        assert by_id[Tag.OrigClOrdID] == f"r{n}b"


def test_a_cancel_of_a_done_order_is_rejected_with_its_status():
    exchange = Exchange()
    exchange.send("M02-OE", "D", **order("s1", "B1", "2", "10", "50.00"))
    exchange.send("M01-OE", "D", **order("b1", "A1", "1", "10", "50.00"))
    (reject,) = exchange.send("M01-OE", "F", **cancel_request("b1x", "b1"))["M01-OE"]
    assert (reject[Tag.CxlRejResponseTo], reject[Tag.OrdStatus]) == ("1", "2")  # filled
    assert len(exchange.app.reports.views) == 0


def test_another_members_done_order_stays_unknown():
    exchange = Exchange()
    exchange.send("M02-OE", "D", **order("s1", "B1", "2", "10", "50.00"))
    exchange.send("M01-OE", "D", **order("b1", "A1", "1", "10", "50.00"))
    answer = status(exchange, ClOrdID="s1", Account="B1")
    assert answer[Tag.OrdStatus] == "8"


def test_a_cancel_request_reusing_a_live_orders_client_id_breaks_nothing():
    """The engine checks new orders' and replaces' ClOrdIDs for the day, not a cancel's."""
    exchange = Exchange()
    exchange.send("M01-OE", "D", **order("b1", "A1", "1", "5", "49.00"))
    exchange.send("M01-OE", "D", **order("b2", "A1", "1", "5", "49.00"))
    exchange.send("M01-OE", "F", **cancel_request("b2", "b1"))  # b1 cancelled by "b2"
    (report,) = exchange.send("M01-OE", "F", **cancel_request("b3", "b2"))["M01-OE"]
    assert report[Tag.OrdStatus] == "4"
    assert len(exchange.app.reports.views) == 0


def test_views_built_in_one_thread_work_in_another():
    """An exchange may be built before the thread that runs its event loop starts."""
    exchange = Exchange()
    outcome: list[dict] = []

    def trade_and_ask() -> None:
        exchange.send("M02-OE", "D", **order("s1", "B1", "2", "10", "50.00"))
        exchange.send("M01-OE", "D", **order("b1", "A1", "1", "10", "50.00"))
        outcome.append(status(exchange, ClOrdID="b1", Account="A1"))

    worker = threading.Thread(target=trade_and_ask)
    worker.start()
    worker.join()
    assert summary(outcome[0]) == ("I", "2", "10", "0", "50.00")
