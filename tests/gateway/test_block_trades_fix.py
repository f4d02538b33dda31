"""Block trades end to end: two members over the FIX websocket, with simplefix as the
independent client. Allegation -> acceptance -> both confirmations and the drop copy ->
the registry booked once -> the bulletin's block volume; a decline, an expiry by the
engine's journaled clock, refusals with TradeReportRejectReason and Text; and a restart
with an open allegation recovered from the journal, resent to the counterparty with
PossDupFlag, listed by TradeCaptureReportRequest and then accepted."""

import asyncio
import datetime as dt

import httpx
from websockets.asyncio.client import connect

from gateway.members import Directory, Member, Role, Session, SessionType, hash_password
from tests.gateway.exchange_fixtures import SUPERVISOR, FixedClock, running_exchange
from tests.gateway.fix_harness import SimpleFixMember, text

GATEWAY = "TCX"
SELLER = ("MS-OE", "seller-secret")
BUYER = ("MB-OE", "buyer-secret")
BUYER_COPY = ("MB-DC", "copy-secret")
MINUTE = 60 * 1_000_000_000


def logins() -> Directory:
    members = {
        "EXCH": Member("EXCH", "Exchange surveillance", Role.SUPERVISOR, frozenset()),
        "MS": Member("MS", "Seller Securities", Role.MEMBER, frozenset({"S1"})),
        "MB": Member("MB", "Buyer Brokerage", Role.MEMBER, frozenset({"B1", "B2"})),
    }
    sessions = {
        SUPERVISOR[0]: Session(
            SUPERVISOR[0], "EXCH", SessionType.DROP_COPY, hash_password(SUPERVISOR[1])
        ),
        SELLER[0]: Session(SELLER[0], "MS", SessionType.ORDER_ENTRY, hash_password(SELLER[1])),
        BUYER[0]: Session(BUYER[0], "MB", SessionType.ORDER_ENTRY, hash_password(BUYER[1])),
        BUYER_COPY[0]: Session(
            BUYER_COPY[0], "MB", SessionType.DROP_COPY, hash_password(BUYER_COPY[1])
        ),
    }
    return Directory(members, sessions)


def afternoon() -> FixedClock:
    return FixedClock(time=dt.time(13, 30))


def open_and_fund(base_url: str) -> None:
    with httpx.Client(base_url=base_url, auth=SUPERVISOR, timeout=20) as api:
        for account, member in (("S1", "MS"), ("B1", "MB"), ("B2", "MB")):
            body = {"account": account, "member": member, "kind": "investor", "allocation": 0}
            assert api.post("/api/admin/accounts", json=body).status_code == 201
        for account, amount in (("B1", "30000000"), ("B2", "10000000")):
            cash = {"account": account, "kind": "deposit", "amount": amount,
                    "reference": f"D-{account}"}  # fmt: skip
            assert api.post("/api/admin/cash", json=cash).status_code == 201
        for account, quantity in (("S1", 800_000), ("B1", 300_000)):
            tonnes = {"account": account, "instrument": "TJEA25", "kind": "allocate",
                      "quantity": quantity, "reference": f"A-{account}"}  # fmt: skip
            assert api.post("/api/admin/holdings", json=tonnes).status_code == 201


def submit(
    report_id: str, quantity: int, price: str, both_sides: bool = True, kind: str = "0"
) -> tuple:
    """S1 sells to B1; `both_sides` False leaves the counterparty's side out."""
    sides = ((552, "2"), (54, "2"), (37, "NONE"), (1, "S1"), (54, "1"), (37, "NONE"), (1, "B1"))
    return (
        (571, report_id), (487, "0"), (856, kind), (828, "1"), (570, "N"), (55, "TJEA25"),
        (32, str(quantity)), (31, price), (75, "20261124"), (60, "20261124-05:30:00"),
        *(sides if both_sides else ((552, "1"), *sides[1:4])),
    )  # fmt: skip


def answer(report_id: str, kind: str, block_id: str) -> tuple:
    return (
        (571, report_id), (856, kind), (828, "1"), (572, block_id), (570, "N"),
        (55, "TJEA25"), (32, "200000"), (31, "50.00"), (75, "20261124"),
        (60, "20261124-05:31:00"), (552, "1"), (54, "1"), (37, "NONE"), (1, "B1"),
    )  # fmt: skip


async def log_on(connection, login: tuple[str, str], seq: int = 1) -> SimpleFixMember:
    member = SimpleFixMember(connection, comp_id=login[0], seq=seq, gateway=GATEWAY)
    await member.send("A", (98, "0"), (108, "30"), (553, login[0]), (554, login[1]))
    assert text(await member.receive(), 35) == "A"
    return member


async def next_of(member: SimpleFixMember, *msg_types: str):
    """The next message of one of `msg_types`, skipping heartbeats and the like."""
    while True:
        message = await member.receive()
        if text(message, 35) in msg_types:
            return message


def test_two_members_trade_a_block_over_fix(tmp_path):
    clock = afternoon()
    with running_exchange(tmp_path, clock=clock, logins=logins()) as running:
        open_and_fund(running.base_url)
        url = running.fix_url

        async def trade() -> None:
            async with (
                connect(url) as seller_link,
                connect(url) as buyer_link,
                connect(url) as copy_link,
            ):
                seller = await log_on(seller_link, SELLER)
                buyer = await log_on(buyer_link, BUYER)
                copy = await log_on(copy_link, BUYER_COPY)

                # refused at once by the exchange, each with its reason and a Text
                await seller.send("AE", *submit("small", 99_999, "50.00"))
                small = await next_of(seller, "AR")
                assert (text(small, 939), text(small, 751)) == ("1", "99")
                assert "block minimum" in text(small, 58)
                await seller.send("AE", *submit("one-side", 200_000, "50.00", both_sides=False))
                malformed = await next_of(seller, "AR")
                assert (text(malformed, 939), text(malformed, 751)) == ("1", "4")
                await seller.send("AE", *submit("addendum", 200_000, "50.00", kind="4"))
                wrong_type = await next_of(seller, "AR")
                assert (text(wrong_type, 939), text(wrong_type, 751)) == ("1", "4")
                assert "TradeReportType" in text(wrong_type, 58)
                await seller.send("AE", *submit("band", 200_000, "70.00"))
                band = await next_of(seller, "AR")
                assert text(band, 939) == "1" and "block band" in text(band, 58)

                await seller.send("AE", *submit("r1", 200_000, "50.00"))
                ack = await next_of(seller, "AR")
                assert (text(ack, 571), text(ack, 939), text(ack, 856)) == ("r1", "0", "0")
                block_id = text(ack, 818)
                alleged = await next_of(buyer, "AE")
                assert (text(alleged, 856), text(alleged, 828)) == ("1", "1")
                assert (text(alleged, 818), text(alleged, 32)) == (block_id, "200000")
                assert text(await next_of(copy, "AE"), 797) == "Y"

                await seller.send("AE", *answer("self", "2", block_id))
                own = await next_of(seller, "AR")
                assert (text(own, 939), text(own, 751)) == ("1", "3")

                await buyer.send("AE", *answer("acc-1", "2", block_id))
                accepted = await next_of(buyer, "AR")
                assert (text(accepted, 939), text(accepted, 150)) == ("0", "F")
                mine = await next_of(buyer, "AE")
                theirs = await next_of(seller, "AE")
                for confirmation in (mine, theirs):
                    assert (text(confirmation, 150), text(confirmation, 828)) == ("F", "1")
                    assert text(confirmation, 880) is not None
                assert text(mine, 880) == text(theirs, 880)
                copied = [await next_of(copy, "AR", "AE") for _ in range(2)]
                assert [text(message, 35) for message in copied] == ["AR", "AE"]
                assert text(copied[1], 797) == "Y"  # FIX 4.4 has no CopyMsgIndicator on AR

                await buyer.send("AE", *answer("acc-2", "2", block_id))
                twice = await next_of(buyer, "AR")
                assert text(twice, 939) == "1" and "already been accepted" in text(twice, 58)

                # declined: the reporter hears of it
                await seller.send("AE", *submit("r2", 100_000, "49.00"))
                second = text(await next_of(seller, "AR"), 818)
                await next_of(buyer, "AE")
                await buyer.send("AE", *answer("dec-1", "3", second))
                assert text(await next_of(buyer, "AR"), 939) == "0"
                declined = await next_of(seller, "AE")
                assert (text(declined, 856), text(declined, 818)) == ("3", second)

                # expired: nobody answers, the engine's clock passes the deadline
                await seller.send("AE", *submit("r3", 100_000, "49.00"))
                third = text(await next_of(seller, "AR"), 818)
                await next_of(buyer, "AE")
                clock.ts += 16 * MINUTE
                expired = await next_of(seller, "AE")
                assert (text(expired, 856), text(expired, 818)) == ("6", third)
                assert "expired" in text(expired, 58)

        asyncio.run(trade())

        with httpx.Client(base_url=running.base_url, auth=SUPERVISOR, timeout=20) as api:
            for _ in range(200):
                balances = api.get("/api/admin/accounts/B1").json()["balances"]
                if any(row["asset"] == "TJEA25" for row in balances):
                    break
                asyncio.run(asyncio.sleep(0.05))
            tonnes = {(row["asset"], row["state"]): row["amount"] for row in balances}
            assert tonnes[("TJEA25", "available")] == 300_000 + 200_000  # booked once
            assert api.get("/api/admin/settlement-failures").json() == []
            (public,) = api.get("/api/market/TJEA25/blocks").json()  # anonymous, flagged
            assert (public["quantity"], public["price"], public["block"]) == (
                200_000,
                "50.00",
                True,
            )
            assert "buy_account" not in public
            assert api.post("/api/admin/end-of-day", json={"trading_date": "2026-11-24"}).is_success
            for _ in range(200):
                bulletins = api.get("/api/bulletins/TJEA25").json()
                if bulletins:
                    break
                asyncio.run(asyncio.sleep(0.05))
            (bulletin,) = bulletins
            assert (bulletin["block_volume"], bulletin["volume"]) == (200_000, 0)
            assert bulletin["block_turnover"] == "10000000.00"


def test_an_open_allegation_survives_a_restart_and_is_then_accepted(tmp_path):
    with running_exchange(tmp_path, clock=afternoon(), logins=logins()) as running:
        open_and_fund(running.base_url)
        url = running.fix_url

        async def allege() -> str:
            async with connect(url) as seller_link:
                seller = await log_on(seller_link, SELLER)
                await seller.send("AE", *submit("r1", 200_000, "50.00"))
                return text(await next_of(seller, "AR"), 818)

        block_id = asyncio.run(allege())

    with running_exchange(tmp_path, clock=afternoon(), logins=logins()) as running:
        url = running.fix_url

        async def accept() -> None:
            async with connect(url) as buyer_link:
                buyer = await log_on(buyer_link, BUYER)
                await buyer.send("2", (7, "1"), (16, "0"))  # what was sent while away
                resent = await next_of(buyer, "AE")
                assert (text(resent, 43), text(resent, 856), text(resent, 818)) == (
                    "Y",
                    "1",
                    block_id,
                )
                await buyer.send("AD", (568, "open-1"), (569, "2"))
                ack = await next_of(buyer, "AQ")
                assert (text(ack, 568), text(ack, 748)) == ("open-1", "1")
                listed = await next_of(buyer, "AE")
                assert (text(listed, 856), text(listed, 818), text(listed, 912)) == (
                    "1",
                    block_id,
                    "Y",
                )
                await buyer.send("AE", *answer("acc-1", "2", block_id))
                assert text(await next_of(buyer, "AR"), 150) == "F"
                assert text(await next_of(buyer, "AE"), 150) == "F"

        asyncio.run(accept())
