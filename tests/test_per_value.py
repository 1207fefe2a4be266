"""Work once per distinct value or row: the same result as working on every row."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.per_value import (
    CATEGORY_ROWS,
    as_text,
    categories_as_text,
    is_in,
    once_per_row,
    repeated_as_categories,
    row_codes,
)

TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "b", "MMR005030703", "ခါမ်းပါတ်"]))


def _joined(rows: pd.DataFrame) -> pd.Series:
    text = rows.astype("string").fillna("?")
    return (text["x"] + "|" + text["y"] + "|" + rows["n"].astype(str)).astype("string")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, st.integers(0, 2)), min_size=1, max_size=30))
def test_once_per_row_equals_every_row(rows):
    frame = pd.DataFrame(rows, columns=["x", "y", "n"]).astype({"x": "string", "y": "string"})
    frame.index = frame.index * 3 + 7
    pd.testing.assert_series_equal(once_per_row(_joined, frame), _joined(frame))


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=30), st.lists(TEXT, max_size=10))
def test_is_in_equals_isin(values, known):
    series = pd.Series(values, dtype="string")
    expected = series.isin(pd.Series(known, dtype="string").dropna()).fillna(False)
    got = is_in(series, pd.Index(pd.Series(known, dtype="string").dropna()))
    assert got.astype(bool).tolist() == expected.astype(bool).tolist()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(TEXT, st.one_of(st.none(), st.floats(0, 2)), st.booleans(), st.integers(0, 3)),
        min_size=1,
        max_size=30,
    )
)
def test_row_codes_number_rows_as_a_grouping_would(rows):
    """Equal rows (a missing value equal to a missing value) share a number, numbered in
    order of first appearance, as pandas' grouping numbers them."""
    frame = pd.DataFrame(rows, columns=["text", "share", "flag", "n"]).astype({"text": "string"})
    expected = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup()
    assert row_codes(frame).tolist() == expected.tolist()


@pytest.mark.parametrize("rows_per_step", [1, 3_000])  # short columns, long ones (threads)
def test_each_column_gives_each_result_in_order(rows_per_step):
    from impact.per_value import each_column

    columns = [pd.Series(range(n * rows_per_step), name=f"c{n}") for n in range(25)]
    assert each_column(lambda column: (column.name, int(column.sum())), columns) == [
        (column.name, int(column.sum())) for column in columns
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(TEXT, st.one_of(st.none(), st.floats(allow_nan=False)), st.booleans()),
        max_size=30,
    ),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_rows_at_takes_the_rows_pandas_takes(rows, rng, threaded):
    """Every column type of an event table, any order and repeats, short and long tables
    (the threads): the rows and types `DataFrame.take` gives, on a new index."""
    import impact.per_value
    from impact.per_value import rows_at

    frame = pd.DataFrame(rows, columns=["text", "share", "flag"]).astype(
        {"text": "str", "share": "Float64"}
    )
    frame["when"] = pd.Timestamp("2023-11-07") + pd.to_timedelta(range(len(frame)), unit="D")
    frame["row"] = range(len(frame))
    frame["kept"] = pd.Series(frame["text"].tolist(), index=frame.index, dtype=object)
    frame.columns = ["text", "share", "flag", "when", "row", "text"]  # names may repeat
    frame.index = frame.index * 2 + 5
    positions = [rng.randrange(len(frame)) for _ in range(len(frame) * 2)] if len(frame) else []
    at = pd.Series(positions, dtype="int64").to_numpy()
    limit = 0 if threaded else impact.per_value.THREADED_ROWS
    original = impact.per_value.THREADED_ROWS
    impact.per_value.THREADED_ROWS = limit
    try:
        taken = rows_at(frame, at)
    finally:
        impact.per_value.THREADED_ROWS = original
    pd.testing.assert_frame_equal(taken, frame.take(at).reset_index(drop=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, st.integers(0, 2)), max_size=30))
def test_text_held_as_categories_comes_back_as_it_was(rows):
    frame = pd.DataFrame(rows, columns=["x", "y", "n"]).astype({"x": "str", "y": "str"})
    held = repeated_as_categories(frame, unique=["y"], rows=CATEGORY_ROWS)
    assert isinstance(held["x"].dtype, pd.CategoricalDtype)
    assert held["y"].dtype == "str" and held["n"].dtype == frame["n"].dtype
    # Categories in text order: sorting and grouping go as on the text.
    assert list(held["x"].cat.categories) == sorted(frame["x"].dropna().unique())
    pd.testing.assert_frame_equal(categories_as_text(held), frame)


def test_a_table_without_categories_is_given_back_as_it_is():
    frame = pd.DataFrame({"x": pd.Series(["a"], dtype="str"), "n": [1]})
    assert categories_as_text(frame) is frame


def test_a_small_table_keeps_its_text_as_it_is():
    frame = pd.DataFrame({"x": pd.Series(["a", "a"], dtype="str")})
    assert repeated_as_categories(frame) is frame
    assert repeated_as_categories(frame, rows=CATEGORY_ROWS - 1) is frame


@settings(max_examples=60, deadline=None)
@given(
    st.lists(TEXT, max_size=30),
    st.lists(st.sampled_from(["z", "MMR005030", "Khampat"]), max_size=3, unique=True),
    st.sampled_from(["str", "string"]),
)
def test_categorical_text_as_text_equals_astype(values, unused, dtype):
    """Text taken by code from the categories equals pandas' conversion, missing values,
    categories no row uses and an index of its own included."""
    categories = sorted({v for v in values if v is not None} | set(unused))
    column = pd.Series(pd.Categorical(values, categories=categories), name="place")
    column.index = column.index * 2 + 5
    pd.testing.assert_series_equal(as_text(column, dtype), column.astype(dtype))


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.Categorical([3, None, 1])),
        pd.Series(["a", None], dtype="string"),
        pd.Series(["a", None], dtype=object),
    ],
)
def test_other_columns_as_text_are_converted_by_pandas(column):
    pd.testing.assert_series_equal(as_text(column, "string"), column.astype("string"))
