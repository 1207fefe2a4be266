"""Column work done once per distinct value and spread back to every row.

Event tables repeat the same names, codes and combinations many times: a function of each
value alone is worked out for the distinct values only and its results taken back by row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

# Columns worked on at once by `each_column`, when they are at least this long (shorter ones
# take less time to scan than threads take to hand the interpreter to each other).
COLUMN_THREADS = 2
THREADED_ROWS = 50_000
T = TypeVar("T")
# Per-event tables at least this long hold their repeated text as categories. At a million
# events that takes a tenth of the text's memory (peak 3.4 GB -> 2.5 GB) in the same time; at
# 100,000 the memory saved is a tenth of the peak and the conversions cost 0.3 s more.
CATEGORY_ROWS = 500_000
# Text that differs from event to event: held as text, not as categories.
PER_EVENT_TEXT = ("event_id",)


def once_per_value(function: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """`function(values)` for a `function` of each value alone (such as `normalise_name`),
    worked out once per distinct value."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    result = function(pd.Series(distinct, dtype=values.dtype))
    return pd.Series(result.array.take(codes), index=values.index, dtype=result.dtype)


def once_per_row(function: Callable[[pd.DataFrame], pd.Series], rows: pd.DataFrame) -> pd.Series:
    """`function(rows)` for a `function` of each row alone, worked out once per distinct row
    (a million events share a few hundred combinations of the inputs of a note)."""
    codes = row_codes(rows)
    # Codes run in order of first appearance: a row holds a new one where it exceeds all before.
    seen = np.maximum.accumulate(codes)
    first = np.flatnonzero(codes > np.r_[-1, seen[:-1]])
    distinct = rows.iloc[first].reset_index(drop=True)
    result = function(distinct)
    return pd.Series(result.array.take(codes), index=rows.index, dtype=result.dtype)


def row_codes(rows: pd.DataFrame) -> np.ndarray:
    """A number per row, the same for equal rows, numbered in order of first appearance (a
    missing value equals a missing value). Each column is factorised and the codes combined,
    never hashing a row of Python objects."""
    key = np.zeros(len(rows), dtype=np.int64)
    for column in rows.columns:
        codes, distinct = pd.factorize(rows[column], use_na_sentinel=False)
        key = key * max(len(distinct), 1) + codes
        key, _ = pd.factorize(key)
    return key.astype(np.int64, copy=False)


def is_in(values: pd.Series, known: pd.Index | pd.Series) -> pd.Series:
    """`values.isin(known)`, looked up in a hash table: the Arrow string `isin` builds a
    Python scalar for every known value, a slow start against thousands of P-codes."""
    return values.astype(object).isin(known)


def each_column(function: Callable[[pd.Series], T], columns: Sequence[pd.Series]) -> list[T]:
    """`function` of each column, two long columns at a time: for work done in Arrow, numpy
    and pandas' hash tables, which release the interpreter while they scan a column."""
    if max((len(column) for column in columns), default=0) < THREADED_ROWS:
        return [function(column) for column in columns]
    with ThreadPoolExecutor(COLUMN_THREADS) as pool:
        return list(pool.map(function, columns))


def rows_at(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows of `frame` at `positions` (a new index), each column taken on its own and
    two long columns at a time (see `each_column`): pandas takes one column after another."""
    columns = [frame.iloc[:, j] for j in range(frame.shape[1])]
    # As Series of the column's own type: from a bare array, text held as objects would be
    # read again and turned into another text type.
    taken = each_column(
        lambda column: pd.Series(column.array.take(positions), dtype=column.dtype, copy=False),
        columns,
    )
    rows = pd.RangeIndex(len(positions))
    return pd.DataFrame(dict(enumerate(taken)), index=rows).set_axis(frame.columns, axis=1)


def repeated_as_categories(
    frame: pd.DataFrame, unique: Collection[str] = (), rows: int | None = None
) -> pd.DataFrame:
    """`frame` with each text column but `unique` held as categories: a code per row and each
    distinct text once, in text order (so sorting and grouping go as on the text). `rows` is
    the length of the per-event table the columns go to (`frame`'s own by default): below
    `CATEGORY_ROWS`, `frame` is given back as it is.

    A per-event table repeats its places' names, codes and notes on every event there: a
    million events hold a few thousand distinct texts per column, and a copy, a row subset or
    a file of the table then moves codes, not text. A small table's text is held as it is:
    there the conversions would cost more than they save.
    """
    if (len(frame) if rows is None else rows) < CATEGORY_ROWS:
        return frame
    kinds = frame.dtypes.items()
    at = [
        j
        for j, (name, kind) in enumerate(kinds)
        if isinstance(kind, pd.StringDtype) and name not in unique
    ]
    return _converted(frame, at, lambda column: column.astype("category"))


def categories_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its categorical columns as plain text: for work that edits, joins or
    adds to text (a categorical column accepts no new value)."""
    at = [j for j, kind in enumerate(frame.dtypes) if isinstance(kind, pd.CategoricalDtype)]
    return _converted(frame, at, as_text)


def as_text(column: pd.Series, dtype: str = "str") -> pd.Series:
    """`column.astype(dtype)` for a text `dtype` ("str" or "string"). A categorical column of
    text takes its distinct texts by code in Arrow: pandas makes a Python text of every row
    first (a million rows 0.3 s a column, against 0.01 s)."""
    values = column.array
    if not isinstance(values, pd.Categorical) or pd.api.types.infer_dtype(
        values.categories, skipna=True
    ) not in ("string", "empty"):
        return column.astype(dtype)
    texts = pa.array(values.categories.to_numpy(dtype=object), type=pa.large_string())
    codes = pa.array(values.codes, mask=values.codes < 0)
    return pd.Series(texts.take(codes), index=column.index, name=column.name, dtype=dtype)


def _converted(
    frame: pd.DataFrame, at: list[int], convert: Callable[[pd.Series], pd.Series]
) -> pd.DataFrame:
    """`frame` with the columns at positions `at` converted, two at a time; the others are
    shared with `frame`."""
    if not at:
        return frame
    converted = each_column(convert, [frame.iloc[:, j] for j in at])
    out = frame.copy(deep=False)
    for j, column in zip(at, converted, strict=True):
        out.isetitem(j, column)
    return out
