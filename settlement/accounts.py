"""An account's state as the pre-trade holds see it: cash and tonnes in their states.

The states are disjoint, so an account's tonnes of one instrument are
available + held + bought_today + pledged + frozen + surrender_only, and its cash is one
balance of which `cash_held` is reserved for open buys and `proceeds_today` is not yet withdrawable.
"""

from engine.orders import AccountKind
from engine.reference import MarketRules

# Account ids starting with this are the registry's own owners (@bank, @fees, ...).
SYSTEM_PREFIX = "@"

# Instrument.kind values; the position limit applies to each class separately.
INSTRUMENT_CLASSES = ("allowance", "offset")


class Holding:
    """Tonnes of one instrument in one account."""

    __slots__ = ("available", "bought_today", "frozen", "held", "pledged", "surrender_only")

    def __init__(
        self,
        available: int = 0,
        held: int = 0,
        bought_today: int = 0,
        pledged: int = 0,
        frozen: int = 0,
        surrender_only: int = 0,
    ):
        self.available = available  # tradable and not reserved
        self.held = held  # reserved for open sell orders
        self.bought_today = bought_today  # tradable from the next trading day (T+1)
        self.pledged = pledged
        self.frozen = frozen
        self.surrender_only = surrender_only  # auctioned to be surrendered, never traded

    @property
    def total(self) -> int:
        return (
            self.available
            + self.held
            + self.bought_today
            + self.pledged
            + self.frozen
            + self.surrender_only
        )

    def as_list(self) -> list[int]:
        return [
            self.available,
            self.held,
            self.bought_today,
            self.pledged,
            self.frozen,
            self.surrender_only,
        ]


class Account:
    """One trading account: its limit, cash and holdings per instrument.

    `position` is the tonnes held per instrument class and `pending_buys` the open buy
    quantity per class, both lists indexed like INSTRUMENT_CLASSES (a list index is the
    cheapest lookup on the hot path): the position limit bounds their sum.
    """

    __slots__ = (
        "allocation",
        "cash",
        "cash_held",
        "holdings",
        "kind",
        "limit",
        "pending_buys",
        "position",
        "proceeds_today",
    )

    def __init__(self, kind: int, allocation: int, limit: int):
        self.kind = kind
        self.allocation = allocation
        self.limit = limit
        self.cash = 0
        self.cash_held = 0
        self.proceeds_today = 0
        self.holdings: dict[str, Holding] = {}
        self.position = [0] * len(INSTRUMENT_CLASSES)
        self.pending_buys = [0] * len(INSTRUMENT_CLASSES)

    @property
    def available_cash(self) -> int:
        """Cash a new buy may reserve (sale proceeds included at once)."""
        return self.cash - self.cash_held

    @property
    def withdrawable(self) -> int:
        """Cash that may leave the exchange: not reserved, and not today's sale proceeds
        (they are counted as the last cash to be spent, so they withdraw next day)."""
        return max(0, self.cash - self.cash_held - self.proceeds_today)


def position_limit(kind: int, allocation: int, rules: MarketRules) -> int:
    """Tonnes an account may hold per instrument class (market-rules.md, Beijing model)."""
    if kind == AccountKind.COMPLIANCE:
        return allocation + rules.compliance_position_extra
    return rules.investor_position_limit
