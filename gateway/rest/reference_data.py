"""Public, read-only REST: reference data anyone may read without logging in."""

from fastapi import APIRouter, HTTPException

from engine.money import format_cny
from engine.reference import Instrument, ReferenceData, price_band
from surveillance.http_responses import documented


def instrument_json(instrument: Instrument) -> dict:
    low, high = (
        price_band(instrument.reference_price, instrument.band_bps, instrument.tick)
        if instrument.reference_price
        else (0, 0)
    )
    return {
        "symbol": instrument.symbol,
        "name": instrument.name,
        "kind": instrument.kind,
        "vintage": instrument.vintage or None,
        "tick": format_cny(instrument.tick),
        "lot": instrument.lot,
        "max_order_quantity": instrument.max_order_quantity,
        "band_percent": instrument.band_bps / 100,
        "t_plus_one": instrument.t_plus_one,
        "reference_price": format_cny(instrument.reference_price) if low else None,
        "band": [format_cny(low), format_cny(high)] if low else None,
    }


def public_router(reference: ReferenceData) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["reference data"], responses=documented(404))

    @router.get("/instruments")
    async def instruments() -> list[dict]:
        """Listed instruments with tick, lot, maximum order and the shipped reference band."""
        return [instrument_json(i) for i in reference.instruments.values()]

    @router.get("/instruments/{symbol}")
    async def instrument(symbol: str) -> dict:
        found = reference.instruments.get(symbol)
        if found is None:
            raise HTTPException(404, {"reason": "unknown_instrument", "text": f"no {symbol!r}"})
        return instrument_json(found)

    @router.get("/calendar")
    async def calendar() -> dict:
        cal = reference.calendar
        return {
            "timezone": cal.timezone,
            "sessions": [[s.isoformat("minutes"), e.isoformat("minutes")] for s, e in cal.sessions],
            "holidays": sorted(day.isoformat() for day in cal.holidays),
        }

    return router
