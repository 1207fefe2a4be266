"""The bundled Myanmar package: totals, Khampat and Tamu figures, structure, sources."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import impact
from impact.errors import ReferenceDataError


def test_township_totals_match_the_2014_enumerated_census(reference):
    townships = reference.places[reference.places["level"] == "township"]
    assert townships["population"].sum() == 50_279_900
    assert townships["households"].sum() == 10_877_832
    assert townships["population"].notna().sum() == 330


@pytest.mark.parametrize(
    ("pcode", "population", "level"),
    [
        ("MMR005030703", 14_559, "town"),
        ("MMR005030", 114_869, "township"),
        ("MMR005030701", 43_737, "town"),
        ("MMR005030702", 1_642, "town"),
        ("MMR005030014", 4_269, "village_tract"),
        ("MMR005030703501", 3_575, "ward"),
    ],
)
def test_known_populations(reference, pcode, population, level):
    place = reference.places.loc[pcode]
    assert (place["population"], place["level"]) == (population, level)


def test_khampat_subtownship_is_five_wards_and_eight_village_tracts(reference):
    members = reference.memberships
    khampat = members.loc[members["group_pcode"] == "MMR005030703", "member_pcode"]
    assert sorted(khampat) == [f"MMR0050300{n}" for n in range(14, 22)] + ["MMR005030703"]
    sub = reference.areas.loc["MMR005030703"]
    assert (sub["name"], sub["level"]) == ("Khampat Sub-township", "sub_township")
    assert (sub["population"], sub["wards"], sub["village_tracts"]) == (38_728, 5, 8)
    wards = reference.places[reference.places["parent_pcode"] == "MMR005030703"]
    assert wards["population"].sum() == 14_559 and len(wards) == 5


def test_tamu_hospitals_and_khampat_services(reference):
    tamu = reference.places.loc["MMR005030"]
    assert (tamu["hospitals"], tamu["hospital_beds"]) == (5, 173)
    khampat = reference.places.loc["MMR005030703"]
    assert (khampat["hospitals"], khampat["hospital_beds"], khampat["schools"]) == (1, 25, 3)
    assert khampat["schools_source"] == "myanmar_now_khampat_2023"


def test_structure_pcodes_unique_parents_exist(reference):
    places = reference.places
    assert places["pcode"].is_unique
    parents = places["parent_pcode"].dropna()
    assert parents.isin(places["pcode"]).all()
    assert (places["level"] == "state_region").sum() == 18


def test_every_figure_has_a_source(reference):
    places = reference.places
    keys = set(reference.sources["source"])
    for figure, source in [
        ("population", "population_source"),
        ("hospitals", "hospitals_source"),
        ("schools", "schools_source"),
        ("area_km2", "area_source"),
        ("health_workers", "health_workers_source"),
    ]:
        has_figure = places[figure].notna()
        assert places.loc[has_figure, source].notna().all(), figure
        assert set(places.loc[has_figure, source]) <= keys
    assert set(places["source"]) <= keys
    assert set(reference.aliases["source"]) <= keys


def test_unknown_is_empty_not_zero(reference):
    places = reference.places
    assert (places["population"] == 0).sum() == 0
    assert places.loc["MMR005030022", "population"] is pd.NA  # split from Htin Zin in 2017


def test_burmese_alias_present(reference):
    aliases = reference.aliases
    assert "ခါမ်းပါတ်" in set(aliases.loc[aliases["pcode"] == "MMR005030703", "alias"])


def test_missing_table_is_a_clear_error(tmp_path):
    with pytest.raises(ReferenceDataError, match=r"places\.csv"):
        impact.load_reference(tmp_path)


def test_broken_place_row_names_file_row_and_column(tmp_path, reference):
    places = reference.places.head(3).copy()
    places.loc[places.index[1], "level"] = "county"
    places.to_csv(tmp_path / "places.csv", index=False)
    reference.sources.to_csv(tmp_path / "sources.csv", index=False)
    with pytest.raises(ReferenceDataError) as caught:
        impact.load_reference(tmp_path)
    assert caught.value.row == 3 and caught.value.column == "level"


@pytest.mark.parametrize(
    ("table", "row", "column"),
    [
        (
            "aliases",
            "MMR005030703,Khampat Old,en,spelling,test\n , Old Khampat,en,spelling,test",
            "pcode",
        ),
        ("memberships", "MMR005030703,MMR005030014,test\nMMR005030703,,test", "member_pcode"),
    ],
)
def test_a_row_linked_to_no_pcode_names_file_row_and_column(
    tmp_path, reference, table, row, column
):
    """An alias or member without a P-code is refused when the package is read, with where it
    is: before, a search naming that alias ended in an internal error."""
    top = reference.places[reference.places["parent_pcode"].isna()]
    top.to_csv(tmp_path / "places.csv", index=False)
    reference.sources.to_csv(tmp_path / "sources.csv", index=False)
    header = {
        "aliases": "pcode,alias,language,kind,source",
        "memberships": "group_pcode,member_pcode,source",
    }
    (tmp_path / f"{table}.csv").write_text(f"{header[table]}\n{row}\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        impact.load_reference(tmp_path)
    assert (caught.value.row, caught.value.column) == (3, column)
    assert caught.value.file.endswith(f"{table}.csv")


@pytest.mark.parametrize("value", [None, "not a date", "2999-01-01", "1066-10-14"])
def test_census_date_must_be_a_past_date(reference, value):
    metadata = {k: v for k, v in reference.metadata.items() if k != "census_date"}
    if value is not None:
        metadata["census_date"] = value
    broken = dataclasses.replace(reference, metadata=metadata)
    with pytest.raises(ReferenceDataError, match="census_date"):
        _ = broken.census_date


VILLAGE_HEADER = "village_pcode,name,name_mm,village_tract_pcode,township_pcode,lat,lon,source\n"


@pytest.mark.parametrize(
    "body",
    [
        "150001,Kyun Hteik,ကျွန်းထိပ်,MMR017024040,MMR017024,16.19778,95.36224,mimu\n",
        '1,"Nan, Ma",,MMR1,MMR2,16,95,s\n2,"line\nbreak",x,MMR1,MMR2,,95.5,s\n',
        "1,None,NA,null,n/a,16,95,\n2,nan,<NA>,#N/A,,16.5,95,s\n",
        "1,A,,MMR1,MMR2,16,95,s\n2,B,,MMR1,MMR2,17,96,s\n",
        "1,A,,MMR1,MMR2,,,s\n",
        "1,A,,MMR1,MMR2,north,95,s\n",
        "1,A,,MMR1,MMR2, 16.5 ,95,s\n",
        "1,A,,MMR1,MMR2,16.5,95,s,extra\n",
        "1,A,,MMR1,MMR2,16.5\n",
        "1,A,,MMR1,MMR2,True,95,s\n",
        "1,A,,MMR1,MMR2,2014-03-29,95,s\n",
        "\n1,A,,MMR1,MMR2,16.5,95,s\n\n",
    ],
)
def test_villages_read_by_arrow_as_pandas_reads_them(tmp_path, body):
    """A villages table is read by Arrow's quicker reader only when that gives the very
    table pandas' reader gives (types, missing values); any other file is read by pandas."""
    from impact.reference import VILLAGE_COLUMNS, _read, _read_by_arrow

    path = tmp_path / "villages.csv"
    path.write_text(VILLAGE_HEADER + body, encoding="utf-8")
    try:
        expected = _read(path, VILLAGE_COLUMNS)
    except ReferenceDataError:
        expected = None
    got = _read_by_arrow(path, VILLAGE_COLUMNS)
    if got is not None:
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_stored_name_keys_read_by_arrow_as_pandas_reads_them(tmp_path):
    from impact.reference import _text_by_arrow

    path = tmp_path / "name_keys.csv"
    path.write_text('text,key,fkey\nnan,nan,nan\n"",,\nNA,na,na\n"a\nb",ab,ab\n', encoding="utf-8")
    expected = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    pd.testing.assert_frame_equal(_text_by_arrow(path, ["text", "key", "fkey"]), expected)
    path.write_text("text,key,key\na,a,a\n", encoding="utf-8")
    assert _text_by_arrow(path, ["text", "key", "fkey"]) is None
