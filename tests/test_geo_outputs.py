"""places.geojson and control.geojson are valid GeoJSON; impacts gain points and admin units."""

from __future__ import annotations

import json

import geojson
import pandas as pd
import pytest

import impact
from impact.geo_outputs import ADMIN_LEVELS, admin_units, located_impacts


@pytest.fixture(scope="module")
def folder(tmp_path_factory, reference):
    return impact.write_report(
        impact.run(reference=reference), tmp_path_factory.mktemp("geo") / "report"
    )


@pytest.mark.parametrize("name", ["places.geojson", "control.geojson"])
def test_geojson_files_are_valid(folder, name):
    text = (folder / name).read_text(encoding="utf-8")
    collection = geojson.loads(text)
    assert collection.is_valid, collection.errors()
    assert collection["type"] == "FeatureCollection" and collection["features"]
    for feature in collection["features"]:
        assert feature.is_valid, feature.errors()


def test_places_are_points_lon_first_with_the_rows_figures(folder):
    features = json.loads((folder / "places.geojson").read_text())["features"]
    kawlin = next(f for f in features if f["properties"]["place_name"] == "Kawlin Town")
    lon, lat = kawlin["geometry"]["coordinates"]
    assert 95 < lon < 96.5 and 23 < lat < 24.5
    assert kawlin["properties"]["population_central"] > 100_000
    assert kawlin["properties"]["gaining_side"] == "resistance"


def test_control_outlines_say_who_holds_the_township(folder):
    features = json.loads((folder / "control.geojson").read_text())["features"]
    pauktaw = next(f for f in features if f["properties"]["township_name"] == "Pauktaw")
    assert pauktaw["properties"]["side"] == "military"
    assert pauktaw["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert pauktaw["properties"]["last_change"] == "2023-11-17"


def test_impacts_gain_point_and_one_column_per_admin_level(folder, reference):
    impacts = pd.read_csv(folder / "impacts.csv", dtype={"town_pcode": str})
    khampat = impacts[impacts["place_name"] == "Khampat Town"].iloc[0]
    assert khampat["town_pcode"] == khampat["pcode"]
    assert khampat["township_name"] == "Tamu" and khampat["district_name"]
    assert 94 < khampat["lon"] < 94.5 and 23.5 < khampat["lat"] < 24
    # The point is the matched place's own (MIMU town point), never a facility's.
    towns = reference.places.set_index("pcode")
    assert (impacts["lat"] == impacts["pcode"].map(towns["lat"]).round(5)).all()


def test_admin_units_of_a_ward_and_a_township(reference):
    places = reference.places
    ward = places[places["level"] == "ward"].iloc[0]
    township = places[places["level"] == "township"].iloc[0]
    units = admin_units(pd.Series([ward["pcode"], township["pcode"], None]), reference)
    assert units.iloc[0]["town_pcode"] == ward["parent_pcode"]
    assert units.iloc[0]["state_region_pcode"] == ward["pcode"][:6]
    assert (
        pd.isna(units.iloc[1]["town_pcode"])
        and units.iloc[1]["township_pcode"] == township["pcode"]
    )
    assert units.iloc[2].isna().all()


def test_admin_units_of_a_large_table_are_categories_of_the_same_values(reference, monkeypatch):
    """From `CATEGORY_ROWS` rows each unit's code and name are held as categories (a code per
    row, like the rest of a large per-event table), with the values plain text would have."""
    from impact import per_value

    places = reference.places
    codes = pd.Series([*places["pcode"].iloc[::400], None, "MMR999999", places["pcode"].iloc[0]])
    plain = admin_units(codes, reference)
    monkeypatch.setattr(per_value, "CATEGORY_ROWS", 0)
    held = admin_units(codes, reference)
    assert all(isinstance(kind, pd.CategoricalDtype) for kind in held.dtypes)
    pd.testing.assert_frame_equal(held.astype("string"), plain)
    nowhere = admin_units(pd.Series([None, None], dtype="string"), reference)
    assert nowhere.shape == (2, 2 * len(ADMIN_LEVELS)) and nowhere.isna().all().all()


def test_located_impacts_keeps_every_row_and_column(reference):
    result = impact.run(reference=reference)
    located = located_impacts(result.impacts, reference)
    assert len(located) == len(result.impacts)
    assert list(located.columns[: len(result.impacts.columns)]) != []
    assert set(result.impacts.columns) < set(located.columns)
    assert located.columns.get_loc("lat") == located.columns.get_loc("township_name") + 1


def walk_up(code: str, places: pd.DataFrame, tracts: dict) -> dict:
    """A place's admin units found by following parent links through the whole package."""
    parent = places["parent_pcode"].dropna().to_dict()
    found: dict = {}
    current = tracts.get(code, code)
    while current is not None and current not in found.values():
        unit = places["level"].get(current)
        if unit in ADMIN_LEVELS and f"{unit}_pcode" not in found:
            found[f"{unit}_pcode"], found[f"{unit}_name"] = current, places.at[current, "name"]
        current = parent.get(current)
    return found


def test_admin_units_of_every_level_match_a_walk_through_the_package(reference):
    places = reference.places.set_index("pcode")
    sample = places.groupby("level").head(3).index.to_list()
    villages = reference.villages.head(3)
    tracts = dict(zip(villages["village_pcode"], villages["village_tract_pcode"], strict=True))
    codes = [*sample, *tracts, "MMR999999", None, sample[0]]
    codes = pd.Series(codes, index=range(50, 50 + len(codes)))
    units = admin_units(codes, reference)
    assert list(units.index) == list(codes.index)
    for index, code in codes.items():
        expected = {} if code is None else walk_up(code, places, tracts)
        assert units.loc[index].dropna().to_dict() == expected, code
    assert units["village_tract_pcode"].notna().sum() >= 6
