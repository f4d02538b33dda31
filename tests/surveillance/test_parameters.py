import pytest

from surveillance.parameters import (
    PATTERNS,
    ParameterError,
    Parameters,
    load_parameters,
    parse_parameters,
)


def test_defaults_are_the_surveillance_spec_s():
    defaults = Parameters()
    assert set(PATTERNS) == set(Parameters.__struct_fields__)
    assert len(PATTERNS) == 14
    assert defaults.self_trade.escalate_above_per_day == 5
    assert defaults.frequent_cancels.max_cancels_per_day == 500
    assert defaults.large_cancels.max_large_cancels_per_day == 50
    assert defaults.large_cancels.large_order_percent == 80
    assert defaults.spoofing.size_multiple == 5
    assert defaults.spoofing.cancelled_within_s == 10
    assert defaults.spoofing.max_filled_percent == 10
    assert defaults.spoofing.opposite_trade_within_s == 30
    assert defaults.spoofing.escalate_at_repeats == 3
    assert defaults.layering.min_levels == 3
    assert defaults.layering.placed_within_ms == 1000
    assert defaults.marking_the_close.closing_window_min == 30
    assert defaults.marking_the_close.min_volume_share_percent == 30
    assert defaults.marking_the_close.min_close_move_percent == 1
    assert defaults.ramping.min_move_percent == 2
    assert defaults.ramping.window_s == 300
    assert defaults.ramping.min_volume_share_percent == 50
    assert defaults.abnormal_price_move.sigmas == 4
    assert defaults.abnormal_price_move.band_ticks == 1
    assert defaults.position_limit.warning_percent == 90
    assert defaults.circular_trading.max_accounts == 4
    assert defaults.circular_trading.quantity_tolerance_percent == 1
    assert defaults.pre_arranged_trades.entered_within_s == 5
    assert defaults.pre_arranged_trades.min_repeats == 3
    assert defaults.message_flooding.max_messages_per_second == 300
    assert defaults.message_flooding.max_order_to_trade_ratio == 50
    assert defaults.message_flooding.min_messages_per_day == 1000
    assert all(getattr(defaults, pattern).version == 1 for pattern in PATTERNS)


def test_a_file_changes_only_what_it_names(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[spoofing]\nversion = 2\nsize_multiple = 6.5\n\n[ramping]\nwindow_s = 600\n")
    parameters = load_parameters(path)
    assert parameters.spoofing.version == 2
    assert parameters.spoofing.size_multiple == 6.5
    assert parameters.spoofing.cancelled_within_s == 10
    assert parameters.ramping.window_s == 600
    assert parameters.layering == Parameters().layering


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("[spoofin]\nsize_multiple = 6\n", "spoofin", "unknown detector"),
        ("[spoofing]\nsize_multiplier = 6\n", "spoofing.size_multiplier", "unknown parameter"),
        ('[spoofing]\nsize_multiple = "six"\n', "spoofing.size_multiple", "Expected `float`"),
        ("[spoofing]\nsize_multiple = -1\n", "spoofing.size_multiple", "> 0"),
        ("[spoofing]\nversion = 0\n", "spoofing.version", ">= 1"),
        ("[layering]\nmin_levels = 2.5\n", "layering.min_levels", "Expected `int`"),
        ("[ramping]\nwindow_s = true\n", "ramping.window_s", "Expected `int`"),
        ("[circular_trading]\nwhole_orders = 1\n", "circular_trading.whole_orders", "bool"),
        ("ramping = 3\n", "ramping", "must be a table"),
        ("[ramping\nwindow_s = 3\n", "(syntax)", ""),
    ],
)
def test_a_bad_file_is_refused_naming_the_field(tmp_path, text, field, reason):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ParameterError) as error:
        load_parameters(path)
    assert error.value.field == field
    assert reason in error.value.reason
    assert field in str(error.value)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="no such file"):
        load_parameters(tmp_path / "nothing.toml")


def test_an_empty_file_is_the_defaults():
    assert parse_parameters({}) == Parameters()
