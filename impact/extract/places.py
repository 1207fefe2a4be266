"""Find the gazetteer places a report names: towns, townships, and villages when called so.

Names are compared by `romanised_key`, so "Kham Pat", "Khampet" and "Khampat" meet. A name that
is also an ordinary word or an abbreviation ("Pale", "Man", "Ann", "KIA") counts only where the
text treats it as a place: next to a place word ("town", "township", "in", "of") and never in
lower case. Village tracts count only when the text says "village".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pandas as pd

from impact.names import romanised_key
from impact.reference import Reference

EVENT_LEVELS = ("town", "sub_township", "township", "district", "village_tract")
LEVEL_ORDER = {"town": 0, "sub_township": 1, "township": 2, "district": 3, "village_tract": 4}
TOKEN = re.compile(r"[A-Z][A-Za-z'’]*(?:-[A-Za-z][a-z'’]*)*")
LEFT_CUES = {"town", "township", "of", "in", "at", "near", "from", "to", "into", "city", "outside"}
RIGHT_CUES = {"town", "township", "city", "village", "region", "state", "district", "sub-township"}
LEVEL_WORDS = {
    "township": "township",
    "sub-township": "sub_township",
    "district": "district",
    "village": "village_tract",
    "region": "state_region",
    "state": "state_region",
    "division": "state_region",
}
MAX_WORDS = 3
LEADING_WORDS = {
    "the",
    "in",
    "on",
    "at",
    "from",
    "by",
    "of",
    "and",
    "but",
    "after",
    "before",
    "since",
    "when",
    "while",
    "both",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "upper",
    "lower",
    "north",
    "south",
    "east",
    "west",
    "near",
    "to",
    "into",
    "with",
    "as",
    "for",
    "neighbouring",
    "neighboring",
    "nearby",
    "junta-held",
    "rebel-held",
}
LEVEL_NAMES = {
    "town",
    "township",
    "city",
    "village",
    "region",
    "state",
    "district",
    "sub-township",
    "division",
    "tract",
}
DETERMINERS = {
    "a",
    "an",
    "another",
    "more",
    "one",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "other",
    "several",
    "two",
    "three",
    "four",
    "five",
}


@dataclass(frozen=True)
class Mention:
    """A place named in a sentence: where, as written, and the reference place it points to."""

    start: int
    end: int
    text: str
    pcode: str
    level: str
    township: str | None
    region: str | None
    region_pcode: str | None
    ambiguous: bool
    key: str = ""


class PlaceIndex:
    """Reference place names by romanised key, ready to look up words of a text."""

    def __init__(self, reference: Reference) -> None:
        places = reference.places
        self.places = places
        self.reference = reference
        self.spellings: dict[str, tuple[str, str | None] | None] = {}
        names = pd.concat(
            [
                places[["pcode", "name"]].rename(columns={"name": "text"}),
                reference.aliases.loc[reference.aliases["kind"] != "burmese", ["pcode", "alias"]]
                .rename(columns={"alias": "text"})
                .dropna(),
            ],
            ignore_index=True,
        )
        names = names[names["pcode"].isin(places["pcode"])]
        names["key"] = romanised_key(names["text"]).to_numpy()
        names = names[names["key"].str.len() >= 3]
        names = names.assign(level=places.loc[names["pcode"], "level"].to_numpy())
        names = names[names["level"].isin((*EVENT_LEVELS, "state_region"))]
        self.by_key = {
            key: sorted(set(group["pcode"])) for key, group in names.groupby("key", sort=True)
        }
        self.keys: dict[str, str] = {}
        self.names = places["name"].to_dict()
        population = places["population"] if "population" in places else pd.Series(dtype=float)
        self.population = population.to_dict()
        self.level = places["level"].to_dict()
        self.township_of = places["township_pcode"].dropna().to_dict()
        self.region_of = places["state_region_pcode"].dropna().to_dict()

    def key_of(self, texts: list[str]) -> list[str]:
        """Romanised keys of texts, computed once per distinct text across calls."""
        todo = sorted({t for t in texts if t not in self.keys})
        if todo:
            self.keys.update(zip(todo, romanised_key(pd.Series(todo, dtype=object)), strict=True))
        return [self.keys[t] for t in texts]

    def mentions(self, sentences: list[str]) -> list[list[Mention]]:
        """The place mentions of each sentence, longest match first, regions resolved."""
        spans = [_candidate_spans(s) for s in sentences]
        self.titles = {s for s in sentences if title_case(s)}
        self.key_of([text for found in spans for _, _, text in found])
        raw = [
            self._match(sentence, found) for sentence, found in zip(sentences, spans, strict=True)
        ]
        regions = {m.pcode for found in raw for m in found if m.level == "state_region"}
        return [[self._resolve(m, regions) for m in found] for found in raw]

    def _match(self, sentence: str, spans: list[tuple[int, int, str]]) -> list[Mention]:
        taken: list[Mention] = []
        lowered = sentence.lower()
        for start, end, text in spans:
            if any(start < m.end and end > m.start for m in taken):
                continue
            key = self.keys[text]
            pcodes = self.by_key.get(key)
            if not pcodes:
                continue
            left = _word_before(lowered, start)
            right = _word_after(lowered, end)
            longer = sentence not in self.titles and _person_or_longer_name(sentence, start, end)
            if left in DETERMINERS or longer:
                continue
            inner = text.rsplit(" ", 1)[-1].lower() if " " in text else ""
            if _needs_cue(text, sentence, start) and not (left in LEFT_CUES or right in RIGHT_CUES):
                continue
            level = LEVEL_WORDS.get(inner) or LEVEL_WORDS.get(right)
            if right == "village" and _word_after(lowered, end + len(" village")) == "tract":
                level = "village_tract"
            chosen = self._choose(pcodes, level)
            if not chosen:
                continue
            taken.append(
                Mention(start, end, text, chosen[0], "", None, None, None, len(chosen) > 1, key)
            )
        return sorted(taken, key=lambda m: m.start)

    def _choose(self, pcodes: list[str], level: str | None) -> list[str]:
        """The places of the wanted level, or of the most local event level, largest first."""
        if level is not None:
            wanted = [p for p in pcodes if self.level[p] == level]
        else:
            event = [p for p in pcodes if self.level[p] in EVENT_LEVELS[:4]]
            best = min((LEVEL_ORDER[self.level[p]] for p in event), default=None)
            wanted = [p for p in event if LEVEL_ORDER[self.level[p]] == best]
        if not wanted and level not in (None, "state_region", "village_tract"):
            return self._choose(pcodes, None)
        if not wanted and level is None:
            wanted = [p for p in pcodes if self.level[p] == "state_region"]
        return sorted(wanted, key=lambda p: (-self._population(p), p))

    def _population(self, pcode: str) -> float:
        value = self.population.get(pcode)
        return -1.0 if value is None or pd.isna(value) else float(value)

    def by_spelling(self, mention: Mention) -> tuple[Mention, str | None]:
        """A name the index does not list ("Namtue", "Ann") matched as `impact report` would
        match it (spelling, short names), when that gives one town or township: the place
        and, unless the match is of high confidence, a note of it for review; else the
        mention unchanged and no note."""
        text = mention.text
        if text not in self.spellings:
            from impact.resolve import KEY_COLUMNS, decide  # the report's resolver: heavy

            keys = pd.DataFrame({"place": [text]}).reindex(columns=KEY_COLUMNS)
            decision = decide(keys, self.reference).iloc[0]
            found = decision["outcome"] == "matched" and decision["level"] in EVENT_LEVELS[:3]
            confidence = decision["match_confidence"]
            note = (
                f"place '{text}' read as {decision['place_name']} ({decision['pcode']}) by "
                f"spelling, {confidence} confidence"
            )
            self.spellings[text] = (
                (str(decision["pcode"]), None if confidence == "high" else note) if found else None
            )
        found = self.spellings[text]
        if found is None:
            return mention, None
        pcode, note = found
        key = romanised_key(pd.Series([_bare(self.names[pcode])]))[0]
        return self._resolve(replace(mention, pcode=pcode, key=key), set()), note

    def _resolve(self, mention: Mention, regions: set[str]) -> Mention:
        pcode, ambiguous = mention.pcode, mention.ambiguous
        if ambiguous:
            rivals = [
                p
                for p in self.by_key[self.keys[mention.text]]
                if self.level[p] == self.level[pcode] and self.region_of.get(p) in regions
            ]
            if len(rivals) == 1:
                pcode, ambiguous = rivals[0], False
        township, region = self.township_of.get(pcode), self.region_of.get(pcode)
        return Mention(
            mention.start,
            mention.end,
            mention.text,
            pcode,
            self.level[pcode],
            _bare(self.names.get(township)) if township else None,
            self.names.get(region) if region else None,
            region,
            ambiguous,
            mention.key,
        )


def _candidate_spans(sentence: str) -> list[tuple[int, int, str]]:
    """Runs of one to three capitalised words, longest first at each start."""
    tokens = [(m.start(), m.end()) for m in TOKEN.finditer(sentence)]
    spans = []
    for i, (start, _) in enumerate(tokens):
        for length in range(min(MAX_WORDS, len(tokens) - i), 0, -1):
            last = tokens[i + length - 1][1]
            between = sentence[start:last]
            if length > 1 and re.search(r"[^A-Za-z'’\- ]|\s{2,}", between):
                continue
            spans.append((start, last, between))
    return spans


def title_case(sentence: str) -> bool:
    """Headlines in Title Case capitalise every word, so capitals say nothing about names."""
    words = re.findall(r"[A-Za-z][\w'’-]*", sentence)
    long = [w for w in words if len(w) > 3]
    return len(long) >= 3 and sum(w[0].isupper() for w in long) >= 0.8 * len(long)


def _person_or_longer_name(sentence: str, start: int, end: int) -> bool:
    """A name inside a longer proper noun ("Lway Yay Oo", "Loikaw University") or a speaker."""
    before = re.search(r"([A-Z][\w'’.-]*)\s+$", sentence[max(0, start - 40) : start])
    if before and not (before[1].endswith(("'s", "’s")) or before[1].lower() in LEADING_WORDS):
        return True
    after = re.match(r"\s+([A-Z][\w'’-]*)", sentence[end:])
    if after and after[1].lower() not in LEVEL_NAMES:
        return True
    return bool(re.match(r"\s*,?\s+(?:said|says|told|added|explained|stated)\b", sentence[end:]))


def _needs_cue(text: str, sentence: str, start: int) -> bool:
    """Short names, abbreviations and ordinary words need a place word beside them."""
    if text.isupper():
        return True
    single = " " not in text and "-" not in text
    if single and len(text) <= 4:
        return True
    return bool(single and re.search(rf"\b{re.escape(text.lower())}\b", sentence))


def _word_before(lowered: str, start: int) -> str:
    match = re.search(r"([a-z-]+)[^a-z-]*$", lowered[max(0, start - 40) : start])
    return match[1] if match else ""


def _word_after(lowered: str, end: int) -> str:
    match = re.match(r"[^a-z-]*?([a-z-]+)", lowered[end:])
    return match[1] if match and lowered[end : end + 1] in (" ", "") else ""


def _bare(name: str | None) -> str | None:
    if name is None:
        return None
    return re.sub(r"\s+(Town|Township|Sub-township)$", "", name)
