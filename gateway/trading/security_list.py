"""SecurityListRequest (x) -> SecurityList (y): the listed instruments and their rules.

Each instrument is one NoRelatedSym (146) entry with FIX 4.4's own fields: Symbol (55),
SecurityDesc (107), Product (460) = 2 commodity, Currency (15) = CNY, RoundLot (561) and
MinTradeVol (562) = the lot. FIX 4.4 has no fields for the tick, the order size limit or
the price band (MinPriceIncrement and the price limits came in FIX 5.0, and unknown tags
inside a repeating group break strict FIX 4.4 parsers), so they go in the entry's Text
(58) as `key=value` words a program can split:

    tick=0.01 lot=1 max_qty=99999 ref=50.00 band=45.00-55.00

The band follows the day: `apply` takes the engine's ReferencePriceSet and DayClosed
events, so the list shows today's band and not the file's. An instrument with government
auctions announced lists them as one more word, `auctions=ID,ID` (their schedule and
state come as TradingSessionStatus, gateway/trading/auction_reports.py).
"""

from dataclasses import replace

from engine import events
from engine.money import format_cny
from engine.reference import Instrument, ReferenceData, price_band
from gateway.trading.app_messages import AppMessage, Body, Fields
from gateway.trading.tags import Tag

COMMODITY = "2"
# SecurityListRequestType (559) and SecurityRequestResult (560) values.
ONE_SYMBOL, ALL_SECURITIES = "0", "4"
VALID, INVALID_REQUEST, NO_INSTRUMENTS = "0", "1", "2"


class SecurityList:
    def __init__(self, reference: ReferenceData):
        self.instruments: dict[str, Instrument] = dict(reference.instruments)
        self.auctions: dict[str, list[str]] = {}  # instrument -> auction ids

    def apply(self, event: events.Event) -> None:
        match event:
            case events.ReferencePriceSet(instrument=symbol, reference_price=price):
                self._set_reference(symbol, price)
            case events.DayClosed(instrument=symbol, next_reference=price):
                self._set_reference(symbol, price)
            case events.AuctionCreated(instrument=symbol, auction_id=auction_id):
                self.auctions.setdefault(symbol, []).append(auction_id)

    def _set_reference(self, symbol: str, price: int) -> None:
        instrument = self.instruments.get(symbol)
        if instrument is not None:
            self.instruments[symbol] = replace(instrument, reference_price=price)

    def answer(self, fields: Fields) -> AppMessage:
        body = Body(fields)
        request_id = body.get(Tag.SecurityReqID)
        request_type = body.get(Tag.SecurityListRequestType)
        if request_type == ALL_SECURITIES:
            listed = sorted(self.instruments)
        elif request_type == ONE_SYMBOL:  # 0 with a Symbol (55); other request types are refused
            symbol = body.get(Tag.Symbol)
            if not symbol:
                return _refusal(request_id, INVALID_REQUEST)
            if symbol not in self.instruments:
                return _refusal(request_id, NO_INSTRUMENTS)
            listed = [symbol]
        else:
            return _refusal(request_id, INVALID_REQUEST)
        fields = [
            *_header(request_id, VALID),
            (Tag.TotNoRelatedSym, str(len(listed))),
            (Tag.LastFragment, "Y"),
            (Tag.NoRelatedSym, str(len(listed))),
        ]
        for symbol in listed:
            fields += _entry(self.instruments[symbol], self.auctions.get(symbol, []))
        return AppMessage("y", fields)


def rules_text(instrument: Instrument) -> str:
    words = [
        f"tick={format_cny(instrument.tick)}",
        f"lot={instrument.lot}",
        f"max_qty={instrument.max_order_quantity}",
    ]
    if instrument.reference_price:
        low, high = price_band(instrument.reference_price, instrument.band_bps, instrument.tick)
        words += [
            f"ref={format_cny(instrument.reference_price)}",
            f"band={format_cny(low)}-{format_cny(high)}",
        ]
    else:
        words.append("ref=none")  # orders are refused until the supervisor sets one
    return " ".join(words)


def _entry(instrument: Instrument, auctions: list[str]) -> Fields:
    text = rules_text(instrument)
    if auctions:
        text += " auctions=" + ",".join(auctions)
    return [
        (Tag.Symbol, instrument.symbol),
        (Tag.Product, COMMODITY),
        (Tag.SecurityDesc, instrument.name),
        (Tag.Currency, "CNY"),
        (Tag.RoundLot, str(instrument.lot)),
        (Tag.MinTradeVol, str(instrument.lot)),
        (Tag.Text, text),
    ]


def _header(request_id: str, result: str) -> Fields:
    return [
        (Tag.SecurityReqID, request_id),
        (Tag.SecurityResponseID, f"SL-{request_id}"),
        (Tag.SecurityRequestResult, result),
    ]


def _refusal(request_id: str, result: str) -> AppMessage:
    """FIX 4.4's SecurityList has no Text outside its entries: the result code is the answer."""
    return AppMessage("y", _header(request_id, result))
