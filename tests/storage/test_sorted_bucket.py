"""SortedBucket's neighbour look-ups against a brute-force model, across many sublists."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from metalnet.storage.sorted_bucket import SortedBucket

items = st.lists(st.integers(-50, 50), max_size=120)
operations = st.lists(st.tuples(st.booleans(), st.integers(-60, 60)), max_size=60)


def _bucket(values: list[int]) -> SortedBucket:
    bucket = SortedBucket(values)
    bucket._reset(4)  # tiny sublists, so look-ups cross sublist borders (the default holds 1,000 items)
    return bucket


@given(items, st.integers(-60, 60))
def test_ceiling_and_floor_agree_with_the_sorted_items(values: list[int], probe: int) -> None:
    bucket = _bucket(values)
    assert bucket.ceiling(probe) == min((v for v in values if v >= probe), default=None)
    assert bucket.floor(probe) == max((v for v in values if v <= probe), default=None)


@given(items, operations, st.integers(-60, 60))
def test_look_ups_stay_right_while_the_bucket_changes(values: list[int], changes: list[tuple[bool, int]],
                                                     probe: int) -> None:
    bucket, model = _bucket(values), list(values)
    for add, value in changes:
        if add:
            bucket.add(value)
            model.append(value)
        elif value in model:
            bucket.remove(value)
            model.remove(value)
        assert bucket.ceiling(probe) == min((v for v in model if v >= probe), default=None)
        assert bucket.floor(probe) == max((v for v in model if v <= probe), default=None)
    assert not bucket._index  # the look-ups never built SortedList's positional index
