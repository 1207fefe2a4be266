"""Township outlines and place points: the bundled GeoJSON, point-in-township, nearest places."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import impact
from impact.errors import ReferenceDataError

BUNDLED = Path(__file__).resolve().parents[1] / "reference_data" / "myanmar"
TAMU = "MMR005030"


@pytest.fixture(scope="module")
def geography(reference):
    return reference.geography


def town_point(reference, pcode: str) -> tuple[float, float]:
    town = reference.places.loc[pcode]
    return float(town["lat"]), float(town["lon"])


def test_tamu_and_khampat_town_points_fall_in_tamu_township(reference, geography):
    tamu, khampat = town_point(reference, "MMR005030701"), town_point(reference, "MMR005030703")
    found = geography.township_of([tamu[0], khampat[0]], [tamu[1], khampat[1]])
    assert found.tolist() == [TAMU, TAMU]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(15.0, 93.0), (13.5, 96.0), (0.0, 0.0), (np.nan, 94.3), (95.0, 24.0)],
    ids=["andaman-sea", "gulf-of-martaban", "null-island", "missing", "swapped"],
)
def test_points_outside_myanmar_are_na(geography, lat, lon):
    assert geography.township_of([lat], [lon]).isna().all()


def test_unparseable_coordinates_are_na_not_errors(geography):
    found = geography.township_of(pd.Series(["24.21149", "n/a", None]), ["94.31534", "x", 1])
    assert found.tolist()[0] == TAMU
    assert found.isna().tolist() == [False, True, True]


def test_result_keeps_the_callers_index(geography):
    lat = pd.Series([24.21149, 15.0], index=["a", "b"])
    found = geography.township_of(lat, pd.Series([94.31534, 93.0], index=["a", "b"]))
    assert list(found.index) == ["a", "b"]


def test_nearly_every_town_point_is_in_its_own_township(reference, geography):
    towns = reference.places[reference.places["level"] == "town"].dropna(subset=["lat", "lon"])
    towns = towns[towns["township_pcode"].isin(geography.outlines["pcode"])]
    found = geography.township_of(towns["lat"], towns["lon"])
    assert len(towns) > 500
    assert (found == towns["township_pcode"]).mean() > 0.98


def test_a_point_just_off_the_coast_snaps_only_when_asked(geography):
    # A point 300 m south of the country's southernmost vertex (Kawthoung's coast).
    coordinates = shapely.get_coordinates(geography.outlines["geometry"].to_numpy())
    lon, lat = coordinates[coordinates[:, 1].argmin()]
    lat -= 0.3 / 111.2
    assert geography.township_of([lat], [lon], snap_km=0).isna().all()
    assert geography.township_of([lat], [lon], snap_km=1.0).notna().all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(9.0, 29.0), st.floats(92.0, 101.5)), min_size=1, max_size=40))
def test_vectorised_answer_equals_one_polygon_test_per_point(geography, points):
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    found = geography.township_of(lat, lon, snap_km=0)
    shapes = geography.outlines["geometry"]
    for la, lo, got in zip(np.round(lat, 5), np.round(lon, 5), found, strict=True):
        holding = geography.outlines["pcode"][shapely.intersects_xy(shapes, lo, la)]
        assert (got if not pd.isna(got) else None) == (holding.min() if len(holding) else None)


def test_distance_between_tamu_and_khampat_towns(reference, geography):
    tamu = town_point(reference, "MMR005030701")
    km = geography.distance_km([tamu[0], tamu[0]], [tamu[1], tamu[1]], ["MMR005030703", "nope"])
    assert km.iloc[0] == pytest.approx(51.0, abs=0.5)
    assert pd.isna(km.iloc[1])


def test_nearest_place_is_the_town_within_its_township(geography):
    near = geography.nearest_places([23.781, 24.212, 15.0], [94.147, 94.316, 93.0])
    assert near["pcode"].tolist()[:2] == ["MMR005030703", "MMR005030701"]
    assert near["level"].tolist()[:2] == ["town", "town"]
    assert near["distance_km"].iloc[0] < 0.5
    assert near.iloc[2].isna().all()


def test_nearest_village_and_the_distance_limit(geography, reference):
    auk_taung = reference.villages.set_index("village_pcode").loc["176038"]
    lat, lon = auk_taung["lat"] + 0.001, auk_taung["lon"]
    near = geography.nearest_places([lat], [lon], [TAMU], levels=("village",))
    assert near[["pcode", "name"]].values.tolist() == [["176038", "Auk Taung"]]
    assert near["distance_km"].iloc[0] == pytest.approx(0.111, abs=0.002)
    assert geography.nearest_places([lat], [lon], [TAMU], max_km=0.05)["pcode"].isna().all()


def test_township_hint_limits_the_search(geography):
    # Khampat's point, searched in a township that is not Tamu: nothing within 10 km.
    near = geography.nearest_places([23.781], [94.147], ["MMR005029"])
    assert near["pcode"].isna().all()


def test_townships_created_after_2014_are_listed_with_their_2014_outline(geography):
    missing = geography.townships_without_outline.set_index("pcode")
    assert len(missing) == 28
    assert missing.loc["MMR013046", "within_outline"] == "MMR013008"
    assert not set(missing.index) & set(geography.outlines["pcode"])


def test_tamu_outline_area(geography):
    tamu = geography.outlines.set_index("pcode").loc[TAMU]
    assert tamu["area_km2"] == pytest.approx(1951, abs=1)
    shape = tamu["geometry"]
    km_per_degree = math.pi * 6371.0088 / 180
    scale = km_per_degree**2 * math.cos(math.radians(shape.centroid.y))
    assert shape.area * scale == pytest.approx(1951, rel=0.02)


@pytest.mark.parametrize(
    ("name", "count"), [("townships.geojson", 330), ("states_regions.geojson", 15)]
)
def test_bundled_geojson_is_valid_and_compact(name, count):
    collection = json.loads((BUNDLED / name).read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == count
    pcodes = [f["properties"]["pcode"] for f in features]
    assert pcodes == sorted(set(pcodes))
    for feature in features:
        assert "Label2" not in feature["properties"]
        assert feature["geometry"]["type"] == "MultiPolygon"
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1]
                coords = np.array(ring)
                assert coords.dtype == float and coords.shape[1] == 2
                assert (np.round(coords, 4) == coords).all()
                assert (coords[:, 0] > 92).all() and (coords[:, 1] < 29).all()
        assert shapely.from_geojson(json.dumps(feature["geometry"])).is_valid
    assert (BUNDLED / name).stat().st_size < 2_500_000


def test_township_outlines_are_census_townships(reference, geography):
    townships = reference.places[reference.places["level"] == "township"]
    assert geography.outlines["pcode"].isin(townships["pcode"]).all()
    assert geography.outlines["area_km2"].notna().all()


def test_package_without_geography_files_still_loads(tmp_path, reference):
    for name in ("places.csv", "sources.csv"):
        shutil.copy(BUNDLED / name, tmp_path / name)
    own = impact.load_reference(tmp_path)
    assert own.villages.empty and "village_pcode" in own.villages.columns
    assert not own.geography.has_outlines
    with pytest.raises(ReferenceDataError, match=r"no township outlines.*townships\.geojson"):
        own.geography.township_of([24.2], [94.3])
    near = own.geography.nearest_places([24.212], [94.316], [TAMU], levels=("town",))
    assert near["pcode"].tolist() == ["MMR005030701"]


def test_broken_outline_file_is_a_reference_error(tmp_path):
    for name in ("places.csv", "sources.csv"):
        shutil.copy(BUNDLED / name, tmp_path / name)
    (tmp_path / "townships.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"townships\.geojson"):
        impact.load_reference(tmp_path).geography  # noqa: B018


def test_loading_the_package_reads_neither_villages_nor_outlines():
    code = (
        "import sys, impact; r = impact.load_reference(); "
        "print('shapely' in sys.modules, 'villages' in vars(r), 'geography' in vars(r))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
