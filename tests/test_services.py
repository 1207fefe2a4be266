"""Services of a row's unit: health workers by level, area from outlines, ratios."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.services import township_areas, unit_services


def _units(reference, pcodes: list[str]) -> pd.DataFrame:
    return reference.places.loc[pcodes].reset_index(drop=True)


@pytest.fixture(scope="module")
def areas(reference) -> pd.DataFrame:
    return township_areas(reference.path / "townships.geojson")


def test_township_areas_come_from_the_outlines(reference, areas):
    outlines = reference.geography.outlines.set_index("pcode")
    assert len(areas) == len(outlines) > 300
    assert areas.loc["MMR005030", "area_km2"] == outlines.loc["MMR005030", "area_km2"]


def test_missing_outlines_give_no_area(tmp_path):
    assert township_areas(tmp_path / "none.geojson").empty


def test_health_workers_only_for_townships(reference, areas):
    unit = _units(reference, ["MMR005030", "MMR005030701"])
    out = unit_services(unit, unit["population"], areas, 18.0)
    tamu, town = out.iloc[0], out.iloc[1]
    parts = reference.places.loc["MMR005030", ["doctors", "nurses", "health_assistants"]]
    assert tamu["health_workers"] == reference.places.loc["MMR005030", "health_workers"]
    assert tamu["health_workers"] == parts.sum()
    assert pd.isna(town["health_workers"]) and pd.isna(town["health_workers_source"])
    assert town["services_note"] == "health workers: not available below township"


def test_ratios_use_the_population_given(reference, areas):
    unit = _units(reference, ["MMR005030"])
    people = pd.Series([100_000])
    out = unit_services(unit, people, areas, 18.0).iloc[0]
    assert out["beds_per_10000"] == round(unit.loc[0, "hospital_beds"] / 10, 1)
    assert out["density_per_km2"] == round(100_000 / out["area_km2"], 1)
    assert out["area_source"] == "mimu_boundaries_2014"


def test_town_area_only_when_sourced(reference, areas):
    unit = _units(reference, ["MMR005030703", "MMR015001701"])
    out = unit_services(unit, unit["population"], areas, 18.0)
    khampat, lashio = out.iloc[0], out.iloc[1]
    assert khampat["area_km2"] == 31.1 and khampat["area_source"] == "myanmar_now_khampat_2023"
    assert pd.isna(lashio["area_km2"]) and pd.isna(lashio["density_per_km2"])


def test_no_hospital_figures_below_towns(reference, areas):
    unit = _units(reference, ["MMR005030014"])
    out = unit_services(unit, unit["population"], areas, 18.0).iloc[0]
    assert pd.isna(out["hospitals"]) and pd.isna(out["beds_below_benchmark"])
    assert out["services_note"].startswith("hospitals and beds: not available below town")
