"""Tables as files dashboards can ingest: CSV (optionally with an HXL row) and one workbook.

Same table, same bytes: UTF-8, LF line ends, ISO dates, fixed column order. Text a spreadsheet
would run as a formula (starting with =, +, -, @) is defused with a leading quote everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from impact.schemas import hxl_tags

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that start like a formula get a leading quote; other cells are unchanged."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[column] = out[column].astype(object).where(~risky, "'" + text)
    return out


def write_csv(table: pd.DataFrame, path: Path, *, hxl: bool = False) -> None:
    """Write one table; with `hxl`, the second row holds each column's HXL hashtag."""
    table = safe_cells(table)
    tags = hxl_tags(path.stem, table.columns)
    if hxl and any(tags):
        row = pd.DataFrame([tags], columns=table.columns)
        table = pd.concat([row, table.astype(object)], ignore_index=True)
    table.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


# Longer tables stay in their CSV: a workbook is for reading, and writing one is slow.
WORKBOOK_MAX_ROWS = 20_000


def write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (streamed, write-only), dates as ISO text, formulas defused.

    A table longer than `WORKBOOK_MAX_ROWS` is listed on a "left out" sheet instead, pointing
    to its CSV.
    """
    book = Workbook(write_only=True)
    long = {name: len(t) for name, t in tables.items() if len(t) > WORKBOOK_MAX_ROWS}
    if long:
        sheet = book.create_sheet("left out")
        sheet.append(["table", "rows", "note"])
        for name, rows in long.items():
            sheet.append([name, rows, f"more than {WORKBOOK_MAX_ROWS:,} rows: see {name}.csv"])
    for name, table in tables.items():
        if name in long:
            continue
        sheet = book.create_sheet(name[:31])
        sheet.append([str(c) for c in table.columns])
        for row in _cells(safe_cells(table)).itertuples(index=False, name=None):
            sheet.append(row)
    book.save(path)


def _cells(table: pd.DataFrame) -> pd.DataFrame:
    """Plain Python values: ISO text for dates, None for missing, numbers as numbers."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), None)
