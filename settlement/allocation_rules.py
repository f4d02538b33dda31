"""The allocation rules of the compliance year, as pure functions on whole tonnes.

Rounding is always to the entity's disadvantage except batch 1, which is "at least"
batch1_ratio of the previous year's emissions (so rounded up). Ratios are basis points.
"""

from typing import NamedTuple

from settlement.compliance_parameters import ComplianceParameters

BPS = 10_000
HISTORICAL_EMISSIONS = "historical_emissions"
HISTORICAL_INTENSITY = "historical_intensity"
METHODS = (HISTORICAL_EMISSIONS, HISTORICAL_INTENSITY)
# Non-fossil electricity channels; only `market` purchases earn allowances (item 6).
NON_FOSSIL_CHANNELS = ("", "direct_supply", "energy_performance_contract", "market")


def batch1(previous_emissions: int, parameters: ComplianceParameters) -> int:
    return -(-previous_emissions * parameters.batch1_ratio_bps // BPS)


def method_allocation(method: str, baseline: int, control_factor_bps: int, output: int) -> int:
    """Historical emissions: baseline t x control factor. Historical intensity: baseline
    kg per unit x this year's output x control factor."""
    if method == HISTORICAL_EMISSIONS:
        return baseline * control_factor_bps // BPS
    return baseline * output * control_factor_bps // (1000 * BPS)


def clamp(allocation: int, verified: int, parameters: ComplianceParameters) -> int:
    """Surplus or shortfall at most surplus_cap of verified emissions, both ways."""
    band = verified * parameters.surplus_cap_bps // BPS
    return min(max(allocation, verified - band), verified + band)


def incentive(criterion: str, verified: int, parameters: ComplianceParameters) -> int:
    rate, cap = parameters.incentives[criterion]
    return min(verified * rate // BPS, cap)


def non_fossil(mwh: int, channel: str, shortfall: int, parameters: ComplianceParameters) -> int:
    """Market-bought non-fossil electricity earns the emissions it avoided, only for an
    entity short of allowances and at most its shortfall."""
    if channel != "market" or shortfall <= 0:
        return 0
    return min(mwh * parameters.grid_factor_kg_per_mwh // 1000, shortfall)


class TrueUp(NamedTuple):
    method: int  # what the method gives
    final: int  # after the clamp
    incentives: dict[str, int]
    non_fossil: int
    total: int  # final + incentives + non-fossil: the year's whole free allocation
    batch2: int  # total - batch 1; negative is an excess to claim back


def true_up(
    *,
    method: str,
    baseline: int,
    control_factor_bps: int,
    output: int,
    verified: int,
    batch1_entitled: int,
    criteria: list[str],
    non_fossil_mwh: int,
    non_fossil_channel: str,
    parameters: ComplianceParameters,
) -> TrueUp:
    """多退少补: the final allocation and what batch 2 adds (or claims back)."""
    raw = method_allocation(method, baseline, control_factor_bps, output)
    final = clamp(raw, verified, parameters)
    rewards = {c: incentive(c, verified, parameters) for c in sorted(criteria)}
    shortfall = verified - final - sum(rewards.values())
    electricity = non_fossil(non_fossil_mwh, non_fossil_channel, shortfall, parameters)
    total = final + sum(rewards.values()) + electricity
    return TrueUp(raw, final, rewards, electricity, total, total - batch1_entitled)
