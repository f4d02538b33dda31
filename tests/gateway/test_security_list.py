"""SecurityListRequest (x) -> SecurityList (y) from the reference data, band following the day."""

from dataclasses import replace

import pytest

from engine import events
from engine.reference import load_reference_data
from gateway.trading.security_list import SecurityList
from gateway.trading.tags import Tag

REFERENCE = load_reference_data()


def request(request_type: str, symbol: str = "") -> list[tuple[int, str]]:
    fields = [(Tag.SecurityReqID, "r1"), (Tag.SecurityListRequestType, request_type)]
    if symbol:
        fields.append((Tag.Symbol, symbol))
    return fields


def entries(fields: list[tuple[int, str]]) -> list[dict[int, str]]:
    """The NoRelatedSym group's entries, split at each Symbol (the group's first field)."""
    found: list[dict[int, str]] = []
    for tag, value in fields:
        if tag == Tag.Symbol:
            found.append({})
        if found:
            found[-1][tag] = value
    return found


def test_all_securities():
    message = SecurityList(REFERENCE).answer(request("4"))
    assert message.msg_type == "y"
    head = dict(message.fields[:6])
    assert head == {
        Tag.SecurityReqID: "r1",
        Tag.SecurityResponseID: "SL-r1",
        Tag.SecurityRequestResult: "0",
        Tag.TotNoRelatedSym: "4",
        Tag.LastFragment: "Y",
        Tag.NoRelatedSym: "4",
    }
    listed = entries(message.fields)
    assert [e[Tag.Symbol] for e in listed] == ["CCER", "TJCER", "TJEA24", "TJEA25"]
    assert listed[3] == {
        Tag.Symbol: "TJEA25",
        Tag.Product: "2",
        Tag.SecurityDesc: "Tianjin emission allowance 2025",
        Tag.Currency: "CNY",
        Tag.RoundLot: "1",
        Tag.MinTradeVol: "1",
        Tag.Text: "tick=0.01 lot=1 max_qty=99999 ref=50.00 band=45.00-55.00",
    }
    # 48.50 x 1.1 = 53.35, 48.50 x 0.9 = 43.65
    assert listed[2][Tag.Text].endswith("ref=48.50 band=43.65-53.35")


def test_one_symbol():
    listed = entries(SecurityList(REFERENCE).answer(request("0", "CCER")).fields)
    assert [e[Tag.Symbol] for e in listed] == ["CCER"]
    assert listed[0][Tag.Text] == "tick=0.01 lot=1 max_qty=99999 ref=60.00 band=54.00-66.00"


@pytest.mark.parametrize(
    ("fields", "result"),
    [
        (request("0", "NOPE"), "2"),
        (request("0"), "1"),
        (request("1"), "1"),
        (request("3"), "1"),
        ([(Tag.SecurityReqID, "r1")], "1"),
    ],
)
def test_refused_requests_carry_the_result_code(fields, result):
    message = SecurityList(REFERENCE).answer(fields)
    assert message.fields == [
        (Tag.SecurityReqID, "r1"),
        (Tag.SecurityResponseID, "SL-r1"),
        (Tag.SecurityRequestResult, result),
    ]


def test_band_follows_the_reference_price_events():
    securities = SecurityList(REFERENCE)
    securities.apply(events.ReferencePriceSet(1, 0, "CCER", 7000, 6300, 7700, "sup"))
    closed = events.DayClosed(
        2, 0, "2026-09-21", "TJEA25", 5000, 5100, 4900, 5020, False, 10, 50200, 0, 5020, 4518, 5522
    )
    securities.apply(closed)
    securities.apply(events.ReferencePriceSet(3, 0, "UNLISTED", 100, 90, 110, "sup"))
    listed = {e[Tag.Symbol]: e[Tag.Text] for e in entries(securities.answer(request("4")).fields)}
    assert listed["CCER"].endswith("ref=70.00 band=63.00-77.00")
    assert listed["TJEA25"].endswith("ref=50.20 band=45.18-55.22")
    assert "UNLISTED" not in listed


def test_instrument_without_reference_price_says_so():
    new = replace(
        REFERENCE.instruments["CCER"],
        symbol="NEW26",
        lot=10,
        max_order_quantity=5000,
        reference_price=0,
    )
    bare = REFERENCE.with_instrument(new)
    (entry,) = entries(SecurityList(bare).answer(request("0", "NEW26")).fields)
    assert entry[Tag.Text] == "tick=0.01 lot=10 max_qty=5000 ref=none"
    assert entry[Tag.RoundLot] == entry[Tag.MinTradeVol] == "10"
