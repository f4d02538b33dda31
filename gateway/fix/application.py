"""What the session layer asks of the layers around it: who may log on, and what to do
with the application messages of a logged-on member.

The order-entry layer implements `Application`; it is handed each validated application
message with the session it came on and returns its replies. Messages it produces later
(execution reports from the engine) go out through an `Outbox`, which the acceptor is:
when the member is not connected they are still sequenced and kept, so a ResendRequest
after the next logon recovers them.
"""

from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple, Protocol

from gateway.fix.message import Message


class SessionId(NamedTuple):
    """A member's session: its CompID and ours (SenderCompID/TargetCompID as it sends them).
    A tuple, so the lookup for every message sent hashes it without a Python call."""

    member: str
    gateway: str


class Authenticator(Protocol):
    def authenticate(self, comp_id: str, username: str | None, password: str | None) -> bool:
        """True when the member `comp_id` may log on with these credentials."""
        ...


class Admission(Enum):
    """Whether a costly admin message (a ResendRequest) is served, by the session's rate."""

    PASS = "pass"
    REJECT = "reject"  # over the rate: a Reject(3), the session stays
    LOGOUT = "logout"  # far over it: the session ends


class Application(Protocol):
    def on_logon(self, session: SessionId) -> None: ...

    def admit(self, session: SessionId, now: int) -> Admission:
        """Counts an admin message against the session's message rate, as application
        messages are counted (a burst of ResendRequests must not stall the gateway)."""
        ...

    def on_logout(self, session: SessionId) -> None:
        """The member's connection ended (logout or loss): cancel-on-disconnect starts here."""
        ...

    def on_message(self, session: SessionId, message: Message, now: int) -> Sequence[Message]:
        """Replies to send now, in order; the session fills in their headers. `now` is when
        the frame arrived (ns since the epoch), for throttles that must not read a clock."""
        ...


class Outbox(Protocol):
    def send(self, session: SessionId, message: Message) -> int:
        """Sequence, keep and (if connected) transmit `message`; returns its MsgSeqNum."""
        ...

    def logout(self, session: SessionId, text: str) -> bool:
        """Start the Logout handshake with `text` (say, far over the message rate limit);
        False when the member is not logged on."""
        ...

    def flush(self) -> None:
        """Store and transmit what was sent so far now, not at the end of the loop's turn."""
        ...
