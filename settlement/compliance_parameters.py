"""The compliance year's parameters: the `[compliance]` table of the reference data file.

Every number of carbon-lifecycle.md section 3 is a default a supervisor may change there;
a bad value is refused at load time naming the field, like the rest of reference data.
"""

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from engine.reference import DEFAULT_PATH, ReferenceData, ReferenceDataError

INCENTIVE_CRITERIA = ("pollution_grade_a", "energy_benchmark", "national_pilot")


@dataclass(frozen=True, slots=True)
class ComplianceParameters:
    batch1_ratio_bps: int
    surplus_cap_bps: int
    offset_cap_bps: int
    reversal_days: int
    surrender_deadline: tuple[int, int]  # (month, day) of the year after
    grid_factor_kg_per_mwh: int
    national_sectors: frozenset[str]
    national_deadline: dt.date
    national_years: int
    incentives: dict[str, tuple[int, int]]  # criterion -> (bps of verified emissions, cap t)

    def deadline(self, year: int) -> dt.date:
        """The surrender deadline of compliance year `year`."""
        month, day = self.surrender_deadline
        return dt.date(year + 1, month, day)


def compliance_parameters(reference: ReferenceData) -> ComplianceParameters:
    path = Path(reference.source or DEFAULT_PATH)
    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("compliance")
    if not isinstance(raw, dict):
        raise ReferenceDataError(path, "compliance", "the [compliance] table is missing")
    return parse_compliance(raw, path)


def parse_compliance(raw: dict, path: str | Path = "<memory>") -> ComplianceParameters:
    def number(name: str, low: int, high: int) -> int:
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ReferenceDataError(
                path, f"compliance.{name}", f"must be a whole number in [{low}, {high}]"
            )
        return value

    def date(name: str, text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except (TypeError, ValueError):
            raise ReferenceDataError(path, f"compliance.{name}", "must be a date") from None

    month_day = date("surrender_deadline", f"2000-{raw.get('surrender_deadline')}")
    incentives = raw.get("incentives", {})
    parsed = {}
    for criterion in INCENTIVE_CRITERIA:
        pair = incentives.get(criterion)
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in pair)
        ):
            raise ReferenceDataError(
                path, f"compliance.incentives.{criterion}", "must be [basis points, cap tonnes]"
            )
        parsed[criterion] = (pair[0], pair[1])
    sectors = raw.get("national_sectors")
    if not isinstance(sectors, list) or not all(isinstance(s, str) for s in sectors):
        raise ReferenceDataError(path, "compliance.national_sectors", "must be a list of names")
    return ComplianceParameters(
        batch1_ratio_bps=number("batch1_ratio_bps", 0, 10_000),
        surplus_cap_bps=number("surplus_cap_bps", 0, 10_000),
        offset_cap_bps=number("offset_cap_bps", 0, 10_000),
        reversal_days=number("reversal_days", 0, 366),
        surrender_deadline=(month_day.month, month_day.day),
        grid_factor_kg_per_mwh=number("grid_factor_kg_per_mwh", 0, 10_000),
        national_sectors=frozenset(sectors),
        national_deadline=date("national_deadline", raw.get("national_deadline")),
        national_years=number("national_years", 0, 100),
        incentives=parsed,
    )
