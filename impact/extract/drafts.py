"""One report's draft events: changes found sentence by sentence, with places, actors and dates
resolved across the report ("the town", "the group", "on Sunday") and repeated mentions of the
same change folded into one row that keeps the sentences it rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from impact.extract.actors_in_text import ActorMention, find_actors
from impact.extract.changes import TRIGGER, Candidate, find_changes
from impact.extract.documents import Document
from impact.extract.places import Mention, PlaceIndex
from impact.extract.when import DateMention, find_dates

DENIAL = re.compile(
    r"\b(?:not\s+true|untrue|false|denied|denies|deny|rejected\s+the\s+claim|no\s+truth|"
    r"baseless|fabricated|propaganda)\b",
    re.I,
)
# A denial of what was just said, without naming the place again: "The military denied
# this", "denied that the town had fallen", "denied the capture".
DENIED_BACK = re.compile(
    r"\bden(?:ied|ies|y|ying)\s+(?:this|it|these\s+reports|the\s+(?:capture|fall|seizure|"
    r"takeover|loss|reports?|claims?))\b|\bden(?:ied|ies|y|ying)\s+that\s+(?:[\w'’-]+\s+){0,4}?"
    r"(?:had\s+|has\s+)?(?:fallen|been\s+(?:captured|seized|taken|lost|overrun))",
    re.I,
)
# A clause set inside or before the main one: its change is dated within it, not by the main
# clause's date ("The AA, which captured Paletwa in January, seized Kyauktaw on 14 March").
ASIDE_OPENING = re.compile(r",\s*(?:which|who)\b[^,]*$")
SUBORDINATE = re.compile(r"\b(?:after|before|since|following|when|while|until)$", re.I)
CONFIDENCE = ("low", "medium", "high")
MAX_EVIDENCE = 5
DATE_CLAUSE = re.compile(
    r"[;:]|\b(?:after|before|since|following|when|while|until|but|prompting|igniting|"
    r"and\s+(?:the\s+)?\w+\s+(?:town|township|city))\b",
    re.I,
)


@dataclass
class Draft:
    """A change in one report, ready to become a row."""

    change: str
    place: Mention
    place_text: str
    evidence: dict[int, str]
    gaining: list[ActorMention] = field(default_factory=list)
    losing: list[ActorMention] = field(default_factory=list)
    date: str | None = None
    precision: str | None = None
    date_quality: int = 0
    reasons: list[str] = field(default_factory=list)
    confidence: str = "high"


def drafts_of(document: Document, index: PlaceIndex, side=None) -> list[Draft]:
    """The changes a report states, one draft per place, change and date.

    `side` names an actor mention's side (from the actors table); by default the side its own
    words suggest.
    """
    side = side or (lambda actor: actor.side)
    numbered = document.sentences
    texts = [text for _, _, text in numbered]
    places = index.mentions(texts)
    actors = [find_actors(text) for text in texts]
    dates = [find_dates(text, document.published) for text in texts]
    denied = _denied_sentences(texts, places)
    found: list[Draft] = []
    for number, (paragraph, _, text) in enumerate(numbered):
        for candidate in find_changes(text, places[number], actors[number]):
            place = candidate.place or _focus_place(
                places, texts, number, candidate.place_pos, candidate, found
            )
            if place is None:
                continue
            place, spelled = index.by_spelling(place) if not place.pcode else (place, None)
            draft = Draft(
                candidate.change,
                place,
                place.text,
                {number: text},
                _resolve_pronouns(candidate.gaining, actors, number),
                _resolve_pronouns(candidate.losing, actors, number),
                reasons=list(candidate.reasons) + ([spelled] if spelled else []),
            )
            if draft.change == "captured" and {side(a) for a in draft.gaining} == {"military"}:
                draft.change = "recaptured"
            _date(draft, candidate, dates, numbered, number, paragraph, document, texts)
            if number in denied.get(place.pcode, set()):
                draft.reasons.append("claim denied in the report")
            _rate(draft, candidate)
            found.append(draft)
    folded = _fold(found)
    fill_sides(folded, actors, side)
    return folded


def _denied_sentences(texts: list[str], places: list[list[Mention]]) -> dict[str, set[int]]:
    """Sentences whose claims a later sentence denies, by the place the claim is about."""
    denied: dict[str, set[int]] = {}
    for number, text in enumerate(texts):
        if not DENIAL.search(text):
            continue
        window = range(max(0, number - 2), number + 1)
        named = {m.pcode for m in places[number]}
        refers_back = re.search(r"\bclaims?\b|\breports?\b", text, re.I) or DENIED_BACK.search(text)
        for earlier in window:
            for mention in places[earlier]:
                if mention.pcode in named or refers_back:
                    denied.setdefault(mention.pcode, set()).add(earlier)
    return denied


def _focus_place(
    places, texts, number: int, position: int, candidate: Candidate, found: list[Draft]
):
    """The place "the town" or "it" stands for.

    "it" after a town named in the same sentence is that town; otherwise the place the report
    is about: the latest place already found changing hands, else the town or township the
    report has named most (the earliest of equals, as leads name their subject first).
    """
    wanted = ("town", "township", "sub_township", "village_tract", "unresolved")
    sentence = [m for m in places[number] if m.start < position and m.level in wanted]
    said_town = re.search(r"\bthe\s+(?:town|city)\b", texts[number][:position], re.I)
    if candidate.place_words == "it" and sentence and not said_town:
        return sentence[-1]
    if candidate.place_words == "township":
        townships = [m for m in sentence if m.level == "township"]
        if townships:
            return townships[-1]
    if found:
        return found[-1].place
    counts: dict[str, list] = {}
    window = sorted(set(range(min(3, number + 1))) | set(range(max(0, number - 30), number + 1)))
    for earlier in window:
        for order, mention in enumerate(places[earlier]):
            if mention.level in wanted and (earlier < number or mention.start < position):
                entry = counts.setdefault(
                    mention.pcode or mention.text, [0, (earlier, order), mention]
                )
                entry[0] += 1
    if not counts:
        return None
    best = max(counts.values(), key=lambda e: (e[0], -e[1][0], -e[1][1]))
    return best[2]


def _resolve_pronouns(listed: list[ActorMention], actors: list[list[ActorMention]], number: int):
    """Replace "they", "the group" and the like by the subject they continue: the first actor
    named earlier in the sentence, else the subject of the nearest sentence before."""
    resolved = []
    for actor in listed:
        if not actor.pronoun:
            resolved.append(actor)
            continue
        same = [a for a in actors[number] if a.end <= actor.start and not a.pronoun]
        named = [a for a in same if not a.generic]
        subject = (named or same or [None])[0]
        back = number - 1
        while subject is None and back >= max(0, number - 6):
            if actors[back] and not actors[back][0].pronoun:
                subject = actors[back][0]
            back -= 1
        if subject is not None:
            resolved.append(subject)
    return resolved


def _date(draft, candidate, dates, numbered, number, paragraph, document, texts):
    """The date of the change: in its clause, else in a neighbouring sentence, else publication."""
    own = [d for d in dates[number] if (d.value or d.precision == "unknown")]
    chosen = _nearest(own, candidate, texts[number])
    if chosen is not None:
        _set_date(draft, chosen, 3)
        return
    for other in (number - 1, number + 1):
        if 0 <= other < len(numbered):
            usable = [d for d in dates[other] if d.value and d.precision == "day"]
            if usable:
                _set_date(draft, usable[-1], 2)
                draft.reasons.append("date taken from a neighbouring sentence")
                return
    told = _dated_telling(draft, dates, texts, number)
    if told is not None:
        _set_date(draft, told, 2)
        draft.reasons.append("date taken from another sentence on the same change")
        return
    if document.published is not None:
        draft.date, draft.precision, draft.date_quality = document.published.isoformat(), "day", 1
        draft.reasons.append("date not stated; publication date used")
    else:
        draft.reasons.append("no date in the report and no publication date")


# How many sentences either side may tell a change again with its date.
NEARBY = 3


def _dated_telling(draft, dates, texts, number: int) -> DateMention | None:
    """A day from a nearby sentence that tells the change again: it names the place and has
    a change verb ("…captured the camp and town on the morning of April 29 in Kyatwee")."""
    name = re.compile(rf"\b{re.escape(draft.place_text)}\b", re.I)
    for other in sorted(range(number - NEARBY, number + NEARBY + 1), key=lambda n: abs(n - number)):
        if other == number or not 0 <= other < len(texts):
            continue
        usable = [d for d in dates[other] if d.value and d.precision == "day"]
        if usable and name.search(texts[other]) and TRIGGER.search(texts[other]):
            return usable[0]
    return None


def _nearest(own: list[DateMention], candidate: Candidate, sentence: str) -> DateMention | None:
    """The date in the clause of the change: after the place if any, else before the verb."""
    start = min(candidate.place_pos, candidate.trigger_start)
    end = max(candidate.place_pos, candidate.trigger_end)
    before = [b.end() for b in DATE_CLAUSE.finditer(sentence[:start])]
    after = DATE_CLAUSE.search(sentence, end)
    low, high = max(before, default=0), after.start() if after else len(sentence)
    low, high = _own_clause(sentence, start, end, before, low, high)
    inside = [d for d in own if low <= d.start < high]
    if not inside:
        return None
    later = [d for d in inside if d.start >= end]
    exact = [d for d in (later or inside) if not d.relative] or (later or inside)
    return exact[0] if later else exact[-1]


def _own_clause(
    sentence: str, start: int, end: int, breaks: list[int], low: int, high: int
) -> tuple[int, int]:
    """The bounds `low`-`high` narrowed to a clause set inside the sentence ("The AA, which
    captured Paletwa in January, seized …") or before its main clause ("After capturing
    Paletwa, the AA …"), where the change from `start` to `end` lies in one; `breaks` are
    the ends of the clause words before it."""
    aside = ASIDE_OPENING.search(sentence, 0, start)
    if aside:
        opened, low = aside.end(), max(low, aside.start())
    elif breaks and SUBORDINATE.search(sentence, max(0, breaks[-1] - 12), breaks[-1]):
        opened = breaks[-1]
    else:
        return low, high
    if "," in sentence[opened:start]:
        return low, high
    closing = sentence.find(",", end, high)
    return low, closing if closing >= 0 else high


def _set_date(draft: Draft, mention: DateMention, quality: int) -> None:
    if mention.value is None:
        draft.reasons.append(f"date '{mention.text}' needs a publication date to resolve")
        return
    draft.date, draft.precision, draft.date_quality = mention.value, mention.precision, quality
    if mention.precision in ("week", "month", "year"):
        draft.reasons.append(f"date known only to the {mention.precision}")


def _rate(draft: Draft, candidate: Candidate) -> None:
    if draft.place.ambiguous:
        draft.reasons.append("place name matches several places")
    if not draft.place.pcode:
        draft.reasons.append("place not in the gazetteer: no P-code")
    if not draft.gaining and draft.change != "withdrawn":
        draft.reasons.append("gaining actor not stated")
    level = 2
    if candidate.anaphora or draft.date_quality < 3 or not draft.gaining:
        level = 1
    if any(r.startswith("place '") and r.endswith("low confidence") for r in draft.reasons):
        level = min(level, 1)
    if any(r.startswith(("partial", "claim", "place name")) for r in draft.reasons):
        level = 0
    draft.confidence = CONFIDENCE[level]


def _fold(found: list[Draft]) -> list[Draft]:
    """Mentions of the same change of the same place on the same day become one draft."""
    folded: list[Draft] = []
    for draft in found:
        same = next((d for d in folded if _same_event(d, draft)), None)
        if same is None:
            folded.append(draft)
            continue
        better, other = (draft, same) if _rank(draft) > _rank(same) else (same, draft)
        merged = {**same.evidence, **draft.evidence}
        better.evidence = dict(sorted(merged.items())[:MAX_EVIDENCE])
        better.gaining = better.gaining or other.gaining
        better.losing = better.losing or other.losing
        if any(r.startswith("claim") for r in other.reasons):
            better.reasons.append("claim denied in the report")
        if better.gaining:
            better.reasons = [r for r in better.reasons if r != "gaining actor not stated"]
        folded[folded.index(same)] = better
    return folded


def place_key(place: Mention) -> tuple:
    """One key for a town and its township of the same name (or a sub-township of it)."""
    if place.pcode and place.key:
        return (place.region_pcode, place.township, place.key)
    return (None, None, re.sub(r"\s+(?:town|township|village|city)$", "", place.text.lower()))


def _same_event(a: Draft, b: Draft) -> bool:
    if place_key(a.place) != place_key(b.place) or a.change != b.change:
        return False
    if a.date is None or b.date is None or a.date_quality < 3 or b.date_quality < 3:
        return True
    return _overlaps(a.date, b.date)


def _overlaps(first: str, second: str) -> bool:
    """Same day, or a day inside the other's week or month."""

    def window(value: str) -> tuple[str, str]:
        if "/" in value:
            low, high = value.split("/")
            return low, high
        if len(value) == 7:
            return f"{value}-01", f"{value}-31"
        if len(value) == 4:
            return f"{value}-01-01", f"{value}-12-31"
        return value, value

    (a_low, a_high), (b_low, b_high) = window(first), window(second)
    return a_low <= b_high and b_low <= a_high


def _rank(draft: Draft) -> tuple:
    precise = draft.precision == "day"
    return (draft.date_quality, precise, CONFIDENCE.index(draft.confidence), -min(draft.evidence))


ENEMY = re.compile(r"\benem(?:y|ies)\b", re.I)
MILITARY = ActorMention(-1, -1, "Myanmar military", "military", True)


def fill_sides(drafts: list[Draft], actors: list[list[ActorMention]], side) -> None:
    """Name the other side when the report leaves it implicit.

    A town the resistance took was the military's (when the report speaks of the military or
    "the enemy" at all); one the military took back was held by the resistance group the
    report names most; a town taken from the resistance with no taker named went to the
    military.
    """
    named = [a for sentence in actors for a in sentence if not a.pronoun]
    has_military = any(side(a) == "military" or ENEMY.search(a.text) for a in named)
    military = [MILITARY] if has_military else []
    main = _main_resistance(named, side)
    for draft in drafts:
        gaining = {side(a) for a in draft.gaining}
        losing = {side(a) for a in draft.losing}
        taken = draft.change in ("captured", "recaptured")
        if taken and not draft.gaining and losing == {"resistance"} and military:
            draft.gaining, draft.change = military, "recaptured"
            draft.reasons = [r for r in draft.reasons if r != "gaining actor not stated"]
            gaining = {"military"}
        if taken and not draft.losing:
            draft.losing = _other_side(gaining, military, main)
        if draft.change == "withdrawn" and not draft.gaining:
            draft.gaining = _other_side(losing, military, main)


def _main_resistance(named: list[ActorMention], side) -> list[ActorMention]:
    resistance = [a for a in named if side(a) == "resistance"]
    specific = [a for a in resistance if not a.generic] or resistance
    if not specific:
        return []
    counts: dict[str, int] = {}
    for actor in specific:
        counts[actor.text] = counts.get(actor.text, 0) + 1
    return [max(specific, key=lambda a: counts[a.text])]


def _other_side(sides: set[str], military: list, main: list) -> list[ActorMention]:
    if "resistance" in sides and "military" not in sides:
        return military
    if "military" in sides and "resistance" not in sides:
        return main
    return []
