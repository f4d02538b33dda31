"""One account's orders cancelled at once from an independent FIX client (simplefix):
FIX 4.4's OrderMassCancelRequest has no Account (1), so tcx reads its user-defined
MassCancelAccount (5150), which its dictionary adds to the q message."""

import asyncio

from websockets.asyncio.client import connect

from tests.gateway.exchange_fixtures import TRADER, running_exchange
from tests.gateway.fix_harness import SimpleFixMember, text
from tests.gateway.test_member_trading import open_and_fund, order, reports_until


def test_a_mass_cancel_of_one_account_over_simplefix(tmp_path):
    with running_exchange(tmp_path) as running:
        open_and_fund(running.base_url)
        url = running.fix_url

        async def scenario() -> None:
            async with connect(url) as connection:
                member = SimpleFixMember(connection, comp_id=TRADER[0], gateway="TCX")
                await member.send("A", (98, "0"), (108, "30"), (553, TRADER[0]), (554, TRADER[1]))
                assert text(await member.receive(), 35) == "A"
                await member.send("D", *order("s1", "SELLER", "2", 10, "53.00"))
                await member.send("D", *order("b1", "BUYER", "1", 10, "49.00"))
                assert len(await reports_until(member, 2)) == 2
                await member.send(
                    "q", (11, "m1"), (530, "7"), (5150, "SELLER"), (60, "20261124-02:00:00")
                )
                answers = {}
                while "r" not in answers:
                    message = await member.receive()
                    answers.setdefault(text(message, 35), []).append(message)
                (report,) = answers["r"]
                assert (text(report, 531), text(report, 533)) == ("7", "1")
                (cancelled,) = answers["8"]
                assert (text(cancelled, 11), text(cancelled, 39)) == ("s1", "4")
                await member.send("H", (11, "b1"), (1, "BUYER"), (55, "TJEA25"), (54, "1"))
                (status,) = await reports_until(member, 1)
                assert text(status, 39) == "0"  # the other account's order still rests

        asyncio.run(scenario())
