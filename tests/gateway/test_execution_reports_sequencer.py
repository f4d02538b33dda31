"""End to end through the real engine: FIX in -> command -> sequencer -> events -> reports.

Two members trade through the application layer and the engine's Sequencer (with its
in-memory holds); every report the members receive is checked for ExecType, OrdStatus,
CumQty, LeavesQty and AvgPx: a partial fill, a full fill at two prices, a replace and a
cancel, and an engine rejection coming back with its reason code.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.commands import MoveCash, MoveHolding, OpenAccount
from engine.memory_holds import MemoryHolds
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reference import load_reference_data
from engine.sequencer import Sequencer
from gateway.members import hash_password, parse_directory
from gateway.trading.member_application import MemberApplication
from gateway.trading.tags import Tag

# 10:00 Beijing on Monday 2026-09-21, inside the morning session
OPEN = int(dt.datetime(2026, 9, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()) * 10**9
HASH = hash_password("pw")
DIRECTORY = parse_directory(
    {
        "members": {"M01": {"accounts": ["A1"]}, "M02": {"accounts": ["B1"]}},
        "sessions": {
            "M01-OE": {"member": "M01", "type": "order_entry", "password": HASH},
            "M02-OE": {"member": "M02", "type": "order_entry", "password": HASH},
        },
    }
)


class Exchange:
    """The application layer wired to a real sequencer, as the composition root does."""

    def __init__(self):
        reference = load_reference_data()
        self.sequencer = Sequencer(reference, MemoryHolds())
        self.app = MemberApplication(DIRECTORY, reference)
        self.ts = OPEN
        for account, member in (("A1", "M01"), ("B1", "M02")):
            self._admin(OpenAccount(0, account, member, AccountKind.INVESTOR, "", 0, "test"))
            self._admin(
                MoveCash(0, account, 10**9, CashMovementKind.DEPOSIT, f"cash-{account}", "t")
            )
            self._admin(
                MoveHolding(
                    0, account, "TJEA25", 10_000, HoldingMovementKind.ALLOCATE, f"h-{account}", "t"
                )
            )

    def _admin(self, command) -> None:
        for event in self.sequencer.apply(command):
            self.app.on_event(event)

    def send(self, session_id: str, msg_type: str, **fields: str) -> dict[str, list[dict]]:
        """One FIX message in; every report out, by receiving session."""
        self.ts += 1_000_000
        body = [(Tag[name], value) for name, value in fields.items()]
        outcome = self.app.on_message(DIRECTORY.sessions[session_id], msg_type, body, self.ts)
        assert outcome.reply is None, dict(outcome.reply.fields)
        received: dict[str, list[dict]] = {}
        for event in self.sequencer.apply(outcome.command):
            for delivery in self.app.on_event(event):
                received.setdefault(delivery.session_id, []).append(dict(delivery.message.fields))
        return received


def order(cl_ord_id: str, account: str, side: str, qty: str, price: str, **extra: str) -> dict:
    return dict(
        ClOrdID=cl_ord_id,
        Account=account,
        Symbol="TJEA25",
        Side=side,
        TransactTime="20260921-02:00:00.000",
        OrderQty=qty,
        OrdType="2",
        Price=price,
        **extra,
    )


def cancel_request(cl_ord_id: str, orig_cl_ord_id: str) -> dict:
    return dict(
        ClOrdID=cl_ord_id,
        OrigClOrdID=orig_cl_ord_id,
        Account="A1",
        Symbol="TJEA25",
        Side="1",
        TransactTime="20260921-02:00:00.000",
    )


def summary(report: dict) -> tuple[str, str, str, str, str]:
    return (
        report[Tag.ExecType],
        report[Tag.OrdStatus],
        report[Tag.CumQty],
        report[Tag.LeavesQty],
        report[Tag.AvgPx],
    )


@pytest.fixture
def exchange() -> Exchange:
    return Exchange()


def test_partial_then_full_fill_at_two_prices(exchange):
    sell = exchange.send("M02-OE", "D", **order("s1", "B1", "2", "70", "50.00"))
    assert [summary(r) for r in sell["M02-OE"]] == [("0", "0", "0", "70", "0")]
    exchange.send("M02-OE", "D", **order("s2", "B1", "2", "20", "50.10"))

    buy = exchange.send("M01-OE", "D", **order("b1", "A1", "1", "80", "50.10"))
    assert [summary(r) for r in buy["M01-OE"]] == [
        ("0", "0", "0", "80", "0"),
        ("F", "1", "70", "10", "50.00"),
        ("F", "2", "80", "0", "50.0125"),  # (70 x 50.00 + 10 x 50.10) / 80
    ]
    assert [(r[Tag.LastQty], r[Tag.LastPx]) for r in buy["M01-OE"][1:]] == [
        ("70", "50.00"),
        ("10", "50.10"),
    ]
    assert [summary(r) for r in buy["M02-OE"]] == [
        ("F", "2", "70", "0", "50.00"),  # s1 filled
        ("F", "1", "10", "10", "50.10"),  # s2 partially filled
    ]
    assert buy["M02-OE"][0][Tag.ClOrdID] == "s1"
    assert buy["M02-OE"][1][Tag.ClOrdID] == "s2"
    exec_ids = [r[Tag.ExecID] for reports in buy.values() for r in reports]
    assert len(set(exec_ids)) == len(exec_ids)


def test_replace_then_cancel(exchange):
    exchange.send("M02-OE", "D", **order("s1", "B1", "2", "10", "49.90"))
    placed = exchange.send("M01-OE", "D", **order("b1", "A1", "1", "50", "49.90"))
    assert [summary(r) for r in placed["M01-OE"]] == [
        ("0", "0", "0", "50", "0"),
        ("F", "1", "10", "40", "49.90"),
    ]
    order_id = placed["M01-OE"][0][Tag.OrderID]

    replaced = exchange.send(
        "M01-OE",
        "G",
        **order("b2", "A1", "1", "60", "49.80"),
        OrigClOrdID="b1",
    )
    (report,) = replaced["M01-OE"]
    assert summary(report) == ("5", "1", "10", "50", "49.90")
    assert (report[Tag.ClOrdID], report[Tag.OrigClOrdID]) == ("b2", "b1")
    assert (report[Tag.OrderQty], report[Tag.Price], report[Tag.OrderID]) == (
        "60",
        "49.80",
        order_id,
    )

    cancelled = exchange.send("M01-OE", "F", **cancel_request("b3", "b2"))
    (report,) = cancelled["M01-OE"]
    assert summary(report) == ("4", "4", "10", "0", "49.90")
    assert (report[Tag.ClOrdID], report[Tag.OrigClOrdID]) == ("b3", "b2")

    status = exchange.app.on_message(
        DIRECTORY.sessions["M01-OE"],
        "H",
        [(Tag.ClOrdID, "b1"), (Tag.Account, "A1"), (Tag.Symbol, "TJEA25"), (Tag.Side, "1")],
        exchange.ts,
    ).reply
    assert summary(dict(status.fields)) == ("I", "4", "10", "0", "49.90")


def test_engine_rejections_come_back_with_their_codes(exchange):
    out_of_band = exchange.send("M01-OE", "D", **order("b1", "A1", "1", "5", "60.00"))
    (report,) = out_of_band["M01-OE"]
    assert (report[Tag.ExecType], report[Tag.OrdStatus], report[Tag.OrdRejReason]) == (
        "8",
        "8",
        "99",
    )
    assert report[Tag.Text] == "price is outside today's price band"

    unknown = exchange.send("M01-OE", "F", **cancel_request("x1", "nope"))
    (reject,) = unknown["M01-OE"]
    assert (reject[Tag.CxlRejReason], reject[Tag.CxlRejResponseTo], reject[Tag.OrdStatus]) == (
        "1",
        "1",
        "8",
    )


def test_ioc_remainder_expires_and_mass_cancel_reports(exchange):
    exchange.send("M02-OE", "D", **order("s1", "B1", "2", "10", "50.00"))
    exchange.send("M02-OE", "D", **order("s2", "B1", "2", "10", "50.50"))
    ioc = exchange.send("M01-OE", "D", **order("b1", "A1", "1", "15", "50.00", TimeInForce="3"))
    assert [summary(r) for r in ioc["M01-OE"]] == [
        ("0", "0", "0", "15", "0"),
        ("F", "1", "10", "5", "50.00"),
        ("C", "C", "10", "0", "50.00"),
    ]
    mass = exchange.send(
        "M02-OE", "q", ClOrdID="m1", MassCancelRequestType="7", TransactTime="20260921"
    )
    cancelled, done = mass["M02-OE"]
    assert summary(cancelled) == ("4", "4", "0", "0", "0")
    assert cancelled[Tag.ClOrdID] == "s2"
    assert (done[Tag.MassCancelResponse], done[Tag.TotalAffectedOrders]) == ("7", "1")
