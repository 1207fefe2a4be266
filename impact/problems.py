"""Rows that could not be used, or were left out by a rule: one shape for every stage.

Reading, place resolution and the period filter all report problems as rows of the same table
(file, row, column, value, reason code, message), so `rejected.csv` and `skipped.csv` read the
same whichever stage found the problem, and input rows always equal used + rejected + skipped.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
from pandera.typing import DataFrame

from impact.schemas import Rejected, RejectReason, Skipped, SkipReason

COLUMNS = ["source_file", "source_row", "column", "value", "reason", "message"]


def rejected_rows(
    rows: pd.DataFrame,
    *,
    column: str | pd.Series,
    value: object,
    reason: RejectReason | str | pd.Series,
    message: str | pd.Series,
) -> DataFrame[Rejected]:
    """Rejected rows for the input rows in `rows` (which carry source_file and source_row).

    Each of column, value, reason and message is one value for every row or a Series aligned
    with `rows`.
    """
    if rows.empty:
        return no_problems()
    return Rejected.validate(_problems(rows, column, value, reason, message))


def skipped_rows(
    rows: pd.DataFrame,
    *,
    column: str,
    value: object,
    reason: SkipReason,
    message: str | pd.Series,
) -> DataFrame[Skipped]:
    """Rows left out by a rule the analyst chose (period, event type): not errors."""
    if rows.empty:
        return _validated_empty(Skipped).copy()
    return Skipped.validate(_problems(rows, column, value, reason, message))


def no_problems() -> DataFrame[Rejected]:
    """An empty problem table with the right columns and types (a fresh copy each call)."""
    return _validated_empty(Rejected).copy()


@cache
def _validated_empty(schema: type[Rejected]) -> pd.DataFrame:
    """The empty table of `schema`, validated once: a run's stages find no problem of a kind
    several times, and each validation of nothing cost a few milliseconds."""
    return schema.validate(
        pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}).astype({"source_row": int})
    )


def combine(*tables: pd.DataFrame) -> pd.DataFrame:
    """Problem tables of several stages as one, in file and row order."""
    frames = [t for t in tables if not t.empty]
    if not frames:
        return no_problems()
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)


def _problems(
    rows: pd.DataFrame, column: object, value: object, reason: object, message: object
) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "source_file": rows["source_file"],
            "source_row": rows["source_row"],
            "column": _aligned(column, rows.index),
            "value": _aligned(value, rows.index),
            "reason": _aligned(reason, rows.index),
            "message": _aligned(message, rows.index),
        }
    )
    table["reason"] = table["reason"].astype(str)
    return table.reset_index(drop=True)


def _aligned(value: object, index: pd.Index) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.reindex(index).astype(object)
    if hasattr(value, "__len__") and not isinstance(value, str) and len(value) == len(index):
        return pd.Series(list(value), index=index, dtype=object)
    return pd.Series([value] * len(index), index=index, dtype=object)
