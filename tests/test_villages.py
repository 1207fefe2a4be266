"""The villages table: built from the MIMU village list, placed under village tracts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reference_build.myanmar.villages import VILLAGE_COLUMNS, build_villages, villages_without_tract


@pytest.fixture(scope="module")
def villages(reference) -> pd.DataFrame:
    return reference.villages


def test_table_is_sorted_unique_and_complete_per_row(villages):
    assert list(villages.columns) == VILLAGE_COLUMNS
    assert villages["village_pcode"].is_unique
    assert villages["village_pcode"].tolist() == sorted(villages["village_pcode"])
    assert len(villages) == 72_119
    assert (
        villages[["village_pcode", "name", "village_tract_pcode", "township_pcode"]]
        .notna()
        .all()
        .all()
    )


def test_coordinates_are_in_myanmar_or_empty_never_zero(villages):
    assert villages["lat"].notna().sum() == 55_127
    assert (villages["lat"].isna() == villages["lon"].isna()).all()
    assert villages["lat"].dropna().between(9.5, 28.6).all()
    assert villages["lon"].dropna().between(92.1, 101.2).all()
    assert not (villages[["lat", "lon"]] == 0).any().any()


def test_township_is_the_village_tract_township_from_places(reference, villages):
    tracts = reference.places.loc[reference.places["level"] == "village_tract", "township_pcode"]
    assert villages["village_tract_pcode"].isin(tracts.index).all()
    expected = tracts.reindex(villages["village_tract_pcode"]).to_numpy()
    assert (villages["township_pcode"].to_numpy() == expected).all()


def test_villages_of_a_known_village_tract(villages):
    auk_taung = villages[villages["village_tract_pcode"] == "MMR005030014"]
    assert auk_taung[["village_pcode", "name", "township_pcode"]].values.tolist() == [
        ["176038", "Auk Taung", "MMR005030"],
        ["176039", "Boke Kan", "MMR005030"],
    ]
    assert auk_taung["name_mm"].iloc[0] == "အောက်တောင်း"
    assert auk_taung["lat"].iloc[0] == pytest.approx(23.91736)


def test_every_source_key_is_declared(villages, reference):
    keys = set(reference.sources["source"])
    assert set(villages["source"]) == {"mimu_villages"} <= keys


@pytest.fixture
def tiny_sources(tmp_path: Path) -> Path:
    (tmp_path / "villages").mkdir()
    (tmp_path / "villages" / "mimu_villages.csv").write_text(
        "village_pcode,village_tract_pcode,village_eng,village_mmr,latitude,longitude\n"
        "200002,MMR005030014,  Boke   Kan ,ဘုတ်ကံ,23.92699,94.1916\n"
        "200001,MMR005030014,Auk Taung,အောက်တောင်း,0,0\n"
        "200003,MMR005030999,Gone Village,ရွာ,23.9,94.2\n"
        "200004,MMR005030014,No Point,ရွာ,,\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture
def tiny_places() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pcode": ["MMR005030", "MMR005030014"],
            "level": ["township", "village_tract"],
            "township_pcode": ["MMR005030", "MMR005030"],
        }
    )


def test_build_tidies_names_drops_impossible_points_and_sorts(tiny_sources, tiny_places):
    built = build_villages(tiny_sources, tiny_places)
    assert built["village_pcode"].tolist() == ["200001", "200002", "200004"]
    assert built["name"].tolist() == ["Auk Taung", "Boke Kan", "No Point"]
    assert built["lat"].isna().tolist() == [True, False, True]
    assert (built["township_pcode"] == "MMR005030").all()


def test_village_with_unknown_tract_is_reported_not_kept(tiny_sources, tiny_places):
    left_out = villages_without_tract(tiny_sources, tiny_places)
    assert left_out[["village_pcode", "village_tract_pcode"]].values.tolist() == [
        ["200003", "MMR005030999"]
    ]
    assert "not in places" in left_out["reason"].iloc[0]
