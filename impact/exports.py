"""Tables as files dashboards can ingest: CSV (optionally with an HXL row) and one workbook.

Same table, same bytes: UTF-8, LF line ends, ISO dates, fixed column order. Text a spreadsheet
would run as a formula (starting with =, +, -, @) is defused with a leading quote everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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


def write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table, dates as ISO text, formulas defused."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in tables.items():
            sheet = safe_cells(table).copy()
            for column in sheet.columns:
                if pd.api.types.is_datetime64_any_dtype(sheet[column]):
                    sheet[column] = sheet[column].dt.strftime("%Y-%m-%d")
            sheet.to_excel(writer, sheet_name=name[:31], index=False)
