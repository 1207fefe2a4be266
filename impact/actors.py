"""Canonical armed actors, their sides and allies, from the country package's `actors.csv`.

Event sheets name the same armed group many ways ("MNDAA", "MNDAA (Brotherhood Alliance)",
"Kokang army"), and ACLED adds its own labels ("Military Forces of Myanmar (2021-)"). Counting
people per actor or per side only adds up once every spelling points at one canonical row, so
this module turns actor text into a canonical actor, its side (military regime, resistance,
non-aligned) and the allies named beside it. The table is data, not code: a user's
`--actors FILE` overrides or extends it.

Rules, each working on a normalised key so that case, punctuation, brackets, quotes,
possessives and words like "forces" or "troops" never make a new actor:

1. the whole text is a known name or alias;
2. ACLED's "ABBR: Full name" form is looked up by either part;
3. coalitions ("X with Y and Z", "X, Y and allies", "joint forces of X and Y", "X-led forces")
   keep X as the actor and Y, Z as allies; adjacent pieces are re-joined when together they
   are a known name ("Union Solidarity and Development Party");
4. a bracketed note after a known name ("MNDAA (Brotherhood Alliance)") resolves to the name,
   or the bracket itself when only it is known ("Brigade 5 (KNLA)");
5. a local PDF ("Kalay PDF") resolves to the People's Defence Force;
6. fuzzy matching (rapidfuzz) only for long names, with a high cutoff and equal numbers;
7. anything else stays as written (tidied), with side `unknown`.
"""

from __future__ import annotations

import colorsys
import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from impact.errors import ReferenceDataError
from impact.reference import default_reference_path

SIDES = ("military", "resistance", "non_aligned", "unknown")
SIDE_LABELS = {
    "military": "military regime",
    "resistance": "resistance",
    "non_aligned": "non-aligned armed groups",
    "unknown": "unknown",
}
ACTOR_TYPES = (
    "state forces",
    "ethnic armed organisation",
    "resistance force",
    "militia/BGF",
    "coalition",
)
RESULT_TYPES = {
    "actor": "string",
    "side": "string",
    "actor_type": "string",
    "allies": "string",
    "known": "bool",
}
# What one actor text resolves to: the actor (None for no actor), its allies, whether known.
Resolved = tuple[str | None, tuple[str, ...], bool]
MISSING = {"actor": pd.NA, "side": "unknown", "actor_type": pd.NA, "allies": "", "known": False}
# Keys of texts that name no actor: blank, "-", "n/a", "unknown", "?".
PLACEHOLDERS = {"", "na", "nan", "none", "null", "unknown", "unk", "notknown", "nil"}
COLUMNS = ("actor", "short_name", "side", "actor_type", "parent", "aliases", "source", "side_note")
REQUIRED = ("actor", "side", "actor_type", "source")

# Hue (0-1) and saturation per side: red for the regime, blue for the resistance, green for
# groups on neither side; far apart on the colour wheel so no shade of one side meets another.
SIDE_HUES = {"military": (0.99, 0.72), "resistance": (0.59, 0.70), "non_aligned": (0.36, 0.55)}
SHADE_LIGHTNESS = (0.40, 0.58, 0.28, 0.68, 0.48, 0.34, 0.62, 0.23, 0.73, 0.44, 0.53, 0.31)
UNKNOWN_GREYS = ("#8c8c8c", "#6e6e6e", "#a8a8a8", "#5a5a5a", "#bdbdbd", "#7b7b7b")

NOISE_WORDS = {
    "the", "force", "forces", "troop", "troops", "fighter", "fighters", "soldier", "soldiers",
    "unit", "units", "member", "members", "personnel", "column", "columns",
}  # fmt: skip
SPELLING_FOLDS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"defense", "defence"),
        (r"organization", "organisation"),
        (r"^peoples$", "people"),
    )
)
FUZZY_MIN_LENGTH = 10
# Distinct texts whose key or resolution is kept for the next time they are asked for.
KEY_MEMO_SIZE = 1 << 16
RESOLVED_MEMO_SIZE = 1 << 17
APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`´]")
INVISIBLE = re.compile(r"[\u200b-\u200d\ufeff]")
POSSESSIVE = re.compile(r"'s\b")
KEY_SEPARATORS = re.compile(r"[^\w\u1000-\u109f\uaa60-\uaa7f]+|_")
FUZZY_CUTOFF = 92

ALLY_WORDS = re.compile(
    r"\s*\(?\s*\b(?:together\s+with|along\s*side|with\s+(?:the\s+)?(?:support|help)\s+(?:of|from)|"
    r"with|supported\s+by|backed\s+by|assisted\s+by|aided\s+by|helped\s+by|joined\s+by|"
    r"in\s+(?:cooperation|coordination|collaboration)\s+with|including|incl\.?)\s+",
    re.IGNORECASE,
)
UNNAMED_ALLIES = re.compile(
    r"\s*(?:,|\band\b|&|\+)?\s*(?:its\s+|their\s+|other\s+)?(?:allies|allied\s+(?:forces|groups|troops)|"
    r"other\s+(?:groups|forces|resistance\s+forces)|partners|et\s+al\.?)(?=\s*\)?\s*$)",
    re.IGNORECASE,
)
JOINT_PREFIX = re.compile(
    r"^(?:the\s+)?(?:(?:joint|combined|allied|coalition)\s+(?:forces|troops|fighters|units|columns)?"
    r"\s*(?:of|from)|(?:a\s+)?coalition\s+of|(?:forces|troops|fighters|units)\s+(?:of|from))\s+",
    re.IGNORECASE,
)
LED = re.compile(r"^(?P<lead>.+?)[\s-]+led\b(?P<rest>.*)$", re.IGNORECASE)
LIST_SEPARATORS = re.compile(r"(\s*(?:,|;|&|\+|/|\band\b)\s*)", re.IGNORECASE)
BRACKET = re.compile(r"\s*[\(\[]([^\)\]]*)[\)\]]\s*")
ACLED_FORM = re.compile(r"^(?P<short>[^:]{1,40}):\s*(?P<full>.+)$")
TIDY_ENDS = re.compile(
    r"^the\s+|\s+(?:forces|troops?|fighters?|soldiers?|units?|members?|personnel|columns?)$",
    re.IGNORECASE,
)
LOCAL_PDF = re.compile(r"\bpdfs?\b|\bpeople[\u2019']?s?\s+defen[cs]e\b", re.IGNORECASE)


@dataclass(frozen=True)
class ActorTable:
    """The canonical actors of a country and the index from every spelling to them.

    Attributes:
        rows: one row per canonical actor, in table order (the order fixes colours).
        alias_index: normalised key of a name, short name or alias -> canonical actor.
        fuzzy_keys: the long keys fuzzy matching may use.
        path: the file(s) the table was read from, for messages and the manifest.
    """

    rows: pd.DataFrame
    alias_index: Mapping[str, str]
    fuzzy_keys: tuple[str, ...]
    path: str
    _resolved: dict[str, Resolved] = field(default_factory=dict, compare=False, repr=False)

    def lookup(self, text: str) -> str | None:
        """The canonical actor whose name or alias has the key of `text`, or None."""
        return self.alias_index.get(actor_key(text))

    def resolve(self, text: str) -> Resolved:
        """(actor, allies, known) for one text, worked out once per table: a run asks again
        for the texts it has resolved (every summary and chart reads the rows' actors), and
        a sheet of many spellings would pay its fuzzy matching each time."""
        found = self._resolved.get(text)
        if found is None:
            found = _resolve(text, self)
            if len(self._resolved) < RESOLVED_MEMO_SIZE:
                self._resolved[text] = found
        return found

    def info(self, actor: str) -> pd.Series:
        """The table row of a canonical actor."""
        return self.rows.loc[actor]


def load_actors(path: str | Path | None = None, extra: str | Path | None = None) -> ActorTable:
    """Read the actors table: the bundled Myanmar one by default, then a user's overrides.

    Args:
        path: an `actors.csv`, or a package folder holding one; the bundled Myanmar package
            when None.
        extra: a user's `--actors FILE` with the same columns. A row naming an actor already
            in the table (by its name or any of its aliases) replaces that row, an alias it
            shares with another row moves to it, and rows naming new actors are added after
            the bundled ones (so bundled colours do not move).

    Raises:
        ReferenceDataError: a file is missing, lacks a column, or has a bad row (the message
            names the file, row and column).
    """
    base_path = Path(path) if path is not None else default_reference_path()
    if base_path.is_dir():
        base_path = base_path / "actors.csv"
    rows = _read_table(base_path)
    sources = str(base_path)
    if extra is not None:
        rows = _overlay(rows, _read_table(Path(extra)))
        sources = f"{base_path} + {extra}"
    rows = rows.set_index("actor", drop=False).rename_axis(None)
    index = _alias_index(rows, sources)
    fuzzy_keys = tuple(sorted(key for key in index if len(key) >= FUZZY_MIN_LENGTH))
    return ActorTable(rows=rows, alias_index=index, fuzzy_keys=fuzzy_keys, path=sources)


def canonical_actors(
    texts: pd.Series, table: ActorTable, columns: Sequence[str] = tuple(RESULT_TYPES)
) -> pd.DataFrame:
    """The canonical actor, side, type and allies for each actor text.

    Works once per unique text, so a million rows naming a few dozen actors cost a few dozen
    look-ups. Unknown actors keep their text (tidied; case and punctuation variants of one
    unknown name share its most frequent spelling) with side `unknown`.

    Returns:
        A frame indexed like `texts` with the `columns` asked for, among `actor`, `side`,
        `actor_type`, `allies` (canonical names joined by "; ", empty when none) and `known`:
        each is a column of the texts' length, so a caller asks only for those it reads.
    """
    held = isinstance(texts.dtype, pd.CategoricalDtype)  # codes hashed, not texts
    codes, uniques = pd.factorize(texts if held else texts.astype("string"), use_na_sentinel=True)
    counts = pd.Series(codes[codes >= 0]).value_counts()
    per_unique = _resolve_uniques([str(text) for text in uniques], counts, table)
    per_unique = per_unique.astype(RESULT_TYPES)
    # A missing text takes the extra last row (no actor, side unknown).
    rows = np.where(codes >= 0, codes, len(uniques))
    return pd.DataFrame(
        {column: per_unique[column].array.take(rows) for column in columns},
        index=texts.index,
    )


def _resolve_uniques(texts: list[str], counts: pd.Series, table: ActorTable) -> pd.DataFrame:
    """One result row per unique text, plus a last row for a missing text."""
    resolved = [table.resolve(text) for text in texts]
    frequency = {i: int(counts.get(i, 0)) for i in range(len(texts))}
    spellings = _unknown_spellings(resolved, frequency)
    rows = []
    for name, named, known in resolved:
        if name is None:
            rows.append(MISSING)
            continue
        actor = name if known else spellings[actor_key(name)]
        rows.append(
            {
                "actor": actor,
                "side": table.rows.at[actor, "side"] if known else "unknown",
                "actor_type": table.rows.at[actor, "actor_type"] if known else pd.NA,
                "allies": "; ".join(ally for ally in dict.fromkeys(named) if ally != actor),
                "known": known,
            }
        )
    rows.append(MISSING)
    return pd.DataFrame(rows, columns=list(RESULT_TYPES))


def side_colours() -> dict[str, str]:
    """The colour of each side: red (military regime), blue (resistance), green (non-aligned),
    grey (unknown)."""
    colours = {side: _shade(side, 0) for side in SIDE_HUES}
    return {**colours, "unknown": UNKNOWN_GREYS[0]}


def actor_colours(actors: Sequence[str], table: ActorTable) -> dict[str, str]:
    """A fixed colour for each actor: a shade of its side's hue, chosen by the actor's rank
    among its side's rows in the table, so every chart of every report agrees whatever order
    the actors come in. Actors not in the table get greys chosen from their name."""
    rank = table.rows.groupby("side", sort=False).cumcount()
    colours = {}
    for actor in dict.fromkeys(actors):
        if actor in table.rows.index:
            colours[actor] = _shade(table.rows.at[actor, "side"], int(rank.at[actor]))
        else:
            colours[actor] = UNKNOWN_GREYS[zlib.crc32(str(actor).encode()) % len(UNKNOWN_GREYS)]
    return colours


@lru_cache(maxsize=KEY_MEMO_SIZE)
def actor_key(text: str) -> str:
    """The comparison key of a name: lower case, NFC, no punctuation, brackets, quotes,
    possessives or words like "the", "forces", "troops"; defense/defence folded.

    Kept for the texts seen last: resolving one text asks for the keys of its pieces several
    times, and each chart asks again for the actors of the same rows."""
    text = unicodedata.normalize("NFC", text).lower()
    text = APOSTROPHES.sub("'", text)
    text = INVISIBLE.sub("", text)
    text = POSSESSIVE.sub("", text).replace("'", "")
    kept = []
    for word in KEY_SEPARATORS.split(text):
        if not word or word in NOISE_WORDS:
            continue
        for pattern, replacement in SPELLING_FOLDS:
            word = pattern.sub(replacement, word)
        kept.append(word)
    return "".join(kept)


def tidy_actor_text(text: str) -> str:
    """The text as written, minus stray spaces, quotes, "the" and trailing "forces"/"troops"."""
    text = unicodedata.normalize("NFC", text)
    text = APOSTROPHES.sub("'", text)
    text = re.sub(r"[\u201c\u201d]", '"', text)
    text = re.sub(r"\s+", " ", text)
    while True:
        tidied = TIDY_ENDS.sub("", text.strip().strip("\"'.,;: ")).strip()
        if tidied == text:
            return text
        text = tidied


def _resolve(text: str, table: ActorTable) -> Resolved:
    """(actor, allies, known) for one text; no actor for a blank or placeholder."""
    tidy = tidy_actor_text(text)
    if actor_key(tidy) in PLACEHOLDERS:
        return None, (), False
    whole = _whole_name(tidy, table)
    if whole is not None:
        return whole, (), True
    lead, ally_text = _split_allies(tidy)
    names = _names_in_list(lead, table)
    ally_names = _names_in_list(ally_text, table) if ally_text else []
    pieces = names + ally_names
    if not any(known for _, known in pieces):
        fuzzy = _fuzzy(tidy, table)
        return (fuzzy, (), True) if fuzzy else (tidy, (), False)
    (actor, known), others = pieces[0], pieces[1:]
    return actor, tuple(name for name, _ in others), known


def _whole_name(text: str, table: ActorTable) -> str | None:
    """The actor for a text that is one name: its exact key or ACLED's "ABBR: Full" form."""
    hit = table.lookup(text)
    if hit is not None:
        return hit
    acled = ACLED_FORM.match(text)
    if acled:
        for part in (acled["full"], acled["short"]):
            hit = table.lookup(part)
            if hit is not None:
                return hit
    return None


def _known_name(text: str, table: ActorTable) -> str | None:
    """The actor for one name, also when a bracketed note follows it, only the bracket is
    known, or the name up to the bracket is ("MNDAA (Brotherhood Alliance)", "Brigade 5 (KNLA)",
    "Military Forces of Myanmar (2021-) Navy")."""
    hit = _whole_name(text, table)
    if hit is not None:
        return hit
    bracket = BRACKET.search(text)
    if bracket:
        # ACLED names a sub-unit after the period: "Police Forces of Myanmar (2016-2021) X".
        through_bracket = text[: bracket.end()]
        outside = tidy_actor_text(BRACKET.sub(" ", text))
        for candidate in (outside, *BRACKET.findall(text), through_bracket):
            hit = table.lookup(candidate) if actor_key(candidate) else None
            if hit is not None:
                return hit
    return None


def _split_allies(text: str) -> tuple[str, str]:
    """The leading actor list and the text naming its allies ("X with Y" -> "X", "Y")."""
    text = UNNAMED_ALLIES.sub("", text)
    text = JOINT_PREFIX.sub("", text)
    led = LED.match(text)
    if led:
        # What follows "-led" describes the group ("forces", "Karenni resistance") unless an
        # ally word introduces named partners.
        rest_ally = ALLY_WORDS.search(led["rest"])
        return led["lead"], led["rest"][rest_ally.end() :].rstrip(") ") if rest_ally else ""
    ally = ALLY_WORDS.search(text)
    if ally is None or ally.start() == 0:
        return text, ""
    return text[: ally.start()], text[ally.end() :].rstrip(") ")


def _names_in_list(text: str, table: ActorTable) -> list[tuple[str, bool]]:
    """The actors in a list like "KIA, AA and CDF", re-joining pieces that form one name."""
    parts = LIST_SEPARATORS.split(text)
    segments, separators = parts[0::2], parts[1::2]
    names: list[tuple[str, bool]] = []
    start = 0
    while start < len(segments):
        for end in range(len(segments), start, -1):
            joined = segments[start] + "".join(
                separators[i] + segments[i + 1] for i in range(start, end - 1)
            )
            name = _known_name(joined, table) if actor_key(joined) else None
            if name is not None or end == start + 1:
                break
        if name is None and actor_key(joined):
            name = _local_pdf(joined, table) or _fuzzy(joined, table)
        if actor_key(joined):
            names.append((name, True) if name else (tidy_actor_text(joined), False))
        start = end
    return names


def _local_pdf(text: str, table: ActorTable) -> str | None:
    """People's Defence Force for a local PDF unit ("Kalay PDF", "PDF Battalion 4")."""
    if LOCAL_PDF.search(text):
        return table.lookup("People's Defence Force")
    return None


def _fuzzy(text: str, table: ActorTable) -> str | None:
    """A close spelling of a long known name with the same numbers in it, else None."""
    key = actor_key(text)
    if len(key) < FUZZY_MIN_LENGTH or not table.fuzzy_keys:
        return None
    match = process.extractOne(key, table.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if match is None or re.findall(r"\d+", match[0]) != re.findall(r"\d+", key):
        return None
    return table.alias_index[match[0]]


def _unknown_spellings(resolved: list[Resolved], frequency: Mapping[int, int]) -> dict[str, str]:
    """Key -> the spelling to show for unknown actors: the most frequent, then the first sorted."""
    best: dict[str, tuple[int, str]] = {}
    for i, (name, _, known) in enumerate(resolved):
        if known or name is None:
            continue
        key = actor_key(name)
        candidate = (-frequency.get(i, 0), name)
        if key not in best or candidate < best[key]:
            best[key] = candidate
    return {key: name for key, (_, name) in best.items()}


def _shade(side: str, rank: int) -> str:
    hue, saturation = SIDE_HUES[side]
    lightness = SHADE_LIGHTNESS[rank % len(SHADE_LIGHTNESS)]
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (red, green, blue)))


def _read_table(path: Path) -> pd.DataFrame:
    """Read and check one actors file."""
    if not path.exists():
        raise ReferenceDataError("actors table not found", file=str(path))
    if not path.is_file():  # a folder, or a pipe that would wait for ever
        raise ReferenceDataError("is not a file; name the actors CSV file", file=str(path))
    try:
        rows = pd.read_csv(path, dtype="string", encoding="utf-8-sig", keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        reason = " ".join(str(error).split())  # pandas' text ends in a line break
        raise ReferenceDataError(
            f"cannot read the actors table ({reason})", file=str(path)
        ) from error
    except OSError as error:
        raise ReferenceDataError(
            f"cannot read the actors table ({error.strerror})", file=str(path)
        ) from error
    rows.columns = [str(column).strip().lower() for column in rows.columns]
    for column in REQUIRED:
        if column not in rows.columns:
            raise ReferenceDataError(
                f"no '{column}' column; an actors table needs {', '.join(REQUIRED)}",
                file=str(path),
                column=column,
            )
    rows = rows.reindex(columns=list(COLUMNS)).astype("string").fillna("")
    rows = rows.apply(lambda column: column.str.strip())
    _check_rows(rows, path)
    return rows.reset_index(drop=True)


def _check_rows(rows: pd.DataFrame, path: Path) -> None:
    keys, types = rows["actor"].map(actor_key), ", ".join(ACTOR_TYPES)
    checks = [
        ("actor", keys == "", "is empty"),
        ("side", ~rows["side"].isin(SIDES[:-1]), f"must be one of {', '.join(SIDES[:-1])}"),
        ("actor_type", ~rows["actor_type"].isin(ACTOR_TYPES), f"must be one of {types}"),
        ("source", rows["source"] == "", "is empty: every row needs a public source"),
        ("actor", keys.duplicated(), "repeats an actor already in the table"),
    ]
    for column, bad, message in checks:
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise ReferenceDataError(
                f"{column} {rows[column].iloc[row]!r} {message}",
                file=str(path),
                row=row + 2,
                column=column,
            )


def _names_of(row: pd.Series) -> list[str]:
    aliases = [alias.strip() for alias in str(row["aliases"]).split("|")]
    return [name for name in (row["actor"], row["short_name"], *aliases) if actor_key(name)]


def _overlay(base: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """The base rows with the user's rows laid over them.

    An extra row whose actor or short name is a name of a base row takes that row's place
    (keeping its rank, hence its colour); every spelling an extra row lists is taken away from
    the base rows; extra rows naming new actors come last.
    """
    primary = {
        actor_key(name): position
        for position, row in enumerate(extra.to_dict("records"))
        for name in (row["actor"], row["short_name"])
        if actor_key(name)
    }
    claimed = {actor_key(name) for row in extra.to_dict("records") for name in _names_of(row)}
    merged, used = [], set()
    for row in base.to_dict("records"):
        match = next((primary[k] for k in map(actor_key, _names_of(row)) if k in primary), None)
        if match is None:
            aliases = row["aliases"].split("|")
            row["aliases"] = "|".join(a for a in aliases if actor_key(a) not in claimed)
            row["short_name"] = "" if actor_key(row["short_name"]) in claimed else row["short_name"]
            merged.append(row)
        elif match not in used:
            merged.append(extra.iloc[match].to_dict())
            used.add(match)
    merged += [row for i, row in enumerate(extra.to_dict("records")) if i not in used]
    return pd.DataFrame(merged, columns=list(COLUMNS))


def _alias_index(rows: pd.DataFrame, source: str) -> dict[str, str]:
    """Key -> actor for every name, short name and alias; a key claimed by two actors is an
    error, since the same spelling cannot mean two groups."""
    index: dict[str, str] = {}
    for position, (actor, row) in enumerate(rows.iterrows()):
        for name in _names_of(row):
            key = actor_key(name)
            if index.setdefault(key, actor) != actor:
                raise ReferenceDataError(
                    f"alias {name!r} of {actor!r} already names {index[key]!r}",
                    file=source,
                    row=position + 2,
                    column="aliases",
                )
    return index
