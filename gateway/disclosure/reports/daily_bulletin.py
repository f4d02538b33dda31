"""The daily bulletin: each instrument's day as the exchange's bulletin has it, block
trades included (their volume and turnover are 0 until block trades are reported)."""

from typing import ClassVar

from gateway.disclosure.report import Closing, ReportTable, Source
from gateway.disclosure.schedule import DAILY


class DailyBulletinReport:
    name: ClassVar[str] = "daily-bulletin"
    title: ClassVar[str] = "Daily bulletin"
    schedule: ClassVar[str] = DAILY
    description: ClassVar[str] = (
        "Open, high, low, close (the VWAP of the day's book trades), change, volume and "
        "turnover per instrument, block trades apart, and the totals since listing."
    )

    def build(self, source: Source, closing: Closing) -> ReportTable:
        return ReportTable(
            columns=[
                "instrument",
                "open",
                "high",
                "low",
                "close",
                "carried_over",
                "change",
                "change_percent",
                "volume_t",
                "turnover_cny",
                "block_volume_t",
                "block_turnover_cny",
                "cumulative_volume_t",
                "cumulative_turnover_cny",
            ],
            rows=[
                [
                    b.instrument,
                    b.open,
                    b.high,
                    b.low,
                    b.close,
                    "yes" if b.carried_over else "no",
                    b.change,
                    b.change_percent,
                    b.volume,
                    b.turnover,
                    b.block_volume,
                    b.block_turnover,
                    b.cumulative_volume,
                    b.cumulative_turnover,
                ]
                for b in source.bulletins(closing.trading_date)
            ],
            notes=["Prices in CNY per tonne; a carried-over close had too little volume."],
        )
