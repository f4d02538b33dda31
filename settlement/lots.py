"""Acquisition lots: the lineage of every tonne an account holds.

A lot is tonnes of one instrument in one account and state (available, pledged, frozen)
that arrived together: its `source` (free allocation, auction, bought, transferred in) and
the seq of the event that brought them. The lots of an (account, instrument, state) always
add up to its balance. The move to the national market (item 24) needs them: it cancels
exactly the free-allocated tonnes an entity still holds.

THE consumption order, used by every movement that takes tonnes out of a state (a sale,
a transfer or surrender, a claw-back, a pledge, a freeze, an enforcement): oldest lot
first (lowest acquired seq), ties by source name. A movement between states keeps each
lot's source and seq. Only the national-market freeze chooses by source: it takes the
free-allocation lots, oldest first (and, should they no longer cover it, the rest in the
order above). Tonnes held before the registry kept lots (migration 002) are one lot of
source `opening` at seq 0, the oldest of all. Surrendered lots are kept under the surrender
account with the surrender's reference as their tag, so a reversal restores their lineage.
"""

from engine.events import BidAllotted, HoldingMoved, Trade
from engine.orders import HoldingMovementKind

FREE_ALLOCATION = "free_allocation"
AUCTION = "auction"
BOUGHT = "bought"
TRANSFERRED_IN = "transferred_in"
OPENING = "opening"
SURRENDERED = "@surrendered"
# A reversal's reference is this prefix + the reversed surrender's reference.
REVERSAL_PREFIX = "reverse:"

# The source of tonnes entering an account from outside it, by posting kind.
SOURCE_OF = {
    "allocate": FREE_ALLOCATION,
    "auction": AUCTION,
    "trade": BOUGHT,
    "transfer_in": TRANSFERRED_IN,
    "enforce_receive": TRANSFERRED_IN,
}

Group = tuple[str, str, str, str]  # (owner, instrument, state, tag)
Lot = tuple[int, str]  # (acquired seq, source)
LotRow = tuple[str, str, str, str, int, str, int]  # group + lot + quantity


class LotError(ValueError):
    """The lots of a state do not cover a movement its balance covered: the lineage and
    the balances disagree, which the registry must never book over."""


class Lots:
    """The lots one batch touches, pre-loaded by the ledger; `rows()` gives what changed."""

    __slots__ = ("_groups", "_touched")

    def __init__(self, rows: list[LotRow]):
        self._groups: dict[Group, dict[Lot, int]] = {}
        for owner, instrument, state, tag, seq, source, quantity in rows:
            if quantity:
                self._groups.setdefault((owner, instrument, state, tag), {})[(seq, source)] = (
                    quantity
                )
        self._touched: set[tuple[Group, Lot]] = set()

    def trade(self, trade: Trade, state: str) -> None:
        self._take((trade.sell_account, trade.instrument, state, ""), trade.quantity)
        self._add(
            (trade.buy_account, trade.instrument, state, ""), (trade.seq, BOUGHT), trade.quantity
        )

    def allotment(self, event: BidAllotted, from_state: str, to_state: str) -> None:
        """An auction allotment: from the auction account's lots to one lot of source
        auction in the winner's `to_state` (available, or surrender_only)."""
        self._take((event.seller, event.instrument, from_state, ""), event.quantity)
        self._add(
            (event.account, event.instrument, to_state, ""), (event.seq, AUCTION), event.quantity
        )

    def holding(
        self, event: HoldingMoved, kind: str, source: tuple[str, str], target: tuple[str, str]
    ) -> None:
        """One registry operation from (owner, state) `source` to `target`."""
        instrument, quantity = event.instrument, event.quantity
        from_account = not source[0].startswith("@")
        to_account = not target[0].startswith("@")
        if from_account:
            only = (
                FREE_ALLOCATION
                if event.kind == HoldingMovementKind.FREEZE_FREE_ALLOCATION
                else None
            )
            taken = self._take((source[0], instrument, source[1], ""), quantity, only)
        else:
            taken = []
            if source[0] == SURRENDERED:  # the reversed surrender's own lots, if named
                tag = event.reference.removeprefix(REVERSAL_PREFIX)
                group = (SURRENDERED, instrument, source[1], tag)
                available = sum(self._groups.get(group, {}).values())
                taken = self._take(group, min(quantity, available))
                quantity -= min(quantity, available)
            if quantity:
                taken.append(((event.seq, SOURCE_OF.get(kind, TRANSFERRED_IN)), quantity))
        if to_account:
            group = (target[0], instrument, target[1], "")
        elif target[0] == SURRENDERED:
            group = (SURRENDERED, instrument, target[1], event.reference)
        else:
            return  # retired or returned: the lineage ends here
        for lot, amount in taken:
            self._add(group, lot, amount)

    def free_allocation(self, owner: str, instrument: str, state: str) -> int:
        return sum(
            quantity
            for (_, source), quantity in self._groups.get(
                (owner, instrument, state, ""), {}
            ).items()
            if source == FREE_ALLOCATION
        )

    def rows(self) -> list[LotRow]:
        return [
            (*group, *lot, self._groups.get(group, {}).get(lot, 0))
            for group, lot in sorted(self._touched)
        ]

    def _add(self, group: Group, lot: Lot, quantity: int) -> None:
        lots = self._groups.setdefault(group, {})
        lots[lot] = lots.get(lot, 0) + quantity
        self._touched.add((group, lot))

    def _take(self, group: Group, quantity: int, only: str | None = None) -> list[tuple[Lot, int]]:
        """Consumes `quantity` from the group in THE consumption order."""
        lots = self._groups.get(group, {})
        taken = []
        preferred = sorted(lots, key=lambda lot: (lot[1] != only, lot)) if only else sorted(lots)
        for lot in preferred:
            if quantity == 0:
                break
            amount = min(quantity, lots[lot])
            if not amount:
                continue
            lots[lot] -= amount
            quantity -= amount
            self._touched.add((group, lot))
            taken.append((lot, amount))
        if quantity:
            raise LotError(f"lots of {group} are {quantity} t short of the movement")
        return taken
