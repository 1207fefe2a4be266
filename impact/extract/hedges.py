"""Words that keep a change verb from stating a change: negations, attempts, hedges, repelled
attacks, and the clause boundaries that limit how far such a word reaches.

"failed to seize", "attempt to retake", "would fall", "repelled an attack on", "the liberated
town of", a question and a rumour give no change; "most of", "half of" (partial control) and
"fighting continues" keep the change but ask for review.
"""

from __future__ import annotations

import re

NEGATION = re.compile(
    r"\b(?:not|never|no\s+longer|failed|fail|fails|unable|could\s+not|couldn't|cannot|can't|"
    r"didn't|hasn't|haven't|hadn't|yet\s+to|without|nor|denied|deny|denies|"
    r"(?:dismiss|dismissed|dismisses|reject|rejected|rejects|refute|refuted|refutes)\s+"
    r"(?:[\w'’]+\s+){0,3}?claims?)\b",
    re.I,
)

ATTEMPT = re.compile(
    r"\b(?:attempt|attempts|attempted|attempting|tried|try|trying|tries|bid|plan|plans|planned|"
    r"planning|aim|aims|aiming|intend|intends|intended|vow|vowed|vows|threaten|threatened|"
    r"threatens|preparing|prepare|effort|efforts|"
    r"expects?|expected|hope|hopes|hoping|seeking|sought|halfway|struggle|struggling|want|wants|"
    r"wanted|if|unless|whether|prevent|prevented|ready|warned|fears?|feared|risks?|risked|"
    r"risking|danger|verge|brink|poised)\b",
    re.I,
)

MODAL = re.compile(
    r"\b(?:will|would|could|may|might|should|shall|can|Will|Would|Could|Might|Should|Can)\b"
)

ADJECTIVE_USE = re.compile(
    r"\b(?:the|a|an|its|their|his|her|newly|recently|already|once|formerly|previously)\s+$",
    re.I,
)
# "had already seized", "was recently captured": the verb after an auxiliary, not an adjective.
AUXILIARY_ADVERB = re.compile(
    r"\b(?:had|has|have|having|was|were|is|are|been)\s+(?:newly|recently|already|once|"
    r"formerly|previously)\s+$",
    re.I,
)

SUCCEEDED = re.compile(
    r"\b(?:managed|managing|manage|able|succeeded|reported|said|believed|claimed|claims|forced|"
    r"compelled|obliged|"
    r"known|understood|thought|appears?|seems?)\s+to\s*$",
    re.I,
)

# "the second township to fall", "the latest town to change hands": a change stated, not aimed
# at ("the next town to fall" is a forecast, and stays hedged).
RANKED = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th)|"
    r"latest|last|only)\s+(?:[\w'’-]+\s+){0,6}?to\s+$",
    re.I,
)

REPELLED = re.compile(
    r"\b(?:repelled|repulsed|fended\s+off|beat\s+back|beaten\s+back|held\s+off|pushed\s+back|"
    r"thwarted|foiled)\b",
    re.I,
)

PARTIAL = re.compile(
    r"\b(?:most\s+of|half\s+of|part\s+of|parts\s+of|much\s+of|largely|partly|partially|nearly|"
    r"almost|some\s+areas|\d+\s*(?:%|percent)\s+of|two-thirds|a\s+third|majority\s+of)\b",
    re.I,
)

CONTINUING = re.compile(
    r"\b(?:fighting\s+(?:continues|continued|is\s+still|remains|is\s+ongoing)|clashes\s+continue|"
    r"still\s+ongoing|fighting\s+is\s+ongoing|contested|not\s+yet\s+completed|clearance\s+"
    r"operations)\b",
    re.I,
)

# "Rumours that the AA had captured Sittwe …": hearsay, whatever the clause says.
RUMOUR = re.compile(
    r"\b(?:rumou?rs?|rumou?red|speculation|speculated|hoax|fake\s+news|false\s+reports?)\b", re.I
)

# "One year and four months after the town was first captured, …": a change told as the
# background of a later one, long before the report's date.
LONG_AGO = re.compile(r"\b(?:years?|months?)\s+(?:after|since)\b[^.;:,]{0,80}$", re.I)

CLAUSE_BREAK = re.compile(
    r"[;:]|,\s+(?:but|while|although|though|whereas|however)\b|\b(?:but|however|while|although|"
    r"whereas|after|before|following|when|since|as|because|until|despite|which|who|that|"
    r"meaning|prompting|igniting)\b",
    re.I,
)


def hedged(before: str, sentence: str, match: re.Match) -> bool:
    """True when the clause before the verb negates, hedges or attempts it."""
    if sentence.rstrip().endswith("?") or RUMOUR.search(before):  # a question, or hearsay
        return True
    if LONG_AGO.search(before):
        return True
    before = before[-300:]
    clause_start = max((m.end() for m in CLAUSE_BREAK.finditer(before)), default=0)
    clause = before[clause_start:]
    if re.search(r"\bto\s+$", before) and not (SUCCEEDED.search(before) or RANKED.search(before)):
        return True
    # "kept from capturing"; "since losing Lashio": told as the background of something else.
    if re.search(r"\b(?:from|since)\s+$", before) and match[0].lower().endswith("ing"):
        return True
    if (
        not match.groupdict().get("noun")
        and ADJECTIVE_USE.search(before)
        and not AUXILIARY_ADVERB.search(before)
    ):
        return True
    if NEGATION.search(clause) or ATTEMPT.search(clause) or REPELLED.search(clause):
        return True
    if MODAL.search(clause):
        return True
    after = sentence[match.end() : match.end() + 25]
    return bool(
        re.match(
            r"\s*(?:(?:an?|the|their|its|his)\s+)?(?:attempt|bid|effort|operation|offensive)",
            after,
            re.I,
        )
    )


def clause_of(sentence: str, start: int, end: int) -> str:
    """The clause holding the text from `start` to `end`, between the nearest boundaries."""
    before = sentence[:start]
    clause_start = max((m.end() for m in CLAUSE_BREAK.finditer(before)), default=0)
    after = CLAUSE_BREAK.search(sentence, end)
    return sentence[clause_start : after.start() if after else len(sentence)]
