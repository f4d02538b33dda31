"""Every public report, by name. Adding one: a module here and a line in `reports`.

Left for the issues whose data is not in the registry yet (each becomes a module here):
auction results (issue 15), the annual compliance table, the pledge register's totals and
the surplus/shortfall bulletin (issue 16), and entities' own statements (issue 16's
emissions and surrenders).
"""

from engine.reference import ReferenceData
from gateway.disclosure.report import Report
from gateway.disclosure.reports.daily_bulletin import DailyBulletinReport
from gateway.disclosure.reports.large_holders import LargeHoldersReport
from gateway.disclosure.reports.weekly_holdings import WeeklyHoldingsReport


def reports(reference: ReferenceData) -> dict[str, Report]:
    found: list[Report] = [
        DailyBulletinReport(),
        WeeklyHoldingsReport(),
        LargeHoldersReport(reference.rules),
    ]
    return {report.name: report for report in found}
