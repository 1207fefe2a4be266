"""Joining neighbouring columns into one piece: the rows' text never changes, and the checks
made on the first rows only ever save work, never change which columns are joined."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from impact import row_text
from impact.row_text import Coded, joined_neighbours, rows_text


def _coded(codes: list[int], name: str) -> Coded:
    distinct = pa.array([f"{name}{i}" for i in range(max(codes) + 1)])
    return Coded(distinct, np.array(codes, dtype=np.int16))


@st.composite
def columns(draw) -> list[list[int]]:
    """A few columns of codes over the same rows: some follow the first, some are free."""
    rows = draw(st.integers(1, 120))
    first = draw(st.lists(st.integers(0, 12), min_size=rows, max_size=rows))
    out = [first]
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            mapping = draw(st.lists(st.integers(0, 5), min_size=13, max_size=13))
            out.append([mapping[code] for code in first])
        else:
            out.append(draw(st.lists(st.integers(0, 40), min_size=rows, max_size=rows)))
    return out


@settings(max_examples=150, deadline=None)
@given(codes=columns(), share=st.sampled_from([1, 2, 4, 8, 30]), head=st.integers(1, 50))
# Exactly as many combinations as allowed, all already in the first rows: still joined.
@example(codes=[[0, 0, 1, 1] * 8, [0, 1, 0, 1] * 8], share=8, head=50)
def test_joining_changes_no_row_and_the_first_rows_decide_nothing(codes, share, head):
    pieces = [piece for i, c in enumerate(codes) for piece in (_coded(c, f"c{i}="), ",")]
    rows = len(codes[0])
    previous = row_text.JOIN_SHARE, row_text.FOLLOW_HEAD
    try:
        row_text.JOIN_SHARE, row_text.FOLLOW_HEAD = share, head
        joined = joined_neighbours(pieces, rows)
        row_text.FOLLOW_HEAD = 10**9  # every check on all rows
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(row_text, "_too_many", lambda *args: False)
            thorough = joined_neighbours(pieces, rows)
    finally:
        row_text.JOIN_SHARE, row_text.FOLLOW_HEAD = previous
    assert len(joined) == len(thorough)
    expected = ["".join(f"c{i}={c[row]}," for i, c in enumerate(codes)) for row in range(rows)]
    assert rows_text(joined, 0, rows).to_pylist() == expected
    assert rows_text(thorough, 0, rows).to_pylist() == expected


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "b", "a", "MMR005030703", "ခါ"]))))
def test_a_categorical_column_is_factorised_as_its_text(values):
    text = pd.Series(values, dtype="str", name="place")
    from_text = row_text.factorised(text)
    from_codes = row_text.factorised(text.astype("category"))
    assert from_codes.codes.tolist() == from_text.codes.tolist()
    assert from_codes.values.tolist() == from_text.values.tolist()
    assert (from_codes.text, from_codes.missing) == (from_text.text, from_text.missing)


@pytest.mark.parametrize("distinct", [1, 125, 126, 127, 128, 32_766, 32_767, 40_000])
@pytest.mark.parametrize("missing", [False, True])
def test_codes_take_the_smallest_type_that_holds_them_and_the_missing_code(distinct, missing):
    """A table's codes are held until it is written, so each column's are as narrow as its
    values and the missing value's code allow; every row still shows its own value."""
    values = [f"v{i}" for i in range(distinct)]
    column = pd.Series(values + ([None] if missing else []) + values[:3], dtype="str")
    found = row_text.factorised(column)
    highest = len(found.values) if missing else len(found.values) - 1
    assert found.codes.max() == highest
    assert np.iinfo(found.codes.dtype).max >= highest
    smaller = {np.int16: np.int8, np.int32: np.int16}.get(found.codes.dtype.type)
    assert smaller is None or np.iinfo(smaller).max < highest + 1
    texts = found.coded(pa.array(found.values.tolist(), pa.string()), "")
    shown = rows_text([texts], 0, len(column)).to_pylist()
    assert shown == column.fillna("").tolist()
