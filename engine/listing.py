"""An instrument as the sequencer trades it today: its book, reference price and band,
halt flag, and the day's book statistics that the close and DayClosed are made of."""

from engine.book import Book
from engine.order import Order
from engine.orders import Side
from engine.reference import Instrument, price_band


class Listing:
    __slots__ = (
        "band_high",
        "band_low",
        "book",
        "halted",
        "high",
        "instrument",
        "low",
        "open",
        "reference_price",
        "turnover",
        "volume",
    )

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.halted = False
        self._set_band(instrument.reference_price)
        self.book = self._book_around([])
        self.start_day()

    def set_reference_price(self, price: int, resting: list[Order]) -> None:
        """A new reference price and band; the book is rebuilt around `resting`, which
        keep their order (the caller passes them in priority order). The old book is
        cleared first, so its orders can rest on the new one or, if not passed in, be
        freed (orders are not tracked by the garbage collector: engine/order.py)."""
        self.book.clear()
        self._set_band(price)
        self.book = self._book_around(resting)

    def _set_band(self, price: int) -> None:
        instrument = self.instrument
        self.reference_price = price
        self.band_low, self.band_high = price_band(price, instrument.band_bps, instrument.tick)

    def _book_around(self, resting: list[Order]) -> Book:
        """A book wide enough for the band and for every order in `resting`, holding them."""
        prices = [order.price for order in resting]
        book = Book(
            min([self.band_low, *prices]), max([self.band_high, *prices]), self.instrument.tick
        )
        for order in resting:
            book.add(order)
        return book

    def resting(self) -> list[Order]:
        """Every resting order, bids then asks, each in priority order."""
        return self.book.orders(Side.BUY) + self.book.orders(Side.SELL)

    def start_day(self) -> None:
        self.open = self.high = self.low = 0
        self.volume = self.turnover = 0

    def record_trade(self, price: int, quantity: int) -> None:
        if not self.volume:
            self.open = self.high = self.low = price
        elif price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.volume += quantity
        self.turnover += price * quantity
