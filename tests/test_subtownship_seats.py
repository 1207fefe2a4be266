"""Sub-township seats: marked from Myanmar Post's postal units, keyed by real P-codes only."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import impact
from impact.errors import ReferenceDataError
from impact.reference import load_reference
from reference_build.myanmar.subtownship_seats import postal_town_units

BUNDLED = Path(__file__).resolve().parents[1] / "reference_data" / "myanmar"
# MIMU P-codes: state/region MMR001, district MMR001D001 (or SAZ MMR005S001), township
# MMR001001, town or village tract MMR001001701 / MMR001001001, ward MMR001001701501.
MIMU_PCODE = re.compile(r"^MMR\d{3}([DS]\d{3}|\d{3}(\d{3}(\d{3})?)?)?$")
PCODE_COLUMNS = [
    "pcode",
    "parent_pcode",
    "state_region_pcode",
    "district_pcode",
    "township_pcode",
    "area_pcode",
]


def _bad_pcodes(table: pd.DataFrame, columns: list[str]) -> set[str]:
    values = pd.concat([table[c] for c in columns if c in table]).dropna().astype(str)
    return {v for v in values.unique() if not MIMU_PCODE.match(v)}


def test_mimu_pattern_rejects_a_made_up_code():
    assert MIMU_PCODE.match("MMR005030703") and MIMU_PCODE.match("MMR015S002")
    assert not MIMU_PCODE.match("MMR005030703S")


def test_no_pcode_in_the_package_is_made_up():
    places = pd.read_csv(BUNDLED / "places.csv", dtype=str)
    assert _bad_pcodes(places, PCODE_COLUMNS) == set()
    members = pd.read_csv(BUNDLED / "memberships.csv", dtype=str)
    assert _bad_pcodes(members, ["group_pcode", "member_pcode"]) == set()
    aliases = pd.read_csv(BUNDLED / "aliases.csv", dtype=str)
    assert _bad_pcodes(aliases, ["pcode"]) == set()
    facilities = pd.read_csv(BUNDLED / "facilities.csv", dtype=str)
    assert _bad_pcodes(facilities, ["township_pcode", "town_pcode"]) == set()


def test_no_pcode_in_the_outputs_is_made_up(tmp_path):
    rows = [
        ("2023-11-07", "Khampat", "Tamu"),
        ("2023-11-08", "Auk Taung", "Tamu"),
        ("2023-11-09", "Myothit", "Tamu"),
        ("2023-11-10", "Chinshwehaw", None),
        ("2023-11-11", "Monekoe", "Muse"),
    ]
    sheet = tmp_path / "events.csv"
    pd.DataFrame(rows, columns=["date", "place", "township"]).assign(
        change="captured", gaining_actor="People's Defence Force"
    ).to_csv(sheet, index=False)
    result = impact.run(sheet)
    columns = [c for c in result.impacts.columns if c.endswith("_pcode")]
    assert len(result.impacts) == 5
    assert _bad_pcodes(result.impacts, columns) == set()
    assert not result.impacts["not_counted_reason"].fillna("").str.contains(r"\dS\b").any()


def test_seats_are_marked_with_their_evidence(reference):
    towns = reference.places[reference.places["level"] == "town"]
    seats = towns[towns["area_level"] == "sub_township"]
    # 177 postal "… Town" units less Kyonpyaw, Bhamo, Kamma and Nanyun (see the build report).
    assert len(seats) == 173
    marked = {
        "MMR005030703": "Khampat Town",
        "MMR015009702": "Monekoe Town",
        "MMR015009704": "Pang Hseng (Kyu Koke) Town",
        "MMR015022702": "Chinshwehaw Town",
    }
    assert seats.loc[list(marked), "name"].to_dict() == marked
    assert set(seats["area_level_source"]) == {"myanmar_post_postal_codes"}
    assert "myanmar_post_postal_codes" in set(reference.sources["source"])
    # Township seats govern their township, not a sub-township.
    assert towns.loc["MMR005030701", ["area_pcode", "area_level"]].tolist() == [
        "MMR005030",
        "township",
    ]
    # Kyonpyaw Town has a postal unit of its own but heads Kyonpyaw township.
    assert towns.loc["MMR017005701", "area_level"] == "township"


def test_build_report_gives_the_evidence_per_seat():
    text = (BUNDLED / "build_report.md").read_text(encoding="utf-8")
    assert "## Sub-township seats" in text
    khampat = next(line for line in text.splitlines() if line.startswith("| MMR005030703 |"))
    assert "prefix 0267, its township 0207" in khampat and "Wikipedia, Khampat" in khampat
    mong_ko = next(line for line in text.splitlines() if line.startswith("| MMR015009702 |"))
    assert "Muse Township" in mong_ko


def test_postal_units_sharing_the_township_prefix_or_heading_it_are_not_seats():
    postal = pd.DataFrame(
        {
            "Region": ["Sagaing"] * 4 + ["Ayeyarwady"] * 2,
            "Township": [
                *("Tamu", "Khampat Town", "Khampat Town", "Tamu"),
                *("Kyonpyaw Town", "Kyonpyaw"),
            ],
            "Village Tract/ Ward": ["Auk Taung", "No (1)", "No (2)", "Tamu Myo Ma", "Tay Za", "X"],
            "Postal Code": ["0207213", "0267001", "0267002", "0207001", "1009001", "1009200"],
            "VT_Pcode": ["MMR005030014", None, None, None, None, "MMR017005001"],
            "Ward_Pcode": [
                None,
                "MMR005030703501",
                "MMR005030703502",
                "MMR005030701501",
                "MMR017005701501",
                None,
            ],
        }
    )
    places = pd.DataFrame(
        {
            "pcode": ["MMR005030703", "MMR017005701"],
            "name": ["Khampat Town", "Kyonpyaw Town"],
            "level": ["town", "town"],
            "area_pcode": [pd.NA, "MMR017005"],
        }
    )
    units = postal_town_units(postal, places).set_index("Township")
    assert units.loc["Khampat Town", ["prefix", "town_pcode", "township_prefix"]].tolist() == [
        "0267",
        "MMR005030703",
        "0207",
    ]
    assert pd.isna(units.loc["Khampat Town", "reason"])
    assert units.loc["Kyonpyaw Town", "reason"] == "shares its township's postal prefix"


def test_chinshwehaw_sub_township_is_never_labelled_a_township(reference):
    unit = reference.places.loc["MMR015203"]
    assert (unit["name"], unit["level"]) == ("Chinshwehaw Sub-township", "sub_township")
    aliases = reference.aliases[reference.aliases["pcode"] == "MMR015203"]["alias"]
    assert not aliases.str.contains(r"Township$").any()
    town = reference.places.loc["MMR015022702"]
    assert (town["area_pcode"], town["area_level"]) == ("MMR015203", "sub_township")
    assert not reference.places["name"].str.contains(r"Sub-township.*Township").any()


@pytest.mark.parametrize(
    "name", ["Khampat Sub-township", "Khampat (sub-township)", "Khampat sub-township"]
)
def test_a_named_sub_township_resolves_to_its_seat_and_its_area(tmp_path, name):
    sheet = tmp_path / "events.csv"
    pd.DataFrame(
        {"date": ["2023-11-07"], "place": [name], "township": ["Tamu"], "change": ["captured"]}
    ).to_csv(sheet, index=False)
    row = impact.run(sheet).impacts.iloc[0]
    assert row["pcode"] == "MMR005030703"
    assert (row["area_pcode"], row["area_level"]) == ("MMR005030703", "sub_township")
    assert (row["headline_pcode"], row["population_census"]) == ("MMR005030703", 38_728)


def test_a_seat_without_known_members_takes_the_town_and_says_so(tmp_path):
    sheet = tmp_path / "events.csv"
    pd.DataFrame(
        {"date": ["2023-11-09"], "place": ["Myothit"], "township": ["Tamu"], "change": ["captured"]}
    ).to_csv(sheet, index=False)
    row = impact.run(sheet).impacts.iloc[0]
    assert (row["area_pcode"], row["area_level"]) == ("MMR005030702", "sub_township")
    assert row["area_name"] == "Myothit Sub-township"
    assert (row["headline_level"], row["population_census"]) == ("town", 1_642)
    assert "member units of Myothit Sub-township are not known" in row["band_note"]


def test_a_repeated_pcode_other_than_a_seat_and_its_sub_township_is_refused(tmp_path):
    places = pd.read_csv(BUNDLED / "places.csv", dtype=str)
    township = places[places["pcode"] == "MMR005030"]
    folder = tmp_path / "package"
    folder.mkdir()
    pd.concat([places, township]).to_csv(folder / "places.csv", index=False)
    (folder / "sources.csv").write_bytes((BUNDLED / "sources.csv").read_bytes())
    with pytest.raises(ReferenceDataError, match="MMR005030 is repeated"):
        load_reference(folder)
    khampat = places[(places["pcode"] == "MMR005030703") & (places["level"] == "sub_township")]
    pd.concat([places, khampat]).to_csv(folder / "places.csv", index=False)
    with pytest.raises(ReferenceDataError, match="MMR005030703 is repeated"):
        load_reference(folder)
