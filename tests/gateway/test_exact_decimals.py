"""A member's price or quantity is taken exactly as written or refused: never rounded to the
tick or truncated to a lot, whatever the number of digits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.money import parse_cny
from gateway.trading.order_entry import OrderEntry
from gateway.trading.order_views import OrderViews
from gateway.trading.tags import Tag
from tests.gateway.test_order_entry import DIRECTORY, M01, NEW_ORDER, TS, as_dict, fields


@pytest.mark.parametrize(
    ("changes", "reason", "text"),
    [
        ({"Price": "50.0000000000000000000000000001"}, 99, "the tick is 0.01 CNY"),
        ({"Price": "50.00" + "0" * 60 + "1"}, 99, "the tick is 0.01 CNY"),
        ({"Price": "+50"}, 99, "is not a decimal number"),
        ({"Price": "٥٠"}, 99, "is not a decimal number"),
        ({"OrderQty": "1.0000000000000000000000000001"}, 13, "whole number of tonnes (lot 1)"),
        ({"OrderQty": "1e2"}, 13, "is not a decimal number"),
        ({"OrderQty": "1.0"}, 13, "whole number of tonnes (lot 1), written as digits only"),
        ({"OrderQty": "10.00"}, 13, "whole number of tonnes (lot 1), written as digits only"),
        ({"OrderQty": "+5"}, 13, "is not a decimal number"),
        ({"OrderQty": "٣"}, 13, "is not a decimal number"),
        ({"OrderQty": "."}, 13, "is not a decimal number"),
    ],
)
def test_a_value_off_the_tick_or_lot_is_refused_not_rounded(changes, reason, text):
    reply = OrderEntry(DIRECTORY, OrderViews()).translate(
        M01, "D", fields(NEW_ORDER, **changes), TS
    )
    report = as_dict(reply)
    assert (report[Tag.ExecType], report[Tag.OrdRejReason]) == ("8", str(reason))
    assert text in report[Tag.Text]


@given(st.integers(-(10**17), 10**17), st.integers(0, 40))
def test_cny_text_is_read_exactly(fen: int, zeros: int):
    whole, cents = divmod(abs(fen), 100)
    text = f"{'-' if fen < 0 else ''}{whole}.{cents:02d}{'0' * zeros}"
    assert parse_cny(text) == fen
    with pytest.raises(ValueError, match=r"the tick is 0\.01 CNY"):
        parse_cny(text + "0" * zeros + "1")


@pytest.mark.parametrize("text", ["50.0000000000000000000000000001", "+5", "1e2", "٣", "", "-"])
def test_cny_refuses_what_is_not_exact_plain_decimal_text(text):
    with pytest.raises(ValueError):
        parse_cny(text)
