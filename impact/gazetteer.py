"""Resolve the place written in an event to one reference place, and say how.

The ladder is fixed: a P-code, then the exact normalised name, then an alias (other spellings,
Burmese script). Admin hints in the row (township, district, region) narrow the candidates.
When several places remain, the most likely level for a control change wins (a town over the
township of the same name); a tie at that level is ambiguous and rejected, never guessed.
Work is done once per unique (place, hints) combination, not per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import process

from impact.names import normalise_name
from impact.reference import Reference

LEVEL_PREFERENCE = [
    "town",
    "township",
    "sub_township",
    "village_tract",
    "ward",
    "village",
    "district",
    "state_region",
]
HINT_LEVELS = {"township": "township", "district": "district", "region": "state_region"}
HINT_COLUMNS = ["township", "district", "region"]
DECISION_COLUMNS = [
    "outcome",
    "pcode",
    "place_name",
    "level",
    "match_method",
    "match_score",
    "match_note",
    "candidates",
]
PCODE_TEXT = re.compile(r"^[A-Z]{3}\d{3}(D\d{3}|\d{3})?\d*S?$")


@dataclass
class Resolution:
    """Resolved events, rejected rows and the audit of every unique name."""

    resolved: pd.DataFrame
    rejected: pd.DataFrame
    audit: pd.DataFrame


def name_index(reference: Reference) -> pd.DataFrame:
    """Every searchable key: each place's own name and each alias, with the admin P-codes."""
    places = reference.places
    own = pd.DataFrame(
        {"key": normalise_name(places["name"]), "pcode": places["pcode"], "method": "exact"}
    )
    aliases = reference.aliases
    other = pd.DataFrame(
        {"key": normalise_name(aliases["alias"]), "pcode": aliases["pcode"], "method": "alias"}
    )
    index = pd.concat([own, other], ignore_index=True)
    index = index[index["key"] != ""].drop_duplicates(["key", "pcode"])
    admin = places[["level", "state_region_pcode", "district_pcode", "township_pcode"]]
    return index.join(admin, on="pcode")


def resolve_places(events: pd.DataFrame, reference: Reference) -> Resolution:
    """Give each event the P-code of the place it names.

    Returns a `Resolution` whose `resolved` table is `events` plus pcode, place_name, level,
    match_method, match_score, match_note and the admin names; `rejected` holds rows whose place
    was not found or is ambiguous; `audit` has one row per unique place and hints.
    """
    index = name_index(reference)
    keys = events[["place", *HINT_COLUMNS]].drop_duplicates()
    decisions = pd.DataFrame(
        [_decide(row, index, reference) for row in keys.itertuples(index=False)],
        columns=DECISION_COLUMNS,
    )
    audit = pd.concat([keys.reset_index(drop=True), decisions], axis=1)
    merged = events.merge(audit, on=["place", *HINT_COLUMNS], how="left")
    ok = merged["outcome"] == "matched"
    resolved = _with_admin_names(merged[ok].drop(columns=["outcome", "candidates"]), reference)
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
    return Resolution(
        resolved.reset_index(drop=True),
        rejected.reset_index(drop=True),
        audit.sort_values(["place", *HINT_COLUMNS], na_position="first").reset_index(drop=True),
    )


def _decide(row: tuple, index: pd.DataFrame, reference: Reference) -> dict:
    place, *hints = row
    text = str(place).strip()
    pcode = text.upper()
    if PCODE_TEXT.match(pcode):
        if pcode in reference.places.index:
            return _match(reference, pcode, "pcode", 100.0, "P-code given")
        return _reject(
            "place_not_found", f"P-code {pcode} is not in the reference data ({reference.version})"
        )
    key = normalise_name(pd.Series([text])).iloc[0]
    found = index[index["key"] == key]
    scope, hint_note = _hint_scope(dict(zip(HINT_COLUMNS, hints, strict=True)), index)
    if scope is not None:
        narrowed = found[_inside(found, scope)]
        if found.empty or narrowed.empty:
            outside = (
                ""
                if found.empty
                else (f"; '{text}' exists elsewhere: {_describe(found, reference)}")
            )
            return _reject(
                "place_not_found",
                f"no place '{text}' inside {hint_note}{outside}. "
                f"Closest names there: {_suggest(key, index[_inside(index, scope)])}",
            )
        found = narrowed
    if found.empty:
        return _reject(
            "place_not_found", f"no place named '{text}'. Closest names: {_suggest(key, index)}"
        )
    found = found.assign(rank=found["level"].map(LEVEL_PREFERENCE.index))
    best = found[found["rank"] == found["rank"].min()]
    if best["pcode"].nunique() > 1:
        return _reject(
            "place_ambiguous",
            f"'{text}' names {best['pcode'].nunique()} places: "
            f"{_describe(best, reference)}; add a township or region, or give the "
            "P-code",
        )
    chosen = best.sort_values("method", key=lambda m: m.map({"exact": 0, "alias": 1})).iloc[0]
    others = found[found["pcode"] != chosen["pcode"]]
    note = "; ".join(
        part
        for part in (
            hint_note and f"within {hint_note}",
            not others.empty
            and f"also matches {_describe(others, reference)} (lower level preference)",
        )
        if part
    )
    return _match(reference, chosen["pcode"], chosen["method"], 100.0, note or None)


def _hint_scope(hints: dict, index: pd.DataFrame) -> tuple[pd.DataFrame | None, str]:
    """Admin P-codes named by the hints; each hint narrows on its own level."""
    scope = {}
    notes = []
    for column, level in HINT_LEVELS.items():
        value = hints.get(column)
        if value is None or pd.isna(value):
            continue
        key = normalise_name(pd.Series([str(value)])).iloc[0]
        pcodes = index.loc[(index["key"] == key) & (index["level"] == level), "pcode"].unique()
        if str(value).upper() in set(index["pcode"]):
            pcodes = [str(value).upper()]
        if len(pcodes):
            scope[f"{level}_pcode"] = set(pcodes)
            notes.append(f"{column} {value}")
    if not scope:
        return None, ""
    return pd.DataFrame([scope]), ", ".join(notes)


def _inside(found: pd.DataFrame, scope: pd.DataFrame) -> pd.Series:
    inside = pd.Series(True, index=found.index)
    for column, pcodes in scope.iloc[0].items():
        inside &= found[column].isin(pcodes) | found["pcode"].isin(pcodes)
    return inside


def _describe(found: pd.DataFrame, reference: Reference) -> str:
    places = reference.places
    parts = []
    for pcode in sorted(found["pcode"].unique())[:6]:
        township = places.at[pcode, "township_pcode"]
        where = places.at[township, "name"] if pd.notna(township) else "-"
        parts.append(
            f"{places.at[pcode, 'name']} ({pcode}, {places.at[pcode, 'level']}, {where} township)"
        )
    return ", ".join(parts)


def _suggest(key: str, index: pd.DataFrame) -> str:
    if index.empty or not key:
        return "none"
    choices = index.drop_duplicates("key")
    hits = process.extract(key, choices["key"].tolist(), limit=3)
    return ", ".join(f"{choices['pcode'].iloc[i]} ({score:.0f})" for _, score, i in hits)


def _match(reference: Reference, pcode: str, method: str, score: float, note: str | None) -> dict:
    place = reference.places.loc[pcode]
    return {
        "outcome": "matched",
        "pcode": pcode,
        "place_name": place["name"],
        "level": place["level"],
        "match_method": method,
        "match_score": score,
        "match_note": note,
        "candidates": 1,
    }


def _reject(reason: str, message: str) -> dict:
    return {
        "outcome": reason,
        "pcode": pd.NA,
        "place_name": pd.NA,
        "level": pd.NA,
        "match_method": pd.NA,
        "match_score": pd.NA,
        "match_note": message,
        "candidates": pd.NA,
    }


def _with_admin_names(resolved: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    places = reference.places
    names = places["name"]
    for level in ("state_region", "district", "township"):
        codes = resolved["pcode"].map(places[f"{level}_pcode"])
        resolved[f"{level}_pcode"] = codes
        resolved[f"{level}_name"] = codes.map(names)
    return resolved
