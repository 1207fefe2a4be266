"""Spelling keys that pair the census's ward/VT names with the P-code release's names."""

from __future__ import annotations

import pandas as pd


def squash(name: pd.Series) -> pd.Series:
    """Reduce a unit name to the letters and digits that survive between spellings."""
    text = name.fillna("").str.lower()
    text = text.str.replace(r"\((w|vt)\)\s*$", "", regex=True)
    text = text.str.replace(r"\b(ward|town|township|village tract)\b", "", regex=True)
    text = text.str.replace(r"\bah\s*shey\s*$", "east", regex=True)
    text = text.str.replace(r"\bah\s*nauk\s*$", "west", regex=True)
    return text.str.replace(r"[^a-z0-9]", "", regex=True)


def split_camel(name: pd.Series) -> pd.Series:
    """Turn census spellings such as 'HpaingLin(VT)' into 'Hpaing Lin'."""
    bare = name.str.replace(r"\((W|VT)\)\s*$", "", regex=True)
    return bare.str.replace(r"(?<=[a-z])(?=[A-Z(])", " ", regex=True).str.strip()
