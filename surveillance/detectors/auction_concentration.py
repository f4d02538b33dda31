"""Auction concentration: one control group wins more than `concentration_percent` of a
government auction's volume sold (default 30 %), which a cap per group is there to stop
and a group split across accounts, or members acting together, can get round.

The allotments are summed by control group as the engine reports them (`BidAllotted`);
when the auction is cleared the shares are tested, one alert per group over the share.
"""

from collections.abc import Sequence

from engine.auctions import AuctionState
from engine.events import AuctionCleared, AuctionStatus, BidAllotted, Event
from surveillance.alert import Alert, raise_alert
from surveillance.detector import NO_ALERTS
from surveillance.market_view import MarketView
from surveillance.parameters import AuctionConcentration, label

PATTERN = "auction_concentration"


class AuctionConcentrationDetector:
    pattern = PATTERN
    events = (AuctionCleared, BidAllotted, AuctionStatus)

    def __init__(self, view: MarketView, parameters: AuctionConcentration):
        self.view = view
        self.parameters = parameters
        self.cleared: dict[str, AuctionCleared] = {}
        self.won: dict[str, dict[str, dict[str, int]]] = {}  # auction -> group -> account -> t

    def on_event(self, event: Event) -> Sequence[Alert]:
        if type(event) is AuctionCleared:
            self.cleared[event.auction_id] = event
            self.won[event.auction_id] = {}
        elif type(event) is BidAllotted:
            if event.quantity and event.auction_id in self.won:
                by_account = self.won[event.auction_id].setdefault(
                    self.view.group(event.account), {}
                )
                by_account[event.account] = by_account.get(event.account, 0) + event.quantity
        elif event.state == AuctionState.CLEARED and event.auction_id in self.cleared:
            return self._test(self.cleared.pop(event.auction_id), self.won.pop(event.auction_id))
        return NO_ALERTS

    def _test(self, cleared: AuctionCleared, won: dict[str, dict[str, int]]) -> list[Alert]:
        if not cleared.volume_sold:
            return []
        alerts = []
        threshold = self.parameters.concentration_percent
        for group, by_account in sorted(won.items()):
            tonnes = sum(by_account.values())
            share = 100 * tonnes / cleared.volume_sold
            if share <= threshold:
                continue
            alerts.append(
                raise_alert(
                    pattern=PATTERN,
                    score=50 + 50 * (share - threshold) / (100 - threshold),
                    instrument=cleared.instrument,
                    accounts=tuple(by_account),
                    control_group=group if group not in by_account else "",
                    window_start=cleared.ts,
                    window_end=cleared.ts,
                    evidence={
                        "auction_id": cleared.auction_id,
                        "won_tonnes": tonnes,
                        "by_account": " ".join(f"{a}={t}" for a, t in sorted(by_account.items())),
                        "volume_sold": cleared.volume_sold,
                        "share_percent": round(share, 2),
                        "threshold_percent": threshold,
                        "clearing_price_fen": cleared.price,
                        "parameters": label(PATTERN, self.parameters),
                    },
                    reason=(
                        f"{', '.join(sorted(by_account))} (one control group) won {tonnes:,} t, "
                        f"{share:.1f}% of the {cleared.volume_sold:,} t sold in auction "
                        f"{cleared.auction_id}: above {threshold:g}%."
                    ),
                )
            )
        return alerts

    def on_day_end(self, trading_date: str) -> Sequence[Alert]:
        return NO_ALERTS
