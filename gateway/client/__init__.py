"""The member's side: a FIX 4.4 client library over websocket, its state and its messages."""
