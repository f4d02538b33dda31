"""The large-holder list (Beijing's rule): accounts holding more than their allocation plus
`compliance_large_holder_extra` (covered entities) or `investor_large_holder` (others) of
an instrument. Named, with the threshold they exceed, never with their exact holdings."""

from typing import ClassVar

from engine.reference import MarketRules
from gateway.disclosure.report import Closing, ReportTable, Source
from gateway.disclosure.reports.holder_categories import COVERED, category_of
from gateway.disclosure.schedule import DAILY


class LargeHoldersReport:
    name: ClassVar[str] = "large-holders"
    title: ClassVar[str] = "Large-holder list"
    schedule: ClassVar[str] = DAILY
    description: ClassVar[str] = (
        "Accounts holding more than the large-holder threshold of an instrument at the "
        "close, with the threshold exceeded (not their holdings)."
    )

    def __init__(self, rules: MarketRules):
        self.rules = rules

    def build(self, source: Source, closing: Closing) -> ReportTable:
        accounts = {account.account: account for account in source.accounts()}
        rows = []
        for (name, instrument), held in sorted(source.holdings(closing.seq).items()):
            account = accounts.get(name)
            if account is None:
                continue
            category = category_of(account)
            if category == COVERED:
                threshold = account.allocation + self.rules.compliance_large_holder_extra
            else:
                threshold = self.rules.investor_large_holder
            if held > threshold:
                rows.append([instrument, name, account.member, category, threshold])
        return ReportTable(
            columns=["instrument", "account", "member", "category", "holds_more_than_t"],
            rows=rows,
            notes=["Holdings include pledged and frozen tonnes; exact holdings are not published."],
        )
