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
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ADMIN_WORDS = (
    r"\b(town|township|ward|village tract|village|city|sub township|sub-township|"
    r"region|state|division|district|self-administered (zone|division))\b"
)
# The Shan word for a town or domain (Shan မိူင်း, Burmese မိုင်း) opens many Shan names and is
# written Möng, Mong, Muang, Mueang, Moeng, Meung or, through Burmese, Maing, Mine, Mone:
# Möng Kung = Mongkung = Mongkaung = Maingkaing (Wikipedia "Mong Kung"); Möng Nai = Mongnai =
# Mone (Wikipedia "Mongnai State"). Folded to "mon" as a word of its own, whether or not the
# writer attached it to the next word.
SHAN_PREFIX = r"^(?:mong|moeng|mueang|muang|meung|maing|mine|mone)(?=\s|[^aeiou\s])\s*"
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
# The spellings of Shan, Kachin, Chin and Rakhine names, applied after oung → aung when
# `families` is asked for (the gazetteer does; the reference build pins the plain key).
FAMILY_FOLDS = [
    # ိုင် is written aing, ine or ai (CLDR Myanmar-Latin transform: "ine").
    (r"(?<=[^aeiou])ine$", "aing"),
    # Chin and Kachin final -el / -e / -ei (Hakha Lai and Jinghpaw spellings).
    (r"(?<=[^e])el$", "e"),
    (r"(?<=[aeiou])ng(?=[^aeiouy])", "n"),
    # Shan, Kachin and Chin spell a final nasal -m where Burmese romanisation writes -n
    # (Namhkam / Namhkan, Loilem / Loilen).
    (r"(?<=[aeiou])m$", "n"),
]


def normalise_name(names: pd.Series) -> pd.Series:
    """Lowercase, NFC, admin words (Town, Township, Ward …) and punctuation removed."""
    text = names.fillna("").astype(str).map(lambda s: unicodedata.normalize("NFC", s))
    text = text.str.lower().str.replace(ADMIN_WORDS, " ", regex=True)
    return text.str.replace(r"[^0-9a-z\u1000-\u109f]", "", regex=True)


def romanised_key(names: pd.Series, families: bool = False) -> pd.Series:
    """The normalised name with romanisation variants folded to one spelling, word by word.

    With `families`, Latin tone marks are dropped (Möng → mong), the Shan prefix is folded
    (`SHAN_PREFIX`), `FAMILY_FOLDS` go before `FOLDS`, and letters doubled across a word break
    fold too ("Lauk Kai" = "Laukkai").
    """
    clean = _without_latin_marks if families else _nfc
    text = names.fillna("").astype(str).map(clean)
    text = text.str.lower().str.replace(ADMIN_WORDS, " ", regex=True)
    if families:
        text = text.str.strip().str.replace(SHAN_PREFIX, "mon ", regex=True)
    text = text.str.replace(r"\bno\.?\s*\(?(\d+)\)?", r" \1 ", regex=True)
    words = text.str.replace(r"[^0-9a-z\u1000-\u109f]+", " ", regex=True).str.strip()
    words = words.str.replace(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", " ", regex=True)
    split = [text.split(" ") for text in words]
    unique = pd.Series(sorted({word for parts in split for word in parts}), dtype=object)
    folded = unique
    for pattern, replacement in [FOLDS[0], *FAMILY_FOLDS, *FOLDS[1:]] if families else FOLDS:
        folded = folded.str.replace(pattern, replacement, regex=True)
    fold = dict(zip(unique, folded, strict=True))
    keys = ["".join(fold[w] for w in parts) for parts in split]
    if families:
        keys = [re.sub(r"(.)\1+", r"\1", key) for key in keys]
    return pd.Series(keys, index=names.index, dtype=object)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _without_latin_marks(text: str) -> str:
    """NFC text with combining marks on Latin letters removed (Burmese signs are kept)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", re.sub(r"[\u0300-\u036f]", "", decomposed))


QUALIFIER_PATTERNS = [
    r"\((?:reported|unconfirmed|claimed|approx\.?|approximate)\)",
    r"^(?:the\s+)?(?:outskirts\s+of|outside|near|nearby|around|close\s+to)\s+",
    r"\s+(?:outskirts|area|vicinity|environs)$",
    r",?\s+near\s+.+$",
    r"\s*[,;-]?\s*(?:\(?\s*(?:lib|lir|ib|ir|mob|tob)\s*-?\s*\d+\s*(?:base|camp|hq|outpost)?\s*\)?)",
    r"\s+(?:military\s+|army\s+|police\s+)?(?:base|camp|outpost|police\s+station|border\s+gate|"
    r"bridge|airport|airfield|jetty|market|hospital|prison|jail|hq|headquarters|"
    r"(?:town|city)\s+cent(?:re|er))$",
    r"\((?:town|township)\)",
]
# Words that make a bracket, a comma part or a dash part a note about the place, not its name.
NOTE_WORDS = (
    r"reported|unconfirmed|claimed|approx\.?|approximate|estimated|disputed|allegedly|"
    r"town\s+cent(?:re|er)|city\s+cent(?:re|er)|cent(?:re|er)|downtown|outskirts|area|vicinity|"
    r"environs|surroundings|market|airport|airfield|air\s*base|jetty|port|hospital|prison|jail|"
    r"school|monastery|pagoda|university|station|base|camp|outpost|hq|headquarters|"
    r"battalion|checkpoint|check\s*point|gate|bridge|dam|mine|hill|post|compound|office|"
    r"cantonment|garrison|barracks|bus\s+terminal|stadium|factory|junction|highway|"
    r"near\s+.+|outside\s+.+|tbc"
)
# A military unit code such as IB-12, LIB 345, MOC-7: always a facility, never a place name.
UNIT_CODE = r"\b(?:lib|lir|ib|ir|mob|tob|moc|roc|loc|bsi|bgf)\s*-?\s*\d+\b"
FACILITY = rf"(?i)(?:{UNIT_CODE}|\b(?:{NOTE_WORDS})\b)"
HINT_PART = (
    r"(?i)^\s*(?P<name>.+?)\s+(?P<kind>sub[\s-]?township|township|tsp|district|"
    r"region|state|division)\.?\s*$"
)
NEAR = r"(?i)^(?P<what>.*?)\b(?P<how>near(?:by)?|outside(?:\s+of)?|close\s+to|just\s+outside)\s+"
NEAR += r"(?P<place>.+)$"
HINT_KINDS = {
    "township": "township",
    "tsp": "township",
    "district": "district",
    "region": "region",
    "state": "region",
    "division": "region",
}


@dataclass(frozen=True)
class PlaceText:
    """A place as written, taken apart: the name to look up and what else the text says.

    Attributes:
        name: the base name to resolve.
        qualifier: notes removed from the text ("reported", "Kalay airport"), or None.
        near: the text places the event near or outside the named place, not in it.
        hints: admin hints read from the text, e.g. {"township": "Muse"}, and
            "sub_township" for a sub-township named in brackets.
        says_village: the text calls the place a village.
    """

    name: str
    qualifier: str | None = None
    near: bool = False
    hints: dict[str, str] = field(default_factory=dict)
    says_village: bool = False


def read_place_text(text: str) -> PlaceText:
    """Take a place as written apart into the name, notes, hints and a "near" flag.

    Brackets, comma parts and spaced-dash parts that hold a note ("(town centre)",
    "Kalay airport, Kalay") become the qualifier; those that name an admin unit
    ("(Muse township)", "(Mong Ko sub-township)", ", Chin State") become hints; other
    brackets stay, being part of official names ("Pang Hseng (Kyu Koke)"). A facility
    "near"/"outside" a place sets `near`. Unbalanced brackets are read as if closed.
    """
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text))).strip()
    notes: list[str] = []
    hints: dict[str, str] = {}
    kept = []
    for before, inside in re.findall(r"([^()\[\]]*)(?:[(\[]([^()\[\]]*)[)\]]?)?", text):
        kept.append(before)
        if inside is None or not inside.strip():
            continue
        if _read_hints(inside, hints):
            continue
        if re.search(FACILITY, inside):
            notes.append(inside.strip())
        else:
            kept.append(f"({inside.strip()})")
    name = re.sub(r"\s+", " ", " ".join(kept)).strip(" ,;:")
    name, near = _near_part(name, notes)
    name = _comma_and_dash_parts(name, notes, hints)
    name, old = split_qualifier_patterns(name)
    if old:
        notes.append(old)
    says_village = bool(re.search(r"(?i)\bvillage\b(?!\s+tract)", text))
    qualifier = "; ".join(dict.fromkeys(n for n in notes if n)) or None
    return PlaceText(name or text, qualifier, near, hints, says_village)


def _read_hints(part: str, hints: dict[str, str]) -> bool:
    """Record admin hints named in `part` ("Muse district, Mong Ko sub-township"); True
    when every piece of it was a hint."""
    pieces = [p for p in re.split(r"[,;/]", part) if p.strip()]
    found = [re.match(HINT_PART, p) for p in pieces]
    if not pieces or not all(found):
        return False
    for match in found:
        kind = re.sub(r"[\s-]", "", match["kind"].lower())
        level = "sub_township" if kind == "subtownship" else HINT_KINDS[kind]
        hints.setdefault(level, match["name"].strip(" ,.-"))
    return True


def _near_part(name: str, notes: list[str]) -> tuple[str, bool]:
    """The place a facility lies near ("army base near Tamu" → Tamu, near)."""
    match = re.match(NEAR, name)
    if not match or not match["place"].strip(" ,"):
        return name, False
    what = match["what"].strip(" ,;-")
    if (
        what
        and not re.search(FACILITY, what)
        and not re.fullmatch(r"(?i)(fighting|clashes)?", what)
    ):
        notes.append(f"{match['how']} {match['place'].strip()}")
        return what, False
    notes.append(f"{what} {match['how']}".strip())
    return match["place"].strip(" ,;-"), True


def _comma_and_dash_parts(name: str, notes: list[str], hints: dict[str, str]) -> str:
    """The name among comma- or spaced-dash-separated parts; the others become notes or
    hints ("Kalay airport, Kalay" → Kalay; "Hakha, Chin State" → Hakha, region Chin)."""
    parts = [p.strip() for p in re.split(r",|;|\s[-–—]\s", name) if p.strip()]
    if len(parts) < 2:
        return name
    names = []
    for part in parts:
        if _read_hints(part, hints):
            continue
        if re.search(FACILITY, part):
            notes.append(part)
            continue
        names.append(part)
    return names[0] if names else parts[-1]


def split_qualifier_patterns(text: str) -> tuple[str, str | None]:
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


def split_qualifier(text: str) -> tuple[str, str | None]:
    """The name to look up and the notes around it (see `read_place_text`)."""
    read = read_place_text(text)
    return read.name, read.qualifier


def repair_pcode(text: str) -> str | None:
    """A P-code from text with common slips mended (case, spaces, dropped leading zeros).

    Returns None when the text is not P-code shaped. `mmr 5030703` → `MMR005030703`.
    """
    compact = re.sub(r"[\s_.-]", "", text).upper()
    match = re.fullmatch(r"([A-Z]{3})(\d+)([DS]\d{1,3})?(S?)", compact)
    if not match:
        return None
    prefix, digits, district, suffix = match.groups()
    if district:
        # Districts (D) and self-administered zones (S): MMR005S001.
        return f"{prefix}{int(digits):03d}{district[0]}{int(district[1:]):03d}"
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


@functools.cache
def folding_rules() -> str:
    """A fingerprint of the rules in this module. A package build stores name keys with it;
    they are used only while the rules are the same (any edit here makes them stale)."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def name_keys(texts: pd.Series) -> pd.DataFrame:
    """`text`, its normalised `key` and its romanisation-folded `fkey` (with families), once
    per distinct text, sorted: what a gazetteer would otherwise compute on every start."""
    distinct = pd.Series(sorted(set(texts.dropna().astype(str))), dtype=object)
    return pd.DataFrame(
        {
            "text": distinct,
            "key": normalise_name(distinct),
            "fkey": romanised_key(distinct, families=True),
        }
    )
