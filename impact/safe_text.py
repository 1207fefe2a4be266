"""Text from input files made harmless for every output: workbook, CSVs, charts and reports.

Input cells can hold anything a colleague or a scraper put there: NUL and other control
characters (which break Excel files and terminals), text a spreadsheet would run as a formula,
Markdown or HTML that would render as headings, links, remote images or scripts. Control
characters are shown as their visible Unicode pictures (NUL → ␀) instead of being dropped, so
the analyst can still see that the cell was odd.
"""

from __future__ import annotations

import re

import pandas as pd

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Plain numbers may start with + or -; anything else starting so is defused.
NUMBER = re.compile(r"[+-]?(\d[\d,]*)?\.?\d+([eE][+-]?\d+)?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
LINE_START = re.compile(r"^([#+\-=>]|\d+[.)](?=\s|$))")


def _picture(match: re.Match) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def visible_controls(text: str) -> str:
    """Control characters (except tab and line ends) as visible symbols; NUL → ␀."""
    return CONTROL.sub(_picture, text)


def has_controls(values: pd.Series) -> bool:
    """True when any distinct text in `values` holds a control character (one scan)."""
    uniques = values.dropna().unique()
    return bool(len(uniques)) and bool(CONTROL.search("\n".join(map(str, uniques))))


def visible_controls_table(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with control characters shown in every text cell and column name."""
    out = table.rename(columns=lambda c: visible_controls(str(c)) if isinstance(c, str) else c)
    for column in out.columns:
        values = out[column]
        if (values.dtype == object or pd.api.types.is_string_dtype(values)) and has_controls(
            values
        ):
            out[column] = values.map(
                lambda v: visible_controls(v) if isinstance(v, str) else v, na_action="ignore"
            )
    return out


def defused(text: str) -> str:
    """A leading quote for text a spreadsheet would run as a formula; numbers unchanged."""
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def markdown_text(value: object) -> str:
    """Input text safe anywhere in Markdown: one line, no markup, no raw HTML, no links.

    Line breaks are folded (a newline in a cell cannot start a heading or list item);
    Markdown punctuation is backslash-escaped; `<`, `>` and entity-like `&` become entities.
    """
    text = "" if value is None else visible_controls(str(value))
    text = " ".join(text.split())
    text = MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    return LINE_START.sub(r"\\\1", text)
