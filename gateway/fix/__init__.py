"""The member gateway's FIX 4.4 layer: a conforming acceptor over websocket.

dictionary (FIX44.xml) -> codec (frames) -> validation (Reject reasons) -> session (the
state machine) -> acceptor (who is logged on, the Outbox) -> websocket (/fix). The store
keeps sequence numbers and sent messages per trading day; application.py is the contract
with the order-entry layer.
"""
