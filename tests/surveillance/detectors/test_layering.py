from engine.orders import Side, TimeInForce


def layer(tape, prices=(5010, 5011, 5012), spacing=0.2, fill=True, cancel_spacing=0.1):
    tape.account("L")
    tape.account("I1")
    layers = []
    for number, price in enumerate(prices):
        tape.at(100 + number * spacing)
        layers.append(tape.order("L", Side.SELL, price, 300))
    tape.at(102)
    bid = tape.order("L", Side.BUY, 4995, 200)
    if fill:
        tape.at(104)
        tape.trade(tape.order("I1", Side.SELL, 4995, 200, time_in_force=TimeInForce.IOC), bid)
    for number, order in enumerate(layers):
        tape.at(104.5 + number * cancel_spacing)
        tape.cancel(order)


def test_levels_on_one_side_pulled_together_after_a_fill_on_the_other(tape):
    layer(tape)
    [alert] = tape.alerts("layering")
    assert alert.accounts == ("L",)
    assert alert.evidence["price_levels"] == 3
    assert len(alert.order_ids) == 3
    assert alert.trade_ids == (1,)


def test_a_fourth_level_updates_the_same_alert(tape):
    layer(tape, prices=(5010, 5011, 5012, 5013), spacing=0.1)
    [alert] = tape.alerts("layering")
    assert alert.evidence["price_levels"] == 4


def test_near_miss_without_a_fill_on_the_other_side(tape):
    layer(tape, fill=False)
    assert tape.alerts("layering") == []


def test_near_miss_only_two_price_levels(tape):
    layer(tape, prices=(5010, 5010, 5011))
    assert tape.alerts("layering") == []


def test_near_miss_levels_placed_over_more_than_a_second(tape):
    layer(tape, spacing=0.6)
    assert tape.alerts("layering") == []


def test_near_miss_cancels_spread_over_more_than_a_second(tape):
    layer(tape, cancel_spacing=0.6)
    assert tape.alerts("layering") == []


def test_near_miss_levels_spanning_more_than_a_second_in_all(tape):
    tape.account("L")
    tape.account("I1")
    layers = []
    for number, price in enumerate((5010, 5011, 5012)):
        tape.at(100 + number * 0.9)
        layers.append(tape.order("L", Side.SELL, price, 300))
    tape.at(103)
    bid = tape.order("L", Side.BUY, 4995, 200)
    tape.trade(tape.order("I1", Side.SELL, 4995, 200, time_in_force=TimeInForce.IOC), bid)
    for order in (layers[0], layers[2], layers[1]):
        tape.cancel(order)
    assert tape.alerts("layering") == []
