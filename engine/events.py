"""Events: what the sequencer says happened, the one vocabulary every consumer reads.

Each event carries `seq`, the global sequence number the sequencer stamps on it (strictly
increasing, no gaps), and `ts`, the time of the command that caused it. Consumers store
the last `seq` they applied in the same transaction as its effects, so a redelivered event
changes nothing. `SCHEMA_VERSION` is bumped on any incompatible change; the stream
carries it beside each batch. A field appended with a default is compatible both ways
(msgpack arrays: an older journal lacks it and decodes to the default, an older reader
ignores it), so `session` on the order events did not bump it.

Prices in fen, quantities in tonnes, money in fen (see commands.py).
"""

import msgspec

SCHEMA_VERSION = 1


class Event(msgspec.Struct, tag_field="t", array_like=True, gc=False):
    seq: int
    ts: int


class OrderAccepted(Event, tag="accepted"):
    order_id: int
    account: str
    client_order_id: str
    instrument: str
    side: int
    order_type: int
    time_in_force: int
    price: int  # the limit; a market order's is the band edge it is limited at
    quantity: int
    session: str = ""  # the member session that sent the order ("" before sessions were kept)


class OrderRejected(Event, tag="rejected"):
    account: str
    client_order_id: str
    instrument: str
    side: int
    price: int
    quantity: int
    reason: int  # reasons.Reason
    text: str
    session: str = ""


class Trade(Event, tag="trade"):
    """One fill between a resting and an incoming order, at the resting order's price."""

    trade_id: int
    instrument: str
    price: int
    quantity: int
    aggressor_side: int  # the incoming order's side
    buy_order_id: int
    buy_account: str
    buy_client_order_id: str
    buy_leaves: int  # the buy order's open quantity after this fill
    sell_order_id: int
    sell_account: str
    sell_client_order_id: str
    sell_leaves: int


class OrderCancelled(Event, tag="cancelled"):
    order_id: int
    account: str
    client_order_id: str  # the order's own client id
    instrument: str
    side: int
    price: int
    cancelled_quantity: int  # the open quantity that left the book
    filled_quantity: int  # what had traded before
    cause: int  # orders.CancelCause
    request_id: str = ""  # the cancel / mass-cancel request's client id, when there was one
    session: str = ""  # the session that asked for the cancel; "" for the system's


class OrderAmended(Event, tag="amended"):
    order_id: int
    account: str
    client_order_id: str  # the new client id
    orig_client_order_id: str
    instrument: str
    side: int
    price: int
    quantity: int  # new total order quantity
    leaves: int  # open quantity after the amend
    priority_kept: bool
    session: str = ""


class CancelRejected(Event, tag="cancel_rejected"):
    account: str
    client_order_id: str
    orig_client_order_id: str
    instrument: str
    is_amend: bool
    reason: int
    text: str
    order_id: int = 0  # when the order is known
    session: str = ""


class MassCancelDone(Event, tag="mass_cancelled"):
    client_order_id: str
    scope: int
    account: str
    member: str
    instrument: str
    cancelled: int  # how many orders it cancelled (each also has an OrderCancelled)
    reason: int = 0  # non-zero when the request was refused
    text: str = ""


class TradingStatus(Event, tag="status"):
    instrument: str  # "" for the whole market
    halted: bool
    actor: str
    reason: str


class ReferencePriceSet(Event, tag="reference"):
    instrument: str
    reference_price: int
    band_low: int
    band_high: int
    actor: str


class DayClosed(Event, tag="day_closed"):
    """One per instrument at the end of a trading day."""

    trading_date: str
    instrument: str
    open_price: int  # 0 when nothing traded on the book
    high_price: int
    low_price: int
    close_price: int  # VWAP of the day's book trades, or the carried-over close
    carried_over: bool
    volume: int
    turnover: int  # fen
    expired_orders: int
    next_reference: int
    next_band_low: int
    next_band_high: int


class AccountOpened(Event, tag="account"):
    account: str
    member: str
    kind: int
    control_group: str
    allocation: int
    actor: str


class ControlGroupSet(Event, tag="control_group"):
    account: str
    control_group: str
    actor: str


class CashMoved(Event, tag="cash"):
    account: str
    amount: int
    kind: int
    reference: str
    actor: str


class HoldingMoved(Event, tag="holding"):
    account: str
    instrument: str
    quantity: int
    kind: int
    reference: str
    actor: str


class CommandRejected(Event, tag="command_rejected"):
    """An administrative command (account, cash, holding, halt, reference) that was refused."""

    command: str  # the command's tag
    account: str
    reference: str
    actor: str
    reason: int
    text: str


class AccountRestricted(Event, tag="restricted"):
    account: str
    mode: int  # restrictions.Mode
    until: int  # ns, 0 = until lifted
    reason: str
    reference: str
    actor: str


class RestrictionLifted(Event, tag="restriction_lifted"):
    account: str
    mode: int  # the lifted restriction's
    reason: str  # why it was lifted
    reference: str
    actor: str


class AuctionCreated(Event, tag="auction"):
    """Every parameter of a new auction, with the floor and the inputs it came from."""

    auction_id: str
    instrument: str
    seller: str
    volume: int
    lot: int
    floor_price: int  # the floor in force
    floor_factor_bp: int
    floor_window_from: str
    floor_window_to: str
    floor_days: int  # trading days in the window that had book trades
    floor_volume: int  # tonnes traded on the book in the window
    floor_turnover: int  # fen
    announce_at: int
    open_at: int
    close_at: int
    results_at: int
    eligibility: int
    entity_cap_bp: int
    investor_cap: int
    group_cap_bp: int
    tie_rule: int
    undersubscription: int
    surrender_only: bool
    irrevocable: bool
    actor: str
    comment: str
    entities: list[tuple[str, int, int]]  # account, verified emissions, shortfall (tonnes)


class AuctionStatus(Event, tag="auction_status"):
    """An auction moved to `state` (auctions.AuctionState): by the clock, or a supervisor."""

    auction_id: str
    state: int
    actor: str
    comment: str


class BidAccepted(Event, tag="bid"):
    auction_id: str
    bid_number: int
    account: str
    client_bid_id: str
    price: int
    quantity: int


class BidRejected(Event, tag="bid_rejected"):
    auction_id: str
    account: str
    client_bid_id: str
    price: int
    quantity: int
    reason: int
    text: str


class BidAmended(Event, tag="bid_amended"):
    auction_id: str
    bid_number: int
    account: str
    client_bid_id: str
    orig_client_bid_id: str
    price: int
    quantity: int


class BidWithdrawn(Event, tag="bid_withdrawn"):
    """A bid left the auction: withdrawn by its bidder, or the auction was cancelled."""

    auction_id: str
    bid_number: int
    account: str
    client_bid_id: str
    price: int
    quantity: int
    request_id: str  # the withdrawal's client id; "" when the auction was cancelled


class BidChangeRejected(Event, tag="bid_change_rejected"):
    auction_id: str
    account: str
    client_bid_id: str
    orig_client_bid_id: str
    is_amend: bool
    reason: int
    text: str
    bid_number: int = 0


class AuctionCleared(Event, tag="auction_cleared"):
    """The first step of the results: at once, the clearing price and the volume sold."""

    auction_id: str
    instrument: str
    price: int  # the uniform price; 0 when nothing was sold
    volume_sold: int
    cancelled: bool  # undersubscribed under the cancel rule: nothing allotted


class BidAllotted(Event, tag="allotment"):
    """One bid's outcome at clearing (quantity 0: it won nothing). A winning one is a DvP
    delivery from the auction account, booked by settlement exactly once (by `seq`)."""

    auction_id: str
    bid_number: int
    account: str
    client_bid_id: str
    instrument: str
    seller: str
    price: int  # the clearing price paid
    quantity: int  # tonnes allotted
    bid_price: int
    bid_quantity: int
    surrender_only: bool


class AuctionResults(Event, tag="auction_results"):
    """The second step of the results (EU Art. 61)."""

    auction_id: str
    volume: int
    price: int
    volume_sold: int
    bid_volume: int
    cover_ratio_bp: int  # bid volume / volume offered, in basis points
    bidders: int
    winners: int
    revenue: int  # fen
    compliance_volume: int  # tonnes won by compliance entities
    investor_volume: int  # ... and by investors
    min_bid: int
    max_bid: int
    mean_bid: int  # quantity-weighted, fen
    hhi: int  # concentration of the volume won by control group, 0-10,000


AnyEvent = (
    OrderAccepted
    | OrderRejected
    | Trade
    | OrderCancelled
    | OrderAmended
    | CancelRejected
    | MassCancelDone
    | TradingStatus
    | ReferencePriceSet
    | DayClosed
    | AccountOpened
    | ControlGroupSet
    | CashMoved
    | HoldingMoved
    | CommandRejected
    | AccountRestricted
    | RestrictionLifted
    | AuctionCreated
    | AuctionStatus
    | BidAccepted
    | BidRejected
    | BidAmended
    | BidWithdrawn
    | BidChangeRejected
    | AuctionCleared
    | BidAllotted
    | AuctionResults
)

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(AnyEvent)
_list_decoder = msgspec.msgpack.Decoder(list[AnyEvent])
_json_encoder = msgspec.json.Encoder()

encode_event = _encoder.encode
decode_event = _decoder.decode
decode_events = _list_decoder.decode


def event_to_json(event: Event) -> bytes:
    """The edge encoding (dashboard, public feed): an object with field names."""
    return _json_encoder.encode(
        msgspec.structs.asdict(event) | {"type": event.__struct_config__.tag}
    )
