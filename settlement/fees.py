"""Commission: basis points of a trade's turnover, charged on each side.

Rounding: the fee of one trade on one side is floor(turnover x bps / 10,000) fen, rounded
down in the member's favour. Floor is chosen because it is subadditive: the fees of any
split of an order into fills never exceed the fee on the whole order at its limit, so the
cash a buy reserves at entry always covers what its fills will charge. Buyer and seller pay
the same fee (same turnover); the exchange's fee account receives both, to the fen.
"""

BPS_PER_UNIT = 10_000


def commission(turnover: int, bps: int) -> int:
    """One side's fee in fen on `turnover` fen."""
    return turnover * bps // BPS_PER_UNIT


def buy_cost(quantity: int, price: int, bps: int) -> int:
    """What a buy of `quantity` at `price` can cost at most: turnover plus its fee."""
    turnover = quantity * price
    return turnover + turnover * bps // BPS_PER_UNIT
