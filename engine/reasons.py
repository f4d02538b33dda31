"""Why a command was refused: one code per reason, its FIX mapping and a text a person can act on.

Every rejection the sequencer emits names a `Reason`. The gateway turns it into
OrdRejReason (103) for orders, CxlRejReason (102) for cancels and amends, and Text (58).
"""

from enum import IntEnum


class Reason(IntEnum):
    OK = 0
    UNKNOWN_INSTRUMENT = 1
    UNKNOWN_ACCOUNT = 2
    EXCHANGE_CLOSED = 3  # outside the continuous sessions, or not a trading day
    HALTED = 4  # instrument or market halted by the supervisor
    BAD_PRICE = 5  # zero or negative
    OFF_TICK = 6
    OUT_OF_BAND = 7
    BAD_QUANTITY = 8  # zero, negative or not a multiple of the lot
    QUANTITY_TOO_LARGE = 9  # at or above the continuous-book maximum
    DUPLICATE_CLIENT_ORDER_ID = 10
    UNKNOWN_ORDER = 11  # cancel/amend of an order that is not live
    NOT_YOUR_ORDER = 12  # cancel/amend of another account's order
    INSUFFICIENT_CASH = 13
    INSUFFICIENT_HOLDINGS = 14
    POSITION_LIMIT = 15
    UNSUPPORTED_ORDER = 16  # a type/time-in-force combination the market does not offer
    NO_REFERENCE_PRICE = 17  # instrument listed without a reference price yet
    AMEND_BELOW_FILLED = 18  # new quantity at or below what has already traded
    BAD_AMOUNT = 19  # cash or tonnes movement of zero or negative size
    ACCOUNT_EXISTS = 20
    DUPLICATE_REFERENCE = 21  # a registry movement whose reference was already used
    NOT_WITHDRAWABLE = 22  # cash exists but is not yet withdrawable (sale proceeds, T+1)
    HOLDINGS_ENCUMBERED = 23  # tonnes pledged or frozen
    DAY_ALREADY_CLOSED = 24  # an end of day for a date closed already, or an earlier one
    NOT_A_TRADING_DAY = 25  # an end of day for a date that is not a real trading day
    # enforcement restrictions (engine/restrictions.py), numbered apart from the reasons
    # other features append, so parallel branches do not reuse a code
    ACCOUNT_SELL_ONLY = 50
    ACCOUNT_CANCEL_ONLY = 51
    ACCOUNT_SUSPENDED = 52
    NO_RESTRICTION_REASON = 53  # a restriction or a lifting without a reason
    BAD_RESTRICTION = 54  # unknown mode, or an end time not after now
    NOT_RESTRICTED = 55  # lifting a restriction not in force (lifted twice, expired)
    # the compliance year (settlement/compliance_year.py), numbered apart likewise
    HOLDINGS_RESERVED = 60  # tonnes exist but open sell orders reserve them
    # government auctions (engine/auctions.py), numbered apart as the restrictions are
    UNKNOWN_AUCTION = 100
    AUCTION_EXISTS = 101
    BAD_SCHEDULE = 102  # announcement <= open < close <= results does not hold
    BAD_AUCTION = 103  # a parameter out of range (lot, volume, caps, rules)
    NO_FLOOR_TRADES = 104  # the floor's VWAP window has no book trades
    BELOW_FLOOR = 105
    AUCTION_NOT_OPEN = 106  # before the opening or after the close
    NOT_ELIGIBLE = 107
    OVER_CAP = 108  # over the bidder's or its control group's cap, with its other bids
    BIDS_IRREVOCABLE = 109
    AUCTION_NOT_CLOSED = 110  # clearing before the close
    AUCTION_CLEARED = 111  # clearing twice, or changing a cleared auction
    AUCTION_SETTLED = 112  # cancelling a settled auction
    AUCTION_CANCELLED = 113
    SURRENDER_ONLY = 114  # surrender-only tonnes can be surrendered, never sold or moved
    COMMENT_REQUIRED = 115  # an auction's creation or cancellation, or a block's, needs a comment
    # block trades (engine/block_trades.py), numbered apart likewise
    BELOW_BLOCK_MINIMUM = 70
    OUT_OF_BLOCK_BAND = 71
    BLOCK_SESSION_CLOSED = 72
    UNKNOWN_COUNTERPARTY = 73
    SAME_CONTROL_GROUP = 74  # a block inside one control group would be a wash trade
    DUPLICATE_TRADE_REPORT_ID = 75
    UNKNOWN_BLOCK = 76
    OWN_ALLEGATION = 77  # the initiator accepting or declining its own allegation
    NOT_YOUR_BLOCK = 78
    BLOCK_ALREADY_TRADED = 79
    BLOCK_NOT_OPEN = 80  # declined, withdrawn, expired or cancelled
    BAD_BLOCK_REPORT = 81  # malformed: sides missing, wrong TradeReportType or TrdType
    ALLEGATION_TO_OWN_ACCOUNT = 82


# FIX OrdRejReason (103) for each reason on a new order.
ORD_REJ_REASON: dict[Reason, int] = {
    Reason.UNKNOWN_INSTRUMENT: 1,
    Reason.UNKNOWN_ACCOUNT: 15,
    Reason.EXCHANGE_CLOSED: 2,
    Reason.HALTED: 2,
    Reason.BAD_PRICE: 99,
    Reason.OFF_TICK: 99,
    Reason.OUT_OF_BAND: 99,
    Reason.BAD_QUANTITY: 13,
    Reason.QUANTITY_TOO_LARGE: 3,
    Reason.DUPLICATE_CLIENT_ORDER_ID: 6,
    Reason.INSUFFICIENT_CASH: 0,
    Reason.INSUFFICIENT_HOLDINGS: 0,
    Reason.POSITION_LIMIT: 3,
    Reason.UNSUPPORTED_ORDER: 11,
    Reason.NO_REFERENCE_PRICE: 2,
    Reason.ACCOUNT_SELL_ONLY: 0,  # broker / exchange option
    Reason.ACCOUNT_CANCEL_ONLY: 0,
    Reason.ACCOUNT_SUSPENDED: 0,
}

# FIX CxlRejReason (102) for each reason on a cancel or amend.
CXL_REJ_REASON: dict[Reason, int] = {
    Reason.UNKNOWN_ORDER: 1,
    Reason.NOT_YOUR_ORDER: 1,
    Reason.DUPLICATE_CLIENT_ORDER_ID: 6,
    Reason.INSUFFICIENT_CASH: 2,
    Reason.INSUFFICIENT_HOLDINGS: 2,
    Reason.POSITION_LIMIT: 2,
    Reason.ACCOUNT_SELL_ONLY: 2,
    Reason.ACCOUNT_CANCEL_ONLY: 2,
    Reason.ACCOUNT_SUSPENDED: 2,
}

TEXT: dict[Reason, str] = {
    Reason.OK: "accepted",
    Reason.UNKNOWN_INSTRUMENT: "unknown instrument; request the security list for listed symbols",
    Reason.UNKNOWN_ACCOUNT: "unknown account, or not an account of your member",
    Reason.EXCHANGE_CLOSED: (
        "market closed: orders are accepted 09:30-11:30 and 13:00-15:00 Beijing time "
        "on trading days"
    ),
    Reason.HALTED: "trading is halted by the supervisor; cancels are still accepted",
    Reason.BAD_PRICE: "price must be positive",
    Reason.OFF_TICK: "price is not a multiple of the tick size",
    Reason.OUT_OF_BAND: "price is outside today's price band",
    Reason.BAD_QUANTITY: "quantity must be a positive whole number of lots",
    Reason.QUANTITY_TOO_LARGE: (
        "quantity at or above the continuous-book maximum; use a block trade instead"
    ),
    Reason.DUPLICATE_CLIENT_ORDER_ID: "ClOrdID already names a live order of this account",
    Reason.UNKNOWN_ORDER: "no live order with that id (filled, cancelled, expired or never seen)",
    Reason.NOT_YOUR_ORDER: "that order belongs to another account",
    Reason.INSUFFICIENT_CASH: "not enough available cash to cover quantity x price plus fees",
    Reason.INSUFFICIENT_HOLDINGS: "not enough tradable holdings (tonnes bought today trade T+1)",
    Reason.POSITION_LIMIT: "the buy would take the account above its position limit",
    Reason.UNSUPPORTED_ORDER: "unsupported order type / time in force combination",
    Reason.NO_REFERENCE_PRICE: "instrument has no reference price yet; the supervisor sets it",
    Reason.AMEND_BELOW_FILLED: "new quantity is at or below the filled quantity; cancel instead",
    Reason.BAD_AMOUNT: "amount must be positive",
    Reason.ACCOUNT_EXISTS: "an account with that id already exists",
    Reason.DUPLICATE_REFERENCE: "a movement with that reference was already booked",
    Reason.NOT_WITHDRAWABLE: "not enough withdrawable cash (sale proceeds withdraw next day)",
    Reason.HOLDINGS_ENCUMBERED: "not enough unencumbered tonnes (pledged or frozen)",
    Reason.DAY_ALREADY_CLOSED: "that trading day, or a later one, is closed already",
    Reason.NOT_A_TRADING_DAY: "not a trading day: give a YYYY-MM-DD date the market trades on",
    Reason.ACCOUNT_SELL_ONLY: "the account is restricted to selling by the exchange",
    Reason.ACCOUNT_CANCEL_ONLY: "the account is restricted to cancels by the exchange",
    Reason.ACCOUNT_SUSPENDED: "the account is suspended by the exchange; cancels are accepted",
    Reason.NO_RESTRICTION_REASON: "say why: a reason of 1 to 500 characters is required",
    Reason.BAD_RESTRICTION: (
        "unknown restriction mode (sell_only, cancel_only, suspended), or an end not in the future"
    ),
    Reason.NOT_RESTRICTED: "no such restriction in force (lifted already, expired, never imposed)",
    Reason.HOLDINGS_RESERVED: "those tonnes are reserved by open sell orders; cancel them first",
    Reason.UNKNOWN_AUCTION: "no auction with that id; list the auctions for their ids",
    Reason.AUCTION_EXISTS: "an auction with that id already exists",
    Reason.BAD_SCHEDULE: "the schedule must run announcement <= open < close <= results",
    Reason.BAD_AUCTION: (
        "volume and lot must be positive, the volume whole lots, caps and rules in range"
    ),
    Reason.NO_FLOOR_TRADES: "the floor's VWAP window has no book trades to compute it from",
    Reason.BELOW_FLOOR: "bid price is below the auction's floor price",
    Reason.AUCTION_NOT_OPEN: "bids are accepted only between the auction's opening and close",
    Reason.NOT_ELIGIBLE: "this account is not eligible to bid in this auction",
    Reason.OVER_CAP: (
        "the bid, with the bidder's other bids, is over its cap or its control group's"
    ),
    Reason.BIDS_IRREVOCABLE: "bids in this auction are irrevocable: no amend or withdrawal",
    Reason.AUCTION_NOT_CLOSED: "the auction clears at its close, not before",
    Reason.AUCTION_CLEARED: "the auction is cleared already",
    Reason.AUCTION_SETTLED: "the auction is settled: it can no longer be cancelled",
    Reason.AUCTION_CANCELLED: "the auction was cancelled",
    Reason.SURRENDER_ONLY: "surrender-only tonnes can be surrendered, never sold, moved or pledged",
    Reason.COMMENT_REQUIRED: "a comment saying why is required (it goes into the audit)",
    Reason.BELOW_BLOCK_MINIMUM: (
        "block quantity is below the instrument's block minimum (100,000 t by default)"
    ),
    Reason.OUT_OF_BLOCK_BAND: "block price is outside the block band (reference price ±30 %)",
    Reason.BLOCK_SESSION_CLOSED: (
        "block trades are reported and accepted 13:00-15:00 Beijing time on trading days"
    ),
    Reason.UNKNOWN_COUNTERPARTY: "unknown counterparty account",
    Reason.SAME_CONTROL_GROUP: (
        "both accounts are in one control group (or are one account): that would be a wash trade"
    ),
    Reason.DUPLICATE_TRADE_REPORT_ID: "TradeReportID already used by your member today",
    Reason.UNKNOWN_BLOCK: "no block allegation with that id",
    Reason.OWN_ALLEGATION: "you reported this allegation: withdraw it instead",
    Reason.NOT_YOUR_BLOCK: "this allegation is not addressed to (or from) an account of yours",
    Reason.BLOCK_ALREADY_TRADED: "this allegation has already been accepted and traded",
    Reason.BLOCK_NOT_OPEN: "this allegation is no longer open",
    Reason.BAD_BLOCK_REPORT: (
        "malformed block report: it needs TrdType 1, TradeReportType 0 (submit), 2 (accept), "
        "3 (decline) or 6 (cancel), and its sides"
    ),
    Reason.ALLEGATION_TO_OWN_ACCOUNT: "both accounts are your member's: report it as a cross",
}

# FIX TradeReportRejectReason (751) for each reason on a block report.
TRADE_REPORT_REJECT_REASON: dict[Reason, int] = {
    Reason.UNKNOWN_INSTRUMENT: 2,
    Reason.UNKNOWN_ACCOUNT: 1,
    Reason.UNKNOWN_COUNTERPARTY: 1,
    Reason.SAME_CONTROL_GROUP: 1,
    Reason.ALLEGATION_TO_OWN_ACCOUNT: 1,
    Reason.NOT_YOUR_BLOCK: 3,
    Reason.OWN_ALLEGATION: 3,
    Reason.BAD_BLOCK_REPORT: 4,
}


def ord_rej_reason(reason: int) -> int:
    """FIX OrdRejReason for a rejected order (99 = other)."""
    return ORD_REJ_REASON.get(Reason(reason), 99)


def cxl_rej_reason(reason: int) -> int:
    """FIX CxlRejReason for a rejected cancel or amend (99 = other)."""
    return CXL_REJ_REASON.get(Reason(reason), 99)


def trade_report_reject_reason(reason: int) -> int:
    """FIX TradeReportRejectReason for a refused block report (99 = other)."""
    return TRADE_REPORT_REJECT_REASON.get(Reason(reason), 99)
