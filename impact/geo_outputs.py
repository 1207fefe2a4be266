"""Where each event happened, for maps, dashboards and GIS: points, admin units and outlines.

`located_impacts` adds the matched place's point and every admin level's P-code and name to the
per-event table (one unit per column, so a dashboard can filter by township without parsing a
mixed-level P-code). `places_geojson` writes the events' places as points with the row's
figures and `control_geojson` the outlines of townships where control changed, with the holder
and side at the end of the period: both RFC 7946 FeatureCollections (longitude first, WGS 84)
that QGIS and HDX read as they are. Health facility points are never written here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from impact.reference import Reference
from impact.schemas import MOVES_CONTROL

# Admin levels given a P-code and a name column each in impacts.csv, outer to inner.
ADMIN_LEVELS = ("state_region", "district", "township", "town", "village_tract")
COORDINATE_DECIMALS = 5
POINT_PROPERTIES = [
    "event_id", "date", "place_name", "pcode", "level", "state_region_name", "township_name",
    "change", "gaining_actor", "losing_actor", "gaining_side", "population_low",
    "population_central", "population_high", "households", "hospitals", "hospital_beds",
    "counted", "not_counted_reason",
]  # fmt: skip


def admin_units(pcodes: pd.Series, reference: Reference) -> pd.DataFrame:
    """P-code and name of each admin level containing each place (itself included).

    Works once per distinct P-code by walking the package's parent links; a village takes its
    village tract from the villages table.

    Returns:
        A frame indexed like `pcodes` with `<level>_pcode` and `<level>_name` per
        `ADMIN_LEVELS` (empty where the place is not inside such a unit).
    """
    places = reference.places.set_index("pcode")
    parent = places["parent_pcode"].dropna().to_dict()
    level = places["level"].to_dict()
    name = places["name"].to_dict()
    distinct = pd.Series(pcodes.dropna().unique())
    villages = _village_tracts(distinct, level, reference)
    rows = {}
    for code in distinct:
        found: dict[str, str] = {}
        current = villages.get(code, code)
        for _ in range(12):
            if current is None or current in found.values():
                break
            unit = level.get(current)
            if unit in ADMIN_LEVELS and f"{unit}_pcode" not in found:
                found[f"{unit}_pcode"] = current
                found[f"{unit}_name"] = name.get(current)
            current = parent.get(current)
        rows[code] = found
    columns = [f"{lv}_{part}" for lv in ADMIN_LEVELS for part in ("pcode", "name")]
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
    return table.reindex(pcodes.to_numpy()).set_axis(pcodes.index).astype("string")


def _village_tracts(distinct: pd.Series, level: dict, reference: Reference) -> dict:
    """Village P-code -> its village tract, only when some place is a village."""
    villages = [c for c in distinct if level.get(c) is None]
    if not villages:
        return {}
    table = reference.villages
    found = table[table["village_pcode"].isin(villages)]
    return dict(zip(found["village_pcode"], found["village_tract_pcode"], strict=True))


def place_points(pcodes: pd.Series, reference: Reference) -> pd.DataFrame:
    """Latitude and longitude of each place's own point (towns, villages), empty otherwise.

    A township or village tract has no point in the reference data, so it stays empty rather
    than getting an invented centre. Facility points are never used.
    """
    located = reference.places.dropna(subset=["lat", "lon"]).set_index("pcode")[["lat", "lon"]]
    distinct = pcodes.dropna().unique()
    missing = [c for c in distinct if c not in reference.places.index]  # villages, if any
    if missing and not reference.villages.empty:
        villages = reference.villages.dropna(subset=["lat", "lon"])
        villages = villages[villages["village_pcode"].isin(missing)]
        located = pd.concat([located, villages.set_index("village_pcode")[["lat", "lon"]]])
    points = located[~located.index.duplicated()].reindex(pcodes.to_numpy())
    return points.astype(float).round(COORDINATE_DECIMALS).set_axis(pcodes.index)


def located_impacts(impacts: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """`impacts` with `lat`, `lon` and every admin level's P-code and name.

    The new columns follow `township_name`; existing admin columns are kept as they are.
    """
    units = admin_units(impacts["pcode"], reference)
    added = pd.concat([place_points(impacts["pcode"], reference), units], axis=1)
    added = added[[c for c in added.columns if c not in impacts.columns]]
    after = list(impacts.columns).index("township_name") + 1 if "township_name" in impacts else 0
    columns = list(impacts.columns)
    out = pd.concat([impacts, added], axis=1)
    return out[[*columns[:after], *added.columns, *columns[after:]]]


def holder_at_end(impacts: pd.DataFrame, sides: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per unit in column `key`, who holds it after its last event that moved control.

    Args:
        impacts: the per-event table (date order).
        sides: `impact.charts.event_sides(impacts)` (canonical gaining actor and sides).
        key: `headline_pcode` for places, `township_pcode` for townships.

    Returns:
        Indexed by `key`: `holder`, `side`, `last_change` (date), `events` (all events),
        `people_low`, `people_central`, `people_high` (counted rows; empty when unknown).
    """
    frame = impacts.assign(holder=sides["gaining"], side=sides["gaining_side"])
    frame = frame[frame[key].notna()]
    moved = frame[frame["change"].isin(MOVES_CONTROL)]
    last = moved.sort_values(["date", "event_id"]).drop_duplicates(key, keep="last")
    table = last.set_index(key)[["holder", "side", "date"]].rename(columns={"date": "last_change"})
    counted = frame[frame["counted"]]
    people = counted.groupby(key)[["population_low", "population_central", "population_high"]]
    sums = people.sum(min_count=1).rename(columns=lambda c: c.replace("population", "people"))
    table = table.join(frame.groupby(key).size().rename("events"), how="left").join(sums)
    return table.sort_index()


@dataclass(frozen=True)
class Layer:
    """A GeoJSON layer ready to write: its property names and each feature as JSON text."""

    properties: list[str]
    features: list[str]


def write_geojson(layer: Layer, path: Path) -> None:
    """A FeatureCollection, one feature a line, numbers and keys in a fixed order."""
    body = ",\n".join(layer.features)
    path.write_text(
        '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n", encoding="utf-8"
    )


def _layer(features: list[dict]) -> Layer:
    keys = dict.fromkeys(k for f in features for k in f["properties"])
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    return Layer(list(keys), lines)


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _properties(row: pd.Series) -> dict:
    return {str(k): _json_value(v) for k, v in row.items()}


def places_features(located: pd.DataFrame, sides: pd.DataFrame) -> Layer:
    """One Point feature per event row (null geometry when its place has no point).

    Built a column at a time: each distinct value of a column is encoded as JSON once and
    the features are joined element-wise in Arrow, so a million rows cost no Python per row.
    """
    table = located.assign(gaining_side=sides["gaining_side"])
    table = table[[c for c in POINT_PROPERTIES if c in table.columns]]
    if table.empty:
        return Layer([], [])
    lon, lat = _json_texts(located["lon"]), _json_texts(located["lat"])
    point = pc.binary_join_element_wise('{"type":"Point","coordinates":[', lon, ",", lat, "]}", "")
    nowhere = pc.or_(pc.equal(lon, "null"), pc.equal(lat, "null"))
    geometry = pc.if_else(nowhere, "null", point)
    parts: list = ['{"type":"Feature","geometry":', geometry, ',"properties":{']
    for i, column in enumerate(table.columns):
        parts += [("," if i else "") + json.dumps(str(column)) + ":", _json_texts(table[column])]
    lines = pc.binary_join_element_wise(*parts, "}}", "")
    return Layer(list(map(str, table.columns)), lines.to_pylist())


def _json_texts(column: pd.Series) -> pa.Array:
    """Each value as JSON text (`null` when missing), encoded once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = [json.dumps(_json_value(value), ensure_ascii=False) for value in uniques]
    encoded = np.array([*texts, "null"], dtype=object)
    return pa.array(encoded[np.where(codes >= 0, codes, len(texts))], type=pa.string())


def township_outlines(reference: Reference) -> pd.DataFrame:
    """The package's township outlines (empty when it ships none)."""
    return reference.township_outlines


def state_outlines(reference: Reference) -> pd.DataFrame:
    """The package's state/region outlines (empty when it ships none)."""
    return reference.state_outlines


def control_features(impacts: pd.DataFrame, sides: pd.DataFrame, outlines: pd.DataFrame) -> Layer:
    """One feature per township where control changed: outline, holder and side at the end."""
    held = holder_at_end(impacts, sides, "township_pcode")
    names = impacts.drop_duplicates("township_pcode").set_index("township_pcode")
    shapes = outlines.set_index("pcode")["geometry"] if len(outlines) else pd.Series(dtype=object)
    features = []
    for pcode, row in held.iterrows():
        shape = shapes.get(pcode)
        properties = {
            "township_pcode": pcode,
            "township_name": names.at[pcode, "township_name"],
            "state_region_name": names.at[pcode, "state_region_name"],
            **row.to_dict(),
            "outline": "MIMU 2014" if shape is not None else "none (township created later)",
        }
        geometry = json.loads(shapely.to_geojson(shape)) if shape is not None else None
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": _properties(pd.Series(properties)),
            }
        )
    return _layer(features)
