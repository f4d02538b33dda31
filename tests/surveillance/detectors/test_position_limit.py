from engine.orders import AccountKind, Side


def test_a_group_near_and_then_above_its_limit(tape):
    first, second = tape.account("A1", group="G"), tape.account("A2", group="G")
    tape.holding(first, 460_000)
    tape.holding(second, 440_000)  # 900,000: 90% of the investor limit of 1,000,000
    tape.at(60)
    tape.holding(second, 100_001)
    alerts = sorted(tape.alerts("position_limit"), key=lambda a: a.window_start)
    assert [a.evidence["level"] for a in alerts] == ["warning", "breach"]
    assert alerts[0].accounts == ("A1", "A2")
    assert alerts[0].control_group == "G"
    assert alerts[1].evidence["holdings"] == 1_000_001


def test_buying_counts_toward_the_group(tape):
    tape.account("A1", group="G")
    tape.account("S")
    tape.holding("A1", 899_000)
    offer = tape.order("S", Side.SELL, 5000, 1_000)
    tape.trade(tape.order("A1", Side.BUY, 5000, 1_000), offer)
    [alert] = tape.alerts("position_limit")
    assert alert.evidence["holdings"] == 900_000


def test_a_compliance_entity_s_limit_includes_its_allocation(tape):
    tape.account("C1", kind=AccountKind.COMPLIANCE, allocation=2_000_000)
    tape.holding("C1", 2_600_000)  # limit 3,000,000: 86.7%
    assert tape.alerts("position_limit") == []
    tape.holding("C1", 100_000)  # 90%
    [alert] = tape.alerts("position_limit")
    assert alert.evidence["position_limit"] == 3_000_000


def test_near_miss_just_under_ninety_percent(tape):
    tape.account("A1", group="G")
    tape.account("A2", group="G")
    tape.holding("A1", 450_000)
    tape.holding("A2", 449_999)
    assert tape.alerts("position_limit") == []


def test_near_miss_unrelated_accounts_are_not_added_up(tape):
    tape.account("A1")
    tape.account("B1")
    tape.holding("A1", 600_000)
    tape.holding("B1", 600_000)
    assert tape.alerts("position_limit") == []
