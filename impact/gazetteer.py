"""Resolve the place written in an event to one reference place, and say how.

The ladder is fixed: (1) a P-code, (2) the exact normalised name, (3) an alias (other
spellings, Burmese script), (4) a fuzzy match on romanisation-folded names. Admin hints in the
row (township, district, region, as names or P-codes) narrow every step. Among candidates the
most likely level for a control change wins (a town over the township of the same name); a tie
at that level is ambiguous and rejected, never guessed. A hint that contradicts an exact match
is reported, not ignored. All work is per unique (place, hints), never per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from impact.names import (
    looks_like_zawgyi,
    normalise_name,
    repair_pcode,
    romanised_key,
    split_qualifier,
)
from impact.reference import Reference

LEVEL_PREFERENCE = """
    town township sub_township village_tract ward village district state_region
""".split()
HINT_LEVELS = {"township": "township", "district": "district", "region": "state_region"}
HINT_COLUMNS = list(HINT_LEVELS)
STAGES = {"pcode": 1, "exact": 2, "alias": 3, "fuzzy": 4}
ADMIN = ["level", "state_region_pcode", "district_pcode", "township_pcode"]
# Below this folded-name similarity a name is not a match; within TIE points of the best, a
# candidate at the same level makes the match ambiguous.
FUZZY_CUTOFF = 88.0
TIE = 3.0
PLAIN_CUTOFF = 70.0
# Names this short are never fuzzed: too many places are one letter away.
MIN_FUZZY_LENGTH = 4
AUDIT_COLUMNS = """
    outcome pcode place_name level match_method match_score match_note place_qualifier
    candidates runner_up
""".split()


@dataclass
class Resolution:
    """Resolved events, rejected rows and the audit of every unique name and hints."""

    resolved: pd.DataFrame
    rejected: pd.DataFrame
    audit: pd.DataFrame


class Gazetteer:
    """Searchable names of one reference package, built once and reused for every lookup."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        places = reference.places
        own = pd.DataFrame({"text": places["name"], "pcode": places["pcode"], "method": "exact"})
        other = pd.DataFrame(
            {
                "text": reference.aliases["alias"],
                "pcode": reference.aliases["pcode"],
                "method": "alias",
            }
        )
        names = pd.concat([own, other], ignore_index=True)
        names["key"] = normalise_name(names["text"])
        names["fkey"] = romanised_key(names["text"])
        names = names[names["key"] != ""].drop_duplicates(["key", "pcode"])
        self.names = names.join(places[ADMIN], on="pcode").reset_index(drop=True)
        folded = self.names.drop_duplicates(["fkey", "pcode"])
        self.folded = folded[folded["fkey"].str.len() >= MIN_FUZZY_LENGTH].reset_index(drop=True)

    def candidates(self, queries: pd.DataFrame) -> pd.DataFrame:
        """Every candidate place for each query (columns `query_id`, `name`, hints), in scope.

        Returns one row per (query_id, pcode) with stage, method, score and `in_scope`.
        """
        direct = self._pcodes(queries)
        keyed = queries.assign(key=normalise_name(queries["name"]))
        # A key without letters ("=1+1" → "11") names nothing; P-codes were matched above.
        keyed = keyed[keyed["key"].str.contains(r"[a-z\u1000-\u109f]", regex=True)]
        exact = keyed.merge(self.names, on="key")[["query_id", "pcode", "method", "text"]]
        exact = exact.assign(score=100.0)
        exact = exact.join(self.reference.places[ADMIN], on="pcode")
        fuzzy = self._fuzzy(queries)
        found = pd.concat([direct, exact, fuzzy], ignore_index=True)
        found["stage"] = found["method"].map(STAGES)
        found = found.sort_values(["query_id", "stage", "score"], ascending=[True, True, False])
        found = found.drop_duplicates(["query_id", "pcode"])
        return found.merge(self._scope(queries), on="query_id", how="left").assign(
            in_scope=lambda f: self._inside(f)
        )

    def _pcodes(self, queries: pd.DataFrame) -> pd.DataFrame:
        code = queries["name"].map(repair_pcode)
        hit = code.isin(self.reference.places.index)
        found = pd.DataFrame(
            {
                "query_id": queries.loc[hit, "query_id"],
                "pcode": code[hit],
                "method": "pcode",
                "text": code[hit],
                "score": 100.0,
            }
        )
        return found.join(self.reference.places[ADMIN], on="pcode")

    def _fuzzy(self, queries: pd.DataFrame) -> pd.DataFrame:
        keys = queries.assign(fkey=romanised_key(queries["name"]))
        keys = keys[keys["fkey"].str.len() >= MIN_FUZZY_LENGTH]
        if keys.empty:
            return pd.DataFrame(columns=["query_id", "pcode", "method", "text", "score", *ADMIN])
        choices = self.folded["fkey"].tolist()
        parts = []
        for start in range(0, len(keys), 500):
            chunk = keys.iloc[start : start + 500]
            scores = process.cdist(
                chunk["fkey"].tolist(),
                choices,
                scorer=fuzz.ratio,
                score_cutoff=FUZZY_CUTOFF,
                dtype=np.uint8,
                workers=-1,
            )
            rows, cols = np.nonzero(scores)
            parts.append(
                pd.DataFrame(
                    {
                        "query_id": chunk["query_id"].to_numpy()[rows],
                        "row": rows + start,
                        "index": cols,
                        "score": scores[rows, cols].astype(float),
                    }
                )
            )
        hits = pd.concat(parts, ignore_index=True)
        found = hits.join(self.folded[["pcode", "text", "key", *ADMIN]], on="index")
        # Folding can bring unlike names together (Mong Sheen / Mong Inn); the plain
        # spellings must still be alike.
        typed = normalise_name(keys["name"]).to_numpy()[found["row"]]
        plain = [fuzz.ratio(a, b) for a, b in zip(typed, found["key"], strict=True)]
        found = found[np.array(plain, dtype=float) >= PLAIN_CUTOFF]
        return found.drop(columns=["index", "key", "row"]).assign(method="fuzzy")

    def _scope(self, queries: pd.DataFrame) -> pd.DataFrame:
        """P-codes each hint names, one column of sets per hinted level (None: no hint)."""
        out = queries[["query_id"]].copy()
        units = self.names[self.names["level"].isin(HINT_LEVELS.values())]
        for column, level in HINT_LEVELS.items():
            text = queries[column].fillna("").astype(str)
            code = text.map(repair_pcode)
            keyed = pd.DataFrame({"query_id": queries["query_id"], "key": normalise_name(text)})
            named = keyed.merge(units[units["level"] == level][["key", "pcode"]], on="key")
            sets = named.groupby("query_id")["pcode"].agg(frozenset)
            by_code = code[code.isin(self.reference.places.index)]
            coded = pd.Series(
                [frozenset([c]) for c in by_code],
                index=queries.loc[by_code.index, "query_id"],
                dtype=object,
            )
            out[f"hint_{level}"] = out["query_id"].map(pd.concat([sets, coded]))
        # The township is the most precise hint: where it is known, district and region
        # hints are not applied (event lists often carry districts from before 2022).
        has_township = out["hint_township"].notna()
        out.loc[has_township, ["hint_district", "hint_state_region"]] = None
        return out

    @staticmethod
    def _inside(found: pd.DataFrame) -> pd.Series:
        inside = pd.Series(True, index=found.index)
        for level in HINT_LEVELS.values():
            allowed = found[f"hint_{level}"]
            hinted = allowed.notna()
            ok = [
                p in a or c in a
                for p, c, a in zip(
                    found.loc[hinted, "pcode"],
                    found.loc[hinted, f"{level}_pcode"],
                    allowed[hinted],
                    strict=True,
                )
            ]
            inside[hinted] &= np.array(ok, dtype=bool)
        return inside


def lookup_place(
    name: str,
    reference: Reference | Gazetteer,
    *,
    township: str | None = None,
    district: str | None = None,
    region: str | None = None,
    limit: int = 10,
) -> pd.DataFrame:
    """Candidates for one name, best first, with the decision the resolver would take.

    For an analyst checking a name by hand (`impact places`): each row has pcode, name, level,
    township, how it matched, score, whether it lies inside the hints, and `decision`
    (chosen, or why there is no single match) on the first row.
    """
    gazetteer = reference if isinstance(reference, Gazetteer) else Gazetteer(reference)
    keys = pd.DataFrame(
        [{"place": name, "township": township, "district": district, "region": region}]
    )
    decision = decide(keys, gazetteer).iloc[0]
    split_name, _ = split_qualifier(name)
    queries = keys[HINT_COLUMNS].assign(query_id=0, name=split_name)
    found = gazetteer.candidates(queries)
    places = gazetteer.reference.places
    found = found.assign(
        chosen=found["pcode"] == decision["pcode"],
        rank=found["level"].map(LEVEL_PREFERENCE.index),
    ).sort_values(
        ["chosen", "in_scope", "stage", "score", "rank"],
        ascending=[False, False, True, False, True],
    )
    table = (
        pd.DataFrame(
            {
                "pcode": found["pcode"],
                "name": found["pcode"].map(places["name"]),
                "level": found["level"],
                "township": found["township_pcode"].map(places["name"]),
                "state_region": found["state_region_pcode"].map(places["name"]),
                "method": found["method"],
                "score": found["score"],
                "inside_hints": found["in_scope"],
                "chosen": found["chosen"],
            }
        )
        .head(limit)
        .reset_index(drop=True)
    )
    table.attrs["decision"] = (
        f"{decision['outcome']}: {decision['pcode']}"
        if decision["outcome"] == "matched"
        else f"{decision['outcome']}: {decision['match_note']}"
    )
    return table


def resolve_places(events: pd.DataFrame, reference: Reference | Gazetteer) -> Resolution:
    """Give each event the P-code of the place it names.

    Returns a `Resolution`: `resolved` is `events` plus pcode, place_name, level, match_method,
    match_score, match_note, place_qualifier and the admin names; `rejected` holds rows whose
    place is not found, ambiguous or unreadable; `audit` has one row per unique place and hints.
    """
    gazetteer = reference if isinstance(reference, Gazetteer) else Gazetteer(reference)
    keys = events[["place", *HINT_COLUMNS]].drop_duplicates().reset_index(drop=True)
    audit = pd.concat([keys, decide(keys, gazetteer)], axis=1)
    merged = events.merge(audit, on=["place", *HINT_COLUMNS], how="left")
    ok = merged["outcome"] == "matched"
    resolved = _with_admin_names(
        merged[ok].drop(columns=["outcome", "candidates", "runner_up"]), gazetteer.reference
    )
    bad = merged[~ok]
    rejected = pd.DataFrame(
        {
            "source_file": bad["source_file"],
            "source_row": bad["source_row"],
            "column": "place",
            "value": bad["place"],
            "reason": bad["outcome"],
            "message": bad["match_note"],
        }
    )
    audit = audit.sort_values(["place", *HINT_COLUMNS], na_position="first")
    return Resolution(
        resolved.reset_index(drop=True),
        rejected.reset_index(drop=True),
        audit.reset_index(drop=True),
    )


def decide(keys: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """One decision per row of `keys` (place and hints): the columns of `AUDIT_COLUMNS`.

    Vectorised over all queries; only the messages of rejected names are built one by one.
    """
    if keys.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    split = keys["place"].fillna("").astype(str).map(split_qualifier)
    queries = keys[HINT_COLUMNS].assign(
        query_id=np.arange(len(keys)), name=[name for name, _ in split]
    )
    queries["where"] = [_hint_text(row) for row in queries[HINT_COLUMNS].itertuples(index=False)]
    queries["level_word"] = level_named(queries["name"])
    zawgyi = queries["name"].map(looks_like_zawgyi)
    found = gazetteer.candidates(queries[~zawgyi])
    found = pd.concat([found, _parenthesised(queries[~zawgyi], found, gazetteer)])
    out = pd.DataFrame({"outcome": pd.Series(pd.NA, index=queries.index, dtype=object)})
    for column in AUDIT_COLUMNS[1:]:
        out[column] = pd.Series(pd.NA, index=queries.index, dtype=object)
    out["place_qualifier"] = [qualifier for _, qualifier in split]
    describe = _Describer(gazetteer.reference.places)
    _reject_outside(out, queries, found, describe)
    _reject_unknown_pcodes(out, queries, found, gazetteer.reference.version)
    inside = found[found["in_scope"]].merge(queries[["query_id", "level_word"]], on="query_id")
    chosen, ambiguous = _choose(inside)
    _reject_not_found(out, queries, found, chosen, ambiguous, gazetteer, describe)
    _reject_ambiguous(out, queries, ambiguous, describe)
    _accept(out, queries, chosen, found[found["in_scope"]], describe)
    out.loc[zawgyi.to_numpy(), ["outcome", "match_note"]] = [
        "place_unreadable",
        "the Burmese text looks like the legacy Zawgyi encoding; convert "
        "it to Unicode (for example with the Rabbit converter) and run again",
    ]
    out["match_score"] = pd.to_numeric(out["match_score"]).astype(float)
    return out


def level_named(names: pd.Series) -> pd.Series:
    """The level a name spells out at its end ("… Township", "… Ward"), else NA."""
    word = names.str.extract(r"(?i)\b(township|town|ward|village tract|sub-township|district)\s*$")[
        0
    ].str.lower()
    return word.map(
        {
            "township": "township",
            "town": "town",
            "ward": "ward",
            "village tract": "village_tract",
            "sub-township": "sub_township",
            "district": "district",
        }
    )


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
    pool = pool.assign(rank=pool["level"].map(LEVEL_PREFERENCE.index))
    pool = pool[pool["rank"] == pool.groupby("query_id")["rank"].transform("min")]
    pool = pool[pool["stage"] == pool.groupby("query_id")["stage"].transform("min")]
    tied = pool.groupby("query_id")["pcode"].transform("nunique") > 1
    chosen = pool[~tied].sort_values(["query_id", "score"], ascending=[True, False])
    return chosen.drop_duplicates("query_id"), pool[tied]


def _open(out: pd.DataFrame, ids: pd.Index | np.ndarray | list) -> pd.Index:
    """Queries among `ids` that have no outcome yet."""
    index = pd.Index(ids)
    return index[out.loc[index, "outcome"].isna().to_numpy()]


def _reject_outside(out, queries, found, describe) -> None:
    exact = found["stage"] <= STAGES["alias"]
    inside_exact = set(found.loc[exact & found["in_scope"], "query_id"])
    outside = found[exact & ~found["in_scope"] & ~found["query_id"].isin(inside_exact)]
    listed = describe.per_query(outside)
    ids = listed.index
    _reject(
        out,
        ids,
        "place_not_found",
        "'"
        + queries.loc[ids, "name"]
        + "' is not inside "
        + queries.loc[ids, "where"]
        + "; it exists elsewhere: "
        + listed
        + ". Check the hint or give the P-code",
    )


def _reject_unknown_pcodes(out, queries, found, version) -> None:
    codes = queries["name"].map(repair_pcode)
    has_code = set(found.loc[found["stage"] == STAGES["pcode"], "query_id"])
    ids = queries.index[codes.notna() & ~queries.index.isin(has_code)]
    _reject(
        out,
        ids,
        "place_not_found",
        "P-code "
        + codes[ids].astype(str)
        + f" is not in the reference data ({version}); check it against the MIMU list",
    )


def _reject_not_found(out, queries, found, chosen, ambiguous, gazetteer, describe) -> None:
    known = set(chosen["query_id"]) | set(ambiguous["query_id"])
    ids = _open(out, queries.index[~queries.index.isin(known)])
    suggestions = suggest_many(queries.loc[ids, "name"], gazetteer, describe)
    where = queries.loc[ids, "where"]
    within = (" inside " + where).where(where != "", "")
    _reject(
        out,
        ids,
        "place_not_found",
        "no place named '"
        + queries.loc[ids, "name"]
        + "'"
        + within
        + ". Closest names: "
        + suggestions.reindex(ids).fillna("none"),
    )


def _reject_ambiguous(out, queries, ambiguous, describe) -> None:
    listed = describe.per_query(ambiguous)
    ids = listed.index
    count = ambiguous.groupby("query_id")["pcode"].nunique().reindex(ids)
    _reject(
        out,
        ids,
        "place_ambiguous",
        "'"
        + queries.loc[ids, "name"]
        + "' could be "
        + count.astype(str)
        + " places: "
        + listed
        + "; add a township or region, or give the P-code",
    )


def _reject(out: pd.DataFrame, ids: pd.Index, reason: str, messages: pd.Series) -> None:
    """Record a rejection for the queries among `ids` that have no outcome yet."""
    ids = _open(out, ids)
    out.loc[ids, "outcome"] = reason
    out.loc[ids, "match_note"] = messages.reindex(ids).to_numpy()


def _accept(out, queries, chosen, inside, describe) -> None:
    chosen = chosen[chosen["query_id"].isin(_open(out, chosen["query_id"]))]
    if chosen.empty:
        return
    ids = pd.Index(chosen["query_id"])
    runner_up = describe.rows(_runners_up(chosen, inside, describe.places), score=True)
    runner_up = runner_up.reindex(ids)
    fuzzy = (chosen["method"] == "fuzzy").to_numpy()
    typed = normalise_name(queries.loc[ids, "name"]).to_numpy()
    known = normalise_name(chosen["text"]).to_numpy()
    plain = [fuzz.ratio(a, b) if f else np.nan for a, b, f in zip(typed, known, fuzzy, strict=True)]
    score = np.where(fuzzy, np.round(plain, 1), chosen["score"].to_numpy())
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
    out.loc[ids, "outcome"] = "matched"
    out.loc[ids, "pcode"] = pcodes
    out.loc[ids, "place_name"] = describe.places.loc[pcodes, "name"].to_numpy()
    out.loc[ids, "level"] = describe.places.loc[pcodes, "level"].to_numpy()
    out.loc[ids, "match_method"] = chosen["method"].to_numpy()
    out.loc[ids, "match_score"] = score.astype(float)
    out.loc[ids, "match_note"] = note.to_numpy()
    out.loc[ids, "candidates"] = (
        inside.groupby("query_id")["pcode"].nunique().reindex(ids).to_numpy()
    )
    out.loc[ids, "runner_up"] = runner_up.to_numpy()


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


def _parenthesised(
    queries: pd.DataFrame, found: pd.DataFrame, gazetteer: Gazetteer
) -> pd.DataFrame:
    """'Pang Hseng (Kyu Koke)' with no exact match: look up each part as its own name.

    A part that is only a qualifier such as (East) or (A) is not a name."""
    exact_ids = set(found.loc[found["stage"] <= STAGES["alias"], "query_id"])
    todo = queries[
        queries["name"].str.contains(r"\(.+\)", regex=True) & ~queries["query_id"].isin(exact_ids)
    ]
    if todo.empty:
        return found.head(0)
    parts = todo.assign(name=todo["name"].str.split(r"[()]")).explode("name")
    parts = parts.assign(name=parts["name"].str.strip())
    qualifier = parts["name"].str.fullmatch(
        r"(?i)(north|south|east|west|upper|lower|middle|[a-z]|\d+)?"
    )
    return gazetteer.candidates(parts[~qualifier].reset_index(drop=True))


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
        first = found.drop_duplicates(["query_id", "pcode"])
        first = first[first.groupby("query_id").cumcount() < limit]
        described = self.rows(first)
        return described.groupby(level=0).agg(", ".join)


def suggest_many(
    names: pd.Series, gazetteer: Gazetteer, describe: _Describer, limit: int = 3
) -> pd.Series:
    """The closest names in the whole gazetteer for each of `names`, indexed like `names`."""
    keys = romanised_key(names)
    keys = keys[keys != ""]
    if keys.empty:
        return pd.Series(dtype=object)
    folded = gazetteer.folded
    parts = []
    for start in range(0, len(keys), 500):
        chunk = keys.iloc[start : start + 500]
        scores = process.cdist(
            chunk.tolist(), folded["fkey"].tolist(), scorer=fuzz.ratio, dtype=np.uint8, workers=-1
        )
        best = np.argsort(scores, axis=1)[:, ::-1][:, : limit * 4]
        rows = np.repeat(np.arange(len(chunk)), best.shape[1])
        parts.append(
            pd.DataFrame(
                {
                    "query_id": chunk.index.to_numpy()[rows],
                    "pcode": folded["pcode"].to_numpy()[best.ravel()],
                    "score": scores[rows, best.ravel()].astype(float),
                }
            )
        )
    found = pd.concat(parts, ignore_index=True)
    return describe.per_query(found, limit=limit)


def _with_admin_names(resolved: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    places = reference.places
    for level in ("state_region", "district", "township"):
        codes = resolved["pcode"].map(places[f"{level}_pcode"])
        resolved[f"{level}_pcode"] = codes
        resolved[f"{level}_name"] = codes.map(places["name"])
    return resolved
