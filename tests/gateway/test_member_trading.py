"""A member trades over FIX on the running exchange: orders in, execution reports out,
through the engine, the journal and the registry; reports missed while away come back."""

import asyncio
import time

import httpx
from websockets.asyncio.client import connect

from engine.commands import NewOrder
from engine.orders import OrderType, Side, TimeInForce
from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, FixedClock, running_exchange
from tests.gateway.fix_harness import SimpleFixMember, text

GATEWAY = "TCX"


def open_and_fund(base_url: str) -> None:
    with httpx.Client(base_url=base_url, auth=SUPERVISOR, timeout=20) as api:
        for account, kind in (("BUYER", "investor"), ("SELLER", "compliance")):
            body = {"account": account, "member": "M1", "kind": kind, "allocation": 0}
            assert api.post("/api/admin/accounts", json=body).status_code == 201
        cash = {"account": "BUYER", "kind": "deposit", "amount": "100000", "reference": "D1"}
        assert api.post("/api/admin/cash", json=cash).status_code == 201
        tonnes = {"account": "SELLER", "instrument": "TJEA25", "kind": "allocate",
                  "quantity": 1000, "reference": "A1"}  # fmt: skip
        assert api.post("/api/admin/holdings", json=tonnes).status_code == 201


def order(client_id: str, account: str, side: str, quantity: int, price: str):
    return (
        (1, account), (11, client_id), (38, str(quantity)), (40, "2"), (44, price),
        (54, side), (55, "TJEA25"), (59, "0"), (60, "20261124-02:00:00"),
    )  # fmt: skip


async def reports_until(member: SimpleFixMember, wanted: int) -> list:
    reports = []
    while len(reports) < wanted:
        message = await member.receive()
        if text(message, 35) == "8":
            reports.append(message)
    return reports


def test_a_member_trades_over_fix_and_recovers_missed_reports(tmp_path):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        url = running.fix_url

        async def trade() -> None:
            async with connect(url) as connection:
                member = SimpleFixMember(connection, comp_id=TRADER[0], gateway=GATEWAY)
                await member.send("A", (98, "0"), (108, "30"), (553, TRADER[0]), (554, TRADER[1]))
                assert text(await member.receive(), 35) == "A"

                await member.send("D", *order("s1", "SELLER", "2", 300, "50.00"))
                (new,) = await reports_until(member, 1)
                assert (text(new, 150), text(new, 39), text(new, 11)) == ("0", "0", "s1")

                await member.send("D", *order("b1", "BUYER", "1", 200, "50.10"))
                reports = await reports_until(member, 3)  # buy New, then a fill per side
                fills = {text(r, 11): r for r in reports if text(r, 150) == "F"}
                buy, sell = fills["b1"], fills["s1"]
                assert (text(buy, 39), text(buy, 31), text(buy, 32)) == ("2", "50.00", "200")
                assert (text(sell, 39), text(sell, 14), text(sell, 151)) == ("1", "200", "100")

                await member.send("D", *order("x1", "SOMEONE-ELSE", "1", 1, "50.00"))
                (refused,) = await reports_until(member, 1)
                assert (text(refused, 39), text(refused, 103)) == ("8", "15")

                await member.send("D", *order("b2", "BUYER", "1", 10, "99.00"))
                (outside,) = await reports_until(member, 1)
                assert text(outside, 39) == "8" and "band" in text(outside, 58)
                await member.send("5")
                goodbye = await member.receive()
                assert text(goodbye, 35) == "5"
                return member.seq, int(text(goodbye, 34))

        next_seq, last_received = asyncio.run(trade())

        # while the member is away, its resting sell is filled by another buyer
        running.submit([_buy_rest()])
        time.sleep(1.0)

        async def come_back() -> None:
            async with connect(url) as connection:
                member = SimpleFixMember(connection, TRADER[0], next_seq, GATEWAY)
                await member.send("A", (98, "0"), (108, "30"), (553, TRADER[0]), (554, TRADER[1]))
                logon = await member.receive()
                assert text(logon, 35) == "A"
                # the gateway's MsgSeqNum is past the last one the member saw: it asks for the gap
                assert int(text(logon, 34)) > last_received + 1
                await member.send("2", (7, str(last_received + 1)), (16, "0"))
                resent = {}
                while ("s1", "F") not in resent:
                    message = await member.receive()
                    if text(message, 35) == "8":
                        assert text(message, 43) == "Y"  # PossDupFlag: a resend
                        resent[(text(message, 11), text(message, 150))] = message
                assert set(resent) == {("b-away", "0"), ("b-away", "F"), ("s1", "F")}
                assert text(resent[("s1", "F")], 39) == "2"  # the sell is now filled

        asyncio.run(come_back())


def _buy_rest() -> NewOrder:
    return NewOrder(
        FixedClock().now() + 10**9, "BUYER", "b-away", "TJEA25", Side.BUY, OrderType.LIMIT,
        TimeInForce.IOC, 5_000, 100,
    )  # fmt: skip
