"""places.geojson and control.geojson hold exactly what json.dumps writes for each feature.

The layers are encoded a column at a time in Arrow; these tests hold them to the json module
they replaced: the same bytes for any text, number, date or missing value.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import impact
from impact.event_actors import event_sides
from impact.geo_outputs import (
    Layer,
    _json_texts,
    _json_value,
    control_features,
    holder_at_end,
    located_impacts,
    places_features,
    write_geojson,
)
from impact.geography import outline_geojson

# Text with what JSON must escape: quotes, backslashes, non-BMP; and control characters,
# which send a whole column to the json module, so they are drawn in a column of their own.
PRINTABLE_TEXT = st.text(
    st.one_of(
        st.sampled_from(['"', "\\", "/", "\x7f", "\u2028", "\U0001f600", "é"]),
        st.characters(min_codepoint=0x20, exclude_categories=["Cs"]),
    ),
    max_size=12,
)
CONTROL_TEXT = st.text(st.characters(max_codepoint=0x22), min_size=1, max_size=6)


def dumped(value: object) -> str:
    """What the GeoJSON writers wrote for one value before they were vectorised."""
    return json.dumps(_json_value(value), ensure_ascii=False)


def missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.none(), PRINTABLE_TEXT), max_size=20),
    st.lists(st.one_of(st.none(), PRINTABLE_TEXT, CONTROL_TEXT), max_size=6),
)
def test_text_is_written_as_json_dumps_writes_it(printable, mixed):
    for values in (printable, printable + mixed):
        assert_text_as_json_dumps(values)


def json_texts(column: pd.Series) -> list[str]:
    """Each value's JSON text, as the writer builds it."""
    return _json_texts(column).rows(0, len(column)).to_pylist()


def assert_text_as_json_dumps(values: list) -> None:
    expected = ["null" if v is None else json.dumps(v, ensure_ascii=False) for v in values]
    for dtype in ("str", "string", object):
        column = pd.Series(values, dtype=dtype)
        assert json_texts(column) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=20))
def test_integers_are_written_as_json_dumps_writes_them(values):
    column = pd.Series(values, dtype="Int64")
    expected = ["null" if v is None else json.dumps(v) for v in values]
    assert json_texts(column) == expected
    present = [v for v in values if v is not None]
    assert json_texts(pd.Series(present, dtype="int64")) == list(map(json.dumps, present))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(), st.booleans()), max_size=20))
def test_floats_and_flags_are_written_as_before(values):
    floats = [None if v is None else float(v) for v in values]
    expected = ["null" if missing(v) else dumped(v) for v in floats]
    assert json_texts(pd.Series(floats, dtype=float)) == expected
    flags = [None if v is None else bool(v) for v in values]
    expected = ["null" if v is None else json.dumps(v) for v in flags]
    assert json_texts(pd.Series(flags, dtype="boolean")) == expected
    present = [v for v in flags if v is not None]
    assert json_texts(pd.Series(present, dtype=bool)) == list(map(json.dumps, present))


def test_dates_are_written_as_iso_days():
    column = pd.Series(pd.to_datetime(["2023-11-07", None, "2021-02-01"]))
    assert json_texts(column) == ['"2023-11-07"', "null", '"2021-02-01"']


@pytest.fixture(scope="module")
def seeds(reference):
    """The seed run's located impacts, with hostile text and gaps in some rows."""
    result = impact.run(reference=reference)
    located = located_impacts(result.impacts, reference).reset_index(drop=True)
    located["place_name"] = located["place_name"].astype(object)
    located.loc[0, "place_name"] = 'Kha"mpat\\ \n\t\x01 ☃ \U0001f600'
    located.loc[1, ["lat", "population_central"]] = [np.nan, pd.NA]
    located.loc[2, "lon"] = 96.0
    located.loc[3, "event_id"] = 'BM-"7"\\ é \U0001f600'
    located["place_name"] = located["place_name"].astype("str")
    return result, located, event_sides(located, result.actors)


def old_point(row: pd.Series) -> dict | None:
    if missing(row["lon"]) or missing(row["lat"]):
        return None
    return {"type": "Point", "coordinates": [_json_value(row["lon"]), _json_value(row["lat"])]}


def test_each_place_line_is_json_dumps_of_its_feature(seeds):
    _, located, sides = seeds
    layer = places_features(located, sides)
    table = located.assign(gaining_side=sides["gaining_side"])[layer.properties]
    expected = [
        json.dumps(
            {
                "type": "Feature",
                "geometry": old_point(located.loc[i]),
                "properties": {k: _json_value(v) for k, v in table.loc[i].items()},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for i in located.index
    ]
    assert layer.features.to_pylist() == expected
    assert '"coordinates":[96,' in expected[2] and '"geometry":null' in expected[1]


def test_a_places_layer_made_when_written_shows_the_rows_it_was_given(seeds):
    """The places layer makes its pieces only when written (a million rows' are not held
    through the workbook), yet shows the table as it was when the layer was made."""
    _, located, sides = seeds
    before = places_features(located, sides).features.to_pylist()
    layer = places_features(located, sides)
    assert callable(layer.pieces)
    located.loc[0, ["lon", "place_name"]] = [10.5, "changed afterwards"]
    assert layer.features.to_pylist() == before


def test_each_township_line_is_json_dumps_of_its_feature(seeds, reference):
    _, located, sides = seeds
    held = holder_at_end(located, sides, "township_pcode")
    # One held township without an outline, as for townships created after 2014.
    outlines = reference.township_outlines
    outlines = outlines[outlines["pcode"] != held.index[0]]
    layer = control_features(located, sides, outline_geojson(outlines))
    shapes = outlines.set_index("pcode")["geometry"]
    names = located.drop_duplicates("township_pcode").set_index("township_pcode")
    expected = []
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
        feature = {
            "type": "Feature",
            "geometry": geometry,
            "properties": {k: _json_value(v) for k, v in properties.items()},
        }
        expected.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    assert layer.features.to_pylist() == expected
    assert layer.properties == list(json.loads(expected[0])["properties"])
    assert '"geometry":null' in expected[0] and '"geometry":null' not in expected[1]


def test_no_township_changed_hands_gives_an_empty_layer(seeds, reference):
    _, located, sides = seeds
    quiet = located.assign(change="unchanged")
    layer = control_features(quiet, sides, reference.township_outline_geojson)
    assert layer.properties == [] and len(layer.features) == 0


@pytest.mark.parametrize("start", [0, 2])
def test_the_file_holds_one_feature_a_line(tmp_path, start):
    lines = pa.array(["{}", '{"a":"é"}', '{"b":"\U0001f600"}', "{}"])[start:]
    write_geojson(Layer.of_lines(["a"], lines), tmp_path / "layer.geojson")
    body = ",\n".join(lines.to_pylist())
    text = '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    assert (tmp_path / "layer.geojson").read_bytes() == text.encode("utf-8")


def test_an_empty_layer_is_an_empty_collection(tmp_path):
    write_geojson(Layer([], [], 0), tmp_path / "empty.geojson")
    assert (tmp_path / "empty.geojson").read_text() == (
        '{"type":"FeatureCollection","features":[\n\n]}\n'
    )


def test_outline_texts_kept_with_the_package_are_those_written_for_a_run(reference):
    """The texts come from the package cache on later runs: read back, they are the same."""
    kept = reference.township_outline_geojson
    fresh = outline_geojson(reference.township_outlines)
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), fresh, check_dtype=False)
    assert kept["pcode"].is_unique and kept["geojson"].notna().all()
    first = reference.township_outlines.iloc[0]
    assert json.loads(kept["geojson"].iloc[0]) == json.loads(shapely.to_geojson(first.geometry))
