"""Read the change column as analysts write it: a change word among notes.

"captured (reported)", "seized after the garrison surrendered", "claimed; denied by the
military" and "briefly held" all name a change of the vocabulary (`schemas.CHANGE_WORDS`) with
words around it. The first change word that is not negated ("failed to capture", "not
captured") decides the change; the rest of the text is kept as `change_qualifier`; words such as
"reportedly", "partially" or "briefly" (`schemas.CERTAINTY_WORDS`) and a low `confidence` set
`change_certainty`, which the counting rule in `rollup.mark_counted` reads. Text with no change
word is left without a change, and the reading stage rejects the row. Each distinct text is read
once, so a million rows cost as much as their few hundred distinct phrasings.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from impact.schemas import CERTAINTY_WORDS, CHANGE_WORDS, CLAIM_WORDS

COLUMNS = ["change", "change_qualifier", "change_certainty", "change_problem"]
NEGATED = "negated"
NO_CHANGE_WORD = "no_change_word"
# Words that, just before a change word, say it did not happen ("failed to capture", "did not
# fall", "attempted to seize") or has not yet ("to be handed over"); up to two words may stand
# between ("not yet fully captured").
NEGATION_BEFORE = re.compile(
    r"(?:\b(?:not|never|failed|fail|fails|failing|unable|attempts?|attempted|attempting|"
    r"tried|tries|try|trying|unsuccessful|unsuccessfully|foiled|thwarted|repelled|repulsed|"
    r"didn't|doesn't|wasn't|weren't|hasn't|haven't|isn't|aren't|cannot|can't|yet to|"
    # Planned, not done: "to be handed over", "will be handed over", "due to be …".
    r"to be|will|will be|going to|due to|set to|scheduled to|expected to|plans? to|planned to)"
    r"(?:\s+to)?\s+(?:\w+\s+){0,2})$",
    re.IGNORECASE,
)
# Words just after a change word that undo it ("capture attempt", "takeover bid", "seizure
# repelled").
NEGATION_AFTER = re.compile(
    r"^\s*(?:attempts?|attempted|bid|failed|repelled|repulsed|thwarted|foiled)\b", re.IGNORECASE
)
# "reported by Myanmar Now" names a source; it does not hedge the claim.
ATTRIBUTION = re.compile(r"\b(?:as\s+)?reported\s+(?:by|in|on)\b", re.IGNORECASE)
LOW_CONFIDENCE = re.compile(
    r"\b(?:low|very low|unverified|unconfirmed|not confirmed|not verified|unclear|doubtful|"
    r"uncertain|rumou?red|rumou?rs?|weak|poor|unreliable)\b"
    r"|^\s*lo?\s*$",  # L of an L/M/H scale
    re.IGNORECASE,
)
# Dashes and quotes folded one for one, so match positions hold in the original text.
FOLD = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "’": "'", "‘": "'"})


def _words_pattern(words: list[str]) -> re.Pattern[str]:
    """Whole words or phrases, longest first; a space also matches a hyphen or underscore."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    body = "|".join(re.escape(w).replace(r"\ ", r"[\s_-]+") for w in ordered)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


STRONG = {w: c for c, words in CHANGE_WORDS.items() for w in words if w not in CLAIM_WORDS}
WEAK = {w: c for c, words in CHANGE_WORDS.items() for w in words if w in CLAIM_WORDS}
STRONG_PATTERN = _words_pattern(list(STRONG))
WEAK_PATTERN = _words_pattern(list(WEAK))
CERTAINTY_PATTERNS = {name: _words_pattern(words) for name, words in CERTAINTY_WORDS.items()}


def parse_changes(text: pd.Series, confidence: pd.Series | None = None) -> pd.DataFrame:
    """For each change text: the change, the rest of the text, the certainty, and any problem.

    Args:
        text: the change column as written; a missing value is taken as "captured".
        confidence: the input's confidence column, if any; a low confidence ("low",
            "unverified" …) makes the certainty "claimed" unless the text says "confirmed".

    Returns a frame on `text`'s index with `change` (NA when no change word is recognised),
    `change_qualifier`, `change_certainty` (confirmed, claimed, partial or brief) and
    `change_problem` ("negated" or "no_change_word", else NA).
    """
    codes, uniques = pd.factorize(text.astype("string"), use_na_sentinel=True)
    read = [read_change(value) for value in uniques]
    read.append(("captured", None, set(), None))  # a missing text: taken as captured
    rows = np.where(codes < 0, len(read) - 1, codes)
    change = pd.array([read[i][0] for i in range(len(read))], dtype="string")
    qualifier = pd.array([read[i][1] for i in range(len(read))], dtype="string")
    problem = pd.array([read[i][3] for i in range(len(read))], dtype="string")
    markers = pd.DataFrame(
        {name: [name in r[2] for r in read] for name in CERTAINTY_WORDS}, dtype=bool
    ).iloc[rows]
    low = _low_confidence(confidence, text.index)
    certainty = _certainty(markers.set_index(text.index), low)
    return pd.DataFrame(
        {
            "change": change[rows],
            "change_qualifier": qualifier[rows],
            "change_certainty": certainty.astype("string"),
            "change_problem": problem[rows],
        },
        index=text.index,
    )


def read_change(text: str) -> tuple[str | None, str | None, set[str], str | None]:
    """One text: (change or None, qualifier or None, certainty words found, problem or None)."""
    folded = str(text).translate(FOLD)
    found, negated = _first_change(folded, STRONG_PATTERN, STRONG)
    if found is None:
        found, negated_weak = _first_change(folded, WEAK_PATTERN, WEAK)
        negated = negated or negated_weak
    markers = certainty_markers(folded)
    if found is None:
        return None, _tidy(folded), markers, NEGATED if negated else NO_CHANGE_WORD
    change, start, end = found
    return change, _tidy(folded[:start] + " " + folded[end:]), markers, None


def certainty_markers(text: str) -> set[str]:
    """Which certainty words the text holds ("confirmed" only when not negated); a question
    mark is a claim."""
    text = ATTRIBUTION.sub(" ", text)
    found = {name for name, pattern in CERTAINTY_PATTERNS.items() if pattern.search(text)}
    if "?" in text:
        found.add("claimed")
    if "confirmed" in found:
        claims = [m.span() for m in CERTAINTY_PATTERNS["claimed"].finditer(text)]
        confirms = [m.span() for m in CERTAINTY_PATTERNS["confirmed"].finditer(text)]
        if all(any(a <= s and e <= b for a, b in claims) for s, e in confirms):
            found.discard("confirmed")
    return found


def _first_change(
    text: str, pattern: re.Pattern[str], words: dict[str, str]
) -> tuple[tuple[str, int, int] | None, bool]:
    """The first change word not negated, with its span; and whether one was negated."""
    negated = False
    for match in pattern.finditer(text):
        if NEGATION_BEFORE.search(text[: match.start()]) or NEGATION_AFTER.match(
            text[match.end() :]
        ):
            negated = True
            continue
        key = re.sub(r"[\s_-]+", " ", match.group(0).lower())
        return (words[key], match.start(), match.end()), negated
    return None, negated


def _tidy(rest: str) -> str | None:
    """The words left around the change word, without stray brackets and punctuation."""
    rest = re.sub(r"\(\s*\)|\[\s*\]", " ", rest)
    rest = re.sub(r"\s+", " ", rest)
    rest = re.sub(r" ([,;:.])", r"\1", rest).strip(" ,;:.-/")
    whole = re.fullmatch(r"[(\[]([^()\[\]]*)[)\]]", rest)
    if whole:
        rest = whole.group(1).strip(" ,;:.-/")
    return rest or None


def _low_confidence(confidence: pd.Series | None, index: pd.Index) -> pd.Series:
    if confidence is None:
        return pd.Series(False, index=index)
    values = confidence.astype("string")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    low = np.array([bool(LOW_CONFIDENCE.search(str(u))) for u in uniques] + [False])
    return pd.Series(low[np.where(codes < 0, len(low) - 1, codes)], index=index)


def _certainty(markers: pd.DataFrame, low_confidence: pd.Series) -> pd.Series:
    """Claimed (text or low confidence, unless confirmed), else partial, brief, confirmed."""
    claimed = (markers["claimed"] | low_confidence) & ~markers["confirmed"]
    # Each row's word taken from the four by position: no text is built per row.
    words = pd.array(["claimed", "partial", "brief", "confirmed"], dtype="str")
    which = np.select([claimed, markers["partial"], markers["brief"]], [0, 1, 2], default=3)
    return pd.Series(words.take(which), index=markers.index)
