"""The weekly holdings report by holder category (MiFID II weekly position report style):
per instrument and category, how many hold it, their tonnes, share and change on the last
report. A category with fewer than MIN_HOLDERS holders is suppressed, and with it every
share of that instrument, which would otherwise give the suppressed figure away."""

from collections import defaultdict
from typing import ClassVar

from gateway.disclosure.report import Closing, ReportTable, Source
from gateway.disclosure.reports.holder_categories import CATEGORIES, category_of
from gateway.disclosure.schedule import WEEKLY
from surveillance.market_data.bulletin import change_percent

MIN_HOLDERS = 5
SUPPRESSED = "suppressed"


class WeeklyHoldingsReport:
    name: ClassVar[str] = "weekly-holdings"
    title: ClassVar[str] = "Weekly holdings by holder category"
    schedule: ClassVar[str] = WEEKLY
    description: ClassVar[str] = (
        f"Holders, tonnes, share and weekly change per instrument and holder category; "
        f"a category with fewer than {MIN_HOLDERS} holders is suppressed."
    )

    def build(self, source: Source, closing: Closing) -> ReportTable:
        category = {account.account: category_of(account) for account in source.accounts()}
        holders: dict[tuple[str, str], int] = defaultdict(int)
        tonnes: dict[tuple[str, str], int] = defaultdict(int)
        instruments: set[str] = set()
        for (account, instrument), held in source.holdings(closing.seq).items():
            if held > 0 and account in category:
                key = (instrument, category[account])
                holders[key] += 1
                tonnes[key] += held
                instruments.add(instrument)
        before = source.previous(self.name, closing.trading_date)
        previous = {
            (row[0], row[1]): row[3]
            for row in (before.rows if before else [])
            if row[2] != SUPPRESSED
        }
        rows = []
        for instrument in sorted(instruments):
            keys = [(instrument, name) for name in CATEGORIES]
            hidden = any(0 < holders[key] < MIN_HOLDERS for key in keys)
            total = sum(tonnes[key] for key in keys)
            for key in keys:
                count = holders[key]
                if 0 < count < MIN_HOLDERS:
                    rows.append([*key, SUPPRESSED, None, None, None])
                    continue
                share = None if hidden or not total else change_percent(tonnes[key], total)
                last = previous.get(key)
                change = tonnes[key] - last if isinstance(last, int) else None
                rows.append([*key, count, tonnes[key], share, change])
        return ReportTable(
            columns=["instrument", "category", "holders", "tonnes", "share_percent", "change_t"],
            rows=rows,
            notes=[
                f"A category with 1 to {MIN_HOLDERS - 1} holders is suppressed, and then no "
                "shares are shown for that instrument.",
                "Holdings include pledged and frozen tonnes; change is against the last "
                "weekly report (empty when either week was suppressed).",
                "Investors are institutions and individuals together: the registry does not "
                "yet tell them apart.",
            ],
        )
