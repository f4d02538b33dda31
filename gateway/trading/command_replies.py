"""Which event answers an administrative command (or a block report the demo sends).

Events do not name the command that caused them, but every administrative command has a
key its answer repeats: the account it opens, the reference of a movement, the instrument
and actor of a halt. The gateway waits on that key to tell a supervisor what happened.
"""

from engine.block_trades import BlockAction, BlockCause
from engine.commands import (
    AcceptBlock,
    CancelBlock,
    Command,
    EndOfDay,
    Halt,
    LiftRestriction,
    MassCancel,
    MoveCash,
    MoveHolding,
    OpenAccount,
    ReportBlock,
    RestrictAccount,
    Resume,
    SetControlGroup,
    SetReferencePrice,
)
from engine.events import (
    AccountOpened,
    AccountRestricted,
    BlockAlleged,
    BlockClosed,
    BlockRejected,
    BlockTrade,
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
    if kind is ReportBlock:
        if type(event) is BlockRejected or type(event) is BlockAlleged:
            return event.member == command.member and event.report_id == command.report_id
        return (
            type(event) is BlockTrade
            and event.initiator_report_id == command.report_id
            and command.member in (event.buy_member, event.sell_member)
        )
    if kind is AcceptBlock:
        if type(event) is BlockRejected:
            return event.action == BlockAction.ACCEPT and event.report_id == command.report_id
        return type(event) is BlockTrade and event.acceptor_report_id == command.report_id
    if kind is CancelBlock:
        if type(event) is BlockRejected:
            return event.action == BlockAction.CANCEL and event.block_id == command.block_id
        return (
            type(event) is BlockClosed
            and event.block_id == command.block_id
            and event.cause == BlockCause.CANCELLED
        )
    return False
