"""Each party's recent fills per instrument and side, for the detectors that ask whether
the party traded on the other side (spoofing, layering).

One record serves every detector with the same grouping (`acts_by`): the first to see a
trade records it, the others find it done (the trade's sequence number says so), so two
detectors cost one lookup of each side's party and one append per trade. Fills older than
the longest window any of them asked for are dropped as new ones come.
"""

from collections import deque

from engine.events import Trade
from engine.orders import Side
from surveillance.market_view import MarketView

Fill = tuple[int, int, str]  # ts, trade id, account


class PartyFills:
    def __init__(self, view: MarketView, acts_by: str):
        self.view = view
        self.acts_by = acts_by
        self.keep = 0
        self.seq = 0  # the latest trade recorded
        self.parties = ("", "")  # its buying and selling party
        # (party, instrument, side) -> the party's recent fills there, oldest first
        self.fills: dict[tuple[str, str, int], deque[Fill]] = {}

    @classmethod
    def of(cls, view: MarketView, acts_by: str, keep_ns: int) -> "PartyFills":
        """The record every detector of `view` grouping by `acts_by` shares."""
        shared = view.shared.setdefault(("party fills", acts_by), None)
        if shared is None:
            shared = view.shared[("party fills", acts_by)] = cls(view, acts_by)
        shared.keep = max(shared.keep, keep_ns)
        return shared

    def record(self, trade: Trade) -> tuple[str, str]:
        """The trade's buying and selling party, recording it once."""
        if trade.seq == self.seq:
            return self.parties
        self.seq = trade.seq
        view, fills, oldest = self.view, self.fills, trade.ts - self.keep
        parties = []
        for side, account, order_id in (
            (Side.BUY, trade.buy_account, trade.buy_order_id),
            (Side.SELL, trade.sell_account, trade.sell_order_id),
        ):
            order = view.orders.get(order_id)
            party = view.party(account, self.acts_by, order.session if order is not None else "")
            parties.append(party)
            key = (party, trade.instrument, side)
            recent = fills.get(key)
            if recent is None:
                recent = fills[key] = deque()
            recent.append((trade.ts, trade.trade_id, account))
            while recent[0][0] < oldest:
                recent.popleft()
        self.parties = (parties[0], parties[1])
        return self.parties

    def recent(self, party: str, instrument: str, side: int) -> deque[Fill] | tuple[()]:
        return self.fills.get((party, instrument, side), ())

    def forget_instrument(self, instrument: str) -> None:
        for key in [key for key in self.fills if key[1] == instrument]:
            del self.fills[key]
