"""A FIX Logon's password check (scrypt, tens of milliseconds) runs off the event loop,
counted against the address's failed-logon allowance from the moment it starts: a storm of
logons neither stalls other members' sessions nor buys more guesses than the limit."""

import asyncio
import contextlib
import threading
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.gateway.fix_harness import Credentials, inbound, logon, make_acceptor, served

BYSTANDER = "OTHER"
GUESSER = "GUESS"


class HeldCredentials(Credentials):
    """The guesser's checks wait until the test lets them go, as a slow hash would."""

    def __init__(self) -> None:
        super().__init__({BYSTANDER: None, GUESSER: "right"})
        self.release = threading.Event()
        self.checks: list[bool] = []  # for each guess checked: released before the timeout

    def authenticate(self, comp_id: str, username: str | None, password: str | None) -> bool:
        if comp_id == GUESSER:
            self.checks.append(self.release.wait(10))
        return super().authenticate(comp_id, username, password)


def test_a_logon_storm_does_not_stall_a_logged_on_member(tmp_path: Path) -> None:
    credentials = HeldCredentials()

    async def run() -> None:
        acceptor = make_acceptor(tmp_path, credentials=credentials)
        async with served(acceptor) as url, connect(url) as bystander:
            await bystander.send(logon(1, _now(), sender=BYSTANDER).decode())
            assert "35=A" in await asyncio.wait_for(bystander.recv(), 10)
            guessers = [await connect(url) for _ in range(12)]
            for guesser in guessers:
                guess = logon(1, _now(), 30, (554, "wrong"), sender=GUESSER)
                await guesser.send(guess.decode())
            probe = inbound("1", 2, (112, "alive"), now=_now(), sender=BYSTANDER)
            await bystander.send(probe.decode())
            reply = await asyncio.wait_for(bystander.recv(), 10)
            assert "\x01112=alive\x01" in reply  # answered while the checks still wait
            credentials.release.set()
            for guesser in guessers:
                with contextlib.suppress(ConnectionClosed):
                    await asyncio.wait_for(guesser.recv(), 10)  # a Logout, then close
                await guesser.close()

    asyncio.run(run())
    assert credentials.checks == [True] * 5  # the limit is 5: the other 7 were not checked


def _now() -> int:
    return time.time_ns()


def test_many_members_behind_one_address_log_on_at_once(tmp_path: Path) -> None:
    """Checks of one address wait their turn rather than count as failures in advance."""
    members = [f"M{number}" for number in range(10)]
    credentials = Credentials(dict.fromkeys(members, "right"))

    async def run() -> list[str]:
        async with served(make_acceptor(tmp_path, credentials=credentials)) as url:
            connections = [await connect(url) for _ in members]
            for connection, member in zip(connections, members, strict=True):
                await connection.send(logon(1, _now(), 30, (554, "right"), sender=member).decode())
            replies = [await asyncio.wait_for(c.recv(), 10) for c in connections]
            for connection in connections:
                await connection.close()
            return replies

    assert all("\x0135=A\x01" in reply for reply in asyncio.run(run()))
