"""Tables as files dashboards can ingest: CSV (optionally with an HXL row) and one workbook.

Same table, same bytes: UTF-8, LF line ends, ISO dates, fixed column order. Text a spreadsheet
would run as a formula (starting with =, +, -, @) is defused with a leading quote everywhere,
header cells included, and control characters from input are shown as visible symbols.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from openpyxl import Workbook

from impact.safe_text import FORMULA_START, NUMBER, defused, visible_controls_table
from impact.schemas import hxl_tags


def safe_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells and column names that start like a formula get a leading quote (plain
    numbers excepted); control characters become visible symbols; other cells are unchanged.
    """
    out = visible_controls_table(table)
    out.columns = [defused(c) if isinstance(c, str) else c for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
            risky &= ~text.str.fullmatch(NUMBER.pattern).fillna(False).astype(bool)
            if risky.any():
                out[column] = out[column].astype(object).where(~risky, "'" + text)
    return out


def write_csv(table: pd.DataFrame, path: Path, *, hxl: bool = False) -> None:
    """Write one table; with `hxl`, the second row holds each column's HXL hashtag.

    Arrow's CSV writer does the work (ten times faster than pandas' on a million rows): text is
    quoted, numbers are not, missing values are empty, dates are YYYY-MM-DD, booleans are
    true/false.
    """
    table = safe_cells(table)
    lines = [",".join(_quoted(str(c)) for c in table.columns)]
    tags = hxl_tags(path.stem, table.columns)
    if hxl and any(tags):
        lines.append(",".join(_quoted(tag) for tag in tags))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if len(table):
        with path.open("ab") as handle:
            pacsv.write_csv(
                _arrow(table),
                handle,
                write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"),
            )


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if re.search(r'[,"\n\r]', text) else text


def _arrow(table: pd.DataFrame) -> pa.Table:
    """Arrow columns with the types the CSV should show: dates as dates, text as text."""
    columns = {}
    for name in table.columns:
        column = table[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            columns[str(name)] = pa.array(column, type=pa.timestamp("ns")).cast(pa.date32())
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            columns[str(name)] = pa.array(
                column.astype("string"), type=pa.string(), from_pandas=True
            )
        else:
            columns[str(name)] = pa.array(column, from_pandas=True)
    return pa.table(columns)


# Longer tables stay in their CSV: a workbook is for reading, and writing one is slow.
WORKBOOK_MAX_ROWS = 20_000


def write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (streamed, write-only), dates as ISO text, formulas defused.

    A table longer than `WORKBOOK_MAX_ROWS` is listed on a "left out" sheet instead, pointing
    to its CSV. The file's own timestamps are fixed, so the same tables give the same bytes.
    """
    book = Workbook(write_only=True)
    long = {name: len(t) for name, t in tables.items() if len(t) > WORKBOOK_MAX_ROWS}
    if long:
        sheet = book.create_sheet("left out")
        sheet.append(["table", "rows", "note"])
        for name, rows in long.items():
            note = f"more than {WORKBOOK_MAX_ROWS:,} rows: see {name}.csv"
            sheet.append([defused(name), rows, note])
    for name, table in tables.items():
        if name in long:
            continue
        sheet = book.create_sheet(name[:31])
        safe = safe_cells(table)
        sheet.append([str(c) for c in safe.columns])
        for row in _cells(safe).itertuples(index=False, name=None):
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_without_timestamps(buffer.getvalue()))


FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _without_timestamps(xlsx: bytes) -> bytes:
    """The workbook with fixed zip entry times and document created/modified dates."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>1980-01-01T00:00:00Z",
                    data,
                )
            info = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            copy.writestr(info, data)
    return out.getvalue()


def _cells(table: pd.DataFrame) -> pd.DataFrame:
    """Plain Python values: ISO text for dates, None for missing, numbers as numbers."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), None)
