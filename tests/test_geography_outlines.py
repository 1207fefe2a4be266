"""Reading outline files: GEOS reads the whole file, giving each feature's own shape."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely

from impact.errors import ReferenceDataError
from impact.geography import read_outlines

BUNDLED = Path(__file__).resolve().parents[1] / "reference_data" / "myanmar"
SQUARE = {"type": "Polygon", "coordinates": [[[96, 21], [97, 21], [97, 22], [96, 21]]]}


def read_each_feature(path: Path) -> pd.DataFrame:
    """The outlines as read before: every feature's geometry written back to JSON for GEOS."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    table = pd.DataFrame([feature["properties"] for feature in features])
    table["geometry"] = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    return table.sort_values("pcode").reset_index(drop=True)


def assert_same_outlines(path: Path) -> None:
    read, expected = read_outlines(path), read_each_feature(path)
    assert list(read["pcode"]) == list(expected["pcode"])
    assert list(shapely.to_wkb(read["geometry"].to_numpy())) == list(
        shapely.to_wkb(expected["geometry"].to_numpy())
    )
    columns = expected.columns.intersection(read.columns).drop("geometry")
    assert len(columns) >= 2
    pd.testing.assert_frame_equal(read[columns], expected[columns], check_dtype=False)


@pytest.mark.parametrize("name", ["townships.geojson", "states_regions.geojson"])
def test_bundled_outlines_are_each_features_own_shape(name):
    assert_same_outlines(BUNDLED / name)


def write_collection(path: Path, geometries: list, kind: str | None = "FeatureCollection") -> Path:
    features = [
        {"type": "Feature", "properties": {"pcode": f"MMR{i:03d}", "name": "n"}, "geometry": g}
        for i, g in enumerate(geometries)
    ]
    collection = {"features": features} if kind is None else {"type": kind, "features": features}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def test_collections_of_shapes_and_points_with_height_keep_their_features(tmp_path):
    nested = {"type": "GeometryCollection", "geometries": [SQUARE, SQUARE]}
    point = {"type": "Point", "coordinates": [96.5, 21.5, 80]}
    path = write_collection(tmp_path / "mixed.geojson", [SQUARE, nested, point])
    assert_same_outlines(path)
    assert shapely.get_num_geometries(read_outlines(path)["geometry"][1]) == 2


def test_a_collection_without_its_type_member_is_read_as_before(tmp_path):
    path = write_collection(tmp_path / "untyped.geojson", [SQUARE, SQUARE], kind=None)
    assert_same_outlines(path)


@pytest.mark.parametrize(
    "geometry", [None, {"type": "Pointy", "coordinates": [96, 21]}, {"type": "Polygon"}]
)
def test_a_feature_without_a_readable_geometry_is_a_reference_error(tmp_path, geometry):
    path = write_collection(tmp_path / "broken.geojson", [SQUARE, geometry])
    with pytest.raises(ReferenceDataError, match=r"broken\.geojson"):
        read_outlines(path)


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_leaves_the_garbage_collector_as_it_was(tmp_path, enabled):
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        read_outlines(BUNDLED / "states_regions.geojson")
        assert gc.isenabled() is enabled
        with pytest.raises(ReferenceDataError):
            read_outlines(broken)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
