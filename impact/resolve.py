"""Decide which reference place each event names, and say how: the decision ladder.

For each unique (place, hints) the gazetteer lists candidates; the ladder below then takes the
first rule that decides, top to bottom:

1. unreadable: Burmese text in the legacy Zawgyi encoding is refused, never guessed;
2. outside the hints: the name exists, but not inside the township/district/region given;
3. unknown P-code: P-code shaped text that is not in the package;
4. matched: one candidate wins (P-code, exact, alias, then fuzzy; the preferred level wins
   among equals: a town over the township of the same name);
5. ambiguous: several places tie, and the candidates are listed;
6. not found: nothing close enough, with the closest names as suggestions.

All work is per unique (place, hints), never per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandera.typing import DataFrame
from rapidfuzz import fuzz

from impact.gazetteer import HINT_COLUMNS, STAGES, Gazetteer
from impact.names import looks_like_zawgyi, normalise_name, repair_pcode, split_qualifier
from impact.problems import rejected_rows
from impact.reference import Reference
from impact.schemas import LEVELS, Event, Rejected, RejectReason, ResolvedEvent

AUDIT_COLUMNS = """
    outcome pcode place_name level match_method match_score match_note place_qualifier
    candidates runner_up
""".split()
# Within TIE points of the best fuzzy score, a candidate at the same level makes the match
# ambiguous.
TIE = 3.0
LEVEL_WORDS = {
    "township": "township",
    "town": "town",
    "ward": "ward",
    "village tract": "village_tract",
    "sub-township": "sub_township",
    "district": "district",
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
    match_score, match_note, place_qualifier and the admin names; `rejected` holds rows whose
    place is not found, ambiguous or unreadable; `audit` has one row per unique place and hints.
    """
    keys = events[["place", *HINT_COLUMNS]].drop_duplicates().reset_index(drop=True)
    audit = pd.concat([keys, decide(keys, reference.gazetteer)], axis=1)
    merged = events.merge(audit, on=["place", *HINT_COLUMNS], how="left")
    ok = merged["outcome"] == "matched"
    resolved = _with_admin_names(
        merged[ok].drop(columns=["outcome", "candidates", "runner_up"]), reference.places
    )
    bad = merged[~ok]
    rejected = rejected_rows(
        bad, column="place", value=bad["place"], reason=bad["outcome"], message=bad["match_note"]
    )
    audit = audit.sort_values(["place", *HINT_COLUMNS], na_position="first")
    return Resolution(
        ResolvedEvent.validate(resolved.reset_index(drop=True)),
        rejected,
        audit.reset_index(drop=True),
    )


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
    )
    decision = decide(keys, reference.gazetteer).iloc[0]
    queries = keys[HINT_COLUMNS].assign(query_id=0, name=split_qualifier(name)[0])
    found = reference.gazetteer.candidates(queries)
    places = reference.places
    found = found.assign(
        chosen=found["pcode"] == decision["pcode"], rank=found["level"].map(LEVELS.index)
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


def decide(keys: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """One decision per row of `keys` (place and hints): the columns of `AUDIT_COLUMNS`.

    Each rule of `LADDER` decides some of the queries still open; the first to decide wins.
    """
    if keys.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    split = keys["place"].fillna("").astype(str).map(split_qualifier)
    queries = keys[HINT_COLUMNS].assign(
        query_id=np.arange(len(keys)), name=[name for name, _ in split]
    )
    queries["where"] = [_hint_text(row) for row in queries[HINT_COLUMNS].itertuples(index=False)]
    queries["level_word"] = level_named(queries["name"])
    queries["zawgyi"] = queries["name"].map(looks_like_zawgyi).astype(bool)
    found = gazetteer.search(queries[~queries["zawgyi"]])
    chosen, ambiguous = _choose(
        found[found["inside_hints"]].merge(queries[["query_id", "level_word"]], on="query_id")
    )
    evidence = _Evidence(
        queries, found, chosen, ambiguous, gazetteer, _Describer(gazetteer.reference.places)
    )
    decided: list[pd.DataFrame] = []
    open_ids = queries.index
    for rule in LADDER:
        decision = rule(open_ids, evidence)
        decided.append(decision)
        open_ids = open_ids.difference(decision.index)
    out = pd.concat([d for d in decided if not d.empty]).reindex(
        queries.index, columns=AUDIT_COLUMNS
    )
    out["place_qualifier"] = [qualifier for _, qualifier in split]
    out["match_score"] = pd.to_numeric(out["match_score"]).astype(float)
    return out.astype({c: object for c in AUDIT_COLUMNS if c != "match_score"})


def level_named(names: pd.Series) -> pd.Series:
    """The level a name spells out at its end ("… Township", "… Ward"), else NA."""
    pattern = r"(?i)\b(township|town|ward|village tract|sub-township|district)\s*$"
    return names.str.extract(pattern)[0].str.lower().map(LEVEL_WORDS)


def _unreadable(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    return _decision(
        open_ids[evidence.queries.loc[open_ids, "zawgyi"].to_numpy()],
        RejectReason.PLACE_UNREADABLE,
        "the Burmese text looks like the legacy Zawgyi encoding; convert it to Unicode (for "
        "example with the Rabbit converter) and run again",
    )


def _outside_hints(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    found = evidence.found
    exact = found["stage"] <= STAGES["alias"]
    inside_exact = set(found.loc[exact & found["inside_hints"], "query_id"])
    outside = found[exact & ~found["inside_hints"] & ~found["query_id"].isin(inside_exact)]
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
    codes = queries.loc[open_ids, "name"].map(repair_pcode)
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
    runner_up = describe.rows(_runners_up(chosen, inside, describe.places), score=True)
    runner_up = runner_up.reindex(ids)
    fuzzy = (chosen["method"] == "fuzzy").to_numpy()
    typed = normalise_name(queries.loc[ids, "name"]).to_numpy()
    known = normalise_name(chosen["text"]).to_numpy()
    plain = [fuzz.ratio(a, b) if f else np.nan for a, b, f in zip(typed, known, fuzzy, strict=True)]
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
    pcodes = chosen["pcode"].to_numpy()
    return pd.DataFrame(
        {
            "outcome": "matched",
            "pcode": pcodes,
            "place_name": describe.places.loc[pcodes, "name"].to_numpy(),
            "level": describe.places.loc[pcodes, "level"].to_numpy(),
            "match_method": chosen["method"].to_numpy(),
            "match_score": np.where(fuzzy, np.round(plain, 1), chosen["score"].to_numpy()),
            "match_note": note.to_numpy(),
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
    return _decision(
        ids,
        RejectReason.PLACE_AMBIGUOUS,
        "'"
        + evidence.queries.loc[ids, "name"]
        + "' could be "
        + count.astype(str)
        + " places: "
        + listed
        + "; add a township or region, or give the P-code",
    )


def _not_found(open_ids: pd.Index, evidence: _Evidence) -> pd.DataFrame:
    queries = evidence.queries
    closest = evidence.gazetteer.closest(queries.loc[open_ids, "name"])
    suggestions = evidence.describe.per_query(closest, limit=3)
    where = queries.loc[open_ids, "where"]
    within = (" inside " + where).where(where != "", "")
    return _decision(
        open_ids,
        RejectReason.PLACE_NOT_FOUND,
        "no place named '"
        + queries.loc[open_ids, "name"]
        + "'"
        + within
        + ". Closest names: "
        + suggestions.reindex(open_ids).fillna("none"),
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


def _choose(inside: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chosen candidate per query, and the tied candidates of ambiguous queries.

    A name equal once romanisation is folded counts as exact when pooling; the level
    preference then decides (Kalay: Kale Town rather than the village tract Ka Lay).
    """
    sure = inside[(inside["stage"] <= STAGES["alias"]) | (inside["score"] >= 100)]
    rest = inside[~inside["query_id"].isin(sure["query_id"])]
    best = rest.groupby("query_id")["score"].transform("max")
    pool = pd.concat([sure, rest[rest["score"] >= best - TIE]])
    # "Tamu Township", "Myo Ma Ward": a level written in the name outranks the preference.
    named = pool["level"] == pool["level_word"]
    pool = pool[named | ~named.groupby(pool["query_id"]).transform("any")]
    pool = pool.assign(rank=pool["level"].map(LEVELS.index))
    pool = pool[pool["rank"] == pool.groupby("query_id")["rank"].transform("min")]
    pool = pool[pool["stage"] == pool.groupby("query_id")["stage"].transform("min")]
    tied = pool.groupby("query_id")["pcode"].transform("nunique") > 1
    chosen = pool[~tied].sort_values(["query_id", "score"], ascending=[True, False])
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
    others = inside[inside["query_id"].isin(ids)].merge(
        related.assign(related=True), on=["query_id", "pcode"], how="left"
    )
    others = others[others["related"].isna()].sort_values(
        ["query_id", "stage", "score"], ascending=[True, True, False]
    )
    return others.drop_duplicates("query_id")


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
        township = places["township_pcode"].map(places["name"])
        where = (", " + township + " township").fillna("")
        self.text = places["name"] + " (" + places["pcode"] + ", " + places["level"] + where

    def rows(self, found: pd.DataFrame, score: bool = False) -> pd.Series:
        """One description per row of `found`, indexed by its query_id."""
        text = found["pcode"].map(self.text)
        if score:
            text = text + ", score " + found["score"].round().astype(int).astype(str)
        return pd.Series((text + ")").to_numpy(), index=found["query_id"].to_numpy())

    def per_query(self, found: pd.DataFrame, limit: int = 6) -> pd.Series:
        """The first `limit` distinct places of each query, joined, indexed by query_id."""
        if found.empty:
            return pd.Series(dtype=object)
        first = found.drop_duplicates(["query_id", "pcode"])
        first = first[first.groupby("query_id").cumcount() < limit]
        return self.rows(first).groupby(level=0).agg(", ".join)


def _with_admin_names(resolved: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    for level in ("state_region", "district", "township"):
        codes = resolved["pcode"].map(places[f"{level}_pcode"])
        resolved[f"{level}_pcode"] = codes
        resolved[f"{level}_name"] = codes.map(places["name"])
    return resolved
