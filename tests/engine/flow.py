"""Short builders for the commands the engine tests send, and ways to look at results."""

from engine.commands import AmendOrder, CancelOrder, NewOrder
from engine.events import Event
from engine.orders import OrderType, Side, TimeInForce
from tests.engine.conftest import OPEN

BUY, SELL = Side.BUY.value, Side.SELL.value
DAY, IOC, FOK = TimeInForce.DAY.value, TimeInForce.IOC.value, TimeInForce.FOK.value
SYMBOL = "TJEA25"  # reference price 50.00, band 45.00-55.00


def limit(
    account: str,
    client_order_id: str,
    side: int,
    price: int,
    quantity: int,
    time_in_force: int = DAY,
    instrument: str = SYMBOL,
    ts: int = OPEN,
) -> NewOrder:
    return NewOrder(
        ts,
        account,
        client_order_id,
        instrument,
        side,
        OrderType.LIMIT.value,
        time_in_force,
        price,
        quantity,
    )


def market(
    account: str,
    client_order_id: str,
    side: int,
    quantity: int,
    time_in_force: int = IOC,
    ts: int = OPEN,
) -> NewOrder:
    return NewOrder(
        ts,
        account,
        client_order_id,
        SYMBOL,
        side,
        OrderType.MARKET.value,
        time_in_force,
        0,
        quantity,
    )


def cancel(
    account: str, orig: str, client_order_id: str = "", order_id: int = 0, ts: int = OPEN
) -> CancelOrder:
    return CancelOrder(ts, account, client_order_id or f"x-{orig}", SYMBOL, orig, order_id)


def amend(
    account: str,
    orig: str,
    client_order_id: str,
    price: int,
    quantity: int,
    order_id: int = 0,
    ts: int = OPEN,
) -> AmendOrder:
    return AmendOrder(ts, account, client_order_id, SYMBOL, orig, price, quantity, order_id)


def kinds(events: list[Event]) -> list[str]:
    return [event.__struct_config__.tag for event in events]


def only(events: list[Event], kind: type) -> Event:
    found = [event for event in events if type(event) is kind]
    assert len(found) == 1, events
    return found[0]
