"""The /fix websocket endpoint: one tag=value FIX message per text frame, or with the
`fix-json` sub-protocol one message in the FIX JSON encoding per text frame.

Each connection gets a Session and three cooperating parts: this coroutine writes the
session's outbound frames in order (and closes the socket when the session ends), a reader
feeds inbound frames to the session, and a timer wakes the session at its next deadline
(heartbeat, TestRequest, timeouts). Websocket ping/pong is not a FIX heartbeat.
"""

import asyncio
import contextlib
import logging
import time

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from gateway.fix.acceptor import Acceptor
from gateway.fix.json_encoding import JsonEncoding
from gateway.fix.session import Session
from gateway.fix.timestamps import NS_PER_SECOND

log = logging.getLogger(__name__)

_CLOSED = None  # marks the end of the outbound queue
MAX_PENDING_FRAMES = 10_000  # a member this far behind is not reading: it is disconnected
SEND_TIMEOUT_S = 30.0
TAG_VALUE = "fix"  # the default, also when no sub-protocol is asked for
JSON = "fix-json"


class QueueTransport:
    """The session's outbound side: frames queue up for the writer; every send wakes the
    timer, because the heartbeat deadline moved. The queue is bounded: a member that stops
    reading is cut off rather than allowed to fill the gateway's memory (what it missed
    stays in the store for a ResendRequest)."""

    def __init__(self) -> None:
        self.frames: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.wake = asyncio.Event()
        self.overflowed = False

    def send(self, frame: bytes) -> None:
        if self.frames.qsize() >= MAX_PENDING_FRAMES:
            self.overflowed = True
            return
        self.frames.put_nowait(frame)
        self.wake.set()

    def close(self) -> None:
        self.frames.put_nowait(_CLOSED)
        self.wake.set()


def fix_router(acceptor: Acceptor) -> APIRouter:
    router = APIRouter()
    json_encoding = JsonEncoding(acceptor.dictionary)

    @router.websocket("/fix")
    async def fix_endpoint(websocket: WebSocket) -> None:
        requested = websocket.scope.get("subprotocols", [])
        encoding = json_encoding if JSON in requested else None
        chosen = JSON if encoding else TAG_VALUE if TAG_VALUE in requested else None
        await websocket.accept(subprotocol=chosen)
        peer = websocket.client.host if websocket.client else "unknown"
        transport = QueueTransport()
        session = acceptor.open(transport, peer, time.time_ns())
        reader = asyncio.create_task(_read(websocket, session, transport, encoding))
        timer = asyncio.create_task(_run_timers(session, transport))
        try:
            while (frame := await transport.frames.get()) is not _CLOSED:
                text = encoding.from_frame(frame) if encoding else frame.decode()
                await asyncio.wait_for(websocket.send_text(text), SEND_TIMEOUT_S)
                if transport.overflowed:
                    log.warning("%s: %d frames unread: disconnecting", peer, MAX_PENDING_FRAMES)
                    break
        except (WebSocketDisconnect, RuntimeError, OSError, TimeoutError) as lost:
            log.info("%s: connection lost while sending: %r", peer, lost)
        finally:
            reader.cancel()
            timer.cancel()
            session.on_disconnect()
            with contextlib.suppress(Exception):
                await websocket.close()

    return router


async def _read(
    websocket: WebSocket,
    session: Session,
    transport: QueueTransport,
    encoding: JsonEncoding | None,
) -> None:
    try:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            text, data = event.get("text"), event.get("bytes")
            if text is None:
                frame = data or b""
            else:
                frame = encoding.to_frame(text) if encoding else text.encode()
            session.on_frame(frame, time.time_ns())
            transport.wake.set()
    except (WebSocketDisconnect, RuntimeError, OSError) as lost:
        log.info("%s: connection lost while reading: %r", session.peer, lost)
    except Exception:
        # A fault handling one member's frame ends that connection, never the gateway.
        log.exception("%s: session failed; closing its connection", session.peer)
    session.on_disconnect()
    transport.close()


async def _run_timers(session: Session, transport: QueueTransport) -> None:
    while (deadline := session.next_deadline()) is not None:
        transport.wake.clear()
        delay = max(0.0, (deadline - time.time_ns()) / NS_PER_SECOND)
        try:
            await asyncio.wait_for(transport.wake.wait(), delay)
        except TimeoutError:
            session.on_timer(time.time_ns())
