"""Which event answers an administrative command.

Events do not name the command that caused them, but every administrative command has a
key its answer repeats: the account it opens, the reference of a movement, the instrument
and actor of a halt. The gateway waits on that key to tell a supervisor what happened.
"""

from engine.commands import (
    Command,
    EndOfDay,
    Halt,
    LiftRestriction,
    MassCancel,
    MoveCash,
    MoveHolding,
    OpenAccount,
    RestrictAccount,
    Resume,
    SetControlGroup,
    SetReferencePrice,
)
from engine.events import (
    AccountOpened,
    AccountRestricted,
    CashMoved,
    CommandRejected,
    ControlGroupSet,
    DayClosed,
    Event,
    HoldingMoved,
    MassCancelDone,
    ReferencePriceSet,
    RestrictionLifted,
    TradingStatus,
)
from gateway.trading.auction_replies import AUCTION_COMMANDS, answers_auction


def answers(command: Command, event: Event) -> bool:
    """Whether `event` is (one of) the outcome(s) of `command`."""
    kind = type(command)
    if kind in AUCTION_COMMANDS:
        return answers_auction(command, event)
    if isinstance(event, CommandRejected):
        if event.command != command.__struct_config__.tag:
            return False
        if kind in (MoveCash, MoveHolding, RestrictAccount, LiftRestriction):
            return event.reference == command.reference
        if kind in (OpenAccount, SetControlGroup):
            return event.account == command.account
        if kind is EndOfDay:
            return event.reference == command.trading_date
        return event.actor == getattr(command, "actor", None)
    if kind is OpenAccount:
        return type(event) is AccountOpened and event.account == command.account
    if kind is SetControlGroup:
        return type(event) is ControlGroupSet and event.account == command.account
    if kind is MoveCash:
        return type(event) is CashMoved and event.reference == command.reference
    if kind is MoveHolding:
        return type(event) is HoldingMoved and event.reference == command.reference
    if kind in (Halt, Resume):
        return (
            type(event) is TradingStatus
            and event.instrument == command.instrument
            and event.actor == command.actor
            and event.halted == (kind is Halt)
        )
    if kind is SetReferencePrice:
        return type(event) is ReferencePriceSet and event.instrument == command.instrument
    if kind is RestrictAccount:
        return type(event) is AccountRestricted and event.reference == command.reference
    if kind is LiftRestriction:
        return type(event) is RestrictionLifted and event.reference == command.reference
    if kind is MassCancel:  # a supervisor's, cancelling a restricted account's orders
        return type(event) is MassCancelDone and event.client_order_id == command.client_order_id
    if kind is EndOfDay:
        return type(event) is DayClosed and event.trading_date == command.trading_date
    return False
