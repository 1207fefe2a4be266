"""Tables as files dashboards can ingest: CSV (optionally with an HXL row) and one workbook.

Same table, same bytes: UTF-8, LF line ends, ISO dates, fixed column order. Text a spreadsheet
would run as a formula (starting with =, +, -, @) is defused with a leading quote everywhere,
header cells included, and control characters from input are shown as visible symbols.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.beside import shared
from impact.per_value import each_column
from impact.row_text import Coded, Factorised, factorised, joined_neighbours, write_rows
from impact.safe_text import defused, formula_like, text_columns, visible_controls_table
from impact.schemas import hxl_tags
from impact.workbook import EXCEL_CELL_CHARS, Sheet, too_long_for_a_cell, write_xlsx


def safe_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells and column names that start like a formula get a leading quote (plain
    numbers excepted); control characters become visible symbols; other cells are unchanged.
    A categorical column's distinct texts are made safe, not its rows.
    """
    out = visible_controls_table(table)
    out.columns = [defused(c) if isinstance(c, str) else c for c in out.columns]
    texts = text_columns(out)
    starts = each_column(formula_like, [out[c] for c in texts])
    for column, risky in zip(texts, starts, strict=True):
        if risky.any():
            text = out[column].astype("string")
            out[column] = out[column].astype(object).where(~risky, "'" + text)
    held = [c for c, kind in out.dtypes.items() if isinstance(kind, pd.CategoricalDtype)]
    for column, safe in zip(held, _safe_categories([out[c] for c in held]), strict=True):
        out[column] = safe
    return out


def _safe_categories(columns: list[pd.Series]) -> list[pd.Series]:
    """Categorical columns with their categories made safe (all columns' at once), each as
    text when two of its categories come out the same."""
    if not columns:
        return []
    every = np.concatenate([c.cat.categories.to_numpy(dtype=object) for c in columns])
    safe = safe_cells(pd.DataFrame({"text": every}))["text"].to_numpy()
    ends = np.cumsum([len(c.cat.categories) for c in columns])
    out = []
    for column, categories in zip(columns, np.split(safe, ends[:-1]), strict=True):
        if (categories == column.cat.categories.to_numpy(dtype=object)).all():
            out.append(column)
        elif pd.Index(categories).is_unique:
            out.append(column.cat.rename_categories(categories))
        else:
            out.append(safe_cells(pd.DataFrame({"text": column.astype("str")}))["text"])
    return out


# Rows of text built at once (up to four chunks are in memory). The writing helper, the
# largest process of a million-event report (it starts holding what this one holds), peaked
# at 1,402-1,437 MB with 10,000 (and 25,000 features a GeoJSON write) against 1,455-1,516 MB
# with 20,000 (and 50,000), in about the same time.
CSV_CHUNK_ROWS = 10_000


def write_csv(table: pd.DataFrame, path: Path, *, hxl: bool = False) -> None:
    """Write one table; with `hxl`, the second row holds each column's HXL hashtag.

    Arrow's CSV writer does the work (ten times faster than pandas' on a million rows): text is
    quoted, numbers are not, missing values are empty, dates are YYYY-MM-DD, booleans are
    true/false.
    """
    _write_safe_csv(safe_cells(table), path, hxl=hxl)


def write_tables(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    *,
    hxl: bool = False,
    readme: list[tuple[str, str]] = (),
    helper_when: Callable[[], bool] | None = None,
    more_files: Mapping[Path, Callable[[], None]] | None = None,
    written: Callable[[Path], object] | None = None,
) -> None:
    """Each table as `<name>.csv` in `folder`, and all of them in `impact.xlsx`.

    Cells are made safe once for both (the CSV and the workbook show the same text). The
    files are written in turn, the workbook first, then the caller's other files
    (`more_files`: each path with what writes it), then the CSVs. Given `helper_when`, a
    forked helper writes the next ones from the moment it holds (a core come free: a large
    run's charts drawn), not before, when the two would only take turns on a busy core (see
    `impact.beside.shared`). `written(path)` is called here as soon as each file is complete,
    whichever process wrote it.
    """
    safe = {name: safe_cells(table) for name, table in tables.items()}
    # Each column's distinct values are found once, for its CSV and its sheet.
    found = {name: _factorised_columns(table) for name, table in safe.items()}
    writes = {
        folder / "impact.xlsx": partial(
            _write_safe_workbook, safe, folder / "impact.xlsx", readme, found
        ),
        **(more_files or {}),
    }
    for name, table in safe.items():
        path = folder / f"{name}.csv"
        writes[path] = partial(_write_safe_csv, table, path, hxl=hxl, columns=found[name])
    paths = list(writes)
    shared(
        paths,
        lambda path: writes[path](),
        helper_when=helper_when,
        done=None if written is None else lambda i: written(paths[i]),
    )


def _write_safe_csv(
    table: pd.DataFrame, path: Path, *, hxl: bool, columns: list[Factorised] | None = None
) -> None:
    """The header (and HXL row), then the rows built from each column's distinct values'
    CSV text (see `impact.row_text`), written `CSV_CHUNK_ROWS` at a time."""
    lines = [",".join(_quoted(str(c)) for c in table.columns)]
    tags = hxl_tags(path.stem, table.columns)
    if hxl and any(tags):
        lines.append(",".join(_quoted(tag) for tag in tags))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not len(table):
        return
    found = columns or _factorised_columns(table)
    cells = [piece for column in found for piece in (",", _csv_cells(column))][1:]
    pieces = joined_neighbours([*cells, "\n"], len(table))
    del cells  # each column's cells, once joined into pieces: 33 MB for a million rows
    with path.open("ab") as handle:
        write_rows(pieces, len(table), handle, CSV_CHUNK_ROWS)


def _factorised_columns(table: pd.DataFrame) -> list[Factorised]:
    """Each column's distinct values and codes (by position: names may repeat)."""
    return each_column(factorised, [table.iloc[:, j] for j in range(table.shape[1])])


def _csv_cells(found: Factorised) -> Coded:
    """Each distinct value's CSV text as Arrow's CSV writer gives it: text quoted (quotes
    doubled), numbers, booleans and dates as Arrow casts them to text, missing values empty."""
    values = found.values
    if found.text:
        texts = pa.array(values, type=pa.string(), from_pandas=True)
        texts = pc.binary_join_element_wise('"', pc.replace_substring(texts, '"', '""'), '"', "")
    elif pd.api.types.is_datetime64_any_dtype(values):
        texts = pa.array(values, type=pa.timestamp("ns")).cast(pa.date32()).cast(pa.string())
    else:
        texts = pa.array(values, from_pandas=True).cast(pa.string())
    return found.coded(texts.fill_null("") if texts.null_count else texts, "")


def _sheet_columns(
    table: pd.DataFrame, found: dict[str, list[Factorised]] | None, name: str, rows: int
) -> list[Factorised]:
    """The factorised columns of the table's first `rows` rows: cut from the caller's when it
    has them, else worked out."""
    if found and name in found:
        return _head(found[name], rows)
    return _factorised_columns(_first(table, rows))


def _first(table: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The table's first `rows` rows; the table itself when it has no more (pandas' `head`
    copies every column, half a gigabyte for a million events)."""
    return table if len(table) <= rows else table.head(rows)


def _cells_too_long(columns: list[Factorised]) -> int:
    """How many text cells of these columns are too long for an Excel cell."""
    cut = 0
    for column in columns:
        if column.text and column.values.memory_usage(index=False, deep=True) > EXCEL_CELL_CHARS:
            over = too_long_for_a_cell(pa.array(column.values, pa.string(), from_pandas=True))
            if over.any():
                cut += int(np.isin(column.codes, np.flatnonzero(over)).sum())
    return cut


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if re.search(r'[,"\n\r]', text) else text


def _head(columns: list[Factorised] | None, rows: int) -> list[Factorised] | None:
    """The factorised columns of a table's first `rows` rows."""
    if columns is None or all(len(c.codes) <= rows for c in columns):
        return columns
    return [Factorised(c.codes[:rows], c.values, c.text, c.missing) for c in columns]


# Excel's last row (the header takes one) and last column.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


def write_workbook(
    tables: dict[str, pd.DataFrame], path: Path, readme: list[tuple[str, str]] = ()
) -> None:
    """A README sheet, then one sheet per table: real dates and numbers, formulas defused.

    Each sheet has a bold frozen header row with an autofilter, columns sized to their
    content and thousands separators on counts (see `impact.workbook`). A table longer than
    Excel's row or column limit keeps its first rows or columns and the README says so; the
    CSV holds them all.
    Text that would run as a formula is defused in every sheet, header and README included.

    Args:
        tables: the sheets, by name (cut to Excel's 31 characters).
        path: the .xlsx file to write.
        readme: (heading, text) rows for the README sheet: sources, caveats.
    """
    _write_safe_workbook({name: safe_cells(t) for name, t in tables.items()}, path, readme)


def _write_safe_workbook(
    tables: dict[str, pd.DataFrame],
    path: Path,
    readme: list[tuple[str, str]],
    found: dict[str, list[Factorised]] | None = None,
) -> None:
    limit = EXCEL_MAX_ROWS - 1
    # Each column factorised once, for the README's notes and for its sheet.
    found = {name: _sheet_columns(t, found, name, limit) for name, t in tables.items()}
    notes = [
        (name, f"{len(t):,} rows: the sheet holds the first {limit:,}; {name}.csv holds all")
        for name, t in tables.items()
        if len(t) > limit
    ]
    notes += [
        (
            name,
            f"{t.shape[1]:,} columns: the sheet holds the first {EXCEL_MAX_COLUMNS:,}; "
            f"{name}.csv holds all",
        )
        for name, t in tables.items()
        if t.shape[1] > EXCEL_MAX_COLUMNS
    ]
    tables = dict(tables)
    for name, table in tables.items():
        if table.shape[1] > EXCEL_MAX_COLUMNS:
            tables[name] = table.iloc[:, :EXCEL_MAX_COLUMNS]
            found[name] = found[name][:EXCEL_MAX_COLUMNS]
    for name in tables:
        cut = _cells_too_long(found[name])
        if cut:
            notes.append(
                (
                    name,
                    f"{cut:,} cell(s) longer than a cell holds are cut and marked "
                    f"(Excel: {EXCEL_CELL_CHARS:,} characters); {name}.csv holds them whole",
                )
            )
    listing = ", ".join(f"{name} ({len(t):,} rows)" for name, t in tables.items())
    rows = pd.DataFrame([*readme, *notes, ("sheets", listing)], columns=["heading", "text"])
    sheets = [Sheet("README", safe_cells(rows), readme=True)]
    sheets += [
        Sheet(name[:31], _first(t, limit), columns=found[name]) for name, t in tables.items()
    ]
    write_xlsx(sheets, path)
