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
        exact = (
            queries.assign(key=normalise_name(queries["name"]))
            .merge(self.names, on="key")[["query_id", "pcode", "method", "text"]]
            .assign(score=100.0)
        )
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
                        "index": cols,
                        "score": scores[rows, cols].astype(float),
                    }
                )
            )
        hits = pd.concat(parts, ignore_index=True)
        found = hits.join(self.folded[["pcode", "text", *ADMIN]], on="index").drop(columns="index")
        return found.assign(method="fuzzy")

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
    """One decision per row of `keys` (place and hints): the columns of `AUDIT_COLUMNS`."""
    if keys.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    split = keys["place"].fillna("").astype(str).map(split_qualifier)
    queries = keys[HINT_COLUMNS].assign(
        query_id=np.arange(len(keys)), name=[name for name, _ in split]
    )
    zawgyi = queries["name"].map(looks_like_zawgyi)
    found = gazetteer.candidates(queries[~zawgyi])
    found = pd.concat([found, _parenthesised(queries[~zawgyi], found, gazetteer)])
    by_query = dict(tuple(found.groupby("query_id")))
    empty = found.head(0)
    hints = [_hint_text(row) for row in queries[HINT_COLUMNS].itertuples(index=False)]
    decisions = [
        _decide_one(by_query.get(i, empty), name, where, gazetteer)
        for i, name, where in zip(queries["query_id"], queries["name"], hints, strict=True)
    ]
    out = pd.DataFrame(decisions, columns=AUDIT_COLUMNS)
    out["place_qualifier"] = [qualifier for _, qualifier in split]
    out.loc[zawgyi.to_numpy(), ["outcome", "match_note"]] = [
        "place_unreadable",
        "the Burmese text looks like the legacy Zawgyi encoding; convert "
        "it to Unicode (for example with the Rabbit converter) and run again",
    ]
    return out


def _parenthesised(
    queries: pd.DataFrame, found: pd.DataFrame, gazetteer: Gazetteer
) -> pd.DataFrame:
    """'Pang Hseng (Kyu Koke)' with no exact match: look up each part as its own name."""
    exact_ids = set(found.loc[found["stage"] <= STAGES["alias"], "query_id"])
    todo = queries[
        queries["name"].str.contains(r"\(.+\)", regex=True) & ~queries["query_id"].isin(exact_ids)
    ]
    if todo.empty:
        return found.head(0)
    parts = todo.assign(name=todo["name"].str.split(r"[()]")).explode("name")
    parts = parts[parts["name"].str.strip() != ""].assign(name=lambda p: p["name"].str.strip())
    return gazetteer.candidates(parts.reset_index(drop=True))


def _hint_text(hints: tuple) -> str:
    return ", ".join(
        f"{column} {value}"
        for column, value in zip(HINT_COLUMNS, hints, strict=True)
        if pd.notna(value) and str(value).strip()
    )


def _decide_one(found: pd.DataFrame, text: str, where: str, gazetteer: Gazetteer) -> dict:
    places = gazetteer.reference.places
    inside = found[found["in_scope"]]
    exact_outside = found[~found["in_scope"] & (found["stage"] <= STAGES["alias"])]
    if inside[inside["stage"] <= STAGES["alias"]].empty and not exact_outside.empty:
        return _reject(
            "place_not_found",
            f"'{text}' is not inside {where}; it exists elsewhere: "
            f"{_describe(exact_outside, places)}. Check the hint or give the P-code",
        )
    pcode = repair_pcode(text)
    if pcode is not None and found[found["stage"] == STAGES["pcode"]].empty:
        return _reject(
            "place_not_found",
            f"P-code {pcode} is not in the reference data "
            f"({gazetteer.reference.version}); check it against the MIMU list",
        )
    if inside.empty:
        within = f" inside {where}" if where else ""
        return _reject(
            "place_not_found",
            f"no place named '{text}'{within}. Closest names: {suggest(text, gazetteer)}",
        )
    # A name equal once romanisation is folded counts as exact when pooling; the level
    # preference then decides (Kalay: Kale Town rather than the village tract Ka Lay).
    sure = inside[(inside["stage"] <= STAGES["alias"]) | (inside["score"] >= 100)]
    if sure.empty:
        sure = inside[inside["score"] >= inside["score"].max() - TIE]
    pool = sure.assign(rank=sure["level"].map(LEVEL_PREFERENCE.index))
    top = pool[pool["rank"] == pool["rank"].min()]
    top = top[top["stage"] == top["stage"].min()]
    if top["pcode"].nunique() > 1:
        return _reject(
            "place_ambiguous",
            f"'{text}' could be {top['pcode'].nunique()} places: "
            f"{_describe(top, places)}; add a township or region, or give the P-code",
        )
    chosen = top.sort_values("score", ascending=False).iloc[0]
    return _matched(chosen, inside, text, where, places)


def _matched(
    chosen: pd.Series, inside: pd.DataFrame, text: str, where: str, places: pd.DataFrame
) -> dict:
    containers = [
        "area_pcode",
        "parent_pcode",
        "township_pcode",
        "district_pcode",
        "state_region_pcode",
    ]
    related = {chosen["pcode"], *places.loc[chosen["pcode"], containers].dropna()}
    others = inside[~inside["pcode"].isin(related)]
    runner_up = None if others.empty else _describe(others.head(1), places, score=True)
    fuzzy = chosen["method"] == "fuzzy"
    note = "; ".join(
        part
        for part in (
            where and f"within {where}",
            fuzzy and f"spelling close to '{chosen['text']}'",
            runner_up and f"runner-up {runner_up}",
        )
        if part
    )
    score = chosen["score"]
    if fuzzy:
        typed, known = normalise_name(pd.Series([text, chosen["text"]]))
        score = round(fuzz.ratio(typed, known), 1)
    place = places.loc[chosen["pcode"]]
    return {
        "outcome": "matched",
        "pcode": chosen["pcode"],
        "place_name": place["name"],
        "level": place["level"],
        "match_method": chosen["method"],
        "match_score": float(score),
        "match_note": note or None,
        "candidates": int(inside["pcode"].nunique()),
        "runner_up": runner_up,
    }


def suggest(text: str, gazetteer: Gazetteer, limit: int = 3) -> str:
    """The closest names in the whole gazetteer, for a 'not found' message."""
    key = romanised_key(pd.Series([text]))[0]
    if not key:
        return "none"
    hits = process.extract(
        key, gazetteer.folded["fkey"].tolist(), scorer=fuzz.ratio, limit=limit * 4
    )
    rows = gazetteer.folded.iloc[[i for _, _, i in hits]].drop_duplicates("pcode").head(limit)
    return _describe(rows, gazetteer.reference.places) or "none"


def _describe(found: pd.DataFrame, places: pd.DataFrame, score: bool = False) -> str:
    parts = []
    for row in found.drop_duplicates("pcode").head(6).itertuples():
        township = places.at[row.pcode, "township_pcode"]
        where = f", {places.at[township, 'name']} township" if pd.notna(township) else ""
        extra = f", score {row.score:.0f}" if score else ""
        parts.append(
            f"{places.at[row.pcode, 'name']} ({row.pcode}, "
            f"{places.at[row.pcode, 'level']}{where}{extra})"
        )
    return ", ".join(parts)


def _reject(reason: str, message: str) -> dict:
    return {
        "outcome": reason,
        "pcode": pd.NA,
        "place_name": pd.NA,
        "level": pd.NA,
        "match_method": pd.NA,
        "match_score": np.nan,
        "match_note": message,
        "candidates": pd.NA,
        "runner_up": pd.NA,
    }


def _with_admin_names(resolved: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    places = reference.places
    for level in ("state_region", "district", "township"):
        codes = resolved["pcode"].map(places[f"{level}_pcode"])
        resolved[f"{level}_pcode"] = codes
        resolved[f"{level}_name"] = codes.map(places["name"])
    return resolved
