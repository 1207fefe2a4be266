"""Rows of text written from columns, each distinct value's text built once.

An output row (a workbook row, a GeoJSON feature) is the text of its cells one after
another. Most columns of the per-event table repeat a few values (a place's figures are the
same on every event there), so a column is held as the text of each distinct value and, per
row, the code of its value (`Coded`). Neighbouring coded columns whose combinations stay few
are joined into one piece (`joined_neighbours`), so a row is built from a handful of pieces
instead of one per column, and the work goes with the distinct combinations, not the rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.arrow_text import text_bytes

# Neighbouring pieces are joined while their distinct combinations are at most this share of
# the rows (a larger share saves little and holds more text).
JOIN_SHARE = 8
# Rows checked first for a right code that follows from the left one.
FOLLOW_HEAD = 20_000


class Piece(Protocol):
    """Anything that gives the text of a range of rows."""

    def rows(self, start: int, stop: int) -> pa.Array: ...


@dataclass(frozen=True)
class Coded:
    """Texts by code: row `i` shows `distinct[codes[i]]` (no nulls in either)."""

    distinct: pa.Array
    codes: np.ndarray

    def rows(self, start: int, stop: int) -> pa.Array:
        return self.distinct.take(self.codes[start:stop])


@dataclass(frozen=True)
class Plain:
    """Texts held row by row (a column of mostly distinct values)."""

    texts: pa.Array

    def rows(self, start: int, stop: int) -> pa.Array:
        return self.texts.slice(start, stop - start)


@dataclass(frozen=True)
class Factorised:
    """A column as its distinct values (in order of first appearance) and the code of each
    row's value, `len(values)` where missing: worked out once for every file a table is
    written to. Text columns are factorised as text (`text`)."""

    codes: np.ndarray
    values: pd.Series
    text: bool
    missing: bool

    def coded(self, texts: pa.Array, missing: str) -> Coded:
        """Rows as `texts` (one per distinct value), `missing` where a value is missing."""
        if self.missing:
            texts = pa.concat_arrays([texts, pa.array([missing], texts.type)])
        return Coded(texts, self.codes)


def factorised(column: pd.Series) -> Factorised:
    """The distinct values of `column` and each row's code; text is compared as text, and
    floats by their bits (-0.0 is written "-0", not as 0)."""
    if pd.api.types.is_float_dtype(column.dtype):
        return _factorised_floats(column)
    if isinstance(column.dtype, pd.CategoricalDtype):
        return _factorised_categories(column)
    text = is_text(column.dtype)
    codes, values = pd.factorize(column.astype("string") if text else column)
    return _with_missing_last(codes, pd.Series(values, name=column.name), text)


def _factorised_floats(column: pd.Series) -> Factorised:
    numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(numbers)
    codes, bits = pd.factorize(np.where(missing, 0, numbers.view(np.int64)))
    codes[missing] = -1
    values = pd.Series(bits.view(np.float64), name=column.name).astype(column.dtype)
    return _with_missing_last(codes, values, False)


def _factorised_categories(column: pd.Series) -> Factorised:
    """As the column's text is factorised (values in order of first appearance), from its
    category codes: integers hashed, not texts."""
    codes, first = pd.factorize(column.cat.codes.to_numpy())
    if (first < 0).any():  # code -1: a missing value
        missing = int(np.flatnonzero(first < 0)[0])
        codes = np.where(codes == missing, -1, codes - (codes > missing))
        first = np.delete(first, missing)
    values = column.cat.categories.take(first).astype("string")
    return _with_missing_last(codes, pd.Series(values, name=column.name), True)


def _with_missing_last(codes: np.ndarray, values: pd.Series, text: bool) -> Factorised:
    codes = narrow(codes)
    missing = codes < 0
    if missing.any():
        codes[missing] = len(values)
    return Factorised(codes, values, text, bool(missing.any()))


def is_text(kind: object) -> bool:
    """A column that is neither boolean, nor a date, nor a number is written as text."""
    return not (
        pd.api.types.is_bool_dtype(kind)
        or pd.api.types.is_datetime64_any_dtype(kind)
        or pd.api.types.is_numeric_dtype(kind)
    )


def coded(distinct: pa.Array, codes: np.ndarray, missing: str) -> Coded:
    """Texts by code, where code -1 (a missing value) shows `missing`."""
    if len(codes) and codes.min() < 0:
        codes = np.where(codes < 0, len(distinct), codes)
        distinct = pa.concat_arrays([distinct, pa.array([missing], distinct.type)])
    return Coded(distinct, narrow(codes))


def narrow(codes: np.ndarray) -> np.ndarray:
    """Codes in the smallest integer type that holds them and one more (the missing value's
    code): a table's codes are all held until it is written."""
    most = codes.max(initial=0)
    kind = np.int8 if most < 2**7 - 1 else np.int16 if most < 2**15 - 1 else np.int32
    return codes.astype(kind, copy=False)


def joined_neighbours(pieces: Sequence[Piece | str], rows: int) -> list[Piece | str]:
    """Neighbouring pieces of `rows` rows joined into one while their distinct combinations
    stay at most `rows / JOIN_SHARE`; fixed texts (`str`) join their neighbours freely."""
    most = max(rows // JOIN_SHARE, 1)
    joined: list[Piece | str] = []
    for piece in pieces:
        both = _joined(joined[-1], piece, most) if joined else None
        if both is None:
            joined.append(piece)
        else:
            joined[-1] = both
    return joined


def rows_text(pieces: Sequence[Piece | str], start: int, stop: int) -> pa.Array:
    """The text of rows `start` to `stop`: each piece's text one after another (a null
    piece adds nothing)."""
    parts = [piece if isinstance(piece, str) else piece.rows(start, stop) for piece in pieces]
    if not any(isinstance(part, pa.Array) for part in parts):
        parts.append(pa.nulls(stop - start, pa.string()).fill_null(""))
    return pc.binary_join_element_wise(*parts, "", null_handling="replace", null_replacement="")


def write_rows(
    pieces: Sequence[Piece | str], rows: int, out: BinaryIO, chunk: int, drop_last: int = 0
) -> None:
    """Write the text of `rows` rows to `out`, `chunk` rows at a time, without the last
    `drop_last` bytes. Chunks are built by two threads (Arrow's kernels release the
    interpreter) while this one writes them, in order."""
    starts = range(0, rows, chunk)
    with ThreadPoolExecutor(2) as builders:
        built: deque[Future[pa.Array]] = deque()
        for start in starts:
            built.append(builders.submit(rows_text, pieces, start, min(start + chunk, rows)))
            if len(built) > 2:
                out.write(text_bytes(built.popleft().result()))
        while built:
            text = text_bytes(built.popleft().result())
            out.write(text[: len(text) - drop_last] if not built else text)


def _joined(left: Piece | str, right: Piece | str, most: int) -> Piece | str | None:
    """`left` and `right` as one piece, when both are fixed or coded and their
    combinations are few; else None."""
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, str) and isinstance(right, Coded):
        return Coded(_text(left, right.distinct), right.codes)
    if isinstance(right, str) and isinstance(left, Coded):
        return Coded(_text(left.distinct, right), left.codes)
    if not (isinstance(left, Coded) and isinstance(right, Coded)) or len(left.distinct) > most:
        return None
    if len(right.distinct) == 1:
        return Coded(_text(left.distinct, right.distinct[0].as_py()), left.codes)
    if len(left.distinct) == 1:
        return Coded(_text(left.distinct[0].as_py(), right.distinct), right.codes)
    follows = _follows(left.codes, right.codes, len(left.distinct))
    if follows is not None:
        return Coded(_text(left.distinct, right.distinct.take(follows)), left.codes)
    width = len(right.distinct)
    combined = left.codes.astype(np.int64) * width + right.codes
    # The combinations of the first rows are among those of all: too many there, too many.
    head = min(len(combined), 2 * most)
    if head < len(combined) and _too_many(combined[:head], most):
        return None
    codes, combinations = _pairs(combined, len(left.distinct) * width)
    if len(combinations) > most:
        return None
    distinct = _text(
        left.distinct.take(combinations // width), right.distinct.take(combinations % width)
    )
    return Coded(distinct, narrow(codes))


def _pairs(combined: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct values of `combined` (all below `size`) and those values:
    by marking the values present when there are few possible ones, else by hashing."""
    if size > len(combined):
        return pd.factorize(combined)
    present = np.zeros(size, dtype=bool)
    present[combined] = True
    number = np.cumsum(present, dtype=np.int64) - 1
    return number[combined], np.flatnonzero(present)


def _too_many(combined: np.ndarray, most: int) -> bool:
    """Whether the rows hold more than `most` distinct pairs of codes."""
    return len(pd.unique(combined)) > most


def _follows(left: np.ndarray, right: np.ndarray, size: int) -> np.ndarray | None:
    """The right code of each left code when the right follows from the left on every row
    (a place's name from its P-code), else None: checked without hashing the pairs, on the
    first rows before all of them (most pairs that do not follow fail there)."""
    seen = np.zeros(size, dtype=right.dtype)
    for stop in (FOLLOW_HEAD, len(left)) if len(left) > FOLLOW_HEAD else (len(left),):
        seen[left[:stop]] = right[:stop]
        if not np.array_equal(seen[left[:stop]], right[:stop]):
            return None
    return seen


def _text(left: pa.Array | str, right: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(left, right, "")
