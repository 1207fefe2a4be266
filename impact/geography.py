"""Points and outlines of a reference package: which township holds a point, what is near it.

Event sheets (ACLED always) carry latitude/longitude. This module places such points in the
package's township outlines and measures how far they are from named places, so resolution
can use a point as a hint or flag a named match that lies elsewhere. Every question is asked
once per unique rounded point (5 decimals, about 1 m), so a million rows cost what their
distinct points cost.

Outlines are MIMU's 2014 townships: townships created later have none, and a point in their
area falls in the 2014 township they were carved from (`townships_without_outline` says
which one).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from impact.errors import ReferenceDataError

TOWNSHIP_OUTLINES = "townships.geojson"
STATE_OUTLINES = "states_regions.geojson"
EARTH_RADIUS_KM = 6371.0088
POINT_DECIMALS = 5
# Haversine matrices are computed in blocks of at most this many point-place pairs.
BLOCK_PAIRS = 2_000_000
NEAREST_COLUMNS = ["pcode", "name", "level", "distance_km"]

ArrayLike = Sequence[float] | np.ndarray | pd.Series


class Geography:
    """Township outlines and place points of one reference package.

    Attributes:
        outlines: one row per township outline (`pcode`, `name`, `state_region_pcode`,
            `district_pcode`, `area_km2`, `geometry`), sorted by P-code; empty when the
            package ships no `townships.geojson`.
        points: every place with coordinates (`pcode`, `name`, `level`, `township_pcode`,
            `lat`, `lon`): towns from places, villages from the villages table.
        townships: the package's township places (`pcode`, `name`).
    """

    def __init__(
        self, outlines: pd.DataFrame, points: pd.DataFrame, townships: pd.DataFrame
    ) -> None:
        self.outlines = outlines.reset_index(drop=True)
        self.points = points.reset_index(drop=True)
        self.townships = townships.reset_index(drop=True)
        self._shapes = self.outlines["geometry"].to_numpy() if len(outlines) else np.array([])
        shapely.prepare(self._shapes)
        self._bounds = shapely.bounds(self._shapes).reshape(-1, 4)
        self._tree = shapely.STRtree(self._shapes)
        self._margins: dict[float, shapely.Geometry] = {}
        first = ~self.points["pcode"].duplicated()
        self._point_index = pd.Series(
            self.points.index[first], index=self.points["pcode"][first].to_numpy()
        )

    @property
    def has_outlines(self) -> bool:
        """Whether points can be placed in townships (the package ships outlines)."""
        return len(self.outlines) > 0

    @cached_property
    def townships_without_outline(self) -> pd.DataFrame:
        """Townships of the package with no outline, and the outline their places fall in.

        Columns `pcode`, `name` and `within_outline`: the outlined township holding most of
        the township's own towns and villages (NA when none of them has coordinates), which
        is where `township_of` places a point in its area.
        """
        missing = self.townships[~self.townships["pcode"].isin(self.outlines["pcode"])]
        missing = missing[["pcode", "name"]].copy()
        own = self.points[self.points["township_pcode"].isin(missing["pcode"])]
        within = pd.Series(pd.NA, index=missing["pcode"], dtype="string")
        if self.has_outlines and len(own):
            held = own.assign(within=self.township_of(own["lat"], own["lon"]).to_numpy())
            counts = held.dropna(subset=["within"]).value_counts(["township_pcode", "within"])
            top = counts.reset_index().drop_duplicates("township_pcode")
            within.update(top.set_index("township_pcode")["within"])
        missing["within_outline"] = pd.array(within.to_numpy(), dtype="string")
        return missing.sort_values("pcode").reset_index(drop=True)

    def township_of(self, lat: ArrayLike, lon: ArrayLike, snap_km: float = 1.0) -> pd.Series:
        """The township P-code of each point by point-in-polygon (NA outside every outline).

        Outlines are simplified to about 100 m and coasts and borders are drawn coarsely, so
        a point just outside every outline goes to the nearest one when it is at most about
        `snap_km` away (0 turns this off); a point farther out, e.g. in the sea, stays NA.
        A point on a shared border goes to the township with the smaller P-code, so the
        answer is deterministic.

        Raises:
            ReferenceDataError: the package has no township outlines.
        """
        if not self.has_outlines:
            raise ReferenceDataError(
                "this reference package has no township outlines, so coordinates cannot be "
                f"placed in townships; add {TOWNSHIP_OUTLINES} to the package to use them",
            )
        index, lat, lon = _aligned(lat, lon)
        codes, unique_lat, unique_lon = _unique_points(lat, lon)
        found = self._containing(unique_lat, unique_lon)
        if snap_km > 0:
            outside = np.flatnonzero(found < 0)
            found[outside] = self._nearest_outline(
                unique_lat[outside], unique_lon[outside], snap_km
            )
        pcodes = self.outlines["pcode"].to_numpy(dtype=object)
        answer = np.full(len(unique_lat), pd.NA, dtype=object)
        answer[found >= 0] = pcodes[found[found >= 0]]
        result = np.full(len(lat), pd.NA, dtype=object)
        result[codes >= 0] = answer[codes[codes >= 0]]
        return pd.Series(result, index=index, dtype="string", name="township_pcode")

    def _containing(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Position in `outlines` of the first outline holding each point, -1 for none.

        Candidates come from each outline's bounding box over the points sorted by longitude:
        unlike a tree query this builds no point objects, which cost more than the tests.
        Outlines are in P-code order and a placed point is not tested again, so a point on a
        shared border goes to the smaller P-code.
        """
        found = np.full(len(lat), -1, dtype=np.int64)
        order = np.argsort(lon, kind="stable")
        sorted_lon = lon[order]
        for position, (shape, box) in enumerate(zip(self._shapes, self._bounds, strict=True)):
            start = np.searchsorted(sorted_lon, box[0], side="left")
            stop = np.searchsorted(sorted_lon, box[2], side="right")
            strip = order[start:stop]
            strip = strip[(lat[strip] >= box[1]) & (lat[strip] <= box[3]) & (found[strip] < 0)]
            if len(strip):
                found[strip[shapely.intersects_xy(shape, lon[strip], lat[strip])]] = position
        return found

    def _nearest_outline(self, lat: np.ndarray, lon: np.ndarray, snap_km: float) -> np.ndarray:
        """Position of the nearest outline within `snap_km` of each point, -1 for none."""
        found = np.full(len(lat), -1, dtype=np.int64)
        # Degrees of latitude; a degree of longitude is shorter, so this errs on the near side.
        within = snap_km / (np.pi * EARTH_RADIUS_KM / 180)
        if within not in self._margins:
            margin = shapely.buffer(shapely.union_all(self._shapes), within, quad_segs=2)
            shapely.prepare(margin)
            self._margins[within] = margin
        near = np.flatnonzero(shapely.intersects_xy(self._margins[within], lon, lat))
        if not len(near):
            return found
        point_idx, shape_idx = self._tree.query_nearest(
            shapely.points(lon[near], lat[near]), max_distance=within, all_matches=True
        )
        order = np.lexsort((shape_idx, point_idx))
        first_points, first = np.unique(point_idx[order], return_index=True)
        found[near[first_points]] = shape_idx[order][first]
        return found

    def distance_km(self, lat: ArrayLike, lon: ArrayLike, pcode: ArrayLike | str) -> pd.Series:
        """Great-circle distance in km from each point to a place's point.

        Args:
            lat: latitudes in degrees.
            lon: longitudes in degrees.
            pcode: one P-code for all points, or one per point (a town, village or any
                place with coordinates); NA where the place has no point.
        """
        index, lat, lon = _aligned(lat, lon)
        codes = np.full(len(lat), pcode, dtype=object) if isinstance(pcode, str) else pcode
        position = self._point_index.reindex(pd.Series(codes, dtype="string"))
        known = position.notna().to_numpy()
        rows = position[known].astype(int).to_numpy()
        distance = np.full(len(lat), np.nan)
        distance[known] = haversine_km(
            lat[known],
            lon[known],
            self.points["lat"].to_numpy()[rows],
            self.points["lon"].to_numpy()[rows],
        )
        return pd.Series(distance, index=index, dtype="Float64", name="distance_km")

    def nearest_places(
        self,
        lat: ArrayLike,
        lon: ArrayLike,
        township_pcode: ArrayLike | None = None,
        levels: Sequence[str] = ("town", "village"),
        max_km: float = 10.0,
    ) -> pd.DataFrame:
        """The nearest place of the given levels to each point, within its township.

        Args:
            lat: latitudes in degrees.
            lon: longitudes in degrees.
            township_pcode: the township to search for each point; by default the township
                whose outline holds the point.
            levels: place levels to consider (`town`, `village`, or any level with points).
            max_km: farther places are not an answer.

        Returns:
            One row per point, aligned with the input: `pcode`, `name`, `level`,
            `distance_km`, all NA when no place of those levels lies within `max_km`.
        """
        index, lat, lon = _aligned(lat, lon)
        townships = (
            self.township_of(lat, lon).to_numpy(dtype=object)
            if township_pcode is None
            else pd.Series(township_pcode, dtype="string").to_numpy(dtype=object)
        )
        codes, unique_lat, unique_lon = _unique_points(lat, lon)
        queries = pd.DataFrame({"point": codes, "township": townships})
        usable = (queries["point"] >= 0) & queries["township"].notna()
        unique = queries[usable].drop_duplicates(ignore_index=True)
        place, km = self._nearest_by_township(
            unique_lat[unique["point"]], unique_lon[unique["point"]], unique["township"], levels
        )
        unique["place"] = np.where(km <= max_km, place, -1)
        unique["distance_km"] = np.where(km <= max_km, km, np.nan)
        found = queries.merge(unique, how="left", on=["point", "township"])
        return self._described(found, index)

    def _nearest_by_township(
        self, lat: np.ndarray, lon: np.ndarray, township: pd.Series, levels: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row in `points` of the nearest candidate to each point (-1 for none), and its km."""
        candidates = self.points[self.points["level"].isin(list(levels))]
        groups = candidates.groupby("township_pcode", sort=False).indices
        place = np.full(len(lat), -1, dtype=np.int64)
        distance = np.full(len(lat), np.inf)
        for code, rows in township.groupby(township, sort=False).indices.items():
            members = groups.get(code)
            if members is None:
                continue
            near = candidates.iloc[members]
            nearest, km = _nearest(lat[rows], lon[rows], near["lat"], near["lon"])
            place[rows] = near.index.to_numpy()[nearest]
            distance[rows] = km
        return place, distance

    def _described(self, found: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
        place = found["place"].fillna(-1).astype(np.int64).to_numpy()
        known = place >= 0
        out = pd.DataFrame(index=index)
        for column in NEAREST_COLUMNS[:3]:
            values = np.full(len(place), None, dtype=object)
            values[known] = self.points[column].to_numpy(dtype=object)[place[known]]
            out[column] = pd.array(values, dtype="string")
        out["distance_km"] = pd.array(found["distance_km"].round(3).to_numpy(), dtype="Float64")
        return out


def _nearest(
    lat: np.ndarray, lon: np.ndarray, place_lat: pd.Series, place_lon: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Position of the nearest place to each point, and its distance (blocks bound memory)."""
    plat, plon = place_lat.to_numpy(dtype=float), place_lon.to_numpy(dtype=float)
    nearest = np.empty(len(lat), dtype=np.int64)
    km = np.empty(len(lat))
    step = max(1, BLOCK_PAIRS // max(1, len(plat)))
    for start in range(0, len(lat), step):
        block = slice(start, start + step)
        matrix = haversine_km(lat[block, None], lon[block, None], plat[None, :], plon[None, :])
        nearest[block] = matrix.argmin(axis=1)
        km[block] = matrix[np.arange(len(matrix)), nearest[block]]
    return nearest, km


def haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km (broadcasting numpy arrays of degrees)."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _aligned(lat: ArrayLike, lon: ArrayLike) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The caller's index and the coordinates as floats (unparseable values become NaN)."""
    index = lat.index if isinstance(lat, pd.Series) else pd.RangeIndex(len(lat))
    lat_values = pd.to_numeric(pd.Series(np.asarray(lat, dtype=object)), errors="coerce")
    lon_values = pd.to_numeric(pd.Series(np.asarray(lon, dtype=object)), errors="coerce")
    if len(lat_values) != len(lon_values):
        raise ValueError("lat and lon must have the same length")
    return index, lat_values.to_numpy(dtype=float), lon_values.to_numpy(dtype=float)


def _unique_points(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of each point among the unique rounded points (-1 when unusable), and those points."""
    usable = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    scale = 10**POINT_DECIMALS
    key = np.where(
        usable,
        (np.round(np.where(usable, lat, 0) * scale).astype(np.int64) + 90 * scale) * (361 * scale)
        + np.round(np.where(usable, lon, 0) * scale).astype(np.int64)
        + 180 * scale,
        -1,
    )
    codes, uniques = pd.factorize(key, sort=True)
    keep = uniques >= 0
    mapping = np.full(len(uniques), -1)
    mapping[keep] = np.arange(keep.sum())
    codes = np.where(codes >= 0, mapping[codes], -1)
    uniques = uniques[keep]
    unique_lat = (uniques // (361 * scale) - 90 * scale) / scale
    unique_lon = (uniques % (361 * scale) - 180 * scale) / scale
    return codes, unique_lat, unique_lon


def read_outlines(path: Path) -> pd.DataFrame:
    """Township outlines from a GeoJSON FeatureCollection (empty when the file is absent)."""
    columns = ["pcode", "name", "state_region_pcode", "district_pcode", "area_km2", "geometry"]
    if not path.exists():
        return pd.DataFrame(columns=columns)
    try:
        text = path.read_text(encoding="utf-8")
        collection = _parsed_with_collector_paused(text)
        features = collection["features"]
        table = pd.DataFrame([feature["properties"] for feature in features])
        table["geometry"] = _feature_geometries(text, collection)
    except (ValueError, KeyError, TypeError, shapely.errors.GEOSException) as error:
        raise ReferenceDataError(
            f"not a readable GeoJSON FeatureCollection ({error})", file=str(path)
        ) from error
    table["pcode"] = table["pcode"].astype("string")
    return table.reindex(columns=columns).sort_values("pcode").reset_index(drop=True)


def outline_geojson(outlines: pd.DataFrame) -> pd.DataFrame:
    """Each outline's geometry as compact GeoJSON text (`pcode`, `geojson`; NA without a
    geometry), the first outline of a P-code only. Kept with the package's tables.

    GEOS writes all of them in one call; its text is then read and written by the json
    module so that every number is Python's shortest form (GEOS may write a longer one).
    """
    first = outlines[~outlines["pcode"].duplicated()]
    shapes = first["geometry"]
    present = shapes.notna().to_numpy()
    texts = np.full(len(shapes), None, dtype=object)
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    written = shapely.to_geojson(shapes.to_numpy()[present])
    texts[present] = [encoder.encode(json.loads(text)) for text in written]
    return pd.DataFrame(
        {"pcode": first["pcode"].astype("string").array, "geojson": pd.array(texts, "string")}
    )


def _parsed_with_collector_paused(text: str) -> object:
    """`json.loads(text)` with Python's cyclic garbage collector paused meanwhile.

    An outline file parses into hundreds of thousands of small lists that all live until
    the parse ends; the collector scanned them again and again, which took four times as
    long as the parse itself when a run had much in memory. It is switched back on at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text)
    finally:
        if enabled:
            gc.enable()


def _feature_geometries(text: str, collection: dict) -> np.ndarray:
    """The geometry of each feature of a parsed FeatureCollection, in feature order.

    GEOS reads the file's own text in one pass: writing each geometry back to JSON for it,
    one feature at a time, cost more than reading the whole file. GEOS yields the features'
    geometries as one collection; should it fail, or not hold exactly one per feature, each
    geometry is read on its own (which gives the same shapes, or the error to report).
    """
    features = collection["features"]
    if collection.get("type") == "FeatureCollection":
        whole = shapely.from_geojson(text, on_invalid="ignore")
        if whole is not None and shapely.get_num_geometries(whole) == len(features):
            return shapely.get_geometry(whole, np.arange(len(features)))
    return shapely.from_geojson([json.dumps(feature["geometry"]) for feature in features])


def place_points(places: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """Every place and village with coordinates, in one table (`pcode`, `name`, `level`, ...)."""
    columns = ["pcode", "name", "level", "township_pcode", "lat", "lon"]
    located = places.reindex(columns=columns).dropna(subset=["lat", "lon"])
    village_points = (
        villages.rename(columns={"village_pcode": "pcode"})
        .assign(level="village")
        .reindex(columns=columns)
        .dropna(subset=["lat", "lon"])
    )
    points = pd.concat([located, village_points], ignore_index=True)
    for column in columns[:4]:
        points[column] = points[column].astype("string")
    points[["lat", "lon"]] = points[["lat", "lon"]].astype(float)
    return points


def load_geography(
    outlines: pd.DataFrame, places: pd.DataFrame, villages: pd.DataFrame
) -> Geography:
    """The geography of a reference package from its township outlines (may be empty), places
    and villages (may be empty)."""
    # A sub-township the release codes itself (Chinshwehaw) is drawn by no outline either;
    # one keyed by its seat town's P-code is not a unit of this kind.
    coded = places["level"].isin(["township", "sub_township"]) & ~places["pcode"].duplicated(
        keep=False
    )
    townships = places.loc[coded, ["pcode", "name"]]
    return Geography(outlines, place_points(places, villages), townships)
