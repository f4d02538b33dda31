"""The FIX websocket of a running exchange, probed from outside as an attacker would:
malformed, truncated, oversized, wrongly summed and measured frames, duplicate tags,
out-of-range and non-ASCII numbers, binary frames, a storm of logons. Meanwhile a
well-behaved member keeps trading; afterwards the log shows no unhandled exception, and the
book and the registry are as the well-behaved member's trading alone left them."""

import asyncio
import logging
import random
import time

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.fix.codec import encode_fields
from gateway.members import Session, SessionType, hash_password, save_directory
from tests.gateway.exchange_fixtures import SUPERVISOR, TRADER, directory, running_exchange
from tests.gateway.fix_harness import SimpleFixMember, text
from tests.gateway.test_member_trading import open_and_fund, order, reports_until

FUZZER = ("M1-FUZZ", "fuzz-secret")
HUGE = "9" * 5_000
GATEWAY = "TCX"


def _frame(seq: str, msg_type: str, *body: tuple[int, str]) -> bytes:
    """A true frame from the fuzzer: BodyLength and CheckSum right, whatever the fields."""
    stamp = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())
    header = [(35, msg_type), (34, seq), (49, FUZZER[0]), (52, stamp), (56, GATEWAY)]
    return encode_fields(header + list(body), "FIX.4.4")


def _bad_frames(next_seq) -> list[bytes | str]:
    """What the fuzzer sends once logged on; `next_seq()` gives it sequence numbers."""
    good = _frame(str(next_seq()), "D", *order("z1", "SELLER", "2", 5, "60.00"))
    rng = random.Random(13)
    cancel = (
        (11, "z2"),
        (41, "z1"),
        (1, "SELLER"),
        (55, "TJEA25"),
        (54, "2"),
        (60, "20261124-02:00:00"),
    )
    frames: list[bytes | str] = [
        good[: len(good) // 2],  # truncated
        good.replace(b"\x0110=", b"\x0110=0")[:-1] + b"\x01",  # wrong checksum
        good.replace(b"\x019=", b"\x019=1", 1),  # wrong BodyLength
        _frame(str(next_seq()), "1", (112, "x" * 20_000)),  # oversized
        _frame(str(next_seq()), "D", *order("z3", "SELLER", "2", 5, "60.00"), (55, "CCER")),
        _frame(
            str(next_seq()), "D", *order("z4", "SELLER", "2", 5, "50.0000000000000000000000000001")
        ),
        _frame(str(next_seq()), "D", *order("z5", "SELLER", "2", 5, "60.00")).replace(
            b"38=5", "38=٣".encode()
        ),
        _frame(str(next_seq()), "D", *order("z6", "SELLER", "2", 5, "60.00")).replace(
            b"38=5", b"38=1e2"
        ),
        _frame(HUGE, "0"),
        _frame(str(next_seq()), "2", (7, "1"), (16, HUGE)),
        _frame(str(next_seq()), "4", (123, "Y"), (36, HUGE)),
        bytes(rng.randrange(256) for _ in range(300)),  # binary garbage
        b"8=FIX.4.4\x019=5\x0135=0\x0110=\xff\xfe\x01",  # not UTF-8
        "8=FIX.4.4\x019=١٢\x0135=0\x0110=000\x01",  # non-ASCII digits
        "",
    ]
    for order_id in ("9" * 20, HUGE, "²"):
        frames.append(_frame(str(next_seq()), "F", (37, order_id), *cancel))
        frames.append(
            _frame(
                str(next_seq()), "G", (37, order_id), *cancel, (38, "5"), (40, "2"), (44, "60.00")
            )
        )
        frames.append(
            _frame(str(next_seq()), "H", (37, order_id), (11, "z1"), (55, "TJEA25"), (54, "2"))
        )
    return frames


async def _drain(connection, seconds: float) -> None:
    """Reads (and drops) what the gateway sends the fuzzer for a while."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                await connection.recv()
    except (TimeoutError, ConnectionClosed):
        pass


async def _storm(url: str) -> None:
    """Logons at once: wrong passwords, a 5,000-digit HeartBtInt and MsgSeqNum, garbage."""

    async def one(number: int) -> None:
        async with connect(url) as connection:
            stamp = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime())
            header = [(35, "A"), (34, "1"), (49, FUZZER[0]), (52, stamp), (56, GATEWAY)]
            kind = number % 4
            if kind == 0:
                body = [(98, "0"), (108, "30"), (553, FUZZER[0]), (554, f"guess-{number}")]
            elif kind == 1:
                body = [(98, "0"), (108, HUGE)]
            elif kind == 2:
                header[1] = (34, HUGE)
                body = [(98, "0"), (108, "30")]
            else:
                await connection.send(bytes(range(256)))
                body = []
            if body:
                await connection.send(encode_fields(header + body, "FIX.4.4").decode())
            await _drain(connection, 5)

    await asyncio.gather(*(one(number) for number in range(24)))


def _cancel(client_id: str, original: str) -> tuple[tuple[int, str], ...]:
    return ((11, client_id), (41, original), (1, "BUYER"), (55, "TJEA25"), (54, "1"),
            (60, "20261124-02:00:00"))  # fmt: skip


def _state(api: httpx.Client) -> tuple:
    """The book (as market data shows it, without its message numbering) and balances."""
    snapshot = api.get("/api/market/TJEA25").json()
    book = [
        {k: v for k, v in snapshot[part].items() if k not in ("seq", "event_seq", "ts")}
        for part in ("quote", "depth")
    ]
    accounts = [api.get(f"/api/admin/accounts/{a}").json()["balances"] for a in ("SELLER", "BUYER")]
    return book, accounts


def test_the_fix_endpoint_survives_an_attacker_while_a_member_trades(tmp_path, caplog):
    members = tmp_path / "members.toml"
    fuzzer = Session(FUZZER[0], "M1", SessionType.ORDER_ENTRY, hash_password(FUZZER[1]))
    save_directory(directory().with_session(fuzzer), members)
    with (
        caplog.at_level(logging.INFO),
        running_exchange(tmp_path / "data", members_file=members) as running,
        httpx.Client(  # from another address: the storm exhausts 127.0.0.1's logon allowance
            base_url=running.base_url,
            auth=SUPERVISOR,
            timeout=20,
            transport=httpx.HTTPTransport(local_address="127.0.0.2"),
        ) as api,
    ):
        open_and_fund(running.base_url)
        url = running.fix_url

        async def scenario() -> None:
            async with connect(url) as trading, connect(url) as attacking:
                member = SimpleFixMember(trading, comp_id=TRADER[0], gateway=GATEWAY)
                await member.send("A", (98, "0"), (108, "30"), (553, TRADER[0]), (554, TRADER[1]))
                assert text(await member.receive(), 35) == "A"
                await member.send("D", *order("keep", "SELLER", "2", 10, "55.00"))
                (rests,) = await reports_until(member, 1)
                assert text(rests, 39) == "0"
                await asyncio.sleep(0.3)  # market data and registry catch up
                before = await asyncio.to_thread(_state, api)

                seqs = iter(range(2, 10_000))
                logon = _frame("1", "A", (98, "0"), (108, "30"), (553, FUZZER[0]), (554, FUZZER[1]))
                await attacking.send(logon.decode())
                assert "35=A" in await asyncio.wait_for(attacking.recv(), 10)
                draining = asyncio.create_task(_drain(attacking, 8))
                for number, frame in enumerate(_bad_frames(lambda: next(seqs))):
                    await attacking.send(frame)
                    if number % 5 == 0:  # the member trades between the attacker's frames
                        client_id = f"t{number}"
                        await member.send("D", *order(client_id, "BUYER", "1", 1, "45.00"))
                        (new,) = await reports_until(member, 1)
                        assert (text(new, 11), text(new, 39)) == (client_id, "0")
                        await member.send("F", *_cancel(f"c{number}", client_id))
                        (cancelled,) = await reports_until(member, 1)
                        assert text(cancelled, 39) == "4"
                await _storm(url)
                await member.send("1", (112, "still-here"))
                while text(reply := await member.receive(), 35) != "0":
                    pass
                assert text(reply, 112) == "still-here"
                await draining
                await asyncio.sleep(0.3)
                assert await asyncio.to_thread(_state, api) == before

        asyncio.run(scenario())
    unhandled = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not unhandled, "\n".join(r.getMessage() for r in unhandled)
