"""The FIX 4.4 tags the member application reads and writes, by name.

Bodies travel as `(tag, value)` pairs. The members keep FIX's own field names, so the
mapping code reads like the specification and an error can name the field the member sent.
"""

from enum import IntEnum


class Tag(IntEnum):
    Account = 1
    AvgPx = 6
    ClOrdID = 11
    CumQty = 14
    Currency = 15
    ExecID = 17
    LastPx = 31
    LastQty = 32
    OrderID = 37
    OrderQty = 38
    OrdStatus = 39
    OrdType = 40
    OrigClOrdID = 41
    Price = 44
    Side = 54
    Symbol = 55
    Text = 58
    TimeInForce = 59
    TransactTime = 60
    StopPx = 99
    CxlRejReason = 102
    OrdRejReason = 103
    SecurityDesc = 107
    MinQty = 110
    MaxFloor = 111
    ExpireTime = 126
    NoRelatedSym = 146
    ExecType = 150
    LeavesQty = 151
    MaxShow = 210
    SecurityReqID = 320
    TradingSessionID = 336
    TradSesStatus = 340
    TradSesStartTime = 341
    TradSesOpenTime = 342
    TradSesCloseTime = 344
    TradSesEndTime = 345
    SecurityResponseID = 322
    RefMsgType = 372
    NoTradingSessions = 386
    BusinessRejectRefID = 379
    BusinessRejectReason = 380
    TotNoRelatedSym = 393
    ExpireDate = 432
    CxlRejResponseTo = 434
    Product = 460
    MassCancelRequestType = 530
    MassCancelResponse = 531
    MassCancelRejectReason = 532
    TotalAffectedOrders = 533
    SecurityListRequestType = 559
    SecurityRequestResult = 560
    RoundLot = 561
    MinTradeVol = 562
    OrdStatusReqID = 790
    CopyMsgIndicator = 797
    TrdMatchID = 880
    LastFragment = 893
    # tcx's user-defined field (FIX 4.4's q has no Account): the one account to cancel
    MassCancelAccount = 5150


def label(tag: Tag) -> str:
    """'OrderQty (38)': how errors name a field, so the member finds it in any FIX tool."""
    return f"{tag.name} ({tag.value})"
