"""The registry as reports read it: holdings as of a seq, accounts, the day's bulletins.

Holdings are summed from the postings up to the seq, not read from the balances, so a
report built again later (a correction) sees the registry as it was at that close.
"""

import msgspec

from gateway.disclosure.publications import Publications
from gateway.disclosure.report import ReportTable
from settlement.accounts import SYSTEM_PREFIX
from settlement.booking import CNY
from settlement.ledger import AccountRecord, Ledger
from surveillance.market_data.messages import DailyBulletin

_bulletin = msgspec.json.Decoder(DailyBulletin).decode


class RegistrySource:
    def __init__(self, ledger: Ledger, publications: Publications):
        self.ledger = ledger
        self.publications = publications

    def holdings(self, upto_seq: int) -> dict[tuple[str, str], int]:
        rows = self.ledger.database.query(
            "SELECT owner, asset, SUM(amount) FROM postings WHERE seq <= ? AND asset <> ? "
            "GROUP BY owner, asset ORDER BY owner, asset",
            (upto_seq, CNY),
        )
        return {
            (owner, asset): int(total)
            for owner, asset, total in rows
            if total and not owner.startswith(SYSTEM_PREFIX)
        }

    def accounts(self) -> list[AccountRecord]:
        return self.ledger.accounts()

    def bulletins(self, trading_date: str) -> list[DailyBulletin]:
        rows = self.ledger.database.query(
            "SELECT bulletin FROM surveillance_bulletins WHERE trading_date = ? "
            "ORDER BY instrument",
            (trading_date,),
        )
        return [_bulletin(row[0]) for row in rows]

    def previous(self, report: str, before: str) -> ReportTable | None:
        found = self.publications.previous(report, before)
        return found.table if found else None
