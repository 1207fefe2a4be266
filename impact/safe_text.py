"""Text from input files made harmless for every output: workbook, CSVs, charts and reports.

Input cells can hold anything a colleague or a scraper put there: NUL and other control
characters (which break Excel files and terminals), text a spreadsheet would run as a formula,
Markdown or HTML that would render as headings, links, remote images or scripts. Control
characters are shown as their visible Unicode pictures (NUL → ␀) instead of being dropped, so
the analyst can still see that the cell was odd.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.arrow_text import first_bytes
from impact.per_value import each_column

# Control characters, and the bidirectional embeddings, overrides and isolates (U+202A–E,
# U+2066–9), which reorder the text after them on screen (a name shown reversed).
CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# The same characters for Arrow's regex engine (Arrow text cannot hold surrogates).
CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"
# Plain numbers (ASCII digits, as Arrow's regex engine reads them) may start with + or -;
# anything else starting so is defused.
NUMBER = re.compile(r"[+-]?([0-9][0-9,]*)?\.?[0-9]+([eE][+-]?[0-9]+)?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_START_BYTES = np.array([ord(c) for c in FORMULA_START], dtype=np.uint8)
MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
LINE_START = re.compile(r"^([#+\-=>]|\d+[.)](?=\s|$))")


def _picture(match: re.Match) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    if 0x202A <= code <= 0x2069:
        return f"[U+{code:04X}]"
    return "\u2421" if code == 0x7F else "\ufffd"


def visible_controls(text: str) -> str:
    """Control characters (except tab and line ends) as visible symbols, NUL → ␀; a
    bidirectional override as its code, [U+202E]."""
    return CONTROL.sub(_picture, text)


def has_controls(values: pd.Series) -> bool:
    """True when any text in `values` holds a control character (one scan)."""
    texts = arrow_texts(values)
    if texts is not None:
        if not _may_hold_controls(texts):
            return False
        return bool(pc.any(pc.match_substring_regex(texts, CONTROL_RE2)).as_py())
    uniques = values.dropna().unique()
    return bool(len(uniques)) and bool(CONTROL.search("\n".join(map(str, uniques))))


def formula_like(values: pd.Series) -> np.ndarray:
    """Which cells a spreadsheet would run as a formula: text starting with =, +, -, @, tab
    or CR that is not a plain number. The first bytes are read from the Arrow buffers (the
    starts are all ASCII); only cells with such a start are matched against the number
    pattern."""
    texts = arrow_texts(values)
    if texts is None:
        cells = values.astype(object).where(values.notna(), None)
        return np.array([c is not None and defused(str(c)) != str(c) for c in cells], bool)
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    risky = np.isin(first_bytes(texts), FORMULA_START_BYTES)
    if risky.any():
        rows = np.flatnonzero(risky)
        numbers = pc.match_substring_regex(texts.take(rows), f"^(?:{NUMBER.pattern})$")
        risky[rows] = ~np.asarray(numbers.fill_null(False), dtype=bool)
    return risky


def _may_hold_controls(texts: pa.Array | pa.ChunkedArray) -> bool:
    """A byte scan of the text buffers: False means no control character for sure.

    In UTF-8 the characters below U+0080 are single bytes and U+0080–U+009F are 0xC2
    followed by 0x80–0x9F, so no character is missed; bytes outside the array's window may
    give a false alarm, which the exact check then clears. Most text has no byte below
    0x20, 0x7F, 0xC2 or 0xE2 at all, which quick passes tell.
    """
    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    for chunk in chunks:
        data = chunk.buffers()[2]
        if data is None or data.size == 0:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if _bidi_bytes(raw):
            return True
        if raw.min() >= 0x20 and not (raw == 0x7F).any() and not (raw == 0xC2).any():
            continue
        low = (raw < 0x20) & (raw != 0x09) & (raw != 0x0A) & (raw != 0x0D)
        if low.any() or (raw == 0x7F).any():
            return True
        if ((raw[:-1] == 0xC2) & (raw[1:] >= 0x80) & (raw[1:] <= 0x9F)).any():
            return True
    return False


def _bidi_bytes(raw: np.ndarray) -> bool:
    """Whether UTF-8 bytes may hold a bidirectional override: E2 80 AA–AE or E2 81 A6–A9
    (only text with a byte E2, as dashes and curly quotes have, is looked at closely)."""
    starts = np.flatnonzero(raw[:-2] == 0xE2)
    if not len(starts):
        return False
    second, third = raw[starts + 1], raw[starts + 2]
    return bool(
        (
            ((second == 0x80) & (third >= 0xAA) & (third <= 0xAE))
            | ((second == 0x81) & (third >= 0xA6) & (third <= 0xA9))
        ).any()
    )


def arrow_texts(values: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """A text column as Arrow strings, or None when it holds anything but text (numbers in
    an object column, lone surrogates) and must be read cell by cell."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in (
        "string",
        "empty",
    ):
        return None
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return None


def visible_controls_table(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with control characters shown in every text cell and column name."""
    out = table.rename(columns=lambda c: visible_controls(str(c)) if isinstance(c, str) else c)
    texts = text_columns(out)
    found = each_column(has_controls, [out[c] for c in texts])
    for column, controls in zip(texts, found, strict=True):
        if controls:
            out[column] = out[column].map(
                lambda v: visible_controls(v) if isinstance(v, str) else v, na_action="ignore"
            )
    return out


def text_columns(table: pd.DataFrame) -> list:
    """The columns of `table` that may hold text, but categorical ones (whose distinct texts
    are made safe, not their rows: see `impact.exports.safe_cells`)."""
    return [
        c
        for c, kind in table.dtypes.items()
        if (pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind))
        and not isinstance(kind, pd.CategoricalDtype)
    ]


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
