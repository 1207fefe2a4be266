"""Cells made safe for spreadsheets and terminals: the column-wise checks (Arrow, with a byte
scan first) agree with the cell-by-cell definitions on any text, in any column type."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.safe_text import CONTROL, defused, formula_like, has_controls

# Formula starts, digits, control and C1 characters, multi-byte text: where the checks differ.
SPECIAL = [
    "\x00",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9f",
    "\xa0",
    "\u00c2",
    "\u1041",
    "\u2028",
    "\u2013",  # en dash: lead byte E2, like the overrides
    "\u2029",
    "\u202a",
    "\u202e",
    "\u202f",
    "\u2066",
    "\u2069",
    "\u206a",
    "\U0001f600",
]
ALPHABET = st.sampled_from([*"=+-@\t\r.,eE0123456789aZ ", *SPECIAL, "\ud800"])
CELLS = st.lists(st.one_of(st.none(), st.text(ALPHABET, max_size=12)), min_size=1, max_size=30)


def _column(cells: list[str | None], kind: str) -> pd.Series:
    if kind == "object":
        return pd.Series(cells, dtype=object)
    text = [c if c is None or "\ud800" not in c else c.replace("\ud800", "?") for c in cells]
    return pd.Series(text, dtype=kind)


@settings(max_examples=200, deadline=None)
@given(cells=CELLS, kind=st.sampled_from(["object", "string", "str"]))
def test_formula_like_agrees_with_defused(cells, kind):
    column = _column(cells, kind)
    expected = [isinstance(v, str) and defused(v) != v for v in column.astype(object)]
    assert formula_like(column).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(cells=CELLS, kind=st.sampled_from(["object", "string", "str"]))
def test_has_controls_agrees_with_the_pattern(cells, kind):
    column = _column(cells, kind)
    expected = any(isinstance(v, str) and CONTROL.search(v) for v in column.astype(object))
    assert has_controls(column) == expected


@pytest.mark.parametrize(
    ("cell", "risky"),
    [("-12", False), ("+1,234.5", False), ("-1e5", False), ("=SUM(A1)", True),
     ("@user", True), ("-၁၂", True), ("\tx", True), ("plain", False)],
)  # fmt: skip
def test_plain_numbers_pass_and_formulas_do_not(cell, risky):
    assert formula_like(pd.Series([cell, None])).tolist() == [risky, False]


def test_numbers_in_a_text_column_are_read_as_their_text():
    column = pd.Series(["-5", -5, "=1", 2.5, None], dtype=object)
    assert formula_like(column).tolist() == [False, False, True, False, False]


def test_bidirectional_overrides_are_shown_by_their_code():
    from impact.safe_text import has_controls, visible_controls

    text = "Arakan \u202eymrA\u202c and \u2066isolate\u2069"
    assert visible_controls(text) == "Arakan [U+202E]ymrA[U+202C] and [U+2066]isolate[U+2069]"
    assert has_controls(pd.Series([text]))
    # Dashes, curly quotes and Myanmar script share the lead byte E2 or others; none is flagged.
    assert not has_controls(pd.Series(["Hpa-an – “Kayin” ‘x’ … မြို့"]))
