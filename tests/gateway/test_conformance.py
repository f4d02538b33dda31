"""The QuickFIX FIX 4.4 acceptance suite (59 scenarios, copied with their licence from
shared/conformance/quickfix-fix44/ into tests/gateway/quickfix-fix44/) replayed over the
websocket against the real app on uvicorn, with the echo application.

How a scenario is read (the README beside the scenarios): `iCONNECT`/`iN,CONNECT` opens a
connection, `iDISCONNECT` closes it, `I` lines are sent (one message per text frame, with
<TIME>/<TIME±N> filled in and BodyLength/CheckSum added only where the line has none), `E`
lines are compared with the next frame received as a set of tags (values too, except 9, 10,
52, 60, 122 and Text 58), and `eDISCONNECT` waits up to 10 s for the acceptor to close. While
waiting for the close, only a Logout may arrive: a refused logon is answered with one where
the member is known (1d_InvalidLogonBadSendingTime is the one scenario where that happens).

Adaptations, each because one websocket frame is one message:
- 2m_BodyLengthValueNotCorrect sends a message whose BodyLength is longer than its body; over
  a byte stream the acceptor reads on into the next message and drops both. The runner keeps
  that meaning by sending such a line and the next one together in one frame.
Configuration the suite assumes of its acceptor: sequence numbers restart at 1 on every new
connection (QuickFIX's ResetOnDisconnect); 4a and 6 wait for the acceptor's heartbeat timers,
so for those two one HeartBtInt second lasts 0.2 s.
"""

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.gateway.fix_harness import conformance_settings, make_acceptor, served

SCENARIOS = Path(__file__).with_name("quickfix-fix44")
SCENARIO_FILES = sorted(SCENARIOS.glob("*.def"))
TIMER_SCENARIOS = {"4a_NoDataSentDuringHeartBtInt", "6_SendTestRequest"}
SOH = b"\x01"
IGNORED_VALUES = {b"9", b"10", b"52", b"60", b"122", b"58"}
WAIT_S = 10.0
_TIME = re.compile(rb"<TIME([+-]\d+)?>")
_STEP = re.compile(rb"([iIeE])(?:(\d+),)?(.*)", re.DOTALL)


@dataclass(frozen=True)
class Step:
    kind: bytes  # i (connect/disconnect), I (send), E (expect), e (expect disconnect)
    connection: int
    payload: bytes


def read_steps(path: Path) -> list[Step]:
    steps = []
    for raw in path.read_bytes().split(b"\n"):
        line = raw.rstrip(b"\r")
        if not line or line.startswith(b"#"):
            continue
        match = _STEP.fullmatch(line)
        assert match is not None, f"{path.name}: unreadable line {line!r}"
        kind, connection, payload = match.groups()
        steps.append(Step(kind, int(connection or 1), payload))
    return steps


def fill_time(payload: bytes) -> bytes:
    now = dt.datetime.now(dt.UTC)

    def moment(match: re.Match[bytes]) -> bytes:
        offset = int(match.group(1) or 0)
        return (now + dt.timedelta(seconds=offset)).strftime("%Y%m%d-%H:%M:%S").encode()

    return _TIME.sub(moment, payload)


def fields_of(frame: bytes) -> list[bytes]:
    return [field for field in frame.split(SOH) if field]


def build_frame(payload: bytes) -> bytes:
    """BodyLength and CheckSum added only where the line has none."""
    fields = fields_of(fill_time(payload))
    tags = [field.split(b"=", 1)[0] for field in fields]
    if b"9" not in tags:
        body = fields[1:-1] if tags[-1] == b"10" else fields[1:]
        fields.insert(1, b"9=%d" % sum(len(field) + 1 for field in body))
    frame = b"".join(field + SOH for field in fields)
    if b"10" not in tags:
        frame += b"10=%03d\x01" % (sum(frame) % 256)
    return frame


def reads_into_next_message(frame: bytes) -> bool:
    """Its BodyLength claims more bytes than its body has (see 2m in the module docstring)."""
    fields = fields_of(frame)
    declared = fields[1].split(b"=", 1)
    if declared[0] != b"9" or not declared[1].isdigit():
        return False
    body = [field for field in fields[2:] if not field.startswith(b"10=")]
    return int(declared[1]) > sum(len(field) + 1 for field in body)


def assert_well_formed(frame: bytes) -> None:
    """What the acceptor sends has a true BodyLength and CheckSum."""
    trailer = frame.rindex(b"10=")
    body_start = frame.index(SOH, frame.index(b"9=")) + 1
    assert frame.endswith(SOH)
    assert int(fields_of(frame)[1][2:]) == trailer - body_start, frame
    assert int(frame[trailer + 3 : -1]) == sum(frame[:trailer]) % 256, frame


def assert_matches(received: bytes, expected_line: bytes) -> None:
    assert_well_formed(received)
    expected = fields_of(fill_time(expected_line))
    expected_tags = [field.split(b"=", 1)[0] for field in expected]
    for envelope in (b"9", b"10"):
        if envelope not in expected_tags:
            expected.append(envelope + b"=")
    got = [tuple(field.split(b"=", 1)) for field in fields_of(received)]
    want = [tuple(field.split(b"=", 1)) for field in expected]
    readable = received.replace(SOH, b"|").decode()
    assert sorted(tag for tag, _ in got) == sorted(tag for tag, _ in want), readable
    compared_got = sorted(pair for pair in got if pair[0] not in IGNORED_VALUES)
    compared_want = sorted(pair for pair in want if pair[0] not in IGNORED_VALUES)
    assert compared_got == compared_want, readable


async def receive(connection: ClientConnection) -> bytes:
    frame = await asyncio.wait_for(connection.recv(), WAIT_S)
    return frame.encode() if isinstance(frame, str) else frame


async def expect_disconnect(connection: ClientConnection) -> None:
    try:
        async with asyncio.timeout(WAIT_S):
            while True:
                frame = await receive(connection)
                assert b"\x0135=5\x01" in frame, f"only a Logout may precede the close: {frame!r}"
    except ConnectionClosed:
        return


async def replay(steps: list[Step], url: str) -> None:
    connections: dict[int, ClientConnection] = {}
    index = 0
    try:
        while index < len(steps):
            step = steps[index]
            index += 1
            connection = connections.get(step.connection)
            if step.kind == b"i" and step.payload == b"CONNECT":
                connections[step.connection] = await connect(url, ping_interval=None)
            elif step.kind == b"i" and step.payload == b"DISCONNECT":
                assert connection is not None
                await connection.close()
            elif step.kind == b"I":
                assert connection is not None
                frame = build_frame(step.payload)
                following = steps[index] if index < len(steps) else None
                if (
                    reads_into_next_message(frame)
                    and following is not None
                    and following.kind == b"I"
                    and following.connection == step.connection
                ):
                    frame += build_frame(following.payload)
                    index += 1
                await connection.send(frame.decode())
            elif step.kind == b"E":
                assert connection is not None
                assert_matches(await receive(connection), step.payload)
            elif step.kind == b"e" and step.payload == b"DISCONNECT":
                assert connection is not None
                await expect_disconnect(connection)
            else:
                raise AssertionError(f"unknown step {step}")
    finally:
        for connection in connections.values():
            await connection.close()


def test_all_59_scenarios_are_there_with_their_licence() -> None:
    assert len(SCENARIO_FILES) == 59
    assert (SCENARIOS / "LICENSE").is_file()


@pytest.mark.parametrize("scenario", SCENARIO_FILES, ids=lambda path: path.stem)
def test_scenario(scenario: Path, tmp_path: Path) -> None:
    scale = 0.2 if scenario.stem in TIMER_SCENARIOS else 1.0
    settings = conformance_settings(timer_scale=scale, logout_timeout_s=1.0)
    acceptor = make_acceptor(tmp_path, settings)

    async def run() -> None:
        async with served(acceptor) as url:
            await replay(read_steps(scenario), url)

    asyncio.run(run())
