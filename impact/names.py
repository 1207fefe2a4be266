"""How place names are compared: normalised text and a key that folds romanisation variants.

Burmese names reach English through several romanisation habits: aspirates written two ways
(hp/ph, ht/th, hk/kh), ky/gy/ch for one sound, voiced and unvoiced stops (g/k, d/t, b/p), long
vowels spelt ar/aw/oe/ay/ei, spaces anywhere. `romanised_key` maps each family to one spelling
so that, say, Kalay/Kale, Hpa-an/Pa-an and Khampat/Kham Pat fall together, while names that
differ in a real sound (Nyaung Kone / Kyaung Kone) stay apart.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

ADMIN_WORDS = (
    r"\b(town|township|ward|village tract|village|city|sub township|sub-township|"
    r"myo|region|state|division|district|self-administered (zone|division))\b"
)
# Applied in order to each lowercase word; consonant families first, then vowel spellings.
FOLDS = [
    (r"(?<=[aeiou])ng$", "n"),
    (r"hp|ph|bh", "p"),
    (r"ht|th", "t"),
    (r"hk|kh", "k"),
    (r"ky|gy|ch|j", "c"),
    (r"hl", "l"),
    (r"hm", "m"),
    (r"hn", "n"),
    (r"hs|sh", "s"),
    (r"hw", "w"),
    (r"g", "k"),
    (r"d", "t"),
    (r"b", "p"),
    (r"z", "s"),
    (r"(?<=.{3})myo$", ""),
    (r"one$", "on"),
    (r"oo", "u"),
    (r"aw|oe|ou", "o"),
    (r"(ay|ae|ei|ey)(?![aeiou])", "e"),
    (r"ee", "i"),
    (r"ar(?![aeiou])", "a"),
    (r"(.)\1+", r"\1"),
]


def normalise_name(names: pd.Series) -> pd.Series:
    """Lowercase, NFC, admin words (Town, Township, Ward …) and punctuation removed."""
    text = names.fillna("").astype(str).map(lambda s: unicodedata.normalize("NFC", s))
    text = text.str.lower().str.replace(ADMIN_WORDS, " ", regex=True)
    return text.str.replace(r"[^0-9a-z\u1000-\u109f]", "", regex=True)


def romanised_key(names: pd.Series) -> pd.Series:
    """The normalised name with romanisation variants folded to one spelling, word by word."""
    text = names.fillna("").astype(str).map(lambda s: unicodedata.normalize("NFC", s))
    text = text.str.lower().str.replace(ADMIN_WORDS, " ", regex=True)
    text = text.str.replace(r"\bno\.?\s*\(?(\d+)\)?", r" \1 ", regex=True)
    words = text.str.replace(r"[^0-9a-z\u1000-\u109f]+", " ", regex=True).str.strip()
    words = words.str.replace(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", " ", regex=True)
    exploded = words.str.split(" ").explode()
    for pattern, replacement in FOLDS:
        exploded = exploded.str.replace(pattern, replacement, regex=True)
    return exploded.groupby(level=0).agg("".join).reindex(names.index, fill_value="")


def strip_admin_words(name: str) -> str:
    """For display in messages: the name without Town/Township/Ward."""
    return re.sub(ADMIN_WORDS, "", name, flags=re.IGNORECASE).strip()
