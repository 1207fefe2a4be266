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
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.per_value import each_column, repeated_as_categories
from impact.reference import Reference
from impact.row_text import Coded, Piece, Plain, coded, joined_neighbours, rows_text, write_rows
from impact.schemas import MOVES_CONTROL, by_date

# Admin levels given a P-code and a name column each in impacts.csv, outer to inner.
ADMIN_LEVELS = ("state_region", "district", "township", "town", "village_tract")
# Parent links `admin_units` follows at most from a place (more than any package has levels).
ADMIN_DEPTH = 12
# Places named on the location map, those with the most people; the report lists the rest.
LABELLED = 10
COORDINATE_DECIMALS = 5
POPULATION = ["population_low", "population_central", "population_high"]
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
    codes, unique = pd.factorize(pcodes)
    distinct = pd.Series(unique)
    lineage = reference.lineage(distinct.dropna())
    villages = _village_tracts(distinct, lineage["level"].to_dict(), reference)
    if villages:
        lineage = pd.concat([lineage, reference.lineage(villages.values())])
    parent = lineage["parent_pcode"].dropna().to_dict()
    level = lineage["level"].to_dict()
    name = lineage["name"].to_dict()
    rows = {}
    for code in distinct:
        found: dict[str, str] = {}
        current = villages.get(code, code)
        for _ in range(ADMIN_DEPTH):
            if current is None or current in found.values():
                break
            unit = level.get(current)
            if unit in ADMIN_LEVELS and f"{unit}_pcode" not in found:
                found[f"{unit}_pcode"] = current
                found[f"{unit}_name"] = name.get(current)
            current = parent.get(current)
        rows[code] = found
    columns = [f"{lv}_{part}" for lv in ADMIN_LEVELS for part in ("pcode", "name")]
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(index=unique, columns=columns)
    table = repeated_as_categories(table.astype("string"), rows=len(pcodes))
    # A categorical column takes codes (-1: no place, missing), so the rows hold no text.
    return pd.DataFrame(
        {column: table[column].array.take(codes, allow_fill=True) for column in columns},
        index=pcodes.index,
    )


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
        sides: `impact.event_actors.event_sides(impacts)` (canonical gaining actor and sides).
        key: `headline_pcode` for places, `township_pcode` for townships.

    Returns:
        Indexed by `key`: `holder`, `side`, `last_change` (date), `events` (all events),
        `people_low`, `people_central`, `people_high` (counted rows; empty when unknown).
    """
    frame = impacts[[key, "date", "event_id", "change", "counted", *POPULATION]]
    frame = frame.assign(holder=sides["gaining"], side=sides["gaining_side"])
    frame = frame[frame[key].notna()]
    moved = frame[frame["change"].isin(MOVES_CONTROL)]
    last = by_date(moved).drop_duplicates(key, keep="last")
    table = last.set_index(key)[["holder", "side", "date"]].rename(columns={"date": "last_change"})
    counted = frame[frame["counted"]]
    people = counted.groupby(key)[POPULATION]
    sums = people.sum(min_count=1).rename(columns=lambda c: c.replace("population", "people"))
    table = table.join(frame.groupby(key).size().rename("events"), how="left").join(sums)
    return table.sort_index()


@dataclass(frozen=True)
class Layer:
    """A GeoJSON layer ready to write: its property names and the pieces each feature's JSON
    text is made of (see `impact.row_text`), for `count` features.

    A million features are written chunk by chunk from the pieces, never as Python strings
    nor as one text array of them all. A layer of one feature per event gives a function
    that makes its pieces when they are written (`made`): made at once, a million events'
    were held through the writing of the workbook (80 MB).
    """

    properties: list[str]
    pieces: list | Callable[[], list]
    count: int

    @classmethod
    def of_lines(cls, properties: list[str], lines: pa.Array) -> Layer:
        """A layer of features given as JSON texts."""
        return cls(properties, [Plain(lines.cast(pa.string()))], len(lines))

    def made(self) -> list:
        """The pieces, made now when the layer holds a function that makes them."""
        return self.pieces() if callable(self.pieces) else self.pieces

    @property
    def features(self) -> pa.Array:
        """Each feature's JSON text."""
        pieces = self.made()
        chunks = [
            rows_text(pieces, start, min(start + FEATURES_PER_WRITE, self.count))
            for start in range(0, self.count, FEATURES_PER_WRITE)
        ]
        return pa.concat_arrays([c.cast(pa.large_string()) for c in chunks] or [_NONE])


_NONE = pa.array([], pa.large_string())
FEATURES_PER_WRITE = 25_000  # see exports.CSV_CHUNK_ROWS


def write_geojson(layer: Layer, path: Path) -> None:
    """A FeatureCollection, one feature a line, numbers and keys in a fixed order.

    Features are built and written `FEATURES_PER_WRITE` at a time, from Arrow to the file.
    """
    pieces = joined_neighbours([*layer.made(), ",\n"], layer.count)
    with path.open("wb") as out:
        out.write(b'{"type":"FeatureCollection","features":[\n')
        write_rows(pieces, layer.count, out, FEATURES_PER_WRITE, drop_last=2)
        out.write(b"\n]}\n")


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


def _feature_pieces(geometry: Piece, properties: pd.DataFrame) -> list:
    """The pieces of each row's GeoJSON Feature line: its geometry, its properties in order."""
    parts: list = ['{"type":"Feature","geometry":', geometry, ',"properties":{']
    texts = each_column(_json_texts, [properties[column] for column in properties.columns])
    for i, (column, values) in enumerate(zip(properties.columns, texts, strict=True)):
        parts += [("," if i else "") + json.dumps(str(column)) + ":", values]
    return joined_neighbours([*parts, "}}"], len(properties))


def places_features(located: pd.DataFrame, sides: pd.DataFrame) -> Layer:
    """One Point feature per event row (null geometry when its place has no point).

    Each column's distinct values are encoded once (see `_json_texts`) and rows are built
    from them in Arrow, so a million rows cost no Python per row.
    """
    table = located.assign(gaining_side=sides["gaining_side"])
    table = table[[c for c in POINT_PROPERTIES if c in table.columns]]
    if table.empty:
        return Layer([], [], 0)
    points = located[["lon", "lat"]]  # as they are now: a later change to `located` is not seen
    return Layer(list(map(str, table.columns)), partial(_point_pieces, points, table), len(table))


def _point_pieces(points: pd.DataFrame, table: pd.DataFrame) -> list:
    point = ['{"type":"Point","coordinates":[', _json_texts(points["lon"]), ","]
    (geometry,) = joined_neighbours([*point, _json_texts(points["lat"]), "]}"], len(table) * 8)
    # A coordinate written as null means the place has no point.
    nowhere = pc.match_substring(geometry.distinct, "null")
    geometry = Coded(pc.if_else(nowhere, "null", geometry.distinct), geometry.codes)
    return _feature_pieces(geometry, table)


# What json.dumps(value, ensure_ascii=False) uses, built once: json.dumps builds a new
# encoder on every call given any option, which cost more than the encoding itself.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _json_texts(column: pd.Series) -> Piece:
    """Each value as `json.dumps(value, ensure_ascii=False)` writes it (`null` when missing),
    encoded once per distinct value: integers and booleans by Arrow, text by Arrow (quoted
    and escaped), anything else (dates, floats, mixed objects) by the json module."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_integer_dtype(column):
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        if 2 * len(uniques) > len(column):
            return Plain(pc.cast(_arrow(column), pa.string()).fill_null("null"))
        texts = pc.cast(pa.array(uniques), pa.string())
        return coded(pc.ascii_lower(texts), codes, "null")  # booleans as true/false
    if isinstance(column.dtype, pd.StringDtype):
        return _string_texts(column)
    return _distinct_value_texts(column)


def _arrow(column: pd.Series) -> pa.Array:
    """The column as one Arrow array (pandas may hold it in several chunks)."""
    values = pa.array(column)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _string_texts(column: pd.Series) -> Piece:
    """JSON strings of a text column, quoted and escaped by Arrow once per distinct value.

    In text without control characters json.dumps (ensure_ascii off) escapes only the
    backslash and the quote; a column holding a control character is left to the json module.
    """
    values = _arrow(column).dictionary_encode()
    distinct = values.dictionary.cast(pa.string())
    if pc.any(pc.match_substring_regex(distinct, "[\\x00-\\x1f]")).as_py():
        return _distinct_value_texts(column)
    escaped = pc.replace_substring(pc.replace_substring(distinct, "\\", "\\\\"), '"', '\\"')
    codes = np.asarray(values.indices.fill_null(-1), dtype=np.int64)
    return coded(pc.binary_join_element_wise('"', escaped, '"', ""), codes, "null")


def _distinct_value_texts(column: pd.Series) -> Coded:
    """Each value as JSON text, encoded once per distinct value by the json module."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = [_ENCODER.encode(_json_value(value)) for value in uniques]
    return coded(pa.array(texts, pa.string()), codes, "null")


def township_outlines(reference: Reference) -> pd.DataFrame:
    """The package's township outlines (empty when it ships none)."""
    return reference.township_outlines


def state_outlines(reference: Reference) -> pd.DataFrame:
    """The package's state/region outlines (empty when it ships none)."""
    return reference.state_outlines


def control_features(impacts: pd.DataFrame, sides: pd.DataFrame, outlines: pd.DataFrame) -> Layer:
    """One feature per township where control changed: outline, holder and side at the end.

    `outlines` holds each township's outline as GeoJSON text (`pcode`, `geojson`; see
    `impact.geography.outline_geojson`). Properties are encoded a column at a time, as for
    places.
    """
    held = holder_at_end(impacts, sides, "township_pcode")
    if held.empty:
        return Layer([], [], 0)
    names = impacts[["township_pcode", "township_name", "state_region_name"]]
    names = names.drop_duplicates("township_pcode").set_index("township_pcode")
    texts = outlines.set_index("pcode")["geojson"].reindex(held.index)
    table = pd.concat(
        [names.reindex(held.index)[["township_name", "state_region_name"]], held], axis=1
    )
    table.insert(0, "township_pcode", held.index.to_series())
    table["outline"] = np.where(texts.notna(), "MIMU 2014", "none (township created later)")
    geometries = pa.array(texts.fillna("null").to_numpy(dtype=object), type=pa.string())
    pieces = _feature_pieces(Plain(geometries), table)
    return Layer(list(map(str, table.columns)), pieces, len(table))
