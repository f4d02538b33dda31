"""The /fix websocket server (picows), driven by simplefix (an independent FIX implementation)
over a real websocket client: interoperability, a gateway restart, failed logons."""

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

import pytest
import simplefix
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gateway.fix import websocket
from gateway.fix.application import SessionId
from gateway.fix.message import Message
from gateway.fix.session import SessionSettings
from tests.gateway.fix_harness import (
    GATEWAY,
    MEMBER,
    Credentials,
    SimpleFixMember,
    make_acceptor,
    served,
    text,
)


def order_fields(client_order_id: str) -> tuple[tuple[int, str], ...]:
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H:%M:%S")
    return ((11, client_order_id), (38, "5"), (40, "2"), (44, "70.10"), (54, "2"), (55, "CEA"),
            (60, now))  # fmt: skip


def test_simplefix_member_logs_on_heartbeats_trades_and_logs_out(tmp_path: Path) -> None:
    async def run() -> None:
        async with served(make_acceptor(tmp_path)) as url, connect(url) as connection:
            member = SimpleFixMember(connection)
            await member.send("A", (98, "0"), (108, "30"))
            reply = await member.receive()
            assert (text(reply, 35), text(reply, 34), text(reply, 108)) == ("A", "1", "30")
            await member.send("1", (112, "are you there"))
            heartbeat = await member.receive()
            assert (text(heartbeat, 35), text(heartbeat, 112)) == ("0", "are you there")
            await member.send("D", *order_fields("BUY-1"))
            echo = await member.receive()
            assert [text(echo, tag) for tag in (35, 34, 11, 44, 49, 56)] == [
                "D", "3", "BUY-1", "70.10", GATEWAY, MEMBER,
            ]  # fmt: skip
            await member.send("5")
            assert text(await member.receive(), 35) == "5"
            assert await member.closed()

    asyncio.run(run())


def test_sequence_and_sent_messages_survive_a_gateway_restart(tmp_path: Path) -> None:
    member_id = SessionId(MEMBER, GATEWAY)

    async def first_day_part() -> None:
        acceptor = make_acceptor(tmp_path)
        async with served(acceptor) as url, connect(url) as connection:
            member = SimpleFixMember(connection)
            await member.send("A", (98, "0"), (108, "30"))
            await member.receive()
            await member.send("D", *order_fields("BUY-1"))
            assert text(await member.receive(), 34) == "2"
            await member.send("5")
            await member.receive()
            assert await member.closed()
            # An execution report produced while the member is away: sequenced and kept.
            report = Message.of("8", (37, "O-1"), (17, "X-1"), (150, "F"), (39, "2"), (55, "CEA"))
            assert acceptor.send(member_id, report) == 4

    async def after_restart() -> None:
        async with served(make_acceptor(tmp_path)) as url, connect(url) as connection:
            member = SimpleFixMember(connection, seq=4)  # it sent 1..3 before the restart
            await member.send("A", (98, "0"), (108, "30"))
            logon = await member.receive()
            assert (text(logon, 35), text(logon, 34)) == ("A", "5")  # it expected 4: a gap
            await member.send("2", (7, "4"), (16, "0"))
            recovered = await member.receive()
            assert [text(recovered, tag) for tag in (35, 34, 43, 17)] == ["8", "4", "Y", "X-1"]
            assert text(recovered, 122) is not None
            gap_fill = await member.receive()
            assert [text(gap_fill, tag) for tag in (35, 34, 123, 36)] == ["4", "5", "Y", "6"]
            await member.send("1", (112, "after"))
            heartbeat = await member.receive()
            assert (text(heartbeat, 34), text(heartbeat, 112)) == ("6", "after")

    asyncio.run(first_day_part())
    asyncio.run(after_restart())


def test_failed_logons_are_logged_and_rate_limited(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gateway.fix.session")
    credentials = Credentials({MEMBER: "right"})
    acceptor = make_acceptor(tmp_path, SessionSettings(comp_id=GATEWAY), credentials)

    async def attempt(url: str, password: str) -> simplefix.FixMessage | None:
        async with connect(url) as connection:
            member = SimpleFixMember(connection)
            await member.send("A", (98, "0"), (108, "30"), (553, "trader"), (554, password))
            try:
                return await member.receive()
            except ConnectionClosed:
                return None

    async def run() -> None:
        async with served(acceptor) as url:
            for _ in range(5):
                refusal = await attempt(url, "guess")
                assert refusal is not None and text(refusal, 35) == "5"
                assert "Logon rejected" in (text(refusal, 58) or "")
            assert await attempt(url, "right") is None  # blocked: no reply at all

    asyncio.run(run())
    failures = [r for r in caplog.records if "failed logon as 'TW44'" in r.getMessage()]
    assert len(failures) == 5
    assert "username 'trader'" in failures[0].getMessage()
    assert "too many failures" in caplog.records[-1].getMessage()


def report(number: int) -> Message:
    return Message.of("8", (37, f"O-{number}"), (17, f"X-{number}"), (150, "0"), (39, "0"))


@pytest.mark.parametrize(
    "limit", [{"MAX_UNSENT_BYTES": 64 * 1024}, {"SEND_TIMEOUT_S": 0.2}], ids=["bytes", "time"]
)
def test_a_member_that_stops_reading_is_disconnected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: dict[str, float]
) -> None:
    """Reports pile up in the socket for a member that reads nothing: past the unsent-bytes
    bound, or once the socket has refused more for the send timeout, the member is cut off
    (what it missed stays in the store for a ResendRequest)."""
    for name, value in limit.items():
        monkeypatch.setattr(websocket, name, value)
    acceptor = make_acceptor(tmp_path)
    member_id = SessionId(MEMBER, GATEWAY)

    async def run() -> None:
        async with served(acceptor) as url, connect(url, max_queue=1) as connection:
            member = SimpleFixMember(connection)
            await member.send("A", (98, "0"), (108, "30"))
            await member.receive()
            sent = 0
            while acceptor.is_logged_on(member_id) and sent < 200_000:
                for _ in range(500):
                    acceptor.send(member_id, report(sent))
                    sent += 1
                await asyncio.sleep(0.01)
            assert not acceptor.is_logged_on(member_id)
            key = acceptor.session_key(member_id, time.time_ns())
            assert acceptor.store.next_numbers(key)[0] > sent  # all kept for a resend

    asyncio.run(run())


def test_a_fragmented_message_is_one_fix_message(tmp_path: Path) -> None:
    async def run() -> None:
        async with served(make_acceptor(tmp_path)) as url, connect(url) as connection:
            member = SimpleFixMember(connection)
            await member.send("A", (98, "0"), (108, "30"))
            await member.receive()
            logon_frame = simplefix.FixMessage()
            for tag, value in ((8, "FIX.4.4"), (35, "1"), (34, 2), (49, MEMBER), (56, GATEWAY)):
                logon_frame.append_pair(tag, value)
            logon_frame.append_utc_timestamp(52, precision=3)
            logon_frame.append_pair(112, "in pieces")
            whole = logon_frame.encode().decode()
            await connection.send([whole[:20], whole[20:50], whole[50:]])
            heartbeat = await member.receive()
            assert (text(heartbeat, 35), text(heartbeat, 112)) == ("0", "in pieces")

    asyncio.run(run())


def test_only_the_fix_path_upgrades(tmp_path: Path) -> None:
    async def run() -> None:
        async with served(make_acceptor(tmp_path)) as url:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url.replace("/fix", "/other")):
                    pass
            assert refused.value.response.status_code == 404

    asyncio.run(run())
