"""The package on disk: table layout, CSV files, `metadata.json` with a version, the report."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from impact.names import folding_rules
from reference_build.myanmar.census import CENSUS_DATE, CENSUS_YEAR

PLACE_COLUMNS = """
    pcode name level parent_pcode state_region_pcode district_pcode township_pcode area_pcode
    area_level area_level_source
    population population_male population_female urban_population rural_population households
    population_0_14 population_15_64 population_65_plus population_disability population_year
    population_method population_band_pct census_coverage not_enumerated_share towns wards
    village_tracts area_km2 schools hospitals hospital_beds doctors nurses health_assistants
    health_workers lat lon source population_source
    census_coverage_source hospitals_source health_workers_source schools_source area_source
    location_source
""".split()
COUNT_COLUMNS = """
    population population_male population_female urban_population rural_population households
    population_0_14 population_15_64 population_65_plus population_disability population_year
    population_band_pct towns wards village_tracts schools hospitals hospital_beds doctors nurses
    health_assistants health_workers
""".split()


def places_table(places: pd.DataFrame) -> pd.DataFrame:
    """`places.csv` as published: whole counts, rounded coordinates and areas, fixed order."""
    places = places.copy()
    for column in COUNT_COLUMNS:
        places[column] = pd.to_numeric(places[column]).round().astype("Int64")
    for column in ("lat", "lon"):
        places[column] = pd.to_numeric(places[column]).round(5)
    places["area_km2"] = pd.to_numeric(places["area_km2"]).round(2)
    return places.reindex(columns=PLACE_COLUMNS).sort_values(["pcode", "level"])


def write_package(
    tables: dict[str, pd.DataFrame], files: dict[str, bytes], sha256: dict[str, str], out: Path
) -> None:
    """Write the tables, other files (outlines, the curated actors table) and `metadata.json`,
    whose version is a hash of everything written."""
    out.mkdir(parents=True, exist_ok=True)
    data = {
        f"{name}.csv": table.to_csv(index=False, lineterminator="\n").encode()
        for name, table in tables.items()
    } | files
    for name, content in data.items():
        (out / name).write_bytes(content)
    digest = hashlib.sha256(b"".join(data[name] for name in sorted(data))).hexdigest()[:12]
    meta = {
        "country": "Myanmar",
        "iso3": "MMR",
        "census_year": CENSUS_YEAR,
        "census_date": CENSUS_DATE,
        "pcode_release": "MIMU 9.6",
        "version": f"mmr-2014-pcodes9.6-{digest}",
        "source_sha256": sha256,
        "rows": {name: len(table) for name, table in tables.items()},
        "name_key_rules": folding_rules(),
    }
    (out / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
