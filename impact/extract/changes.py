"""Control changes stated in a sentence: the verb, the place it applies to, who gained and lost.

A change verb ("seized", "fell to", "retook", "handed back", "withdrew from") fixes the change
and the grammar around it: in the active voice the gaining actor is the subject and the place
the object; in the passive ("was seized by", "fell to") the place is the subject and the actor
follows "by" or "to"; after "lost" the subject lost the place and the actor after "to" gained
it. Common words ("took", "lost", "taken") count only with the place as their object or
subject (`TIGHT`). A verb whose object is a base, outpost or police station is not a change
of control of the town around it. Negations and hedges (see `hedges`) drop the verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from impact.extract.actors_in_text import ActorMention
from impact.extract.hedges import CLAUSE_BREAK, CONTINUING, PARTIAL, clause_of, hedged
from impact.extract.places import Mention, title_case
from impact.extract.when import MONTHS, WEEKDAYS

CONTROL = r"\s+(?:\w+\s+){0,2}?control\s+(?:of|over)"
# Common words that state a change only with the town as their object or subject (`TIGHT`).
TAKE = r"taken|took|takes|take|taking"
LOSE_WORDS = r"lost|loses|lose|losing"
CAPTURE = (
    r"seized|seizes|seize|seizing|captured|captures|capture|capturing|overran|overrun|overruns|"
    r"liberated|liberates|occupied|occupies|occupy|conquered|overtook|overpowered|"
    rf"(?:took|taken|take|taking|takes|seized|seizing|gained|gaining|secured|securing|assumed|"
    rf"declared|claims?|claimed|wrested|wresting|established){CONTROL}|wrested|"
    r"took\s+over|taken\s+over|takes\s+over|take\s+over|taking\s+over|"
    r"drove|driven|driving|ousted|expelled|routed|"
    r"now\s+controls?|now\s+(?:in|has|have)\s+(?:full\s+|complete\s+)?control\s+(?:of|over)|" + TAKE
)
RECAPTURE = (
    r"recaptured|recaptures|recapture|recapturing|retook|retakes|retake|retaken|retaking|"
    r"re-took|re-captured|reoccupied|re-occupied|reclaimed|"
    rf"(?:regained|regaining|regains|retook|retaken){CONTROL}|regained|regains|"
    r"took\s+back(?:\s+control\s+of)?|taken\s+back(?:\s+control\s+of)?|won\s+back|"
    r"moved\s+back\s+into|re-entered|reentered|re-entering"
)
HANDOVER = (
    r"handed\s+(?:over|back)|hand\s+(?:over|back)|hands\s+(?:over|back)|"
    r"(?:handed|hands|returned|returns)(?=\s+(?:[\w'’-]+\s+){1,3}(?:over|back)\b)|"
    r"(?:returned|return|returning|returns)\s+(?:administrative\s+)?control\s+of|"
    r"transferred\s+(?:administrative\s+)?control\s+of|ceded|relinquished"
)
WITHDRAW = (
    r"(?:withdrew|withdrawn|withdraw|withdrawing|retreated|retreat|retreating|retreats)\s+from|"
    r"(?:pulled|pulling|pull)\s+(?:back|out)\s+(?:from|of)|abandoned|abandoning|fled\s+from"
)
# "The junta lost Lashio to the MNDAA": the subject lost, the actor after "to" gained.
LOSE = rf"(?:{LOSE_WORDS})(?:{CONTROL})?"
FALL = r"fell\s+to|falls\s+to|fallen\s+to|fall\s+to|fell\s+under|came\s+under|fell|falls|fallen"
NOUNS = (
    r"(?P<noun>fall|capture|seizure|takeover|conquest|liberation|recapture|retaking|handover|"
    r"hand-over|loss)\s+of"
)
TRIGGER = re.compile(
    rf"\b(?:{NOUNS}|(?P<recaptured>{RECAPTURE})|(?P<handed>{HANDOVER})|(?P<withdrawn>{WITHDRAW})"
    rf"|(?P<lost>{LOSE})|(?P<fall>{FALL})|(?P<captured>{CAPTURE}))\b",
    re.I,
)
NOUN_CHANGE = {
    "fall": "captured",
    "capture": "captured",
    "seizure": "captured",
    "takeover": "captured",
    "conquest": "captured",
    "liberation": "captured",
    "recapture": "recaptured",
    "retaking": "recaptured",
    "handover": "handed over",
    "hand-over": "handed over",
    "loss": "captured",
}
# Words that state a change only with the place right after them ("took Paletwa", "lost
# Lashio", "the loss of Lashio"), not "took part in", "lost 20 soldiers near", "loss of life
# in"; passive, only said of the place itself ("Lashio was taken by", not "a man from Lashio
# was taken to hospital").
TIGHT = re.compile(rf"(?:{TAKE}|{LOSE_WORDS}|loss\s+of)", re.I)
TIGHT_OBJECT = re.compile(
    r"\s*(?:the\s+)?(?:(?:strategic|key|important|border|northern|southern|eastern|western|"
    r"nearby|neighbouring|neighboring|remaining|whole|entire)\s+)*"
    r"(?:(?:town|city|township|village|capital)\s+(?:of\s+)?)?",
    re.I,
)
TIGHT_SUBJECT = re.compile(
    r"\s*(?:town|city|township|village)?\s*(?:has\s+|have\s+|had\s+)?(?:was|were|been|is|are)\s+"
    r"(?:\w+ly\s+|also\s+|then\s+|now\s+)?",
    re.I,
)
TIGHT_PASSIVE_NEXT = re.compile(r"\s*(?:by|on|in|after|last|early|late|this|during|[,.;]|$)", re.I)
LOST_PASSIVE_NEXT = re.compile(rf"{TIGHT_PASSIVE_NEXT.pattern}|\s*to\b", re.I)
# What may follow the object of a `TIGHT` word: not a noun it qualifies ("took Kawlin
# residents hostage").
TIGHT_OBJECT_END = re.compile(
    r"\s*(?:[,.;:()\[\]\u2013\u2014-]|$|(?:towns?|townships?|city|village|on|in|at|from|after|"
    r"before|to|and|by|during|last|early|late|this|following|when|while|with|earlier|"
    r"yesterday|today|overnight)\b)",
    re.I,
)
UNDER_CONTROL = re.compile(
    r"\b(?:is|are|now|came|come|fell|falls|fall|fallen)\s+(?:\w+\s+){0,2}?under\s+"
    r"(?:the\s+)?(?P<who>[\w'’ -]{0,60}?)\s*control\b(?:\s+of\s+(?P<of>[^,.;]{1,80}))?",
    re.I,
)
PASSIVE_AUX = re.compile(
    r"\b(?:was|were|been|being|is|are|be|get|got)\s+(?:\w+ly\s+|also\s+|then\s+|now\s+)?$", re.I
)
FACILITY = re.compile(
    r"\b(?:bases?|camps?|outposts?|headquarters|hq|police\s+stations?|stations?|battalions?|"
    r"commands?|airports?|bridges?|hills?|hilltop|gates?|offices?|posts?|garrisons?|"
    r"positions?|strongholds?|checkpoints?|depots?|compound|university|hospital|prison|jail|"
    r"school|market|airfield|runway|jetty|port|roads?|highways?|routes?|junctions?)\b",
    re.I,
)
TOWN_ANAPHORA = re.compile(
    r"^\s*(?:all\s+of\s+|the\s+rest\s+of\s+)?(?:the\s+)?(?:entire\s+|whole\s+|remaining\s+|"
    r"strategic\s+|border\s+)?(?P<word>town|city|township|it)\b",
    re.I,
)
SUBJECT_ANAPHORA = re.compile(
    r"(?:\b[Tt]he\s+(?:entire\s+|whole\s+)?(?P<word>town|city|township)|\b(?P<it>[Ii]t))\s*$"
)
OUSTING = re.compile(r"^(?:drove|driven|driving|ousted|expelled|routed)$", re.I)
# A comma-enclosed aside, with any asides after it that place it by another place
# ("Lay Kay Kaw, a village in KNU territory, south of Myawaddy, was seized").
ASIDE = re.compile(
    r",[^,]{1,150},(?:\s*(?:(?:north|south|east|west)\w*\s+of|near|about|some|outside|close\s+to)"
    r"\b[^,]{0,120},)*",
    re.I,
)
# Words placing the verb's object by another place ("a town north of Mandalay"): that place
# is not the one that changed hands.
LOCATED_BY = re.compile(
    r"\b(?:in|near|outside|around|inside|beyond|(?:north|south|east|west)(?:[- ]?(?:east|west))?"
    r"(?:ern)?\s+of|(?:miles|km|kilometres|kilometers)\s+(?:from|of))\b",
    re.I,
)
LOCATED = re.compile(r"\b(?:in|near|outside|around|at|close\s+to|inside)\s*$", re.I)


@dataclass
class Candidate:
    """A change stated in one sentence, before dates and merging."""

    change: str
    place: Mention | None
    place_words: str
    trigger_start: int
    trigger_end: int
    place_pos: int
    gaining: list[ActorMention] = field(default_factory=list)
    losing: list[ActorMention] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    anaphora: bool = False


def find_changes(
    sentence: str, places: list[Mention], actors: list[ActorMention]
) -> list[Candidate]:
    """Every change verb of a sentence that applies to a place, with its actors and doubts."""
    places = [p for p in places if p.level != "state_region" and not _inside(p, actors)]
    found = []
    for match in TRIGGER.finditer(sentence):
        found.extend(_candidate(sentence, match, places, actors))
    for match in UNDER_CONTROL.finditer(sentence):
        if any(c.trigger_start <= match.start() < c.trigger_end + 40 for c in found):
            continue
        found.extend(_under_control(sentence, match, places, actors))
    return found


def _candidate(sentence: str, match: re.Match, places, actors) -> list[Candidate]:
    change, form = _change_and_form(match, sentence)
    before = sentence[: match.start()]
    if hedged(before, sentence, match):
        return []
    if form in ("active", "noun", "handover", "withdraw", "lost"):
        targets = _object_places(sentence, match, places)
    else:
        target = _subject_place(sentence, match.start(), places)
        targets = [*_listed_before(sentence, target, places), target] if target else []
    if TIGHT.fullmatch(match[0]):
        targets = _tight(sentence, match, form, targets)
    found = []
    clause = clause_of(sentence, match.start(), match.end())
    continuing = bool(targets) and bool(CONTINUING.search(sentence))
    for place, words, position, anaphora in targets:
        candidate = Candidate(change, place, words, match.start(), match.end(), position)
        candidate.anaphora = anaphora
        _assign_actors(candidate, sentence, match, form, actors)
        if PARTIAL.search(clause):
            candidate.reasons.append("partial control")
        if continuing:
            candidate.reasons.append("fighting continues")
        if change == "withdrawn":
            candidate.reasons.append("withdrawal: who holds the place now is not stated")
        found.append(candidate)
    return found


def _tight(sentence: str, match: re.Match, form: str, targets: list) -> list:
    """The `targets` of a `TIGHT` word that it can be said of (see there)."""
    if not targets or targets[0][0] is None:
        return []
    place = targets[0][0]
    if form == "passive":
        said_of_place = TIGHT_SUBJECT.fullmatch(sentence, place.end, match.start())
        next_words = (LOST_PASSIVE_NEXT if match["lost"] else TIGHT_PASSIVE_NEXT).match(
            sentence, match.end()
        )
        return targets if said_of_place and next_words else []
    right_after = TIGHT_OBJECT.fullmatch(sentence, match.end(), place.start)
    return targets if right_after and TIGHT_OBJECT_END.match(sentence, place.end) else []


def _change_and_form(match: re.Match, sentence: str) -> tuple[str, str]:
    word = match[0].lower()
    before = sentence[max(0, match.start() - 80) : match.start()]
    if match["noun"]:
        return NOUN_CHANGE[match["noun"].lower()], "noun"
    if match["handed"]:
        return "handed over", "passive" if PASSIVE_AUX.search(before) else "handover"
    if match["withdrawn"]:
        return "withdrawn", "withdraw"
    if match["fall"]:
        return "captured", "fall"
    if match["lost"]:
        return "captured", "passive" if PASSIVE_AUX.search(before) else "lost"
    change = "recaptured" if match["recaptured"] else "captured"
    if PASSIVE_AUX.search(before) or re.match(r"\s+by\b", sentence[match.end() :]):
        return change, "passive"
    if re.match(
        r"(?:seized|captured|taken|overrun|occupied|liberated|retaken|recaptured)$", word
    ) and (
        re.search(r"\b(?:town|city|township|it)\s*,?\s*$", before, re.I)
        and not re.match(r"\s+(?:the|a|an|[A-Z])", sentence[match.end() :])
    ):
        return change, "passive"
    return change, "active"


def _object_places(sentence: str, match: re.Match, places: list[Mention]):
    """The places the verb acts on: the next place of its clause and any joined to it by "and",
    unless a facility ("police station", "base") or a location word ("in", "near") comes first.
    """
    end = match.end()
    ousting = bool(OUSTING.match(match[0]))
    if ousting:
        source = list(re.finditer(r"\b(?:from|out\s+of)\s+", sentence[end : end + 160]))
        if not source:
            return []
        end += source[-1].end()
    stop = CLAUSE_BREAK.search(sentence, end)
    limit = stop.start() if stop else len(sentence)
    anaphor = TOWN_ANAPHORA.match(sentence[end:])
    if anaphor:
        word = anaphor["word"].lower()
        rest = sentence[end + anaphor.end() :]
        named = [p for p in places if p.start >= end + anaphor.end()]
        if named and re.fullmatch(r"\s+of\s+", sentence[end + anaphor.end() : named[0].start]):
            return [(named[0], named[0].text, named[0].start, False)]
        if word == "it" or not re.match(r"\s*(?:of|'s|’s)\b", rest):
            return [(None, word, end + anaphor.start("word"), True)]
    first = _unlisted_place(sentence, end, places) or _first_object(
        sentence, end, min(limit, end + 120), places, ousting
    )
    if first is None:
        return []
    listed = [first]
    while (following := _next_in_list(sentence, listed[-1], limit, places)) is not None:
        listed.append(following)
    return [(place, place.text, place.start, False) for place in listed]


def _first_object(
    sentence: str, end: int, limit: int, places: list[Mention], ousting: bool
) -> Mention | None:
    """The first place after the verb, unless a facility ("police station", "base") or a
    location word ("in", "near") comes first, or it names a place's part ("Momauk's")."""
    for place in places:
        if not end <= place.start < limit:
            continue
        between = sentence[end : place.start]
        if re.match(
            r"\s*(?:town|township|city|region|state)?(?:'s|’s)", sentence[place.end :], re.I
        ):
            continue
        if not ousting and (FACILITY.search(between) or _facility_after(sentence, place)):
            return None
        located = LOCATED_BY.search(between)
        if located and not ousting and between.strip().lower() not in ("in", "at"):
            return None
        return place
    return None


def _next_in_list(
    sentence: str, previous: Mention, limit: int, places: list[Mention]
) -> Mention | None:
    """The place joined to `previous` by a comma or "and" ("Lwegel, Hsinbo and Sumprabum
    towns"), listed or not; None where the list ends, or where the next name is the unit
    `previous` lies in ("Khampat, Tamu Township, on …": where it is, not another place)."""
    joiner = LIST_JOINER.match(sentence, previous.end)
    if not joiner or joiner.end() >= limit:
        return None
    start = joiner.end()
    listed = next((p for p in places if p.start == start), None)
    if listed is not None:
        inside = _lies_in(previous, listed)
        return listed if not (inside or _facility_after(sentence, listed)) else None
    return _unlisted_place(sentence, start, places)


# Month and weekday names as `when` reads them, capitalised as in running text.
MONTH = "(?:" + "|".join(sorted(map(str.title, MONTHS), key=len, reverse=True)) + r")(?![a-z])\.?"
WEEKDAY = "(?:" + "|".join(map(str.title, WEEKDAYS)) + ")"
JOINED = r"(?:,\s*and|,|and|&)"
# "captured Kyauktaw on 14 March and Minbya on 20 March": each place's own date between them.
DATED = (
    rf"\s+(?:on|in|by)\s+(?:(?:early|mid|late)[\s-]+)?(?:{WEEKDAY},?\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{MONTH}|{WEEKDAY})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?"
    r"(?:,?\s+\d{4})?"
)
LIST_JOINER = re.compile(
    rf"\s*(?:towns?|townships?|city|cities|villages?)?(?:{DATED}\s*(?:,\s*and|and|&)|\s*{JOINED})\s+"
)


def _subject_place(sentence: str, start: int, places: list[Mention]):
    """The place a passive verb or "fell" is said of: the subject of its clause."""
    before = sentence[:start]
    breaks = [
        m.end() for m in CLAUSE_BREAK.finditer(before) if m[0].lower() not in ("that", "which")
    ]
    clause_start = max(breaks, default=0)
    subject = before[clause_start:]
    relative = re.search(r"\b(?:which|that)\s+(?:\w+\s+){0,3}$", before, re.I)
    if relative:
        subject = before[max(0, relative.start() - 120) : relative.start()]
        clause_start = max(0, relative.start() - 120)
    masked = ASIDE.sub(lambda m: " " * len(m[0]), sentence[:start])
    bare = re.sub(
        r"\s+(?:was|were|had|has|have|is|are|been|being|also|then|now|finally|briefly|"
        r"completely|fully|reportedly|later|quickly|largely|today|yesterday|eventually)\b",
        "",
        masked[clause_start:] if not relative else subject,
        flags=re.I,
    ).rstrip(" ,")
    anaphor = SUBJECT_ANAPHORA.search(bare)
    word = anaphor and (anaphor["word"] or "it").lower()
    if anaphor and not relative:
        return None, word, start, True
    named = [
        p for p in places if clause_start <= p.start < start and masked[p.start : p.end].strip()
    ]
    if named:
        place = named[-1]
        head = sentence[max(clause_start, place.start - 80) : place.start]
        if _facility_after(sentence, place) or FACILITY.search(head):
            return None
        return place, place.text, place.start, False
    if anaphor:
        return None, word, start, True
    unlisted = re.search(
        r"(?:^|\b(?:said|that)\s+)(?P<name>[A-Z][a-z'’-]{2,}(?:\s+[A-Z][a-z'’-]+){0,4})"
        r"(?:\s+(?:village|town))?$",
        bare.strip(),
    )
    if unlisted and not title_case(sentence) and not NOT_PLACE_WORDS.search(unlisted["name"]):
        offset = before.find(unlisted["name"], clause_start)
        if offset >= 0:
            name = unlisted["name"]
            mention = Mention(
                offset, offset + len(name), name, "", "unresolved", None, None, None, False
            )
            return mention, name, offset, False
    return None


def _listed_before(sentence: str, target: tuple, places: list[Mention]) -> list[tuple]:
    """The places listed before a subject ("Kyauktaw, Minbya and Mrauk-U were captured"),
    first to last, each joined to the next by a comma or "and"."""
    place = target[0]
    if place is None or target[3]:
        return []
    listed: list[tuple] = []
    for earlier in reversed([p for p in places if p.end <= place.start]):
        joiner = SUBJECT_JOINER.fullmatch(sentence, earlier.end, place.start)
        if not joiner or _lies_in(place, earlier) or _facility_after(sentence, earlier):
            break
        listed.insert(0, (earlier, earlier.text, earlier.start, False))
        place = earlier
    return listed


def _lies_in(place: Mention, unit: Mention) -> bool:
    """Whether `unit` is a unit `place` lies in ("Khampat, Tamu Township"): where, not another
    place."""
    return bool(unit.pcode) and place.pcode.startswith(unit.pcode)


SUBJECT_JOINER = re.compile(rf"\s*(?:towns?|townships?)?\s*{JOINED}\s+")
UNLISTED = re.compile(
    r"\s*(?:the\s+(?:\w+\s+)?(?:town|city|village)\s+of\s+)?"
    r"(?P<name>[A-Z][a-z'’-]{2,}(?:\s+[A-Z][a-z'’-]+){0,2})(?P<kind>\s+(?:towns?|villages?|city|cities)\b)?"
)
NOT_PLACE_WORDS = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Brigadier|General|"
    r"Colonel|Major|Captain|Lieutenant|Commander|The|This|That|Its|Their|His|Her|Light|Infantry|"
    r"Battalion|Regiment|Division|Command|Police|Station|Airport|Base|Camp|Hill|Bridge|Gate)\b"
)


def _unlisted_place(sentence: str, end: int, places: list[Mention]) -> Mention | None:
    """A name right after the verb that the gazetteer does not know ("captured Laukkai")."""
    match = UNLISTED.match(sentence, end)
    if (
        not match
        or title_case(sentence)
        or any(p.start < match.end("name") and p.end > match.start("name") for p in places)
    ):
        return None
    name = match["name"]
    rest = sentence[match.end() :]
    if NOT_PLACE_WORDS.search(name) or re.match(r"\s*(?:'s|’s|[A-Z(])", rest):
        return None
    if re.search(r"\b(?:Army|Force|Forces|Front|Alliance|Union|Council|Government)\b", name):
        return None
    if re.search(r"\b(?:Region|State)$", name):  # "Khampat, Sagaing Region,": where, not what
        return None
    if not match["kind"] and not re.match(r"\s*(?:[,.;]|on\b|in\b|after\b|from\b|and\b|$)", rest):
        return None
    return Mention(
        match.start("name"), match.end("name"), name, "", "unresolved", None, None, None, False
    )


def _facility_after(sentence: str, place: Mention) -> bool:
    """A place name used as a modifier: "Khampat police station", "Pauktaw Township Police"."""
    return bool(
        re.match(
            r"\s*(?:town|township|city)?'?s?\s*(?:military\s+|army\s+|junta\s+|regime\s+)?"
            + FACILITY.pattern,
            sentence[place.end :],
            re.I,
        )
    )


def _assign_actors(candidate: Candidate, sentence: str, match: re.Match, form: str, actors) -> None:
    after = sentence[match.end() :]
    before_actors = [a for a in actors if a.end <= match.start()]
    if form == "lost" or (match["noun"] or "").lower() == "loss":
        to = re.search(r"\bto\b", after[:160])
        candidate.gaining = _actor_list(actors, match.end() + to.end(), sentence) if to else []
        candidate.losing = _subject(before_actors, sentence, match.start())
    elif form in ("passive", "fall", "noun"):
        by = re.search(r"\b(?:by|to)\b", after[:160])
        if by and (form != "fall" or match[0].lower().endswith("to") or by[0] == "by"):
            if form == "fall" and not match[0].lower().endswith("to"):
                by = re.search(r"\bby\b", after[:160])
            if by:
                candidate.gaining = _actor_list(actors, match.end() + by.end(), sentence)
        if form == "fall" and match[0].lower().endswith("to"):
            candidate.gaining = _actor_list(actors, match.end(), sentence)
        under = form == "fall" and match[0].lower().endswith("under")
        if under and re.match(r".{0,60}?\bcontrol\b", after):  # "came under AA control"
            candidate.gaining = _actor_list(actors, match.end(), sentence, 70)
        if form == "noun" and not candidate.gaining:
            candidate.gaining = _subject(before_actors, sentence, match.start())
    elif form == "handover":
        to = re.search(r"\bto\b", after[:160])
        if to:
            candidate.gaining = _actor_list(actors, match.end() + to.end(), sentence)
        candidate.losing = _subject(before_actors, sentence, match.start())
    elif form == "withdraw":
        candidate.losing = _subject(before_actors, sentence, match.start())
    else:
        candidate.gaining = _subject(before_actors, sentence, match.start())
    source = re.search(r"\b(?:from|out\s+of)\s+(?:the\s+)?", after[:200])
    if source and OUSTING.match(match[0]):
        ousted = [a for a in actors if match.end() <= a.start < match.end() + source.start()]
        candidate.losing = [a for a in ousted if not a.pronoun][:1]
    elif source and form not in ("withdraw",):
        losing = _actor_list(actors, match.end() + source.end(), sentence, limit=40)
        losing = [a for a in losing if not a.pronoun]
        if not losing and re.match(
            r"(?:military|army|junta|regime)\b", after[source.end() :], re.I
        ):
            losing = [a for a in actors if a.start >= match.end() + source.start()][:1]
        candidate.losing = losing or candidate.losing


def _actor_list(actors, start: int, sentence: str, limit: int = 80) -> list[ActorMention]:
    """Actors named from `start`, joined by "and", commas, "of" or "led by", as in "by PDFs and
    the KIA" or "by a coalition of anti-junta forces led by the KNU"."""
    listed: list[ActorMention] = []
    position = start
    for actor in actors:
        if actor.start < start:
            continue
        gap = sentence[position : actor.start]
        if not listed:
            if actor.start - start > limit or re.search(r"[.;]", gap):
                break
        elif not re.fullmatch(JOINERS, gap, re.I):
            break
        listed.append(actor)
        position = actor.end
    return listed


JOINERS = (
    r"[\s,]*(?:and|&|with|of|along\s+with|led\s+by|that\s+included|including|comprising|"
    r"such\s+as|made\s+up\s+of|consisting\s+of|[-–]led)?\s*(?:the\s+)?(?:allied\s+)?(?:\(\s*)?"
)


def _subject(before: list[ActorMention], sentence: str, start: int) -> list[ActorMention]:
    """The acting subject: the first actor of the verb's clause not governed by a preposition,
    else the first such actor of the sentence."""
    clause_start = max((m.end() for m in CLAUSE_BREAK.finditer(sentence[:start])), default=0)
    opening = re.match(r"\s*(?:\w+\s+){0,3}", sentence[clause_start:start])
    local = [a for a in before if clause_start <= a.start <= clause_start + len(opening[0])]
    return (
        _first_subject(local, sentence, before)
        or _first_subject(before, sentence, before)
        or before[:1]
    )


def _first_subject(
    heads: list[ActorMention], sentence: str, before: list[ActorMention]
) -> list[ActorMention]:
    """The first of `heads` that is a subject, with the actors of `before` joined to it
    ("Combined forces of the KIA and PDFs")."""
    for actor in heads:
        preceding = sentence[max(0, actor.start - 12) : actor.start].lower()
        if re.search(
            r"\b(?:by|from|against|on|of|to|at|in|for|with|into|toward|towards|than)\s+(?:the\s+)?$",
            preceding,
        ):
            continue
        if sentence[actor.end : actor.end + 2] in ("'s", "’s"):
            continue
        if actor.pronoun and actor.text.lower() in ("them", "their", "its", "our"):
            continue
        group = [actor]
        for follower in before[before.index(actor) + 1 :]:
            gap = sentence[group[-1].end : follower.start]
            if re.fullmatch(r"\s*(?:,|and|,\s*and|&|of)\s*(?:the\s+)?", gap) or re.fullmatch(
                r"\s*\(\s*", gap
            ):
                group.append(follower)
            else:
                break
        return group
    return []


def _under_control(sentence: str, match: re.Match, places, actors) -> list[Candidate]:
    before = sentence[: match.start()]
    if hedged(before, sentence, match):
        return []
    target = _subject_place(sentence, match.start(), places)
    if target is None:
        return []
    place, words, position, anaphora = target
    candidate = Candidate("captured", place, words, match.start(), match.end(), position)
    candidate.anaphora = anaphora
    candidate.gaining = [a for a in actors if match.start("who") <= a.start < match.end("who")]
    if not candidate.gaining and match["of"]:
        candidate.gaining = _actor_list(actors, match.start("of"), sentence, limit=20)
    return [candidate]


def _inside(place: Mention, actors: list[ActorMention]) -> bool:
    return any(a.start <= place.start and place.end <= a.end and not a.generic for a in actors)
