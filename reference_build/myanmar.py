"""Build `reference_data/myanmar/` from the public source files in `shared/reference_sources/`.

Usage::

    python -m reference_build.myanmar SOURCES_DIR [--out reference_data/myanmar]

The sources are read, never copied: the output is the project's own tables (places, aliases,
memberships, facilities, sources) plus `build_report.md`, which lists every source row the build
could not place. Decisions that need evidence beyond the sources (which of two same-named wards
is whose, sub-township membership, figures quoted in the press) live in `myanmar_evidence/`, one
row per decision with its reasoning.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from impact.names import romanised_key

EVIDENCE_DIR = Path(__file__).with_name("myanmar_evidence")
CENSUS_YEAR = 2014
# A hospital is put in a town only when it stands this close to the town's MIMU point.
TOWN_ATTACH_KM = 5.0
# Census ward/VT spellings that differ from P-code spellings are paired when this similar.
FUZZY_UNIT_SCORE = 85.0

PLACE_COLUMNS = """
    pcode name level parent_pcode state_region_pcode district_pcode township_pcode area_pcode
    population population_male population_female urban_population rural_population households
    population_0_14 population_15_64 population_65_plus population_disability population_year
    census_coverage not_enumerated_share towns wards village_tracts area_km2 schools hospitals
    hospital_beds doctors nurses health_assistants health_workers lat lon source population_source
    census_coverage_source hospitals_source health_workers_source schools_source area_source
    location_source
""".split()
COUNT_COLUMNS = """
    population population_male population_female urban_population rural_population households
    population_0_14 population_15_64 population_65_plus population_disability population_year
    towns wards village_tracts schools hospitals hospital_beds doctors nurses health_assistants
    health_workers
""".split()
CENSUS_FIGURES = {
    "pop_t": "population",
    "pop_m": "population_male",
    "pop_f": "population_female",
    "pop_u": "urban_population",
    "pop_r": "rural_population",
    "hh_t": "households",
    "pop_0_14": "population_0_14",
    "pop_15_64": "population_15_64",
    "pop_65ab": "population_65_plus",
    "popdisab_anydiab_t": "population_disability",
}
# The census tables code Bago and Shan as one state each; P-codes split them.
CENSUS_STATE_CODES = {"MMR111": "Bago", "MMR222": "Shan"}


@dataclass
class BuildReport:
    """What the build decided and what it could not place, for `build_report.md`."""

    lines: list[str] = field(default_factory=list)
    unplaced: list[pd.DataFrame] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)


def squash(name: pd.Series) -> pd.Series:
    """Reduce a unit name to the letters and digits that survive between spellings."""
    text = name.fillna("").str.lower()
    text = text.str.replace(r"\((w|vt)\)\s*$", "", regex=True)
    text = text.str.replace(r"\b(ward|town|township|village tract)\b", "", regex=True)
    text = text.str.replace(r"\bah\s*shey\s*$", "east", regex=True)
    text = text.str.replace(r"\bah\s*nauk\s*$", "west", regex=True)
    return text.str.replace(r"[^a-z0-9]", "", regex=True)


def split_camel(name: pd.Series) -> pd.Series:
    """Turn census spellings such as 'HpaingLin(VT)' into 'Hpaing Lin'."""
    bare = name.str.replace(r"\((W|VT)\)\s*$", "", regex=True)
    return bare.str.replace(r"(?<=[a-z])(?=[A-Z(])", " ", regex=True).str.strip()


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path,
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=["", "NA", "NaN", "nan"],
    )


@dataclass
class Sources:
    """The raw source tables, read as text."""

    census: pd.DataFrame
    ward_vt_census: pd.DataFrame
    towns: pd.DataFrame
    wards: pd.DataFrame
    village_tracts: pd.DataFrame
    hospitals: pd.DataFrame
    township_health: pd.DataFrame
    files: dict[str, Path]

    @classmethod
    def read(cls, root: Path) -> Sources:
        files = {
            "census": root
            / "cartesianproduct"
            / "HouseholdPopulationbaseddatasetMIMUTownshipsabbreviated.csv",
            "ward_vt_census": root / "cartesianproduct/VT_Ward_geo.csv",
            "towns": root / "myanmar_pcode_search/pcode9.6_town_data.csv",
            "wards": root / "myanmar_pcode_search/pcode9.6_ward_data.csv",
            "village_tracts": root / "myanmar_pcode_search/pcode9.6_village_tract_data.csv",
            "hospitals": root / "mm_covid19_surveillance/Hospitals.csv",
            "township_health": root / "mm_covid19_surveillance/Covid-19_Baseline_Township_Data.csv",
        }
        missing = [str(p) for p in files.values() if not p.exists()]
        if missing:
            raise SystemExit("missing source files:\n  " + "\n  ".join(missing))
        return cls(**{key: read_csv(path) for key, path in files.items()}, files=files)


def repair_pcode_rows(src: Sources, report: BuildReport) -> None:
    """Mend two defects of the P-code CSVs: a trailing full stop on a ward P-code, and
    village-tract rows shifted one column right at the end of the file."""
    wards = src.wards
    dotted = wards["Ward_Pcode"].str.endswith(".")
    wards.loc[dotted, "Ward_Pcode"] = wards.loc[dotted, "Ward_Pcode"].str.rstrip(".")
    vts = src.village_tracts
    shifted = ~vts["VT_Pcode"].str.fullmatch(r"MMR\d{9}") & vts[
        "Village_Tract_Name_MMR"
    ].str.fullmatch(r"MMR\d{9}")
    vts.loc[shifted, ["VT_Pcode", "Village_Tract_Name_Eng", "Village_Tract_Name_MMR"]] = vts.loc[
        shifted, ["Village_Tract_Name_MMR", "VT_Pcode", "Source"]
    ].to_numpy()
    vts.loc[shifted, "Source"] = "GAD"
    report.say(
        f"P-code rows repaired: {int(dotted.sum())} ward P-code with a trailing full stop, "
        f"{int(shifted.sum())} village-tract rows shifted one column right."
    )


def active(units: pd.DataFrame) -> pd.DataFrame:
    """Drop units that the P-code release marks as deleted."""
    return units[units["Change_Type"].fillna("") != "Delete"]


def admin_units(src: Sources) -> pd.DataFrame:
    """States/regions, districts and townships from the P-code release and the census."""
    cols = [
        "SR_Pcode",
        "SR_Name_Eng",
        "District/SAZ_Pcode",
        "District/SAZ_Name_Eng",
        "Tsp_Pcode",
        "Township_Name_Eng",
    ]
    pcodes = pd.concat([active(t)[cols] for t in (src.towns, src.wards, src.village_tracts)])
    pcodes = pcodes.drop_duplicates("Tsp_Pcode")
    census = src.census.rename(
        columns={
            "pcode_dt": "District/SAZ_Pcode",
            "name_dt": "District/SAZ_Name_Eng",
            "pcode_ts": "Tsp_Pcode",
            "name_ts": "Township_Name_Eng",
            "name_st": "SR_Name_Eng",
        }
    )
    census["SR_Pcode"] = census["District/SAZ_Pcode"].str[:6]
    townships = pd.concat([pcodes, census[pcodes.columns]]).drop_duplicates("Tsp_Pcode")
    states = townships.drop_duplicates("SR_Pcode")
    # A state name from the P-code release wins over the census name of a split state.
    state_names = pcodes.drop_duplicates("SR_Pcode").set_index("SR_Pcode")["SR_Name_Eng"]
    districts = townships.drop_duplicates("District/SAZ_Pcode")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "pcode": states["SR_Pcode"],
                    "name": states["SR_Pcode"].map(state_names),
                    "level": "state_region",
                    "parent_pcode": pd.NA,
                }
            ),
            pd.DataFrame(
                {
                    "pcode": districts["District/SAZ_Pcode"],
                    "name": districts["District/SAZ_Name_Eng"],
                    "level": "district",
                    "parent_pcode": districts["SR_Pcode"],
                }
            ),
            pd.DataFrame(
                {
                    "pcode": townships["Tsp_Pcode"],
                    "name": townships["Township_Name_Eng"],
                    "level": "township",
                    "parent_pcode": townships["District/SAZ_Pcode"],
                }
            ),
        ]
    ).assign(source="mimu_pcodes_9_6")


def settlement_units(src: Sources) -> pd.DataFrame:
    """Towns, wards and village tracts of P-code release 9.6 (deleted units left out)."""
    towns = active(src.towns)
    wards = active(src.wards)
    vts = active(src.village_tracts)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "pcode": towns["Town_Pcode"],
                    "name": towns["Town_Name_Eng"],
                    "level": "town",
                    "parent_pcode": towns["Tsp_Pcode"],
                    "lat": pd.to_numeric(towns["Latitude"]),
                    "lon": pd.to_numeric(towns["Longitude"]),
                }
            ),
            pd.DataFrame(
                {
                    "pcode": wards["Ward_Pcode"],
                    "name": wards["Ward_Name_Eng"],
                    "level": "ward",
                    "parent_pcode": wards["Town_Pcode"],
                }
            ),
            pd.DataFrame(
                {
                    "pcode": vts["VT_Pcode"],
                    "name": vts["Village_Tract_Name_Eng"],
                    "level": "village_tract",
                    "parent_pcode": vts["Tsp_Pcode"],
                }
            ),
        ]
    ).assign(source="mimu_pcodes_9_6")


def drop_orphans(places: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Units whose parent the release deleted (e.g. the wards of Seikkan, a Yangon town
    deleted in 2020) have no place in the hierarchy."""
    orphan = places["parent_pcode"].notna() & ~places["parent_pcode"].isin(places["pcode"])
    report.unplaced.append(
        pd.DataFrame(
            {
                "table": "pcode9.6",
                "township": places.loc[orphan, "parent_pcode"],
                "name": places.loc[orphan, "name"] + " (" + places.loc[orphan, "pcode"] + ")",
                "population": pd.NA,
                "reason": "parent unit deleted in the P-code release",
            }
        )
    )
    report.say(f"P-code units dropped because their parent was deleted: {int(orphan.sum())}.")
    return places[~orphan]


def township_census(src: Sources) -> pd.DataFrame:
    """Township figures from the MIMU census workbook, keyed by township P-code."""
    figures = src.census[["pcode_ts", *CENSUS_FIGURES]].rename(
        columns={"pcode_ts": "pcode", **CENSUS_FIGURES}
    )
    for column in CENSUS_FIGURES.values():
        figures[column] = pd.to_numeric(figures[column]).round().astype("Int64")
    figures["population_source"] = "mimu_census_township"
    return figures


def census_unit_rows(
    src: Sources, townships: pd.DataFrame, towns: pd.DataFrame, report: BuildReport
) -> pd.DataFrame:
    """Ward/VT census rows, de-duplicated, each with the P-code of its township."""
    rows = src.ward_vt_census.copy()
    rows["kind"] = np.where(rows["Ward/VillageTract"].str.endswith("(W)"), "ward", "village_tract")
    for column in ("total_population", "male_population", "female_population"):
        rows[column] = pd.to_numeric(rows[column]).astype("Int64")
    rows["lat"] = pd.to_numeric(rows["Latitude"])
    rows["lon"] = pd.to_numeric(rows["Longitude"])
    rows["township_key"] = squash(rows["Township"])
    rows["row_id"] = np.arange(len(rows))
    named = townships.assign(township_key=squash(townships["name"]))
    candidates = (
        rows[["Township", "township_key"]]
        .drop_duplicates()
        .merge(named[["township_key", "pcode"]], on="township_key", how="left")
    )
    rows = rows.merge(candidates, on=["Township", "township_key"], how="left")
    rows = _settle_township_by_distance(rows, towns, report)
    before = len(rows)
    rows = rows.drop_duplicates(["township_pcode", "Ward/VillageTract", "total_population"])
    report.say(
        f"Ward/VT census rows: {before:,} after township matching, "
        f"{len(rows):,} once join duplicates are dropped."
    )
    return rows


def _settle_township_by_distance(
    rows: pd.DataFrame, towns: pd.DataFrame, report: BuildReport
) -> pd.DataFrame:
    """Two townships share a name (Minhla, Htantabin): take the one whose towns are nearest."""
    rows = rows.rename(columns={"pcode": "township_pcode"})
    town_points = towns.dropna(subset=["lat"]).groupby("parent_pcode")[["lat", "lon"]].mean()
    rows["distance"] = np.hypot(
        rows["lat"] - rows["township_pcode"].map(town_points["lat"]),
        rows["lon"] - rows["township_pcode"].map(town_points["lon"]),
    )
    shared = rows["row_id"].duplicated(keep=False)
    nearest = rows[shared].sort_values(["row_id", "distance"]).drop_duplicates("row_id")
    report.say(
        f"{nearest['row_id'].nunique()} ward/VT rows named a township that two states "
        "share; each was given the township whose towns lie nearest its coordinates."
    )
    return (
        pd.concat([rows[~shared], nearest])
        .sort_values("row_id")
        .drop(columns=["distance", "row_id"])
    )


def key_census_units(
    census_rows: pd.DataFrame, units: pd.DataFrame, totals: pd.DataFrame, report: BuildReport
) -> pd.DataFrame:
    """Give each census ward/VT row its P-code.

    In order: a name that one unit of the township carries and one census value; evidence for
    same-named units; elimination of values the source repeated across a district; the one
    value that completes a township's total; a clearly best spelling variant.

    Returns one row per assigned P-code with `population`, `population_male`,
    `population_female`, `census_name` and `method`.
    """
    targets = units[units["level"].isin(["ward", "village_tract"])].copy()
    targets["kind"] = targets["level"]
    targets["township_pcode"] = np.where(
        targets["level"] == "ward", targets["parent_pcode"].str[:9], targets["parent_pcode"]
    )
    targets["key"] = squash(targets["name"])
    census = census_rows.assign(key=squash(census_rows["Ward/VillageTract"]))
    census["row_id"] = np.arange(len(census))
    group = ["township_pcode", "kind", "key"]
    census["values"] = census.groupby(group)["total_population"].transform("size")
    targets["candidates"] = targets.groupby(group)["pcode"].transform("size")
    paired = census.merge(targets[[*group, "pcode", "candidates"]], on=group, how="left")

    exact = paired[(paired["values"] == 1) & (paired["candidates"] == 1)].assign(method="exact")
    evidence = _assign_by_evidence(paired[paired["candidates"] > 1], report)
    placed = pd.concat([exact, evidence])
    placed = pd.concat([placed, _assign_repeats(paired, placed, totals)])
    unnamed = census[~census.set_index(group).index.isin(targets.set_index(group).index)]
    fuzzy = _assign_fuzzy(
        unnamed[~unnamed["row_id"].isin(placed["row_id"])],
        targets[~targets["pcode"].isin(placed["pcode"])],
        report,
    )
    placed = pd.concat([placed, fuzzy])
    unplaced = census[~census["row_id"].isin(placed["row_id"])]
    report.unplaced.append(
        unplaced.assign(
            table="VT_Ward_geo.csv",
            reason=np.where(
                unplaced["township_pcode"].isna(),
                "township name not in the census",
                "no single P-code with this name in the township",
            ),
        )[["table", "Township", "Ward/VillageTract", "total_population", "reason"]].rename(
            columns={
                "Township": "township",
                "Ward/VillageTract": "name",
                "total_population": "population",
            }
        )
    )
    for method, count in placed["method"].value_counts().sort_index().items():
        report.say(f"Ward/VT census rows keyed by {method}: {count:,}.")
    report.say(f"Ward/VT census rows left unplaced: {len(unplaced):,} (listed below).")
    return pd.DataFrame(
        {
            "pcode": placed["pcode"],
            "population": placed["total_population"],
            "population_male": placed["male_population"],
            "population_female": placed["female_population"],
            "census_name": split_camel(placed["Ward/VillageTract"]),
            "method": placed["method"],
        }
    ).drop_duplicates("pcode", keep=False)


def _assign_repeats(
    paired: pd.DataFrame, placed: pd.DataFrame, totals: pd.DataFrame
) -> pd.DataFrame:
    """Settle names the source repeated with several values (its join copied a name's values
    to every same-named unit of the district).

    Repeatedly: a value placed in one township is struck from the same name's candidates in
    the other townships of its district; a unit left with one candidate takes it
    ("elimination"); a township with one open unit takes the candidate equal to its urban or
    rural total less the units already keyed ("residual").
    """
    total = {
        "ward": totals.set_index("pcode")["urban_population"],
        "village_tract": totals.set_index("pcode")["rural_population"],
    }
    open_rows = paired[(paired["candidates"] == 1) & (paired["values"] > 1)].copy()
    open_rows["district"] = open_rows["township_pcode"].str[:6]
    done = placed.copy()
    chosen: list[pd.DataFrame] = []
    while True:
        taken = done.assign(district=done["township_pcode"].str[:6])
        struck = open_rows.set_index(["district", "kind", "key", "total_population"]).index.isin(
            taken.set_index(["district", "kind", "key", "total_population"]).index
        )
        open_rows = open_rows[
            ~struck
            & ~open_rows["pcode"].isin(done["pcode"])
            & ~open_rows["row_id"].isin(done["row_id"])
        ]
        single = open_rows.groupby("pcode")["row_id"].transform("size") == 1
        step = open_rows[single].assign(method="elimination")
        if step.empty:
            step = _residual_step(open_rows, done, total)
        if step.empty:
            break
        chosen.append(step)
        done = pd.concat([done, step])
    return pd.concat(chosen) if chosen else paired.head(0).assign(method="")


def _residual_step(open_rows: pd.DataFrame, done: pd.DataFrame, total: dict) -> pd.DataFrame:
    known = done.groupby(["township_pcode", "kind"])["total_population"].sum()
    hits = []
    for (township, kind), rows in open_rows.groupby(["township_pcode", "kind"]):
        if rows["pcode"].nunique() != 1 or pd.isna(total[kind].get(township)):
            continue
        residual = total[kind][township] - known.get((township, kind), 0)
        match = rows[rows["total_population"] == residual]
        if len(match) == 1:
            hits.append(match.assign(method="residual"))
    return pd.concat(hits) if hits else open_rows.head(0).assign(method="")


def _assign_by_evidence(ambiguous: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Same-named units in one township: assign only where the evidence table decides."""
    evidence = read_csv(EVIDENCE_DIR / "ward_assignments.csv")
    evidence["census_population"] = pd.to_numeric(evidence["census_population"]).astype("Int64")
    decided = ambiguous.merge(
        evidence,
        left_on=["township_pcode", "Ward/VillageTract", "total_population", "pcode"],
        right_on=["township_pcode", "census_name", "census_population", "pcode"],
    )
    report.say(
        f"Same-named wards/VTs in one township assigned from evidence: {len(decided)} "
        "(reference_build/myanmar_evidence/ward_assignments.csv)."
    )
    return decided.assign(method="evidence")[[*ambiguous.columns, "method"]]


def _assign_fuzzy(census: pd.DataFrame, targets: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Pair leftover spellings within a township, one to one: first where the romanised keys
    are equal (Hpaing Lin / Hpai Lin differ, Kyun Taw Yae Shin / Kyun Taw Ye Shin do not),
    then where they are clearly the closest pair and start alike."""
    census = census[census["values"] == 1].assign(
        fkey=romanised_key(split_camel(census["Ward/VillageTract"]))
    )
    targets = targets.assign(fkey=romanised_key(targets["name"]))
    group = ["township_pcode", "kind", "fkey"]
    unique_census = census[~census.duplicated(group, keep=False)]
    unique_targets = targets[~targets.duplicated(group, keep=False)]
    folded = unique_census.merge(unique_targets[[*group, "pcode"]], on=group).assign(
        method="romanised"
    )
    rest = census[~census["row_id"].isin(folded["row_id"])]
    pool = targets[~targets["pcode"].isin(folded["pcode"])]
    chosen = []
    by_place = pool.groupby(["township_pcode", "kind"])
    for (township, kind), rows in rest.groupby(["township_pcode", "kind"]):
        if (township, kind) not in by_place.groups:
            continue
        options = by_place.get_group((township, kind))
        scores = process.cdist(rows["fkey"].tolist(), options["fkey"].tolist(), scorer=fuzz.ratio)
        for i, j in enumerate(scores.argmax(axis=1)):
            ranked = np.sort(scores[i])[::-1]
            runner_up = ranked[1] if len(ranked) > 1 else 0.0
            same_start = rows["fkey"].iloc[i][:1] == options["fkey"].iloc[j][:1]
            clear = scores[i, j] >= FUZZY_UNIT_SCORE and scores[i, j] - runner_up >= 5
            if clear and same_start and scores[:, j].argmax() == i:
                chosen.append(rows.iloc[i].to_dict() | {"pcode": options["pcode"].iloc[j]})
    fuzzy = pd.DataFrame(chosen, columns=[*rest.columns, "pcode"]).assign(method="fuzzy")
    report.say(
        f"Ward/VT census rows keyed by romanisation-folded spelling: {len(folded)}; by "
        f"spelling similarity >= {FUZZY_UNIT_SCORE:g} within their township: {len(fuzzy)}."
    )
    return pd.concat([folded, fuzzy])


def attach_hospitals(src: Sources, places: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Hospitals with beds, each in its township and, when close enough, its nearest town."""
    raw = src.hospitals
    hospitals = pd.DataFrame(
        {
            "facility_id": [f"H{i:04d}" for i in range(1, len(raw) + 1)],
            "name_mm": raw["hospital_name"],
            "township_pcode": raw["TS_PCODE"],
            "beds": pd.to_numeric(raw["bed"]).astype("Int64"),
            "lat": pd.to_numeric(raw["lat"]),
            "lon": pd.to_numeric(raw["long"]),
            "source": "moh_hospitals",
        }
    )
    known = hospitals["township_pcode"].isin(places.loc[places["level"] == "township", "pcode"])
    report.unplaced.append(
        pd.DataFrame(
            {
                "table": "Hospitals.csv",
                "township": raw.loc[~known, "township"],
                "name": raw.loc[~known, "hospital_name"],
                "population": pd.NA,
                "reason": "no township P-code",
            }
        )
    )
    report.say(
        f"Hospitals: {len(hospitals):,} in the list, {int(known.sum()):,} with a township "
        f"P-code, {int(hospitals['beds'].notna().sum()):,} with a bed count."
    )
    hospitals = hospitals[known].copy()
    towns = places[places["level"] == "town"].dropna(subset=["lat"])
    pairs = hospitals.reset_index().merge(
        towns[["pcode", "parent_pcode", "lat", "lon"]],
        left_on="township_pcode",
        right_on="parent_pcode",
        suffixes=("", "_town"),
    )
    pairs["distance_km"] = haversine_km(
        pairs["lat"], pairs["lon"], pairs["lat_town"], pairs["lon_town"]
    )
    nearest = pairs.sort_values(["index", "distance_km"]).drop_duplicates("index")
    nearest = nearest[nearest["distance_km"] <= TOWN_ATTACH_KM].set_index("index")
    hospitals["town_pcode"] = nearest["pcode"]
    hospitals["distance_to_town_km"] = nearest["distance_km"].round(2)
    report.say(
        f"Hospitals placed in a town (nearest town of the township within "
        f"{TOWN_ATTACH_KM:g} km): {int(hospitals['town_pcode'].notna().sum()):,}."
    )
    return hospitals


def haversine_km(lat1: pd.Series, lon1: pd.Series, lat2: pd.Series, lon2: pd.Series) -> pd.Series:
    """Great-circle distance on a 6,371 km sphere."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def service_counts(hospitals: pd.DataFrame, src: Sources) -> pd.DataFrame:
    """Hospital and bed counts per township and town; health workers per township."""

    def per(column: str) -> pd.DataFrame:
        grouped = hospitals.dropna(subset=[column]).groupby(column)
        beds = grouped["beds"].sum(min_count=1).where(grouped["beds"].count() == grouped.size())
        return pd.DataFrame({"hospitals": grouped.size(), "hospital_beds": beds})

    groups = read_csv(EVIDENCE_DIR / "subtownships.csv").set_index("seat_pcode")["pcode"]
    hospitals = hospitals.assign(group_pcode=hospitals["town_pcode"].map(groups))
    counts = pd.concat([per("township_pcode"), per("town_pcode"), per("group_pcode")])
    counts = counts.astype("Int64").assign(hospitals_source="moh_hospitals")
    health = src.township_health.set_index("TS_PCODE")
    workers = (
        pd.DataFrame(
            {
                "doctors": health["PHYSNB"],
                "nurses": health["NURSNB"],
                "health_assistants": health["HSNB"],
            }
        )
        .apply(pd.to_numeric)
        .astype("Int64")
    )
    workers["health_workers"] = workers.sum(axis=1, min_count=3).astype("Int64")
    workers["health_workers_source"] = "gad_township_health"
    return counts.join(workers, how="outer").rename_axis("pcode").reset_index()


def add_figures(places: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    """Fill figure columns by P-code; a figure already present is kept."""
    figures = figures.set_index("pcode")
    places = places.set_index("pcode")
    for column in figures.columns:
        incoming = figures[column].reindex(places.index)
        places[column] = places[column].combine_first(incoming) if column in places else incoming
    return places.reset_index()


def roll_up_towns(places: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Town population from its wards (all known) or, for a one-town township, its urban total."""
    wards = places[places["level"] == "ward"]
    grouped = wards.groupby("parent_pcode")
    complete = grouped["population"].count() == grouped.size()
    sums = grouped[["population", "population_male", "population_female"]].sum(min_count=1)
    sums = sums[complete]
    towns = places["level"] == "town"
    single = towns & ~places["parent_pcode"].where(towns).duplicated(keep=False)
    township = places.set_index("pcode")
    urban = places["parent_pcode"].map(township["urban_population"])
    from_wards = places["pcode"].map(sums["population"])
    places.loc[towns, "population"] = from_wards[towns]
    for column in ("population_male", "population_female"):
        places.loc[towns, column] = places.loc[towns, "pcode"].map(sums[column])
    places.loc[towns & from_wards.notna(), "population_source"] = "census_ward_vt"
    use_urban = single & urban.notna()
    differs = use_urban & from_wards.notna() & (from_wards != urban)
    places.loc[use_urban, "population"] = urban[use_urban]
    places.loc[use_urban, "population_source"] = "mimu_census_township"
    report.say(
        f"Towns with a population: {int(places.loc[towns, 'population'].notna().sum())} of "
        f"{int(towns.sum())} ({int(use_urban.sum())} as the urban population of a one-town "
        f"township, {int((towns & from_wards.notna() & ~use_urban).sum())} as the sum of "
        f"all their wards; {int(differs.sum())} one-town townships whose ward sum differs "
        "from the urban total keep the urban total)."
    )
    return places


def add_subtownships(
    places: pd.DataFrame, report: BuildReport
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sub-township rows and their membership, from the evidence table."""
    table = read_csv(EVIDENCE_DIR / "subtownships.csv")
    members = table.assign(member_pcode=table["members"].str.split(";")).explode("member_pcode")
    members = members[["pcode", "member_pcode", "source"]].rename(columns={"pcode": "group_pcode"})
    figures = places.set_index("pcode").loc[members["member_pcode"]]
    figures.index = members["group_pcode"]
    known = figures.groupby(level=0)["population"].count() == figures.groupby(level=0).size()
    totals = figures.groupby(level=0)[["population", "population_male", "population_female"]].sum(
        min_count=1
    )
    totals = totals.where(known)
    levels = figures.groupby(level=0)["level"]
    rows = (
        table.set_index("pcode")[["name", "parent_pcode"]]
        .join(totals)
        .assign(
            level="sub_township",
            source=table.set_index("pcode")["source"],
            population_source="census_ward_vt",
            village_tracts=levels.apply(lambda s: int((s == "village_tract").sum())),
            towns=levels.apply(lambda s: int((s == "town").sum())),
        )
    )
    report.say(
        f"Sub-townships from evidence: {len(rows)} "
        "(reference_build/myanmar_evidence/subtownships.csv)."
    )
    return pd.concat([places, rows.reset_index()]), members


def add_unit_counts(places: pd.DataFrame) -> pd.DataFrame:
    """Towns, wards and village tracts per unit, as listed in the P-code release."""
    level = places["level"]
    town_of_ward = places.loc[level == "ward", "parent_pcode"]
    wards_per_town = town_of_ward.value_counts()
    wards_per_township = town_of_ward.str[:9].value_counts()
    vts_per_township = places.loc[level == "village_tract", "parent_pcode"].value_counts()
    towns_per_township = places.loc[level == "town", "parent_pcode"].value_counts()
    is_town, is_ts = level == "town", level == "township"
    places.loc[is_town, "wards"] = places.loc[is_town, "pcode"].map(wards_per_town).fillna(0)
    places.loc[is_ts, "wards"] = places.loc[is_ts, "pcode"].map(wards_per_township).fillna(0)
    places.loc[is_ts, "village_tracts"] = places.loc[is_ts, "pcode"].map(vts_per_township).fillna(0)
    places.loc[is_ts, "towns"] = places.loc[is_ts, "pcode"].map(towns_per_township).fillna(0)
    sub = level == "sub_township"
    seats = read_csv(EVIDENCE_DIR / "subtownships.csv").set_index("pcode")["seat_pcode"]
    places.loc[sub, "wards"] = places.loc[sub, "pcode"].map(seats).map(wards_per_town)
    return places


def add_hierarchy(places: pd.DataFrame) -> pd.DataFrame:
    """State, district and township P-codes of every row, and the area governed from a town."""
    parent = places.set_index("pcode")["parent_pcode"]
    level = places.set_index("pcode")["level"]

    def ancestor(target: str) -> pd.Series:
        found = pd.Series(pd.NA, index=places.index, dtype="object")
        current = places["pcode"]
        for _ in range(6):
            hit = found.isna() & current.map(level).eq(target)
            found[hit] = current[hit]
            current = current.map(parent)
        return found

    places["state_region_pcode"] = ancestor("state_region")
    places["district_pcode"] = ancestor("district")
    places["township_pcode"] = ancestor("township")
    seats = read_csv(EVIDENCE_DIR / "seats.csv").set_index("town_pcode")["area_pcode"]
    towns = places[places["level"] == "town"]
    township_names = squash(towns["parent_pcode"].map(places.set_index("pcode")["name"]))
    is_seat = (squash(towns["name"]) == township_names) | ~towns["parent_pcode"].duplicated(
        keep=False
    )
    places.loc[towns.index[is_seat], "area_pcode"] = towns.loc[is_seat, "parent_pcode"]
    places["area_pcode"] = places["pcode"].map(seats).combine_first(places["area_pcode"])
    return places


def add_census_coverage(places: pd.DataFrame) -> pd.DataFrame:
    """Flag units in areas the 2014 census did not fully enumerate (township, else state)."""
    table = read_csv(EVIDENCE_DIR / "census_coverage.csv").set_index("pcode")
    key = places["township_pcode"].where(
        places["township_pcode"].isin(table.index), places["state_region_pcode"]
    )
    key = places["pcode"].where(places["pcode"].isin(table.index), key)
    flagged = key.isin(table.index)
    places["census_coverage"] = np.where(flagged, key.map(table["census_coverage"]), "enumerated")
    places["census_coverage_source"] = np.where(
        flagged, key.map(table["source"]), "mimu_census_township"
    )
    # The state's estimate of people not enumerated, as a share of those enumerated there: the
    # finest figure the sources give, used to widen the high estimate in flagged units.
    estimate = pd.to_numeric(table["not_enumerated_estimate"])
    state_population = places.set_index("pcode")["population"]
    share = (estimate / state_population.reindex(estimate.index)).dropna()
    places["not_enumerated_share"] = places["state_region_pcode"].map(share).where(flagged)
    places["not_enumerated_share"] = places["not_enumerated_share"].astype(float).round(4)
    return places


def sum_admin_levels(places: pd.DataFrame) -> pd.DataFrame:
    """District and state/region figures as sums of their census townships."""
    townships = places[places["level"] == "township"]
    columns = [*CENSUS_FIGURES.values(), "hospitals", "doctors", "nurses", "health_assistants"]
    for level in ("district", "state_region"):
        sums = townships.groupby(f"{level}_pcode")[columns].sum(min_count=1)
        rows = places["level"] == level
        for column in columns:
            places.loc[rows, column] = places.loc[rows, "pcode"].map(sums[column])
        places.loc[rows, "population_source"] = "mimu_census_township"
        places.loc[rows, "hospitals_source"] = "moh_hospitals"
    return places


def add_public_figures(places: pd.DataFrame) -> pd.DataFrame:
    """Figures quoted by public reporting (schools, area) where no dataset has them."""
    figures = read_csv(EVIDENCE_DIR / "public_figures.csv")
    for row in figures.itertuples():
        hit = places["pcode"] == row.pcode
        places.loc[hit, row.column] = float(row.value)
        source_column = "schools_source" if row.column == "schools" else "area_source"
        places.loc[hit, source_column] = row.source
    return places


def aliases(src: Sources, places: pd.DataFrame, unit_figures: pd.DataFrame) -> pd.DataFrame:
    """Other spellings and scripts of each place, each with its source."""
    towns, wards, vts = active(src.towns), active(src.wards), active(src.village_tracts)
    census = src.census
    health = src.township_health
    township_names = places[places["level"] == "township"].set_index("pcode")["name"]
    parts = [
        _alias(towns["Town_Pcode"], towns["Town_Name_MMR"], "my", "burmese", "mimu_pcodes_9_6"),
        _alias(wards["Ward_Pcode"], wards["Ward_Name_MMR"], "my", "burmese", "mimu_pcodes_9_6"),
        _alias(vts["VT_Pcode"], vts["Village_Tract_Name_MMR"], "my", "burmese", "mimu_pcodes_9_6"),
        _alias(
            vts["VT_Pcode"],
            vts["Previous_Village_Tract_Name_Eng"],
            "en",
            "previous_name",
            "mimu_pcodes_9_6",
        ),
        _alias(health["TS_PCODE"], health["TS_MM_NAME"], "my", "burmese", "gad_township_health"),
        _alias(health["SR_PCODE"], health["SR_MM_NAME"], "my", "burmese", "gad_township_health"),
        _alias(
            census["pcode_ts"],
            census["name_ts"].str.strip(),
            "en",
            "census_spelling",
            "mimu_census_township",
        ),
        _alias(
            unit_figures["pcode"],
            unit_figures["census_name"],
            "en",
            "census_spelling",
            "census_ward_vt",
        ),
        _alias(
            towns["Town_Pcode"],
            towns["Town_Name_Eng"].str.replace(r"\s+Town$", "", regex=True),
            "en",
            "without_suffix",
            "mimu_pcodes_9_6",
        ),
        _alias(
            township_names.index.to_series(),
            township_names + " Township",
            "en",
            "with_suffix",
            "mimu_pcodes_9_6",
        ),
    ]
    # Only a parenthesised word is another name; "No (1) Ward" holds a number, not a name.
    other = read_csv(EVIDENCE_DIR / "other_names.csv")
    parts.append(_alias(other["pcode"], other["alias"], "en", "other_name", other["source"]))
    parts += _parenthesised_aliases(places)
    table = pd.concat(parts).dropna(subset=["alias"])
    table["alias"] = table["alias"].str.strip()
    table = table[table["alias"] != ""]
    own = table["pcode"].map(places.set_index("pcode")["name"])
    table = table[(table["alias"] != own) & table["pcode"].isin(places["pcode"])]
    return table.drop_duplicates(["pcode", "alias"]).sort_values(["pcode", "alias"])


def _parenthesised_aliases(places: pd.DataFrame) -> list[pd.DataFrame]:
    """'Pang Hseng (Kyu Koke) Town' is also 'Kyu Koke' and 'Pang Hseng Town'.

    Only a bracketed part that is a name counts: not a number ('No (11) Ward'), a direction
    ('(North)') or an administrative note ('(Kokang SAZ)'); numbered names keep no outer alias.
    """
    named = places[places["name"].str.contains(r"\(", na=False)]
    inner = named["name"].str.extractall(r"\(([^)]*)\)")[0].str.strip()
    inner = inner.droplevel("match")
    qualifier = inner.str.fullmatch(
        r"(?i)(north|south|east|west|upper|lower|middle|central|old|new|"
        r"[a-z ]*(sub-township|saz|sad|kokang)[a-z ]*)"
    )
    is_name = inner.str.contains(r"[A-Za-z]{3}") & ~inner.str.contains(r"\d") & ~qualifier
    inner = inner[is_name]
    numbered = named["name"].str.contains(r"\bNo\b|\d")
    plain = named[~numbered & named.index.isin(inner.index)]
    outer = plain["name"].str.replace(r"\s*\([^)]*\)\s*", " ", regex=True).str.strip()
    return [
        _alias(
            named.loc[inner.index, "pcode"],
            inner,
            "en",
            "parenthesised",
            named.loc[inner.index, "source"],
        ),
        _alias(plain["pcode"], outer, "en", "parenthesised", plain["source"]),
    ]


def _alias(
    pcode: pd.Series, alias: pd.Series, language: str, kind: str, source: str | pd.Series
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pcode": pcode.values,
            "alias": alias.values,
            "language": language,
            "kind": kind,
            "source": source if isinstance(source, str) else source.values,
        }
    )


def check_totals(places: pd.DataFrame, report: BuildReport) -> None:
    """The checks the issue asks for: Union totals and ward/VT sums against urban/rural."""
    townships = places[places["level"] == "township"]
    report.say(
        f"Township population sum: {int(townships['population'].sum()):,} "
        f"(2014 enumerated total 50,279,900); households "
        f"{int(townships['households'].sum()):,} (10,877,832)."
    )
    units = places[places["level"].isin(["ward", "village_tract"])]
    sums = units.groupby(["township_pcode", "level"])["population"].sum(min_count=1).unstack()
    figures = townships.set_index("pcode").reindex(sums.index)
    wards_equal = sums["ward"] == figures["urban_population"]
    vts_equal = sums["village_tract"] == figures["rural_population"]
    with_figures = sums.notna().any(axis=1)
    report.say(
        f"Townships with ward/VT census figures: {int(with_figures.sum())}. Their keyed wards "
        f"sum exactly to the urban population in {int(wards_equal.sum())}, their village "
        f"tracts to the rural population in {int(vts_equal.sum())}, both in "
        f"{int((wards_equal & vts_equal).sum())} "
        f"({(wards_equal & vts_equal).sum() / max(int(with_figures.sum()), 1):.0%})."
    )


def assemble(src: Sources, report: BuildReport) -> dict[str, pd.DataFrame]:
    repair_pcode_rows(src, report)
    admin = admin_units(src)
    units = settlement_units(src)
    places = drop_orphans(pd.concat([admin, units], ignore_index=True), report)
    census_rows = census_unit_rows(
        src, places[places["level"] == "township"], places[places["level"] == "town"], report
    )
    unit_figures = key_census_units(census_rows, places, township_census(src), report)
    places = add_figures(places, township_census(src))
    places = add_figures(
        places,
        unit_figures.drop(columns=["census_name", "method"]).assign(
            population_source="census_ward_vt"
        ),
    )
    places = roll_up_towns(places, report)
    places, members = add_subtownships(places, report)
    places = add_hierarchy(places.reset_index(drop=True))
    hospitals = attach_hospitals(src, places, report)
    places = add_figures(places, service_counts(hospitals, src))
    places = add_unit_counts(places)
    places = sum_admin_levels(places)
    places = add_census_coverage(places)
    places = add_public_figures(places)
    places["population_year"] = np.where(places["population"].notna(), CENSUS_YEAR, pd.NA)
    places["location_source"] = np.where(places["lat"].notna(), "mimu_pcodes_9_6", pd.NA)
    check_totals(places, report)
    for column in COUNT_COLUMNS:
        places[column] = pd.to_numeric(places[column]).round().astype("Int64")
    for column in ("lat", "lon"):
        places[column] = pd.to_numeric(places[column]).round(5)
    places["area_km2"] = pd.to_numeric(places["area_km2"]).round(2)
    return {
        "places": places.reindex(columns=PLACE_COLUMNS).sort_values("pcode"),
        "aliases": aliases(src, places, unit_figures),
        "memberships": members.sort_values(["group_pcode", "member_pcode"]),
        "facilities": hospitals.sort_values("facility_id"),
        "sources": read_csv(EVIDENCE_DIR / "sources.csv"),
    }


def write_package(
    tables: dict[str, pd.DataFrame], src: Sources, report: BuildReport, out: Path
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    inputs = {
        key: hashlib.sha256(path.read_bytes()).hexdigest()
        for key, path in sorted(src.files.items())
    }
    tables_bytes = b"".join((out / f"{name}.csv").read_bytes() for name in sorted(tables))
    digest = hashlib.sha256(tables_bytes).hexdigest()[:12]
    meta = {
        "country": "Myanmar",
        "iso3": "MMR",
        "census_year": CENSUS_YEAR,
        "census_date": "2014-03-29",
        "pcode_release": "MIMU 9.6",
        "version": f"mmr-2014-pcodes9.6-{digest}",
        "source_sha256": inputs,
        "rows": {name: len(table) for name, table in tables.items()},
    }
    (out / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    unplaced = pd.concat(report.unplaced, ignore_index=True)
    text = [
        "# Build report: Myanmar reference data",
        "",
        "Written by `python -m reference_build.myanmar`; do not edit by hand.",
        "",
        *[f"* {line}" for line in report.lines],
        "",
        f"## Source rows not placed ({len(unplaced):,})",
        "",
        "| table | township | name | population | reason |",
        "|---|---|---|---|---|",
        *[
            f"| {r.table} | {r.township} | {r.name} | "
            f"{'' if pd.isna(r.population) else r.population} | {r.reason} |"
            for r in unplaced.itertuples()
        ],
        "",
    ]
    (out / "build_report.md").write_text("\n".join(text))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, help="folder holding the public source files")
    parser.add_argument("--out", type=Path, default=Path("reference_data/myanmar"))
    args = parser.parse_args(argv)
    src = Sources.read(args.sources)
    report = BuildReport()
    tables = assemble(src, report)
    write_package(tables, src, report, args.out)
    print("\n".join(report.lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
