"""Column work done once per distinct value and spread back to every row.

Event tables repeat the same names, codes and combinations many times: a function of each
value alone is worked out for the distinct values only and its results taken back by row.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd


def once_per_value(function: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """`function(values)` for a `function` of each value alone (such as `normalise_name`),
    worked out once per distinct value."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    result = function(pd.Series(distinct, dtype=values.dtype))
    return pd.Series(result.array.take(codes), index=values.index, dtype=result.dtype)


def once_per_row(function: Callable[[pd.DataFrame], pd.Series], rows: pd.DataFrame) -> pd.Series:
    """`function(rows)` for a `function` of each row alone, worked out once per distinct row
    (a million events share a few hundred combinations of the inputs of a note)."""
    codes = rows.groupby(list(rows.columns), sort=False, dropna=False).ngroup().to_numpy()
    distinct = rows[~rows.duplicated()].reset_index(drop=True)
    result = function(distinct)
    return pd.Series(result.array.take(codes), index=rows.index, dtype=result.dtype)


def is_in(values: pd.Series, known: pd.Index | pd.Series) -> pd.Series:
    """`values.isin(known)`, looked up in a hash table: the Arrow string `isin` builds a
    Python scalar for every known value, a slow start against thousands of P-codes."""
    return values.astype(object).isin(known)
