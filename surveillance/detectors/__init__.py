"""One detector per pattern of surveillance.md; `all_detectors` builds the full set."""

from surveillance.detector import Detector
from surveillance.detectors.abnormal_price_move import AbnormalPriceMoveDetector
from surveillance.detectors.auction_concentration import AuctionConcentrationDetector
from surveillance.detectors.auction_floor_marking import AuctionFloorMarkingDetector
from surveillance.detectors.circular_trading import CircularTradingDetector
from surveillance.detectors.frequent_cancels import FrequentCancelsDetector
from surveillance.detectors.large_cancels import LargeCancelsDetector
from surveillance.detectors.layering import LayeringDetector
from surveillance.detectors.marking_the_close import MarkingTheCloseDetector
from surveillance.detectors.message_flooding import MessageFloodingDetector
from surveillance.detectors.position_limit import PositionLimitDetector
from surveillance.detectors.pre_arranged_trades import PreArrangedTradesDetector
from surveillance.detectors.ramping import RampingDetector
from surveillance.detectors.self_trade import SelfTradeDetector
from surveillance.detectors.spoofing import SpoofingDetector
from surveillance.market_view import MarketView
from surveillance.parameters import Parameters


def all_detectors(view: MarketView, parameters: Parameters) -> list[Detector]:
    return [
        SelfTradeDetector(view, parameters.self_trade),
        FrequentCancelsDetector(view, parameters.frequent_cancels),
        LargeCancelsDetector(view, parameters.large_cancels),
        SpoofingDetector(view, parameters.spoofing),
        LayeringDetector(view, parameters.layering),
        MarkingTheCloseDetector(view, parameters.marking_the_close),
        RampingDetector(view, parameters.ramping),
        AbnormalPriceMoveDetector(view, parameters.abnormal_price_move),
        PositionLimitDetector(view, parameters.position_limit),
        CircularTradingDetector(view, parameters.circular_trading),
        PreArrangedTradesDetector(view, parameters.pre_arranged_trades),
        MessageFloodingDetector(view, parameters.message_flooding),
        AuctionConcentrationDetector(view, parameters.auction_concentration),
        AuctionFloorMarkingDetector(view, parameters.auction_floor_marking),
    ]
