from hypothesis import given
from hypothesis import strategies as st

from surveillance.alert import absorb, raise_alert, windows_touch


def alert(start, end, score=50, trades=(), accounts=("A",), orders=()):
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
        order_ids=orders,
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
    merged = absorb(kept, later)
    assert merged.id == kept.id
    assert merged.window_start == min(first[0], second[0])
    assert merged.window_end == max(first[1], second[1])
    assert merged.score == max(s1, s2)
    assert merged.trade_ids == (1, 2)
    assert windows_touch(merged, kept)
    assert windows_touch(merged, later)


ids = st.lists(st.integers(0, 60), max_size=12)


@given(ids, ids, ids)
def test_ids_merge_and_cover_as_sets_do(first, second, third):
    """The sorted-ids union against the plain set one, over merges in any order."""
    kept = alert(1, 2, orders=first)
    later = alert(1, 2, orders=second, trades=third)
    assert kept.order_ids == tuple(sorted(set(first)))
    merged = absorb(kept, later)
    news = not set(second) <= set(first) or third
    assert (merged is not None) == bool(news)
    merged = merged or kept
    assert merged.order_ids == tuple(sorted(set(first) | set(second)))
    assert merged.trade_ids == tuple(sorted(set(third)))
    assert absorb(merged, later) is None and absorb(merged, kept) is None


def test_a_sighting_with_a_wider_window_or_higher_score_is_news():
    kept = alert(10, 20, score=60, orders=(1, 2))
    assert absorb(kept, alert(12, 20, score=60, orders=(2,))) is None
    for later in (alert(9, 20, score=60), alert(10, 21, score=60), alert(10, 20, score=61)):
        merged = absorb(kept, later)
        assert merged is not None and merged.order_ids == (1, 2)
        assert (merged.window_start, merged.window_end, merged.score) == (
            min(10, later.window_start),
            max(20, later.window_end),
            max(60, later.score),
        )
