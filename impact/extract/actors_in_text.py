"""Who is named in a sentence: armed groups, the military, and the words that stand for them.

Three kinds of mention: proper names of organisations ("Kachin Independence Army", "People's
Defense Force (PDF)"), abbreviations ("AA", "TNLA") and common phrases ("junta troops",
"resistance forces", "the rebels"). Each gets a side hint (military or resistance) from its
words; the actors table, when the project has one, gives the canonical name and side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ORG_HEADS = (
    r"Army|Armies|Force|Forces|Front|Alliance|Union|Brotherhood|Organisation|Organization|"
    r"Council|Government|Militia|Movement|Party|Team|Teams|Command|Tatmadaw|Revolution"
)
ORG = re.compile(
    rf"\b(?:[A-Z][\w'’.-]*\s+){{1,6}}?(?:{ORG_HEADS})\b(?:\s*\((?P<abbr>[A-Z][A-Za-z-]{{1,9}})\))?"
)
ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b(?:-[A-Z0-9]+)?(?:[ /][A-Z]{2,6}s?\b)*")
NOT_ACTORS = {
    "AFP",
    "AP",
    "RFA",
    "DVB",
    "BBC",
    "KNG",
    "UN",
    "US",
    "UK",
    "TV",
    "MRTV",
    "CDM",
    "IDP",
    "IDPS",
    "ASEAN",
    "BGB",
    "GAD",
    "NCA",
    "IEC",
    "HQ",
    "UNHCR",
    "NGO",
    "AM",
    "PM",
    "OK",
    "DMG",
    "BNI",
    "MNJ",
    "CNN",
    "AFPS",
    "USA",
    "EAO",
    "EAOS",
    "ID",
    "IT",
    "GNLM",
    "MOC",
    "ROC",
    "RMC",
}
GENERIC = re.compile(
    r"\b(?:the\s+)?(?:(?:Myanmar|Burmese|Myanmar's|junta|junta's|regime|regime's|military|"
    r"government|army|security|rebel|resistance|opposition|anti-junta|anti-regime|anti-coup|"
    r"revolutionary|insurgent|ethnic|allied|joint|combined|armed|local|pro-democracy|Chin|Karen|"
    r"Kachin|Karenni|Rakhine|Arakan|minority|Kokang|Ta'ang|defeated|fleeing|remaining|"
    r"anti-military|defence|defense)\s+){0,3}(?:junta|regime|military|army|armies|troops|forces|force|soldiers|"
    r"fighters|groups|group|rebels|insurgents|guerrillas|guerillas|militia|militias|alliance|"
    r"coalition|SAC|Tatmadaw|policemen|police|resistance|opposition|enemy|enemies)\b",
    re.I,
)
LEADING_DATE_WORD = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|"
    r"May|June|July|August|September|October|November|December|Yesterday|Today)(?:'s|’s)?"
)
LEADING_WORDS = {
    "the",
    "a",
    "an",
    "on",
    "in",
    "and",
    "but",
    "while",
    "after",
    "said",
    "by",
    "of",
    "from",
    "with",
    "that",
    "when",
    "its",
    "as",
    "at",
    "to",
    "for",
    "since",
    "yesterday",
    "today",
}
PRONOUNS = re.compile(
    r"\b(?:they|them|their|we|our|it|its|(?:the|his|her|its|their|our)\s+(?:group|group's|ethnic\s+army|rebel\s+army|"
    r"alliance|armed\s+group|ethnic\s+armed\s+group|rebel\s+group|organisation|organization))\b",
    re.I,
)
RESISTANCE_WORDS = re.compile(
    r"resistance|rebel|opposition|anti-|revolutionary|insurgent|guerr|ethnic|allied|joint|"
    r"combined|pro-democracy|Chin\b|Karen|Kachin|Rakhine|Arakan|Kokang|Ta'ang|minority|"
    r"Defen[cs]e|Liberation|Independence|National|Democratic|Brotherhood|PDF|Union|Front",
    re.I,
)
MILITARY_WORDS = re.compile(
    r"junta|regime|military|\barmy\b|Tatmadaw|SAC|security|government|Myanmar|Burmese|police|"
    r"soldiers|troops|Infantry|Battalion|Command",
    re.I,
)


@dataclass(frozen=True)
class ActorMention:
    """An actor named in a sentence, with a side hint read from its words."""

    start: int
    end: int
    text: str
    side: str
    generic: bool
    pronoun: bool = False


def find_actors(sentence: str) -> list[ActorMention]:
    """Named organisations first, then abbreviations, then pronouns ("they", "his group") and
    common phrases."""
    found: list[ActorMention] = []
    for match in ORG.finditer(sentence):
        text = _trim_org(match[0])
        start = (
            match.end() - len(text) if not match["abbr"] else match.start() + match[0].find(text)
        )
        found.append(ActorMention(start, start + len(text), text, _side_of_name(text), False))
    for match in ACRONYM.finditer(sentence):
        if match[0].rstrip("s") in NOT_ACTORS or match[0] in NOT_ACTORS:
            continue
        _add(found, match.start(), match.end(), match[0], generic=False)
    for match in PRONOUNS.finditer(sentence):
        _add(found, match.start(), match.end(), match[0], generic=True, pronoun=True)
    for match in GENERIC.finditer(sentence):
        _add(found, match.start(), match.end(), match[0], generic=True)
    return sorted(found, key=lambda a: a.start)


def side_of(text: str) -> str:
    """ "resistance", "military" or "" from the words of an actor mention."""
    if re.search(r"pro-junta|pro-regime|pro-military|Pyu Saw|junta-aligned", text, re.I):
        return "military"
    if RESISTANCE_WORDS.search(text):
        return "resistance"
    if MILITARY_WORDS.search(text):
        return "military"
    return ""


def _side_of_name(text: str) -> str:
    """A named organisation is on the military's side only when its name says so."""
    if re.search(
        r"Myanmar\s+(?:military|army|armed\s+forces|police)|Tatmadaw|Burma\s+Army|Infantry|"
        r"Battalion|Police|Pyu\s+Saw|Border\s+Guard|State\s+Administration|Military\s+Council|"
        r"People's\s+Militia",
        text,
        re.I,
    ):
        return "military"
    return "resistance"


def _trim_org(text: str) -> str:
    """Drop leading sentence words ("The", "On Monday the") from an organisation name."""
    words = text.split()
    while len(words) > 1 and (
        re.fullmatch(LEADING_DATE_WORD, words[0]) or words[0].lower() in LEADING_WORDS
    ):
        words = words[1:]
    return " ".join(words)


def _add(found: list[ActorMention], start: int, end: int, text: str, **kind: bool) -> None:
    if any(start < a.end and end > a.start for a in found):
        return
    found.append(ActorMention(start, end, text, side_of(text), **kind))
