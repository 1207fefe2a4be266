"""Per-event estimates: who lives in the place that changed control, and what services it has.

One unit per row (DESIGN.md §5): the headline unit is the area governed from the place named
(its township or sub-township) by default, or the place itself with `scope="town"`, and every
figure of the row — people, households, breakdowns, wards, village tracts, services, area and
the ratios — describes that unit. The named town's and the area's census figures stay beside
it as labelled context. The census figure is projected to the event date with low/central/high
growth; the band widens for the coverage margin, a fuzzy place match, a date known only to the
month or year, an estimated (not census) population, and people the 2014 census did not count.
"Affected" means living where control changed; it is not a count of displaced people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from impact.assumptions import assumption_values
from impact.coverage import unit_coverage
from impact.per_value import once_per_row, repeated_as_categories
from impact.reference import Reference
from impact.schemas import SCOPES, ResolvedEvent
from impact.services import SERVICE_COUNTS, unit_services

BREAKDOWNS = [
    "population_male",
    "population_female",
    "population_0_14",
    "population_15_64",
    "population_65_plus",
    "population_disability",
    "households",
]
CENSUS_YEAR_SUFFIX = "_2014"
SUB_TOWNSHIP = "sub_township"


def estimate(
    resolved: DataFrame[ResolvedEvent],
    reference: Reference,
    assumptions: pd.DataFrame,
    scope: str = "area",
) -> pd.DataFrame:
    """Census figures, projected ranges, breakdowns and services for each resolved event.

    Args:
        resolved: events with a `pcode` (from `resolve_places`); optional `date_start` and
            `date_end` bound an imprecise date.
        reference: the reference data package.
        assumptions: the table from `load_assumptions`.
        scope: "area" (default) or "town": the unit of every figure on a row.

    Returns the rows of `resolved` with the estimate columns of `Impact` (all but the
    counting columns, which `rollup.mark_counted` adds).
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    values = assumption_values(assumptions)
    pcodes = resolved["pcode"].unique()
    units = place_figures(pcodes, reference, scope, float(values["beds_benchmark"]))
    # A place's texts as categories: each event takes their codes, not a copy of the text.
    out = resolved.join(repeated_as_categories(units, rows=len(resolved)), on="pcode")
    not_enumerated = out["not_enumerated_share"].astype("float").to_numpy()
    out = _project(out, not_enumerated, values, reference.census_date)
    return project_breakdowns(out).drop(columns=["coverage_note", "area_note"])


def place_figures(
    pcodes: np.ndarray, reference: Reference, scope: str, beds_benchmark: float
) -> pd.DataFrame:
    """Everything an event takes from its place, worked out once per place (indexed by P-code):
    the headline unit, its census figures, breakdowns, coverage and services."""
    places = reference.places
    place = places.loc[pcodes].reset_index(drop=True)
    out = pd.DataFrame({"pcode": place["pcode"], "scope": scope})
    out["area_pcode"] = place["area_pcode"].fillna(place["pcode"])
    area, area_level, area_note = governed_areas(place, reference)
    out["area_name"] = area["name"].where(
        area_level.ne(SUB_TOWNSHIP) | area["level"].eq(SUB_TOWNSHIP),
        area["name"].str.replace(r"\s+Town$", "", regex=True) + " Sub-township",
    )
    out["area_level"] = area_level
    out["area_note"] = area_note
    out["population_town_census"] = place["population"]
    out["population_area_census"] = area["population"]
    headline = area if scope == "area" else place
    unit = with_member_sums(headline, places, reference.memberships)
    out["headline_pcode"] = unit["pcode"]
    out["headline_name"] = unit["name"]
    out["headline_level"] = unit["level"]
    out["population_census"] = unit["population"]
    out["population_method"] = _population_method(unit)
    band = unit.get("population_band_pct", np.nan)
    out["population_band_pct"] = pd.Series(band, index=unit.index, dtype="Float64")
    out["census_year"] = unit["population_year"]
    out["population_source"] = unit["population_source"]
    out["census_coverage"] = unit["census_coverage"]
    out = out.join(unit_coverage(unit, reference))
    out = _context(out, place["township_pcode"], places)
    out = _breakdowns(out, unit, place["township_pcode"].fillna(place["pcode"]), places)
    out = _unit_counts(out, unit)
    services = unit_services(
        unit, out["population_census"], reference.township_areas, beds_benchmark
    )
    return out.join(services).set_index("pcode")


def governed_areas(
    place: pd.DataFrame, reference: Reference
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The unit governed from each place, its level, and a note where it is not known.

    A sub-township is keyed by its seat town's P-code: its row in `reference.areas` when its
    members are known; otherwise the area is the seat town itself, and the note says so.
    """
    places = reference.places
    code = place["area_pcode"].fillna(place["pcode"])
    area = places.loc[code].reset_index(drop=True)
    given = place["area_level"] if "area_level" in place else pd.Series(pd.NA, index=place.index)
    level = given.astype("string").fillna(area["level"].astype("string"))
    seated = (
        (level == SUB_TOWNSHIP) & code.isin(reference.areas.index) & area["level"].ne(SUB_TOWNSHIP)
    )
    if seated.any():
        area = area.mask(seated, reference.areas.reindex(code).reset_index(drop=True))
    unknown = (level == SUB_TOWNSHIP) & area["level"].eq("town")
    name = area["name"].str.replace(r"\s+Town$", "", regex=True)
    note = (
        "area: the member units of "
        + name
        + " Sub-township are not known, so the area is the town itself"
    ).where(unknown)
    return area, level, note.astype("string")


def with_member_sums(
    headline: pd.DataFrame, places: pd.DataFrame, memberships: pd.DataFrame
) -> pd.DataFrame:
    """The headline rows, with a grouped unit's (sub-township's) empty figures summed from its
    members where every member has the figure; `schools_note` says when only some do."""
    unit = headline.copy()
    unit["schools_note"] = pd.Series(pd.NA, index=unit.index, dtype="string")
    groups = memberships.get("group_pcode", pd.Series(dtype=str))
    grouped = unit["pcode"].isin(groups) & unit["level"].eq(SUB_TOWNSHIP)
    if not grouped.any():
        return unit
    members = memberships[memberships["group_pcode"].isin(unit.loc[grouped, "pcode"])]
    columns = [c for c in ("population", *BREAKDOWNS, *SERVICE_COUNTS) if c in places]
    values = places.reindex(members["member_pcode"])[columns].astype("Float64")
    values.index = members["group_pcode"].to_numpy()
    sums = values.groupby(level=0).sum(min_count=1)
    complete = values.notna().groupby(level=0).all()
    known = values.notna().groupby(level=0).sum()
    for column in columns:
        total = sums[column].where(complete[column]).reindex(unit["pcode"]).to_numpy()
        total = pd.Series(total, index=unit.index, dtype="Float64").where(grouped)
        unit[column] = unit[column].astype("Float64").fillna(total)
    partial = (known["schools"] > 0) & ~complete["schools"] if "schools" in known else None
    if partial is not None and partial.any():
        text = (
            "schools: a figure exists for "
            + known["schools"].astype(int).astype(str)
            + " of "
            + values.groupby(level=0).size().astype(str)
            + " member units only ("
            + sums["schools"].astype("Int64").astype(str)
            + ")"
        ).where(partial)
        note = text.reindex(unit["pcode"]).to_numpy()
        unit["schools_note"] = pd.Series(note, index=unit.index, dtype="string").where(grouped)
    return unit


def _population_method(unit: pd.DataFrame) -> pd.Series:
    """How the unit's population was obtained; `census` when the package does not say."""
    known = unit["population"].notna()
    given = unit.get("population_method", pd.NA)
    method = pd.Series(given, index=unit.index, dtype="string").fillna("census")
    return method.where(known, pd.NA)


def _unit_counts(out: pd.DataFrame, unit: pd.DataFrame) -> pd.DataFrame:
    """Wards and village tracts inside the unit: a ward is one ward, a village tract one
    village tract, and a town is made of wards only."""
    level = unit["level"].to_numpy()
    wards = unit["wards"].astype("float").to_numpy()
    tracts = unit["village_tracts"].astype("float").to_numpy()
    wards = np.select([level == "ward", level == "village_tract"], [1.0, 0.0], wards)
    tracts = np.select(
        [level == "village_tract", np.isin(level, ["town", "ward"])], [1.0, 0.0], tracts
    )
    out["wards"] = pd.array(wards, dtype="Int64")
    out["village_tracts"] = pd.array(tracts, dtype="Int64")
    return out


def _context(out: pd.DataFrame, township: pd.Series, places: pd.DataFrame) -> pd.DataFrame:
    """Where the headline unit has no census figure, name the enclosing township's."""
    missing = out["population_census"].isna()
    township = township.where(missing)
    out["context_pcode"] = township
    out["context_population"] = township.map(places["population"]).astype("Int64")
    return out


def _growth_range(
    values: dict, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest growth factor from the census to a date in the window, over
    the low and high growth rates: growth is monotone in the rate and in the years, so both
    lie at the corners. After the census that is the low rate at the earliest date and the
    high rate at the latest; before it (a date mistyped, or history) the other way round."""
    corners = [
        (1 + float(values[rate])) ** years
        for rate in ("growth_low", "growth_high")
        for years in (start, end)
    ]
    return np.minimum.reduce(corners), np.maximum.reduce(corners)


def _project(
    out: pd.DataFrame, not_enumerated: np.ndarray, values: dict, census_date: pd.Timestamp
) -> pd.DataFrame:
    """low/central/high at the event date (low at the earliest, high at the latest possible).

    An estimated population widens both ends by its validated band: low divided by
    (1 + band), high multiplied by it, so low stays above zero however wide the band.
    """
    start = out["date_start"] if "date_start" in out else out["date"]
    end = out["date_end"] if "date_end" in out else out["date"]

    def years(dates: pd.Series) -> pd.Series:
        return (pd.to_datetime(dates).fillna(out["date"]) - census_date).dt.days / 365.25

    out["years_since_census"] = years(out["date"]).round(2)
    fuzzy = (out["match_method"] == "fuzzy").to_numpy() * float(values["fuzzy_match_margin"])
    margin = float(values["coverage_margin"]) + fuzzy
    base = out["population_census"].astype("float").to_numpy()
    unenumerated = np.nan_to_num(not_enumerated, nan=0.0)
    band = _estimate_band(out)
    least, most = _growth_range(values, years(start).to_numpy(), years(end).to_numpy())
    low = base * least * (1 - margin) / (1 + band)
    central = base * (1 + float(values["growth_central"])) ** years(out["date"])
    high = base * most * (1 + margin) * (1 + unenumerated) * (1 + band)
    out["population_low"] = pd.array(np.floor(low), dtype="Int64")
    out["population_central"] = pd.array(np.round(central), dtype="Int64")
    out["population_high"] = pd.array(np.ceil(high), dtype="Int64")
    window = pd.to_datetime(start).ne(pd.to_datetime(end)) & start.notna() & end.notna()
    inputs = pd.DataFrame(
        {
            "fuzzy": fuzzy > 0,
            "share": unenumerated,
            "band": band,
            "window": window.to_numpy(dtype=bool),
            "coverage": out.get("coverage_note", pd.Series(pd.NA, index=out.index)),
            "area": out.get("area_note", pd.Series(pd.NA, index=out.index)),
        },
        index=out.index,
    )
    out["band_note"] = once_per_row(_band_note, inputs)
    return out


def _estimate_band(out: pd.DataFrame) -> np.ndarray:
    """The validated relative band of an estimated population (0 for a census figure)."""
    if "population_band_pct" not in out or "population_method" not in out:
        return np.zeros(len(out))
    estimated = out["population_method"].astype("string").str.startswith("estimated")
    pct = out["population_band_pct"].astype("float").where(estimated.fillna(False).to_numpy())
    return np.nan_to_num(pct.to_numpy(float), nan=0.0) / 100


def _band_note(inputs: pd.DataFrame) -> pd.Series:
    """Why a row's range is wider than the coverage margin alone, in words (the columns of
    `inputs` as `_project` builds them), with the note on the unit's area after it."""
    reason = inputs["coverage"].astype("string").fillna("state partly not enumerated in 2014")
    band_pct = (inputs["band"] * 100).round().astype(int).astype(str)
    share = inputs["share"]
    parts = pd.DataFrame(
        {
            "estimate": (
                "widened ±" + band_pct + "%: estimated population, not a census figure"
            ).where(inputs["band"] > 0, ""),
            "fuzzy": np.where(inputs["fuzzy"], "widened: fuzzy place match", ""),
            "unenumerated": (
                "high raised " + (share * 100).round().astype(int).astype(str) + "%: " + reason
            ).where(share > 0, ""),
            "window": np.where(
                inputs["window"], "low at the earliest, high at the latest possible date", ""
            ),
            "area": inputs["area"].astype("string").fillna(""),
        },
        index=inputs.index,
    )
    return _join_parts(parts)


def _join_parts(parts: pd.DataFrame) -> pd.Series:
    """Join the non-empty strings of each row with '; ' (NA when all are empty)."""
    text = parts.astype(str)
    joined = ["; ".join(p for p in row if p) for row in text.itertuples(index=False)]
    result = pd.Series(joined, index=parts.index, dtype="string")
    return result.where(result != "", pd.NA)


def _breakdowns(
    out: pd.DataFrame, unit: pd.DataFrame, township_pcode: pd.Series, places: pd.DataFrame
) -> pd.DataFrame:
    """2014 breakdowns of the unit: its census figures, or its township's shares applied.

    A derived male count is the unit's population less its derived female count, so the two
    always add up to the total.
    """
    township = places.loc[township_pcode].reset_index(drop=True)
    base = out["population_census"].astype("float").to_numpy()
    derived = {}
    for column in BREAKDOWNS:
        own = unit[column].astype("float").to_numpy()
        share = (township[column] / township["population"]).astype("float").to_numpy()
        use_share = np.isnan(own) & ~np.isnan(share * base)
        out[column + CENSUS_YEAR_SUFFIX] = np.round(np.where(use_share, base * share, own))
        derived[column] = np.where(use_share, column.replace("population_", ""), "")
    male_derived = derived["population_male"] != ""
    female = out["population_female" + CENSUS_YEAR_SUFFIX].to_numpy()
    male = out["population_male" + CENSUS_YEAR_SUFFIX].to_numpy()
    out["population_male" + CENSUS_YEAR_SUFFIX] = np.where(male_derived, base - female, male)
    for column in BREAKDOWNS:
        census = out[column + CENSUS_YEAR_SUFFIX]
        out[column + CENSUS_YEAR_SUFFIX] = pd.array(census, dtype="Int64")
    names = once_per_row(_join_parts, pd.DataFrame(derived, index=out.index))
    names = names.str.replace("; ", ", ")
    method = ("township shares applied: " + names).fillna("census figures of the unit")
    out["breakdown_method"] = method.where(out["population_census"].notna(), pd.NA)
    return out


def project_breakdowns(out: pd.DataFrame) -> pd.DataFrame:
    """Breakdowns at the event date: each 2014 figure times the central projection factor.

    Women are rounded and men are the central figure less women, so women + men equal the
    central headline whenever the 2014 figures add up to the 2014 total.
    """
    base = out["population_census"].astype("float")
    central = out["population_central"].astype("float")
    factor = (central / base).to_numpy()
    for column in BREAKDOWNS:
        census = out[column + CENSUS_YEAR_SUFFIX].astype("float").to_numpy()
        out[column] = pd.array(np.round(census * factor), dtype="Int64")
    male = out["population_male" + CENSUS_YEAR_SUFFIX].astype("float")
    female = out["population_female" + CENSUS_YEAR_SUFFIX].astype("float")
    adds_up = (male + female == base).to_numpy()
    remainder = central.to_numpy() - out["population_female"].astype("float").to_numpy()
    male_now = np.where(adds_up, remainder, out["population_male"].astype("float").to_numpy())
    out["population_male"] = pd.array(male_now, dtype="Int64")
    return out
