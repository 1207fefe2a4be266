"""How place names are compared: normalised text and a key that folds romanisation variants.

Burmese names reach English through several romanisation habits: aspirates written two ways
(hp/ph, ht/th, hk/kh), ky/gy/ch for one sound, long vowels spelt ar/aw/oe/ay/ei, aung/oung,
a final g or t dropped after n, spaces anywhere. Voiced and unvoiced stops (g/k, b/p) are not
folded: they keep Bagan and Hpakan apart. `romanised_key` maps each family to one spelling so that,
say, Kalay/Kale, Hpa-an/Pa-an, Toungup/Taungup and Khampat/Khamphat fall together, while names
that differ in a real sound (Nyaung Kone / Kyaung Kone) stay apart.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

ADMIN_WORDS = (
    r"\b(town|township|ward|village tract|village|city|sub township|sub-township|"
    r"region|state|division|district|self-administered (zone|division))\b"
)
# Applied in order to each lowercase word; consonant families first, then vowel spellings.
FOLDS = [
    (r"oung", "aung"),
    (r"(?<=[aeiou])ng$", "n"),
    (r"(?<=n)t$", ""),
    (r"hp|ph", "p"),
    (r"ht|th", "t"),
    (r"hk|kh", "k"),
    (r"ky|gy|ch|j", "c"),
    (r"hl", "l"),
    (r"hm", "m"),
    (r"hn", "n"),
    (r"hs|sh", "s"),
    (r"hw", "w"),
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
    split = [text.split(" ") for text in words]
    unique = pd.Series(sorted({word for parts in split for word in parts}), dtype=object)
    folded = unique
    for pattern, replacement in FOLDS:
        folded = folded.str.replace(pattern, replacement, regex=True)
    fold = dict(zip(unique, folded, strict=True))
    return pd.Series(
        ["".join(fold[w] for w in parts) for parts in split], index=names.index, dtype=object
    )


QUALIFIER_PATTERNS = [
    r"\((?:reported|unconfirmed|claimed|approx\.?|approximate)\)",
    r"^(?:the\s+)?(?:outskirts\s+of|outside|near|nearby|around|close\s+to)\s+",
    r"\s+(?:outskirts|area|vicinity|environs)$",
    r",?\s+near\s+.+$",
    r"\s*[,;-]?\s*(?:\(?\s*(?:lib|lir|ib|ir|mob|tob)\s*-?\s*\d+\s*(?:base|camp|hq|outpost)?\s*\)?)",
    r"\s+(?:military\s+)?(?:base|camp|outpost|police\s+station|border\s+gate|bridge)$",
    r"\((?:town|township)\)",
]


def split_qualifier(text: str) -> tuple[str, str | None]:
    """Separate qualifiers ("outskirts", "(reported)", "LIB-345 base", "near …") from the name.

    Returns the name to look up and the qualifier text (None when there was none), so that
    the qualifier can be kept in the event's note instead of spoiling the match.
    """
    name, found = text.strip(), []
    for pattern in QUALIFIER_PATTERNS:
        match = re.search(pattern, name, flags=re.IGNORECASE)
        if match and name[: match.start()].strip(" ,;-") + name[match.end() :].strip():
            found.append(match.group(0).strip(" ,;()"))
            name = (name[: match.start()] + " " + name[match.end() :]).strip(" ,;-")
    return re.sub(r"\s+", " ", name), "; ".join(found) or None


def repair_pcode(text: str) -> str | None:
    """A P-code from text with common slips mended (case, spaces, dropped leading zeros).

    Returns None when the text is not P-code shaped. `mmr 5030703` → `MMR005030703`.
    """
    compact = re.sub(r"[\s_.-]", "", text).upper()
    match = re.fullmatch(r"([A-Z]{3})(\d+)(D\d{1,3})?(S?)", compact)
    if not match:
        return None
    prefix, digits, district, suffix = match.groups()
    if district:
        return f"{prefix}{int(digits):03d}D{int(district[1:]):03d}"
    width = -(-len(digits) // 3) * 3
    return f"{prefix}{digits.zfill(width)}{suffix}"


def looks_like_zawgyi(text: str) -> bool:
    """True when Burmese text is most likely in the legacy Zawgyi encoding, not Unicode."""
    if not re.search(r"[\u1000-\u109f]", text):
        return False
    return _zawgyi_detector().get_zawgyi_probability(text) > 0.95


@functools.cache
def _zawgyi_detector():
    from myanmartools import ZawgyiDetector

    return ZawgyiDetector()
