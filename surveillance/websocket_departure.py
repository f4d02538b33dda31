"""Waiting for a read-only websocket's client to leave.

The feeds we push (market data, alert changes) take nothing from the client; reading is
only how a server notices the client has gone, so the sending side can stop.
"""

from fastapi import WebSocket


async def until_client_leaves(websocket: WebSocket) -> None:
    """Ignores anything the client sends; returns once it disconnects."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass
