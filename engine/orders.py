"""Order vocabulary as small integers.

The values are FIX 4.4's own codes (Side 54, OrdType 40, TimeInForce 59), so the gateway
maps them without a table and the hot path compares plain ints.
"""

from enum import IntEnum


class Side(IntEnum):
    BUY = 1
    SELL = 2


class OrderType(IntEnum):
    MARKET = 1  # an IOC whose limit is the band edge
    LIMIT = 2


class TimeInForce(IntEnum):
    DAY = 0
    IOC = 3
    FOK = 4


class SelfTradePrevention(IntEnum):
    """What happens when an order would trade against its own account (or control group)."""

    CANCEL_INCOMING = 1
    CANCEL_RESTING = 2
    CANCEL_BOTH = 3


class CancelCause(IntEnum):
    """Why an order left the book without trading. Surveillance counts only REQUESTED and
    MASS_CANCEL as a member's cancels: IOC/FOK remainders and expiry are the system's."""

    REQUESTED = 1
    MASS_CANCEL = 2
    IOC_REMAINDER = 3
    FOK_UNFILLED = 4
    SELF_TRADE = 5
    EXPIRED = 6


class MassCancelScope(IntEnum):
    ACCOUNT = 1
    MEMBER = 2
    INSTRUMENT = 3


class AccountKind(IntEnum):
    COMPLIANCE = 1  # a covered company with an annual allocation
    INVESTOR = 2  # an approved investor (no allocation)


class CashMovementKind(IntEnum):
    DEPOSIT = 1
    WITHDRAW = 2


class HoldingMovementKind(IntEnum):
    """Registry operations on an account's tonnes (see market-rules.md, compliance cycle)."""

    ALLOCATE = 1  # free or auctioned allocation into the account
    TRANSFER_IN = 2  # from outside the exchange registry
    TRANSFER_OUT = 3  # to outside the exchange registry
    CANCEL = 4  # retired by the registry (entity closes, leaves Tianjin)
    SURRENDER = 5  # compliance surrender (清缴)
    PLEDGE = 6  # tradable -> pledged (质押)
    RELEASE = 7  # pledged -> tradable
    FREEZE = 8  # tradable -> frozen
    UNFREEZE = 9  # frozen -> tradable
    RETURN = 10  # excess free allocation returned to the issuer (claw-back, exit)
    REVERSE_SURRENDER = 11  # a mistaken surrender taken back from the surrender account
    FREEZE_FREE_ALLOCATION = 12  # tradable free-allocated tonnes -> frozen (national move)
    CANCEL_FROZEN = 13  # frozen tonnes retired (national-move cancellation)
    ENFORCE = 14  # pledged tonnes leave the pledgor when the pledgee enforces
    ENFORCE_RECEIVE = 15  # the pledgee's account receives the enforced tonnes
