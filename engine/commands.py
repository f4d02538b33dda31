"""Commands: everything that can change the exchange's state, as the sequencer receives it.

A command carries its own time (`ts`, nanoseconds since the Unix epoch, UTC): the
sequencer never reads a clock, so replaying the journal reproduces the same state.
Prices are in fen (0.01 CNY, the tick), quantities in tonnes, money in fen.

The journal and the stream carry commands as msgpack arrays ([tag, field, ...]), which
`encode_command` / `decode_command` produce.
"""

import msgspec


class Command(msgspec.Struct, tag_field="t", array_like=True, gc=False):
    ts: int


class NewOrder(Command, tag="N"):
    account: str
    client_order_id: str
    instrument: str
    side: int  # orders.Side
    order_type: int  # orders.OrderType
    time_in_force: int  # orders.TimeInForce
    price: int  # fen; ignored for market orders
    quantity: int  # tonnes
    session: str = ""  # the member's session that sent it (surveillance: who acts)


class CancelOrder(Command, tag="C"):
    account: str
    client_order_id: str  # this request's id
    instrument: str
    orig_client_order_id: str  # the order's current client id ...
    order_id: int = 0  # ... or the exchange's order id when non-zero
    session: str = ""


class AmendOrder(Command, tag="A"):
    """Cancel/replace. `quantity` is the new total order quantity (FIX OrderQty), filled
    part included; lowering it keeps time priority, a price change or an increase loses it."""

    account: str
    client_order_id: str  # becomes the order's client id
    instrument: str
    orig_client_order_id: str
    price: int
    quantity: int
    order_id: int = 0
    session: str = ""


class MassCancel(Command, tag="M"):
    client_order_id: str
    scope: int  # orders.MassCancelScope
    account: str = ""  # the requesting account (ACCOUNT scope) ...
    member: str = ""  # ... or member (MEMBER scope)
    instrument: str = ""  # INSTRUMENT scope, or a filter on the others when not empty


class Halt(Command, tag="H"):
    instrument: str  # "" halts the whole market
    actor: str
    reason: str


class Resume(Command, tag="R"):
    instrument: str  # "" resumes the whole market
    actor: str
    reason: str


class SetReferencePrice(Command, tag="P"):
    """A supervisor sets a listed instrument's reference price (its first one, or a reset)."""

    instrument: str
    price: int
    actor: str


class EndOfDay(Command, tag="E"):
    """Closes `trading_date`: expires day orders, fixes closing prices, rolls bands and
    makes tonnes bought today tradable (T+1) and sale proceeds withdrawable."""

    trading_date: str  # YYYY-MM-DD


class OpenAccount(Command, tag="O"):
    account: str
    member: str
    kind: int  # orders.AccountKind
    control_group: str  # "" for none; accounts with one beneficial owner share it
    allocation: int  # tonnes of this year's allocation (position limits); 0 for investors
    actor: str


class SetControlGroup(Command, tag="G"):
    account: str
    control_group: str
    actor: str


class MoveCash(Command, tag="$"):
    account: str
    amount: int  # fen, > 0
    kind: int  # orders.CashMovementKind
    reference: str  # unique per movement: a second use is refused
    actor: str


class MoveHolding(Command, tag="T"):
    account: str
    instrument: str
    quantity: int  # tonnes, > 0
    kind: int  # orders.HoldingMovementKind
    reference: str  # unique per movement: a second use is refused
    actor: str


class RestrictAccount(Command, tag="XR"):
    """A supervisor restricts an account (engine/restrictions.py) with a reason."""

    account: str
    mode: int  # restrictions.Mode
    until: int  # ns since the epoch, UTC; 0 = until lifted
    reason: str
    reference: str  # unique per restriction; lifting names it
    actor: str


class LiftRestriction(Command, tag="XL"):
    account: str
    reference: str  # the restriction's
    reason: str
    actor: str


class CreateAuction(Command, tag="AC"):
    """A supervisor (the authority's operator) creates a government allowance auction
    (carbon-lifecycle.md §2). Times are ns since the epoch; caps in basis points are of
    the previous year's verified emissions (entities) and of the volume (groups)."""

    auction_id: str
    instrument: str
    seller: str  # the government auction account the tonnes come from
    volume: int  # tonnes, whole lots
    lot: int  # tonnes
    floor_price: int  # fen: the floor itself (fixed rule) or 0 for the VWAP rule
    floor_factor_bp: int  # the VWAP rule: floor = factor x VWAP (10,000 = 1.0); 0 if fixed
    floor_window_from: str  # YYYY-MM-DD, first trading day of the VWAP window
    floor_window_to: str  # YYYY-MM-DD, last trading day of the VWAP window
    announce_at: int
    open_at: int
    close_at: int
    results_at: int  # the second step of the results (bid volume, cover ratio, HHI, ...)
    eligibility: int  # auctions.Eligibility flags
    entity_cap_bp: int  # 0 for none
    investor_cap: int  # tonnes, 0 for none
    group_cap_bp: int  # 0 for none
    tie_rule: int  # auction_clearing.TieRule
    undersubscription: int  # auction_clearing.Undersubscription
    surrender_only: bool
    irrevocable: bool
    # account, previous year's verified emissions (t), shortfall (t): the entities' data
    # from the registry's compliance year, as the authority publishes it for the auction
    entities: list[tuple[str, int, int]]
    actor: str
    comment: str


class CancelAuction(Command, tag="AX"):
    auction_id: str
    actor: str
    comment: str


class ClearAuction(Command, tag="AK"):
    """Clears a closed auction now; the clock clears it at the close anyway, so this is
    for a supervisor who wants it said, and is refused once cleared."""

    auction_id: str
    actor: str


class AuctionClock(Command, tag="AT"):
    """The engine service's clock: moves auctions whose announcement, opening, close or
    results time has come (journaled, so replay moves them at the same point)."""


class PlaceBid(Command, tag="AB"):
    auction_id: str
    account: str
    client_bid_id: str
    price: int  # fen
    quantity: int  # tonnes


class AmendBid(Command, tag="AA"):
    auction_id: str
    account: str
    client_bid_id: str  # becomes the bid's client id
    orig_client_bid_id: str
    price: int
    quantity: int
    bid_number: int = 0  # the exchange's bid number, when non-zero


class WithdrawBid(Command, tag="AW"):
    auction_id: str
    account: str
    client_bid_id: str  # this request's id
    orig_client_bid_id: str
    bid_number: int = 0


AnyCommand = (
    NewOrder
    | CancelOrder
    | AmendOrder
    | MassCancel
    | Halt
    | Resume
    | SetReferencePrice
    | EndOfDay
    | OpenAccount
    | SetControlGroup
    | MoveCash
    | MoveHolding
    | RestrictAccount
    | LiftRestriction
    | CreateAuction
    | CancelAuction
    | ClearAuction
    | AuctionClock
    | PlaceBid
    | AmendBid
    | WithdrawBid
)

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(AnyCommand)

encode_command = _encoder.encode
decode_command = _decoder.decode
