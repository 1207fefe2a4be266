"""Decide which reference place each event names, and say how: the decision ladder.

The place text is first taken apart (`names.read_place_text`): notes go to `place_qualifier`,
admin hints written in the text are used, and a facility "near" a place is marked. The main
name and then each spelling of an `alt_names` column are tried in that order. For each unique
(place, hints, other spellings, rounded point) the gazetteer lists candidates; the ladder
below then takes the first rule that decides, top to bottom:

1. unreadable: Burmese text in the legacy Zawgyi encoding is refused, never guessed;
2. outside the hints: the name exists, but not inside the township/district/region given;
3. unknown P-code: P-code shaped text that is not in the package;
4. matched: one candidate wins (P-code, exact, alias, then fuzzy; the preferred level wins
   among equals: a town over the township of the same name);
5. ambiguous: several places are close, a village name has no hint that decides, or a fuzzy
   match has a runner-up within `AMBIGUITY_MARGIN`: the candidates are listed;
6. not found: nothing close enough, with the closest names as suggestions.

A point (latitude/longitude) is placed in its township and used as the township hint when
the row gives none; a match far from the point, or in another township, is flagged
`location_conflict`. A point with no usable name resolves to the nearest town or village
of its township (`match_method = coordinates`). Every match gets a `match_confidence`:

* high: P-code, exact or alias name, or a name equal once romanisation is folded;
* medium: a fuzzy spelling at least `MEDIUM_SCORE` alike with no other place within twice
  the margin, a "near" match given as the area, or a point within `NEAR_KM` of a place;
* low: any other fuzzy match, any point match farther than `NEAR_KM`, any location conflict.

All work is per unique key, never per row.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from impact.beside import both
from impact.events import point_numbers, usable_points
from impact.gazetteer import CONTROL_LEVELS, HINT_COLUMNS, STAGES, Gazetteer, ratios
from impact.names import looks_like_zawgyi, normalise_name, read_place_text, repair_pcode
from impact.per_value import PER_EVENT_TEXT, once_per_value, repeated_as_categories
from impact.problems import rejected_rows
from impact.reference import Reference
from impact.schemas import LEVELS, Event, Rejected, RejectReason, ResolvedEvent

AUDIT_COLUMNS = """
    outcome pcode place_name level match_method match_score match_confidence match_flags
    match_note place_qualifier matched_name village_pcode village_name village_lat village_lon
    point_township_pcode candidates runner_up
""".split()
RESOLVED_EXTRA = [c for c in AUDIT_COLUMNS if c not in ("outcome", "candidates", "runner_up")]
# Within TIE points of the best fuzzy score, a candidate at the same level makes the match
# ambiguous (exact-stage pooling).
TIE = 3.0
# A fuzzy match whose runner-up (another place, not one of its containers) scores within
# this many points is ambiguous, at any level, unless a hint leaves only one.
AMBIGUITY_MARGIN = 6.0
MEDIUM_SCORE = 90.0
# A town, township or sub-township spelt at least this alike (plain, and folded) makes a
# ward, village tract or village named exactly unsure (`_doubt_close_control`).
RIVAL_SCORE = 85.0
RIVAL_FOLDED = 80.0
# No spelling less alike than this is a rival of a close spelling.
FUZZY_FLOOR = 80.0
# A named match whose point lies farther than this from the given coordinates is flagged.
CONFLICT_KM = 20.0
# A point with no usable name resolves to the nearest town or village within this distance.
COORDINATE_KM = 5.0
NEAR_KM = 2.0
# Same-named villages whose distances to the point differ by less than this are not told
# apart by it (event points are often a few hundred metres off).
VILLAGE_MARGIN_KM = 0.5
POINT_DECIMALS = 4
# Combined key numbers stay below this (int64; `_distinct_keys`).
KEY_NUMBERS = 2**62
# Tables of at least this many rows are put together in threads (`_with_rows`).
THREADED_ROWS = 50_000
# Keys from which half are decided beside (a fork and the halves' fixed costs pay off).
SPLIT_KEYS = 2_000
KEY_COLUMNS = ["place", *HINT_COLUMNS, "alt_names", "point_lat", "point_lon"]
# Names that say nothing about where: with a point, the point decides.
NO_NAME = r"(?i)^\W*(unknown|unnamed|n/?a|none|nil|not known|various|multiple|tbc|tbd|-+|\?+)?\W*$"
# How analysts shorten "Township" after a name ("Pauktaw Tsp", "Kyauktaw T/S", "Kyaukme Twp"),
# read as the word itself. (Not "Myo", Burmese for town: it ends real names, such as Taung Myo.)
TOWNSHIP_SHORTHAND = re.compile(r"(?i)(?<=\w) (?:tsp|t/s|twp|twsp|tship)\.?(?=$|[\s,;:)\]])")
# "Kokang SAZ", "Pa Laung SAZ", "Wa SAD": a self-administered zone or division.
SELF_ADMINISTERED = re.compile(r"(?<=\w) SA(?P<kind>[ZD])\.?(?=$|[\s,;:)\]])")
SELF_ADMINISTERED_WORDS = {"Z": " Self-Administered Zone", "D": " Self-Administered Division"}
LEVEL_WORDS = {
    "township": "township",
    "town": "town",
    "ward": "ward",
    "village tract": "village_tract",
    "village": "village",
    "sub-township": "sub_township",
    "district": "district",
    "self-administered zone": "district",
    "self-administered division": "district",
}


@dataclass
class Resolution:
    """Resolved events, rejected rows and the audit of every unique name and hints."""

    resolved: DataFrame[ResolvedEvent]
    rejected: DataFrame[Rejected]
    audit: pd.DataFrame


@dataclass(frozen=True)
class PlaceLookup:
    """One name looked up by hand: its candidates, best first, and the decision taken."""

    candidates: pd.DataFrame
    outcome: str
    pcode: str | None
    note: str | None

    @property
    def decision(self) -> str:
        return f"{self.outcome}: {self.pcode if self.outcome == 'matched' else self.note}"


def resolve_places(events: DataFrame[Event], reference: Reference) -> Resolution:
    """Give each event the P-code of the place it names.

    Returns a `Resolution`: `resolved` is `events` plus pcode, place_name, level, match_method,
    match_score, match_confidence, match_flags, match_note, place_qualifier, the village
    and point columns and the admin names; `rejected` holds rows whose place is not found,
    ambiguous or unreadable; `audit` has one row per unique key.
    """
    events = events.reset_index(drop=True)
    key_columns = _key_columns(events)
    keys, key_of_row = _distinct_keys(key_columns)
    audit = pd.concat([keys, _decided(keys, reference)], axis=1)
    matched = (audit["outcome"] == "matched").to_numpy()[key_of_row]
    rows = events.assign(point_lat=key_columns["point_lat"], point_lon=key_columns["point_lon"])
    # A key's texts as categories: each of its events takes their codes, not the text.
    per_key = repeated_as_categories(_resolved_columns(audit, reference.places), rows=len(rows))
    # The events' own repeated texts too: the resolved rows take codes, not a copy of them.
    held = repeated_as_categories(rows, unique=PER_EVENT_TEXT)
    resolved = _with_rows(held, np.flatnonzero(matched), per_key, key_of_row)
    del held
    bad = _with_rows(
        rows[["source_file", "source_row", "place"]],
        np.flatnonzero(~matched),
        audit[["outcome", "match_note"]],
        key_of_row,
    )
    rejected = rejected_rows(
        bad, column="place", value=bad["place"], reason=bad["outcome"], message=bad["match_note"]
    )
    audit = audit.sort_values(KEY_COLUMNS, na_position="first")
    return Resolution(ResolvedEvent.validate(resolved), rejected, audit.reset_index(drop=True))


def _decided(keys: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """`decide` of `keys`; for many keys, half of them decided by a process beside this one.

    Each key is decided on its own, so the halves join into the same table. Before a report
    hands its charts their tables the second core has nothing else to do.
    """
    if len(keys) < max(SPLIT_KEYS, 2):
        return decide(keys, reference)
    half = len(keys) // 2
    first, second = both(
        partial(decide, keys.iloc[:half].reset_index(drop=True), reference),
        partial(decide, keys.iloc[half:].reset_index(drop=True), reference),
    )
    return pd.concat([first, second], ignore_index=True).rename_axis(first.index.name)


def _distinct_keys(keyed: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct `KEY_COLUMNS` of `keyed` in order of first appearance, and the number of
    each row's key (its row in that table): rows take their key's decision by number."""
    # Each row's values numbered column by column into one integer (renumbered only when
    # that would overflow), then the integers numbered in order of first appearance.
    key_of_row, size = np.zeros(len(keyed), dtype=np.int64), 1
    for column in KEY_COLUMNS:
        codes, distinct = pd.factorize(keyed[column], use_na_sentinel=False)
        if len(distinct) > 1:
            if size * len(distinct) >= KEY_NUMBERS:
                key_of_row, size = pd.factorize(key_of_row)[0], len(keyed)
            key_of_row, size = key_of_row * len(distinct) + codes, size * len(distinct)
    key_of_row = pd.factorize(key_of_row)[0]
    # Keys are numbered in order of first appearance: a key's first row raises the highest
    # number seen so far.
    first = np.flatnonzero(np.diff(np.maximum.accumulate(key_of_row), prepend=-1) > 0)
    keys = keyed.loc[first, KEY_COLUMNS].reset_index(drop=True)
    return keys.assign(alt_names=_none_for_missing(keys["alt_names"])), key_of_row


def _with_rows(
    rows: pd.DataFrame, positions: np.ndarray, per_key: pd.DataFrame, key_of_row: np.ndarray
) -> pd.DataFrame:
    """The rows of `rows` at `positions` with the columns of `per_key` (one row per key) for
    the key of each: new columns at the end, a column `rows` already has replaced where it
    stands.

    Each column is taken once, from the rows or from the keys; for many rows in threads (at
    a million rows the time goes to writing fresh memory, which the cores share).
    """
    keys = key_of_row[positions]
    columns = [*rows.columns, *(c for c in per_key.columns if c not in rows.columns)]

    def taken(column: str) -> object:
        if column in per_key:
            return per_key[column].array.take(keys)
        values = rows[column].array.take(positions)
        if isinstance(values, pd.Categorical):  # as if the rows taken were made categories
            return values.remove_unused_categories()
        return values

    if len(positions) < THREADED_ROWS:
        return pd.DataFrame({column: taken(column) for column in columns})
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        return pd.DataFrame(dict(zip(columns, pool.map(taken, columns), strict=True)))


def _resolved_columns(audit: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """The columns a matched key gives its events: the audit's decision, the admin codes and
    names of its place, each in the type `ResolvedEvent` holds it (converted once per key,
    not once per event)."""
    columns = [
        c for c in audit.columns if c not in (*KEY_COLUMNS, "outcome", "candidates", "runner_up")
    ]
    out = _with_admin_names(audit[columns].copy(), places)
    schema = ResolvedEvent.to_schema().columns
    for column in out.columns:
        if column in schema and schema[column].dtype is not None:
            out[column] = schema[column].dtype.coerce(out[column])
    return out


def with_key_columns(events: pd.DataFrame) -> pd.DataFrame:
    """`events` with `alt_names` and the input point (`point_lat`, `point_lon`, rounded to
    `POINT_DECIMALS`, NaN when absent or out of range) that resolution keys on."""
    keyed = _key_columns(events)
    return events.assign(
        alt_names=_none_for_missing(keyed["alt_names"]),
        point_lat=keyed["point_lat"],
        point_lon=keyed["point_lon"],
    )


def _none_for_missing(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None)


def _key_columns(events: pd.DataFrame) -> pd.DataFrame:
    """The `KEY_COLUMNS` of `events` (see `with_key_columns`), indexed like it; `alt_names`
    as given (`_distinct_keys` makes a missing one None, once per key)."""
    out = events[["place", *HINT_COLUMNS]].copy()
    out["alt_names"] = events.get("alt_names", pd.Series(pd.NA, events.index, dtype=object))
    lat, lon = point_numbers(events)
    usable = usable_points(lat, lon)
    out["point_lat"] = lat.where(usable).round(POINT_DECIMALS)
    out["point_lon"] = lon.where(usable).round(POINT_DECIMALS)
    return out


def lookup_place(
    name: str,
    reference: Reference,
    *,
    township: str | None = None,
    district: str | None = None,
    region: str | None = None,
    limit: int = 10,
) -> PlaceLookup:
    """Candidates for one name, best first, with the decision the resolver would take.

    For an analyst checking a name by hand (`impact places`): each candidate row has pcode,
    name, level, township, how it matched, score, whether it lies inside the hints and whether
    it is the one chosen.
    """
    keys = pd.DataFrame(
        [{"place": name, "township": township, "district": district, "region": region}]
    ).reindex(columns=KEY_COLUMNS)
    decision = decide(keys, reference).iloc[0]
    queries = _queries(keys, pd.Series(pd.NA, index=keys.index, dtype=object))
    found = reference.gazetteer.candidates(queries.head(1))
    places = reference.places
    found = found.assign(
        chosen=found["pcode"] == decision["pcode"], rank=once_per_value(_ranks, found["level"])
    ).sort_values(
        ["chosen", "inside_hints", "stage", "score", "rank"],
        ascending=[False, False, True, False, True],
    )
    table = pd.DataFrame(
        {
            "pcode": found["pcode"],
            "name": found["pcode"].map(places["name"]),
            "level": found["level"],
            "township": found["township_pcode"].map(places["name"]),
            "state_region": found["state_region_pcode"].map(places["name"]),
            "method": found["method"],
            "score": found["score"],
            "inside_hints": found["inside_hints"],
            "chosen": found["chosen"],
        }
    )
    return PlaceLookup(
        candidates=table.head(limit).reset_index(drop=True),
        outcome=str(decision["outcome"]),
        pcode=None if pd.isna(decision["pcode"]) else str(decision["pcode"]),
        note=None if pd.isna(decision["match_note"]) else str(decision["match_note"]),
    )


@dataclass
class _Evidence:
    """What the rules of the ladder decide from, gathered once per batch of queries."""

    queries: pd.DataFrame
    found: pd.DataFrame
    chosen: pd.DataFrame
    ambiguous: pd.DataFrame
    gazetteer: Gazetteer
    describe: _Describer

    @property
    def inside(self) -> pd.DataFrame:
        return self.found[self.found["inside_hints"]]


Rule = Callable[[pd.Index, _Evidence], pd.DataFrame]


def decide(keys: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """One decision per row of `keys` (`KEY_COLUMNS`): the columns of `AUDIT_COLUMNS`.

    Every spelling of every key is one query of the ladder; a key takes its first matched
    spelling, else the first ambiguous one, else its main name's rejection. Then "near"
    matches move to the area, points are checked against the match, and keys with a point
    but no usable name take the nearest place.
    """
    if keys.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    keys = keys.reindex(columns=KEY_COLUMNS).reset_index(drop=True)
    township_of_point = _point_townships(keys, reference)
    queries = _queries(keys, township_of_point)
    decisions = _ladder(queries, reference.gazetteer)
    # A point only suggests the township: a name found nowhere in it is searched everywhere
    # (and `_check_point` flags the match if it lies away from the point).
    retry = queries[
        queries["point_hint"] & (decisions["outcome"] == RejectReason.PLACE_NOT_FOUND.value)
    ]
    if len(retry):
        again = retry.assign(township=None, point_hint=False).reset_index(drop=True)
        again["query_id"] = again.index
        second = _ladder(again, reference.gazetteer)
        second.index = retry.index
        better = second["outcome"].isin(["matched", RejectReason.PLACE_AMBIGUOUS.value])
        decisions.loc[second.index[better]] = second[better]
    out = _per_key(queries, decisions, len(keys))
    out = _near_as_area(out, queries, reference.places)
    out = _several_places(out, keys, reference)
    out = _town_elsewhere(out, queries, reference)
    out = _check_point(out, keys, township_of_point, reference)
    out = _by_point(out, keys, queries, township_of_point, reference)
    out["match_score"] = pd.to_numeric(out["match_score"]).astype(float)
    for column in ("village_lat", "village_lon"):
        out[column] = pd.to_numeric(out[column]).astype(float)
    # A count, whole whether or not another key of the batch was refused (which left it a
    # decimal), so that a key's audit row never depends on the other keys decided with it.
    out["candidates"] = pd.to_numeric(out["candidates"]).astype("Int64")
    out = out.astype({c: object for c in AUDIT_COLUMNS if c not in NUMERIC_AUDIT})
    return out.where(out.notna(), np.nan)  # one "none", however its column was filled


NUMERIC_AUDIT = ("match_score", "village_lat", "village_lon")


def _queries(keys: pd.DataFrame, township_of_point: pd.Series) -> pd.DataFrame:
    """One query per spelling to try: the main name, then each `alt_names` spelling.

    Hints come from the key's columns, else from the text ("(Muse township)"), else the
    township holding the key's point (`point_hint`). Each distinct place text is read once.
    """
    text = once_per_value(_as_text, keys["place"])
    read = _read_texts(text.unique()).reindex(text.to_numpy())
    hints, point_hint = _key_hints(keys, read, township_of_point)
    per_key = {
        **hints,
        "point_hint": point_hint,
        "near": read["near"].to_numpy(dtype=bool),
        "says_village": read["says_village"].to_numpy(dtype=bool),
        "qualifier": read["qualifier"].to_numpy(),
        "seat": read["sub_township"].to_numpy(),
        "point_lat": keys["point_lat"].to_numpy(dtype=float),
        "point_lon": keys["point_lon"].to_numpy(dtype=float),
    }
    spellings = _spellings(read["name"].to_numpy(), keys["alt_names"])
    rows = spellings["key_id"].to_numpy()
    queries = pd.DataFrame(
        {
            "key_id": rows,
            "attempt": spellings["attempt"].to_numpy(),
            "name": spellings["name"].tolist(),
            **{column: values[rows].tolist() for column, values in per_key.items()},
        }
    )
    queries["query_id"] = queries.index
    return queries


def _as_text(places: pd.Series) -> pd.Series:
    return places.astype(object).map(lambda place: "" if pd.isna(place) else str(place))


def _key_hints(
    keys: pd.DataFrame, read: pd.DataFrame, township_of_point: pd.Series
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each key's hint per column of `HINT_COLUMNS` (given, else read from its text, else, for
    the township, the sub-township named in the text or the township holding the point), and
    whether the township is the point's."""
    hints = {}
    for column in HINT_COLUMNS:
        given = keys[column].astype(object).to_numpy()
        hints[column] = np.where(_filled_mask(given), given, read[column].to_numpy())
    seat = read["sub_township"].to_numpy()
    use_seat = ~_filled_mask(hints["township"]) & _filled_mask(seat)
    hints["township"] = np.where(use_seat, seat, hints["township"])
    point = township_of_point.astype(object).to_numpy()
    point_hint = ~_filled_mask(hints["township"]) & pd.notna(point)
    hints["township"] = np.where(point_hint, point, hints["township"])
    return hints, point_hint


def _read_texts(texts: np.ndarray) -> pd.DataFrame:
    """`read_place_text` of each distinct text, one row each (indexed by the text): the name,
    the hints it names (None where it names none), near, says_village and qualifier."""
    read = [read_place_text(_unabbreviated(text)) for text in texts]
    levels = [*HINT_COLUMNS, "sub_township"]
    return pd.DataFrame(
        {
            "name": [r.name for r in read],
            **{level: [r.hints.get(level) for r in read] for level in levels},
            "near": [r.near for r in read],
            "says_village": [r.says_village for r in read],
            "qualifier": [r.qualifier for r in read],
        },
        index=pd.Index(texts, dtype=object),
        dtype=object,
    )


def _unabbreviated(text: str) -> str:
    """The level words analysts shorten, written out: "Tsp" (township), "SAZ", "SAD"."""
    text = TOWNSHIP_SHORTHAND.sub(" Township", text)
    return SELF_ADMINISTERED.sub(lambda m: SELF_ADMINISTERED_WORDS[m["kind"]], text)


def _spellings(names: np.ndarray, alt_names: pd.Series) -> pd.DataFrame:
    """`key_id`, `attempt` and `name` of each spelling to try: each key's main name, then the
    `alt_names` spellings it does not already have, in the order written."""
    codes, distinct = pd.factorize(alt_names.to_numpy(dtype=object), use_na_sentinel=False)
    alts = pd.Series([_alt_spellings(text) for text in distinct], dtype=object).take(codes)
    alts = alts.reset_index(drop=True)
    further = alts[alts.str.len() > 0].explode()
    table = pd.concat(
        [
            pd.DataFrame({"key_id": np.arange(len(names)), "name": names}),
            pd.DataFrame({"key_id": further.index.to_numpy(), "name": further.to_numpy()}),
        ],
        ignore_index=True,
    )
    table = table.sort_values("key_id", kind="stable").drop_duplicates(["key_id", "name"])
    table["attempt"] = table.groupby("key_id").cumcount()
    return table.reset_index(drop=True)


def _filled_mask(values: np.ndarray) -> np.ndarray:
    """`_filled` of each value, worked out once per distinct value."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    return np.fromiter(map(_filled, distinct), dtype=bool, count=len(distinct))[codes]


def _filled(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _alt_spellings(text: object) -> list[str]:
    """The further spellings of an `alt_names` cell, split on ';', '/' or '|'."""
    if not _filled(text):
        return []
    return [
        part.strip()
        for part in str(text).replace("|", ";").replace("/", ";").split(";")
        if part.strip()
    ]


def _ladder(queries: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """The ladder's decision for each query (index = query_id)."""
    queries = queries.copy()
    queries["where"] = _hint_texts(queries[HINT_COLUMNS])
    queries["where"] = np.where(
        queries["point_hint"],
        "the township holding the point (" + queries["township"].astype(str) + ")",
        queries["where"],
    )
    level_word = once_per_value(level_named, queries["name"])
    queries["level_word"] = level_word.where(
        ~queries["says_village"] | level_word.notna(), "village"
    )
    queries["zawgyi"] = once_per_value(_zawgyi, queries["name"])
    found = _under_seat(gazetteer.search(queries[~queries["zawgyi"]]), queries, gazetteer)
    found = _carved_from_point_township(found, queries, gazetteer.reference)
    found = _nearest_village(found, queries, gazetteer.reference)
    inside = found[found["inside_hints"]].merge(queries[["query_id", "level_word"]], on="query_id")
    chosen, ambiguous = _choose(inside, gazetteer.reference.places)
    chosen, doubted = _doubt_close_control(chosen, queries, found, gazetteer)
    ambiguous = pd.concat([ambiguous, doubted])
    evidence = _Evidence(
        queries, found, chosen, ambiguous, gazetteer, _Describer(gazetteer.reference.places)
    )
    decided: list[pd.DataFrame] = []
    open_ids = queries.index
    for rule in LADDER:
        decision = rule(open_ids, evidence)
        decided.append(decision)
        open_ids = open_ids.difference(decision.index)
    return (
        pd.concat([d for d in decided if not d.empty])
        .reindex(queries.index, columns=AUDIT_COLUMNS)
        .astype(object)
    )


def _under_seat(found: pd.DataFrame, queries: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Where the text names a sub-township ("(Khampat sub-township)"), candidates governed
    from its seat town (the town, its wards, the sub-township) are the ones inside the hints,
    when there are any."""
    seats = queries.loc[queries["seat"].notna(), ["query_id", "seat"]]
    if seats.empty or found.empty:
        return found
    names = gazetteer.names[gazetteer.names["level"].isin(["town", "sub_township"])]
    towns = seats.assign(key=normalise_name(seats["seat"])).merge(names[["key", "pcode"]], on="key")
    towns = towns.groupby("query_id")["pcode"].agg(tuple)
    seat_of = found["query_id"].map(towns)
    parents = found["pcode"].map(gazetteer.reference.places["parent_pcode"])
    under = [
        isinstance(codes, tuple) and any(str(p).startswith(c[:12]) or q == c for c in codes)
        for p, q, codes in zip(found["pcode"], parents, seat_of, strict=True)
    ]
    under = pd.Series(under, index=found.index) & found["inside_hints"]
    has_under = under.groupby(found["query_id"]).transform("any")
    return found.assign(inside_hints=found["inside_hints"] & (under | ~has_under))


def _carved_from_point_township(
    found: pd.DataFrame, queries: pd.DataFrame, reference: Reference
) -> pd.DataFrame:
    """A point placed in a 2014 outline also hints the townships carved from it later (they
    have no outline of their own), so their places count as inside the point's township."""
    hinted = queries.loc[queries["point_hint"], ["query_id", "township"]]
    if hinted.empty or found.empty:
        return found
    carved = reference.gazetteer.carved_outlines
    pairs = hinted.merge(carved, left_on="township", right_on="within_outline")
    extra = (
        found.merge(
            pairs[["query_id", "pcode"]].rename(columns={"pcode": "township_pcode"}),
            on=["query_id", "township_pcode"],
            how="left",
            indicator=True,
        )["_merge"]
        .eq("both")
        .to_numpy()
    )
    return found.assign(inside_hints=found["inside_hints"] | extra)


def _nearest_village(
    found: pd.DataFrame, queries: pd.DataFrame, reference: Reference
) -> pd.DataFrame:
    """Where a row has a point, same-named villages are told apart by it: only the nearest,
    if within `CONFLICT_KM`, stays inside the hints, with any other no more than
    `VILLAGE_MARGIN_KM` farther (then the name stays ambiguous)."""
    # A township the point only suggests does not bind: a village just across its (coarse)
    # border may be the one meant.
    points = queries.set_index("query_id")[["point_lat", "point_lon"]].dropna()
    if points.empty:
        return found
    by_point = queries.set_index("query_id")["point_hint"]
    village = found["level"] == "village"
    usable = found["inside_hints"] | found["query_id"].map(by_point).astype(bool)
    villages = found[village & usable]
    villages = villages[villages["query_id"].isin(points.index)]
    if villages.empty:
        return found
    table = reference.gazetteer.villages_by_pcode
    km = _haversine(
        villages["query_id"].map(points["point_lat"]),
        villages["query_id"].map(points["point_lon"]),
        villages["village_pcode"].map(table["lat"]),
        villages["village_pcode"].map(table["lon"]),
    )
    # A village without a point stays a candidate, behind any located one within reach.
    km = pd.Series(km, index=villages.index).fillna(CONFLICT_KM)
    nearest = km.groupby(villages["query_id"]).transform("min")
    # Two same-named villages about as near as each other are not told apart by the point.
    keep = (km <= nearest + VILLAGE_MARGIN_KM) & (km <= CONFLICT_KM)
    inside = found["inside_hints"] & ~found.index.isin(keep.index[~keep])
    return found.assign(inside_hints=inside | found.index.isin(keep.index[keep]))


def _per_key(queries: pd.DataFrame, decisions: pd.DataFrame, count: int) -> pd.DataFrame:
    """Each key's decision: its first matched spelling, else the first ambiguous one, else
    its main name's; `matched_name` says which spelling matched."""
    table = pd.concat([queries[["key_id", "attempt", "name", "qualifier"]], decisions], axis=1)
    table["rank"] = table["outcome"].map({"matched": 0, "place_ambiguous": 1}).fillna(2)
    table = table.sort_values(["key_id", "rank", "attempt"]).drop_duplicates("key_id")
    table = table.set_index("key_id").reindex(range(count))
    table["matched_name"] = table["name"].where(table["outcome"] == "matched")
    table["place_qualifier"] = table["qualifier"]
    table["point_township_pcode"] = (
        queries.groupby("key_id")["township"]
        .first()
        .where(queries.groupby("key_id")["point_hint"].first())
    )
    return table.reindex(columns=AUDIT_COLUMNS).astype(object)


def _joined_flags(*flags: pd.Series) -> pd.Series:
    """Flags of several sources joined with ';' per row (None when there are none)."""
    frame = pd.concat(flags, axis=1)
    return frame.apply(
        lambda row: (
            ";".join(sorted({f for v in row if isinstance(v, str) for f in v.split(";")})) or None
        ),
        axis=1,
    )


def _near_as_area(out: pd.DataFrame, queries: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """A facility near or outside a place is in that place's area, not in the place: the match
    becomes the unit governed from it (a town's township), flagged `near_place`."""
    near = queries.groupby("key_id")["near"].first().reindex(out.index, fill_value=False)
    moved = near.astype(bool) & (out["outcome"] == "matched")
    if not moved.any():
        return out
    codes = out.loc[moved, "pcode"]
    level = codes.map(places["level"])
    area = codes.map(places["area_pcode"]).fillna(codes.map(places["township_pcode"]))
    area = area.where(~level.isin(["township", "district", "state_region"]), codes).fillna(codes)
    out.loc[moved, "pcode"] = area
    out.loc[moved, "place_name"] = area.map(places["name"])
    out.loc[moved, "level"] = area.map(places["level"])
    out.loc[moved, "village_pcode"] = None
    out.loc[moved, "village_name"] = None
    out.loc[moved, "match_note"] = _note(
        out.loc[moved, "match_note"],
        "near " + codes.map(places["name"]) + ": the area around it is used",
    )
    out.loc[moved, "match_flags"] = _joined_flags(
        out.loc[moved, "match_flags"], pd.Series("near_place", index=codes.index)
    )
    out.loc[moved, "match_confidence"] = out.loc[moved, "match_confidence"].replace(
        "high", "medium"
    )
    return out


# Parts of a place text that list several places: "Kawlin; Khampat", "Kawlin & Khampat",
# "Kawlin and Khampat", each part a name (capitalised, or in Myanmar script); brackets, which
# official names hold ("Tar Mway Gyi (Ka Gyi + Ga Nge) Ward"), are passed over.
SEVERAL_PLACES = re.compile(
    r"^\s*[A-Z\u1000-\u109f][^;&()]*?\s*(?:;|&|\band\b)\s*[A-Z\u1000-\u109f][^()]*$"
)


def _several_places(out: pd.DataFrame, keys: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """A place text that lists several places gets the match of one only: flagged
    `several_places`, confidence low, with a note asking for a row per place (the figures
    are those of the one matched)."""
    text = once_per_value(_as_text, keys["place"])
    own_name = out["place_name"].astype("string").str.contains(r"[;&]|\band\b", regex=True)
    matched = out["outcome"] == "matched"
    listed = text.str.contains(SEVERAL_PLACES, regex=True) | _listed_after_comma(
        text, out["pcode"].where(matched), reference
    )
    several = listed & matched & ~own_name.fillna(False).astype(bool)
    if not several.any():
        return out
    rows = out.index[several]
    note = (
        "the place text names several places; only "
        + out.loc[rows, "place_name"].astype(str)
        + " is counted: give each place its own row"
    )
    return _flagged_low(out, rows, "several_places", note)


def _flagged_low(out: pd.DataFrame, rows: pd.Index, flag: str, note: pd.Series) -> pd.DataFrame:
    """`rows` of `out` flagged `flag`, with `note` added to their match note and their
    confidence made low."""
    out.loc[rows, "match_note"] = _note(out.loc[rows, "match_note"], note)
    out.loc[rows, "match_flags"] = _joined_flags(
        out.loc[rows, "match_flags"], pd.Series(flag, index=rows)
    )
    out.loc[rows, "match_confidence"] = "low"
    return out


def _listed_after_comma(text: pd.Series, pcode: pd.Series, reference: Reference) -> pd.Series:
    """Whether the text's last comma part names another town or township, none of whose
    namesakes holds the matched place: "Kyauktaw, Mrauk-U" lists two places, where
    "Khampat, Tamu" and "Khampat, Sagaing" say where the place lies."""
    tail = text.str.extract(r",\s*([^,;&()]+?)\s*$")[0]
    todo = tail.notna() & pcode.notna()
    listed = pd.Series(False, index=text.index)
    if not todo.any():
        return listed
    key = normalise_name(tail[todo])
    names = reference.gazetteer.names
    named = names[names["key"].isin(set(key))].groupby("key")
    units = reference.places.drop_duplicates("pcode").set_index("pcode")
    lineage = ["state_region_pcode", "district_pcode", "township_pcode"]
    for row, tail_key in key.items():
        if tail_key not in named.groups:
            continue
        rows = named.get_group(tail_key)
        place = str(pcode[row])
        holders = {place} | (
            set(units.loc[place, lineage].dropna()) if place in units.index else set()
        )
        holds = rows["pcode"].isin(holders) | rows["pcode"].map(place.startswith)
        listed[row] = not holds.any() and rows["level"].isin(["town", "township"]).any()
    return listed


# Levels whose places are often named after a town elsewhere ("Kyauk Taw" village tract in Shan).
NAMESAKE_LEVELS = ("village_tract", "village", "ward")


def _town_elsewhere(out: pd.DataFrame, queries: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """A town's name matched, by a region or district hint alone, to a village tract, village
    or ward in another township ("Kyauktaw" with region Shan: the village tract Kyauk Taw in
    Shan, not the town in Rakhine) is flagged `town_elsewhere`, confidence low, the town
    named: a wrong hint is as likely as a change of control in a namesake. A township hint
    is taken at its word, since villages are often named after towns."""
    township_hint = queries.groupby("key_id")["township"].first().reindex(out.index)
    suspect = (
        (out["outcome"] == "matched")
        & out["level"].isin(NAMESAKE_LEVELS)
        & ~_filled_mask(township_hint.to_numpy(dtype=object))
    )
    if not suspect.any():
        return out
    places = reference.places
    names = reference.gazetteer.names
    towns = names.loc[names["level"].isin(CONTROL_LEVELS), ["key", "pcode", "township_pcode"]]
    matched = out.loc[suspect, ["matched_name", "pcode"]]
    pairs = pd.DataFrame(
        {
            "row": matched.index,
            "key": normalise_name(matched["matched_name"].astype(str)).to_numpy(),
            "own": matched["pcode"].map(places["township_pcode"]).to_numpy(),
        }
    ).merge(towns, on="key")
    pairs = pairs[pairs["township_pcode"] != pairs["own"]]
    if pairs.empty:
        return out
    # One town per row: the most local (the longest P-code), then the first.
    pairs = pairs.assign(local=-pairs["pcode"].str.len()).sort_values(["row", "local", "pcode"])
    pairs = pairs.drop_duplicates("row")
    rows = pd.Index(pairs["row"])
    town = pd.Series(pairs["pcode"].to_numpy(), index=rows)
    region = town.map(places["state_region_pcode"]).map(places["name"])
    note = (
        "also the name of "
        + town.map(places["name"])
        + " ("
        + town
        + ", "
        + region.fillna("")
        + "): only the region or district hint chose this "
        + out.loc[rows, "level"].str.replace("_", " ")
        + "; check the hint"
    )
    return _flagged_low(out, rows, "town_elsewhere", note)


def _note(existing: pd.Series, extra: pd.Series | str) -> pd.Series:
    """`extra` appended to each existing note with '; '."""
    extra = pd.Series(extra, index=existing.index) if isinstance(extra, str) else extra
    return (
        existing.where(existing.notna() & (existing != ""), None)
        .str.cat(extra, sep="; ")
        .fillna(extra)
    )


def _point_townships(keys: pd.DataFrame, reference: Reference) -> pd.Series:
    """The township holding each key's point (NA without a point or outlines)."""
    empty = pd.Series(pd.NA, index=keys.index, dtype=object)
    has_point = keys["point_lat"].notna() & keys["point_lon"].notna()
    if not has_point.any():
        return empty
    geography = reference.geography
    if not geography.has_outlines:
        return empty
    found = geography.township_of(
        keys.loc[has_point, "point_lat"], keys.loc[has_point, "point_lon"]
    )
    empty[has_point] = found.astype(object).where(found.notna(), None).to_numpy()
    return empty


def _check_point(
    out: pd.DataFrame, keys: pd.DataFrame, township_of_point: pd.Series, reference: Reference
) -> pd.DataFrame:
    """Flag `location_conflict` where a named match lies more than `CONFLICT_KM` from the
    row's point or in another township; say when the township has no outline."""
    matched = (out["outcome"] == "matched") & keys["point_lat"].notna()
    if not matched.any():
        return out
    places = reference.places
    rows = out[matched]
    lat = rows["village_lat"].astype(float).fillna(rows["pcode"].map(places["lat"]))
    lon = rows["village_lon"].astype(float).fillna(rows["pcode"].map(places["lon"]))
    km = pd.Series(
        _haversine(keys.loc[matched, "point_lat"], keys.loc[matched, "point_lon"], lat, lon),
        index=rows.index,
    )
    township = (
        rows["pcode"]
        .map(places["township_pcode"])
        .fillna(rows["pcode"].where(rows["pcode"].map(places["level"]) == "township"))
    )
    missing = reference.geography.townships_without_outline.set_index("pcode")["within_outline"]
    outlined = township.map(missing).astype(object).where(township.isin(missing.index), township)
    point = township_of_point[matched]
    elsewhere = point.notna() & outlined.notna() & (outlined != point)
    far = km > CONFLICT_KM
    conflict = elsewhere | far
    note = pd.Series("", index=rows.index)
    note[far] = "the point is " + km[far].round(1).astype(str) + " km from the match"
    note[elsewhere & ~far] = "the point lies in township " + point[elsewhere & ~far].astype(str)
    no_outline = township.isin(missing.index)
    note[no_outline] = _note(
        note[no_outline].replace("", None),
        "township " + township[no_outline] + " was created after 2014 and has no outline; "
        "the point was placed in the 2014 township " + outlined[no_outline].fillna("unknown"),
    )
    note = note.replace("", None)
    has_note = note.notna()
    out.loc[has_note[has_note].index, "match_note"] = _note(
        out.loc[has_note[has_note].index, "match_note"], note[has_note]
    )
    hit = conflict[conflict].index
    out.loc[hit, "match_flags"] = _joined_flags(
        out.loc[hit, "match_flags"], pd.Series("location_conflict", index=hit)
    )
    flagged = out["match_flags"].fillna("").str.contains("location_conflict")
    out.loc[flagged & (out["outcome"] == "matched"), "match_confidence"] = "low"
    return out


def _by_point(
    out: pd.DataFrame,
    keys: pd.DataFrame,
    queries: pd.DataFrame,
    township_of_point: pd.Series,
    reference: Reference,
) -> pd.DataFrame:
    """Keys with a point but no usable name take the town whose centre lies within `NEAR_KM`,
    else the nearest town or village of the point's township within `COORDINATE_KM` (a
    village stands for its village tract)."""
    main = queries[queries["attempt"] == 0].set_index("key_id")["name"].reindex(out.index)
    nameless = main.fillna("").str.fullmatch(NO_NAME) & township_of_point.notna()
    nameless &= out["outcome"] != "matched"
    if not nameless.any():
        return out
    rows = keys[nameless]
    searched = _searched_townships(township_of_point[nameless], reference)
    # A point within NEAR_KM of a town's centre is in the town, whatever village is nearer.
    town = _nearest_in(rows, searched, reference, levels=("town",), max_km=NEAR_KM)
    nearest = _nearest_in(rows, searched, reference, max_km=COORDINATE_KM)
    nearest = town.where(town["pcode"].notna(), nearest)
    villages = reference.gazetteer.villages_by_pcode
    found = nearest[nearest["pcode"].notna()]
    is_village = (found["level"] == "village").to_numpy()
    places = reference.places
    codes = np.where(
        is_village, found["pcode"].map(villages["village_tract_pcode"]), found["pcode"]
    )
    codes = pd.Series(codes, index=found.index)
    known = codes.isin(places.index)
    found, codes, is_village = found[known], codes[known], is_village[known.to_numpy()]
    ids = found.index
    km = found["distance_km"].astype(float)
    out.loc[ids, "outcome"] = "matched"
    out.loc[ids, "pcode"] = codes
    out.loc[ids, "place_name"] = codes.map(places["name"])
    out.loc[ids, "level"] = np.where(is_village, "village", codes.map(places["level"]))
    out.loc[ids, "match_method"] = "coordinates"
    out.loc[ids, "match_score"] = np.nan
    out.loc[ids, "match_confidence"] = np.where(km <= NEAR_KM, "medium", "low")
    out.loc[ids, "village_pcode"] = np.where(is_village, found["pcode"], None)
    out.loc[ids, "village_name"] = np.where(is_village, found["name"], None)
    out.loc[ids, "village_lat"] = np.where(is_village, found["pcode"].map(villages["lat"]), np.nan)
    out.loc[ids, "village_lon"] = np.where(is_village, found["pcode"].map(villages["lon"]), np.nan)
    out.loc[ids, "match_note"] = (
        "no usable name; nearest "
        + found["level"].astype(str)
        + " to the point: "
        + found["name"].astype(str)
        + " ("
        + km.round(2).astype(str)
        + " km)"
    )
    out.loc[ids, "candidates"] = 1
    return out


def _searched_townships(townships: pd.Series, reference: Reference) -> pd.Series:
    """For each point's township, it and the townships carved from it after 2014 (which have
    no outline of their own), one row each, indexed like `townships`."""
    carved = reference.gazetteer.carved_outlines
    table = pd.DataFrame({"row": townships.index, "within_outline": townships.astype(str)})
    extra = table.merge(carved, on="within_outline")
    both = pd.concat([table.assign(pcode=table["within_outline"]), extra])
    return both.set_index("row")["pcode"].astype("string")


def _nearest_in(
    rows: pd.DataFrame, searched: pd.Series, reference: Reference, **options: object
) -> pd.DataFrame:
    """The nearest place to each row's point among its searched townships (`nearest_places`
    columns, indexed like `rows`; the nearest wins, then the smaller P-code)."""
    lat = rows["point_lat"].reindex(searched.index)
    lon = rows["point_lon"].reindex(searched.index)
    found = reference.geography.nearest_places(
        lat.to_numpy(), lon.to_numpy(), searched.to_numpy(), **options
    )
    found.index = searched.index
    found = found.reset_index(names="row").sort_values(
        ["row", "distance_km", "pcode"], na_position="last"
    )
    return found.drop_duplicates("row").set_index("row").reindex(rows.index)


def _haversine(lat1: pd.Series, lon1: pd.Series, lat2: pd.Series, lon2: pd.Series) -> np.ndarray:
    from impact.geography import haversine_km

    return haversine_km(
        lat1.to_numpy(float), lon1.to_numpy(float), lat2.to_numpy(float), lon2.to_numpy(float)
    )


def level_named(names: pd.Series) -> pd.Series:
    """The level a name spells out at its end ("… Township", "… Ward"), else NA."""
    pattern = (
        r"(?i)\b(township|town|ward|village tract|village|sub-township|district|"
        r"self-administered (?:zone|division))\s*$"
    )
    return names.str.extract(pattern)[0].str.lower().map(LEVEL_WORDS)


def _zawgyi(names: pd.Series) -> pd.Series:
    return names.map(looks_like_zawgyi).astype(bool)


def _unreadable(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    return _decision(
        open_ids[evidence.queries.loc[open_ids, "zawgyi"].to_numpy()],
        RejectReason.PLACE_UNREADABLE,
        "the Burmese text looks like the legacy Zawgyi encoding; convert it to Unicode (for "
        "example with the Rabbit converter) and run again",
    )


def _outside_hints(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    found = evidence.found
    exact = (found["stage"] <= STAGES["alias"]) & (found["level"] != "village")
    inside_exact = set(found.loc[exact & found["inside_hints"], "query_id"])
    inside_any = set(found.loc[found["inside_hints"], "query_id"])
    outside = found[exact & ~found["inside_hints"] & ~found["query_id"].isin(inside_exact)]
    outside = outside[~outside["query_id"].isin(inside_any)]
    listed = evidence.describe.per_query(outside[outside["query_id"].isin(open_ids)])
    ids = listed.index
    queries = evidence.queries
    return _decision(
        ids,
        RejectReason.PLACE_NOT_FOUND,
        "'"
        + queries.loc[ids, "name"]
        + "' is not inside "
        + queries.loc[ids, "where"]
        + "; it exists elsewhere: "
        + listed
        + ". Check the hint or give the P-code",
    )


def _unknown_pcode(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    queries, found = evidence.queries, evidence.found
    codes = once_per_value(lambda names: names.map(repair_pcode), queries.loc[open_ids, "name"])
    has_code = set(found.loc[found["stage"] == STAGES["pcode"], "query_id"])
    ids = open_ids[(codes.notna() & ~open_ids.isin(has_code)).to_numpy()]
    version = evidence.gazetteer.reference.version
    return _decision(
        ids,
        RejectReason.PLACE_NOT_FOUND,
        "P-code "
        + codes[ids].astype(str)
        + f" is not in the reference data ({version}); check it against the MIMU list",
    )


def _matched(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    chosen = evidence.chosen[evidence.chosen["query_id"].isin(open_ids)]
    if chosen.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    ids = pd.Index(chosen["query_id"])
    describe, queries, inside = evidence.describe, evidence.queries, evidence.inside
    runners = _runners_up(chosen, inside, describe.places).set_index("query_id")
    runner_up = describe.rows(runners.reset_index(), score=True).reindex(ids)
    fuzzy = (chosen["method"] == "fuzzy").to_numpy()
    typed = once_per_value(normalise_name, queries.loc[ids, "name"]).to_numpy()
    known = once_per_value(normalise_name, chosen["text"]).to_numpy()
    plain = np.full(len(chosen), np.nan)
    plain[fuzzy] = ratios(typed[fuzzy], known[fuzzy])
    where = queries.loc[ids, "where"]
    notes = pd.DataFrame(
        {
            "where": ("within " + where).where(where != "", "").to_numpy(),
            "fuzzy": np.where(fuzzy, "spelling close to '" + chosen["text"].astype(str) + "'", ""),
            "runner": ("runner-up " + runner_up).fillna("").to_numpy(),
        },
        index=ids,
    )
    note = notes["where"].str.cat([notes["fuzzy"], notes["runner"]], sep="; ")
    note = (
        note.str.replace(r"^(; )+|(; )+$", "", regex=True)
        .str.replace(r"(; ){2,}", "; ", regex=True)
        .replace("", pd.NA)
    )
    runner_score = runners["score"].reindex(ids).fillna(0).to_numpy(dtype=float)
    gap = chosen["score"].to_numpy() - runner_score
    confidence = np.select(
        [
            ~fuzzy | (chosen["score"].to_numpy() >= 100),
            (np.nan_to_num(plain) >= MEDIUM_SCORE) & (gap > 2 * AMBIGUITY_MARGIN),
        ],
        ["high", "medium"],
        "low",
    )
    pcodes = chosen["pcode"].to_numpy()
    village = (chosen["level"] == "village").to_numpy()
    village_codes = chosen["village_pcode"].where(village)
    lat = lon = np.full(len(chosen), np.nan)
    if village.any():
        villages = evidence.gazetteer.villages_by_pcode
        lat = village_codes.map(villages["lat"]).to_numpy(dtype=float)
        lon = village_codes.map(villages["lon"]).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "outcome": "matched",
            "pcode": pcodes,
            "place_name": describe.places.loc[pcodes, "name"].to_numpy(),
            "level": np.where(village, "village", describe.places.loc[pcodes, "level"]),
            "match_method": chosen["method"].to_numpy(),
            "match_score": np.where(fuzzy, np.round(plain, 1), chosen["score"].to_numpy()),
            "match_confidence": confidence,
            "match_note": note.to_numpy(),
            "village_pcode": village_codes.to_numpy(),
            "village_name": np.where(village, chosen["text"], None),
            "village_lat": lat,
            "village_lon": lon,
            "candidates": inside.groupby("query_id")["pcode"].nunique().reindex(ids).to_numpy(),
            "runner_up": runner_up.to_numpy(),
        },
        index=ids,
    )


def _ambiguous(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    ambiguous = evidence.ambiguous[evidence.ambiguous["query_id"].isin(open_ids)]
    listed = evidence.describe.per_query(ambiguous)
    ids = listed.index
    count = ambiguous.groupby("query_id")["pcode"].nunique().reindex(ids)
    villages = ambiguous[ambiguous["level"] == "village"].groupby("query_id").size()
    why = pd.Series("' could be ", index=ids)
    why[ids.isin(villages.index)] = "' is a village name (villages share names); it could be "
    return _decision(
        ids,
        RejectReason.PLACE_AMBIGUOUS,
        "'"
        + evidence.queries.loc[ids, "name"]
        + why
        + count.astype(str)
        + " places: "
        + listed
        + np.where(
            evidence.queries.loc[ids, "where"] != "",
            "; give the P-code or the full official name",
            "; add a township or coordinates, or give the P-code",
        ),
    )


def _not_found(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    queries = evidence.queries
    closest = evidence.gazetteer.closest(queries.loc[open_ids, "name"])
    suggestions = evidence.describe.per_query(closest, limit=3)
    where = queries.loc[open_ids, "where"]
    within = (" inside " + where).where(where != "", "")
    names = queries.loc[open_ids, "name"]
    several = names.str.contains(SEVERAL_PLACES, regex=True).map(
        {True: " The text seems to name several places: give each its own row.", False: ""}
    )
    return _decision(
        open_ids,
        RejectReason.PLACE_NOT_FOUND,
        "no place named '"
        + names
        + "'"
        + within
        + ". Closest names: "
        + suggestions.reindex(open_ids).fillna("none")
        + several,
    )


LADDER: tuple[Rule, ...] = (
    _unreadable,
    _outside_hints,
    _unknown_pcode,
    _matched,
    _ambiguous,
    _not_found,
)


def _decision(ids: pd.Index, reason: RejectReason, note: str | pd.Series) -> pd.DataFrame:
    """A rejection for each query in `ids`, in the columns of the audit."""
    notes = note.reindex(ids).to_numpy() if isinstance(note, pd.Series) else note
    return pd.DataFrame({"outcome": reason.value, "match_note": notes}, index=ids)


def _choose(inside: pd.DataFrame, places: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chosen candidate per query, and the competing candidates of ambiguous queries.

    Exact names (and names equal once romanisation is folded) go first and the level
    preference decides among them (Kalay: Kale Town rather than the village tract Ka Lay);
    fuzzy spellings are taken only when nothing is exact, and only when no other place
    scores within `AMBIGUITY_MARGIN`. Villages need a township hint to be chosen.
    """
    inside = inside.assign(rank=once_per_value(_ranks, inside["level"]))
    sure = inside[(inside["stage"] <= STAGES["alias"]) | (inside["score"] >= 100)]
    rest = inside[~inside["query_id"].isin(sure["query_id"])]
    chosen_sure, tied_sure = _choose_sure(sure, places)
    chosen_sure, doubtful = _doubt_low_levels(chosen_sure, inside, places)
    chosen_fuzzy, tied_fuzzy = _choose_fuzzy(rest, places)
    chosen = pd.concat([chosen_sure, chosen_fuzzy])
    # A spelling only close to a ward, village tract or village somewhere in the country is a
    # guess among thousands: it needs a township (given, or the point's) to be taken.
    guess = (
        (chosen["method"] == "fuzzy")
        & ~chosen["level"].isin(CONTROL_LEVELS)
        & chosen["hint_township"].isna()
    )
    unsure = inside[inside["query_id"].isin(chosen.loc[guess, "query_id"])]
    return chosen[~guess].sort_values("query_id"), pd.concat(
        [tied_sure, doubtful, tied_fuzzy, unsure]
    )


def _ranks(levels: pd.Series) -> pd.Series:
    """Each level's place in the preference order (`LEVELS`)."""
    return levels.map(LEVELS.index)


def _by_level_word(pool: pd.DataFrame) -> pd.DataFrame:
    """ "Tamu Township", "Myo Ma Ward", "… village": a level written in the name outranks
    the level preference."""
    named = pool["level"] == pool["level_word"]
    return pool[named | ~named.groupby(pool["query_id"]).transform("any")]


def _choose_sure(sure: pd.DataFrame, places: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    pool = _by_control_spelling(_by_level_word(sure), places)
    # Two towns or townships named alike are two places, whatever their levels.
    control = pool[pool["level"].isin(CONTROL_LEVELS)]
    rivals = _identity(control, places).groupby(control["query_id"]).nunique()
    pool = pool[pool["rank"] == pool.groupby("query_id")["rank"].transform("min")]
    pool = pool[pool["stage"] == pool.groupby("query_id")["stage"].transform("min")]
    tied = pool.groupby("query_id")["pcode"].transform("nunique") > 1
    rival_ids = rivals.index[rivals > 1]
    tied |= pool["query_id"].isin(rival_ids)
    # A village name decides nothing without a township (given, or the point's).
    lone_village = (pool["level"] == "village") & pool["hint_township"].isna()
    tied |= lone_village
    chosen = pool[~tied].sort_values(["query_id", "score"], ascending=[True, False])
    listed = pd.concat([pool[tied], control[control["query_id"].isin(rival_ids)]])
    return chosen.drop_duplicates("query_id"), listed


def _identity(found: pd.DataFrame, places: pd.DataFrame) -> pd.Series:
    """The place each candidate stands for: a town and the township governed from it are one."""
    town = found["level"] == "town"
    area = found.loc[town, "pcode"].map(places["area_pcode"]).reindex(found.index)
    return area.fillna(found["pcode"])


def _by_control_spelling(pool: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Among towns, townships and sub-townships, a place named exactly outranks one named
    only by an alias or a folded spelling ("Seikkan": the township Seikkan, not Dagon
    Myothit (Seikkan), whose alias it is); a town and its township count as one place."""
    control = pool["level"].isin(CONTROL_LEVELS)
    if not control.any():
        return pool
    identity = _identity(pool, places)
    own_best = pool["stage"].where(control).groupby([pool["query_id"], identity]).transform("min")
    best = pool["stage"].where(control).groupby(pool["query_id"]).transform("min")
    return pool[~control | (own_best == best)]


def _doubt_low_levels(
    chosen: pd.DataFrame, inside: pd.DataFrame, places: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A ward, village tract or village chosen by name while a town or township of a close
    spelling lies inside the hints is not a sure match: press spellings of towns often equal
    a village tract's official name (Mong Ko: Monekoe Town or the tract Man Kan (Mone Koe))."""
    low = chosen[~chosen["level"].isin(CONTROL_LEVELS) & chosen["level_word"].isna()]
    rivals = inside[inside["query_id"].isin(low["query_id"]) & inside["level"].isin(CONTROL_LEVELS)]
    if rivals.empty:
        return chosen, chosen.head(0)
    winner = low.set_index("query_id")["pcode"]
    own_township = rivals["query_id"].map(winner).map(places["township_pcode"])
    rivals = rivals[rivals["pcode"] != own_township]
    doubtful_ids = set(rivals["query_id"])
    doubtful = pd.concat([low[low["query_id"].isin(doubtful_ids)], rivals])
    return chosen[~chosen["query_id"].isin(doubtful_ids)], doubtful


def _doubt_close_control(
    chosen: pd.DataFrame, queries: pd.DataFrame, found: pd.DataFrame, gazetteer: Gazetteer
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matches that a town, township or sub-township of a close spelling inside the hints
    makes unsure, and those rivals, as ambiguous candidates.

    A town written in a press spelling is often exactly some village tract's name, or a
    misspelling folds onto another town (Monglun: the tract Mong Lun or Monglon Town;
    Mongai: Mongnai or Mongyai). So a ward, village tract or village named exactly (unless
    the text names its level) gives way
    to a town, township or sub-township spelt at least `RIVAL_SCORE` alike (and
    `RIVAL_FOLDED` once folded), and a close spelling at any level gives way to one whose
    plain spelling is at least as close as the match's own (see `holds` for a town or
    township whose folded name is the one typed). The rival's own town or township and the
    match's containers are not rivals.
    """
    places = gazetteer.reference.places
    sure = chosen["level"].isin(CONTROL_LEVELS) & chosen["method"].isin(["pcode", "exact", "alias"])
    todo = chosen[~sure & (chosen["level"] != chosen["level_word"])]
    if todo.empty:
        return chosen, chosen.head(0)
    typed = queries.set_index("query_id").loc[todo["query_id"], "name"]
    rivals = gazetteer.close_control_names(
        typed.set_axis(todo["query_id"].to_numpy()), cutoff=FUZZY_FLOOR
    )
    if rivals.empty:
        return chosen, chosen.head(0)
    winner = todo.set_index("query_id")
    fuzzy = winner["method"] == "fuzzy"
    own = pd.Series(
        ratios(
            once_per_value(normalise_name, typed), once_per_value(normalise_name, winner["text"])
        ),
        index=winner.index,
    )
    # A town or township whose name folds to the very spelling typed gives way only to a
    # rival closer in plain spelling and at least `RIVAL_SCORE` alike (Nam Sang: Nansang,
    # not Namhsan; Mongko: Monekoe, not Mongkhoke; Myaaung: Myaung or Myanaung).
    holds = (
        rivals["query_id"]
        .map(winner["level"].isin(CONTROL_LEVELS) & (winner["score"] >= 100))
        .astype(bool)
    )
    gap = (rivals["plain"] - rivals["query_id"].map(own)).round(3)
    close = np.where(holds, (gap > 0) & (rivals["plain"] >= RIVAL_SCORE), gap >= 0)
    named = (rivals["plain"] >= RIVAL_SCORE) & (rivals["folded"] >= RIVAL_FOLDED)
    rivals = rivals[np.where(rivals["query_id"].map(fuzzy), close, named)]
    hints = found.filter(regex="^(query_id|hint_)").drop_duplicates("query_id")
    hints = hints.set_index("query_id")
    rivals = rivals.join(hints, on="query_id")
    rivals = rivals[Gazetteer._inside(rivals).to_numpy()]
    related = winner.loc[rivals["query_id"], "pcode"]
    mine = _identity(winner.loc[rivals["query_id"]].reset_index(), places).to_numpy()
    container = places.loc[related, ["township_pcode", "area_pcode", "parent_pcode"]]
    other = (_identity(rivals, places).to_numpy() != mine) & ~(
        container.eq(rivals["pcode"].to_numpy(), axis=0).any(axis=1).to_numpy()
    )
    rivals = rivals[other]
    doubted = chosen["query_id"].isin(rivals["query_id"])
    doubtful = pd.concat([chosen[doubted], rivals.drop(columns=hints.columns)])
    return chosen[~doubted], doubtful


def _choose_fuzzy(rest: pd.DataFrame, places: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    best = rest.groupby("query_id")["score"].transform("max")
    pool = _by_level_word(rest[rest["score"] >= best - AMBIGUITY_MARGIN])
    control = pool["level"].isin(CONTROL_LEVELS)
    top = pool["score"] == pool.groupby("query_id")["score"].transform("max")
    control_on_top = (control & top).groupby(pool["query_id"]).transform("any")
    pool = pool[control | ~control_on_top]
    # A town and the township governed from it are one place for this purpose.
    identity = pool["pcode"].map(places["area_pcode"]).where(pool["level"] == "town")
    identity = identity.fillna(pool["pcode"])
    tied = identity.groupby(pool["query_id"]).transform("nunique") > 1
    chosen = pool[~tied].sort_values(["query_id", "rank", "score"], ascending=[True, True, False])
    return chosen.drop_duplicates("query_id"), pool[tied]


def _runners_up(chosen: pd.DataFrame, inside: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """For each chosen match, the best other candidate that is not one of its containers."""
    ids = chosen["query_id"].to_numpy()
    containers = places.loc[
        chosen["pcode"],
        ["area_pcode", "parent_pcode", "township_pcode", "district_pcode", "state_region_pcode"],
    ]
    related = pd.concat(
        [pd.DataFrame({"query_id": ids, "pcode": chosen["pcode"].to_numpy()})]
        + [pd.DataFrame({"query_id": ids, "pcode": containers[c].to_numpy()}) for c in containers]
    ).dropna()
    others = inside[inside["query_id"].isin(ids)]
    # (query, P-code) pairs numbered as one integer each, the P-codes numbered together.
    code, _ = pd.factorize(
        np.concatenate([others["pcode"].to_numpy(object), related["pcode"].to_numpy(object)])
    )
    pair = others["query_id"].to_numpy() * (len(code) + 1) + code[: len(others)]
    known = related["query_id"].to_numpy() * (len(code) + 1) + code[len(others) :]
    others = others[~pd.Index(pair).isin(known)].sort_values(
        ["query_id", "stage", "score"], ascending=[True, True, False]
    )
    return others.drop_duplicates("query_id")


def _hint_texts(hints: pd.DataFrame) -> list[str]:
    """`_hint_text` of each row, worked out once per distinct combination of hints."""
    combination = hints.groupby(list(hints.columns), dropna=False, sort=False).ngroup()
    first = hints[~combination.duplicated().to_numpy()]
    texts = np.array([_hint_text(row) for row in first.itertuples(index=False)], dtype=object)
    return texts[combination.to_numpy()].tolist()


def _hint_text(hints: tuple) -> str:
    return ", ".join(
        f"{column} {value}"
        for column, value in zip(HINT_COLUMNS, hints, strict=True)
        if pd.notna(value) and str(value).strip()
    )


class _Describer:
    """Short descriptions of places for messages: 'Name (P-code, level, X township)'."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.places = places

    def text(self, pcodes: pd.Series) -> pd.Series:
        """'Name (P-code, level, X township' of each P-code (NA where not a place), worked
        out for those places only."""
        at = self.places.index.get_indexer(pd.unique(pcodes.dropna().to_numpy(dtype=object)))
        places = self.places[["name", "pcode", "level", "township_pcode"]].iloc[at[at >= 0]]
        township = places["township_pcode"].map(self.places["name"])
        where = (", " + township.astype(places["name"].dtype) + " township").fillna("")
        text = places["name"] + " (" + places["pcode"] + ", " + places["level"] + where
        return text.reindex(pcodes).set_axis(pcodes.index).rename(pcodes.name)

    def rows(self, found: pd.DataFrame, score: bool = False) -> pd.Series:
        """One description per row of `found`, indexed by its query_id."""
        text = self.text(found["pcode"])
        if score:
            text = text + ", score " + found["score"].round().astype(int).astype(str)
        return pd.Series((text + ")").to_numpy(), index=found["query_id"].to_numpy())

    def per_query(self, found: pd.DataFrame, limit: int = 6) -> pd.Series:
        """The first `limit` distinct places of each query, joined, indexed by query_id."""
        if found.empty:
            return pd.Series(dtype=object)
        first = found.drop_duplicates(["query_id", "pcode"])
        first = first[first.groupby("query_id").cumcount() < limit]
        described = self.rows(first)
        # Joined per query in one pass over the rows sorted by query (a groupby would call
        # the join through pandas once per query).
        order = np.argsort(described.index.to_numpy(), kind="stable")
        ids, texts = described.index.to_numpy()[order], described.to_numpy()[order]
        starts = np.flatnonzero(np.diff(ids, prepend=ids[0] - 1))
        ends = [*starts[1:], len(ids)]
        joined = [", ".join(texts[a:b]) for a, b in zip(starts, ends, strict=True)]
        return pd.Series(joined, index=pd.Index(ids[starts]))


def _with_admin_names(resolved: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    for level in ("state_region", "district", "township"):
        codes = resolved["pcode"].map(places[f"{level}_pcode"])
        resolved[f"{level}_pcode"] = codes
        resolved[f"{level}_name"] = codes.map(places["name"])
    return resolved
