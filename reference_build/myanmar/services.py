"""Health services: hospitals placed in their township and nearest town, and health workers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reference_build.myanmar.build_report import BuildReport
from reference_build.myanmar.sources import Sources

# A hospital is put in a town only when it stands this close to the town's MIMU point.
TOWN_ATTACH_KM = 5.0


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

    counts = pd.concat([per("township_pcode"), per("town_pcode")])
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
