from hypothesis import given
from hypothesis import strategies as st

from surveillance.alert import merge, raise_alert, windows_touch


def alert(start, end, score=50, trades=(), accounts=("A",)):
    return raise_alert(
        pattern="layering",
        score=score,
        instrument="TJEA25",
        accounts=accounts,
        control_group="",
        window_start=start,
        window_end=end,
        evidence={"levels": 3},
        trade_ids=trades,
        reason="r",
    )


def test_the_id_is_derived_from_the_subject_and_window():
    assert alert(1, 2).id == alert(1, 9).id
    assert alert(1, 2).id != alert(3, 4).id
    assert alert(1, 2, accounts=("B", "A")).accounts == ("A", "B")
    assert alert(1, 2, accounts=("B", "A")).id == alert(1, 2, accounts=("A", "B")).id


def test_scores_are_kept_between_0_and_100():
    assert alert(1, 2, score=250).score == 100
    assert alert(1, 2, score=-3).score == 0


windows = st.tuples(st.integers(0, 1000), st.integers(0, 1000)).map(sorted)


@given(windows, windows, st.integers(0, 100), st.integers(0, 100))
def test_a_merge_covers_both_windows_and_keeps_the_first_id(first, second, s1, s2):
    kept, later = alert(*first, score=s1, trades=(1,)), alert(*second, score=s2, trades=(2,))
    merged = merge(kept, later)
    assert merged.id == kept.id
    assert merged.window_start == min(first[0], second[0])
    assert merged.window_end == max(first[1], second[1])
    assert merged.score == max(s1, s2)
    assert merged.trade_ids == (1, 2)
    assert windows_touch(merged, kept)
    assert windows_touch(merged, later)
