"""The Khampat run, compared byte for byte with tests/golden/ (rewrite: --update-golden)."""

from __future__ import annotations

from datetime import date

import pytest

import impact
from tests.conftest import GOLDEN

FILES = [
    "impacts.csv",
    "summary.csv",
    "rejected.csv",
    "match_audit.csv",
    "assumptions.csv",
    "report.md",
]


@pytest.fixture(scope="module")
def khampat_report(tmp_path_factory, reference):
    folder = tmp_path_factory.mktemp("golden")
    event = folder / "khampat.csv"
    event.write_text(
        "event_id,date,place,township,region,change,gaining_actor,losing_actor,source\n"
        "KHAMPAT-1,2023-11-07,Khampat,Tamu,Sagaing Region,captured,"
        "People's Defence Force (NUG Military Region 1) with KIA and Chinland Defence Force,"
        'Myanmar military,"Myanmar Now, 8 Nov 2023"\n',
        encoding="utf-8",
    )
    return impact.write_report(impact.run(event, reference=reference), folder / "report")


@pytest.mark.parametrize("name", FILES)
def test_khampat_outputs_match_golden(khampat_report, update_golden, name):
    produced = (khampat_report / name).read_text(encoding="utf-8")
    produced = produced.replace(date.today().isoformat(), "YYYY-MM-DD")
    golden = GOLDEN / name
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8")


def test_golden_holds_the_canonical_khampat_figures():
    header, row = (GOLDEN / "impacts.csv").read_text(encoding="utf-8").splitlines()
    values = dict(zip(header.split(","), _split_csv(row), strict=True))
    assert values["pcode"] == "MMR005030703" and values["place_name"] == "Khampat Town"
    assert values["population_town_census"] == "14559"
    assert values["population_area_census"] == "38728"
    assert (values["wards"], values["village_tracts"]) == ("5", "8")
    assert (values["hospitals"], values["hospital_beds"], values["schools"]) == ("1", "25", "")
    assert values["census_year"] == "2014"


def _split_csv(line: str) -> list[str]:
    import csv

    return next(csv.reader([line]))


def test_same_input_gives_identical_csvs(tmp_path, reference):
    first = impact.write_report(impact.run(reference=reference), tmp_path / "a")
    second = impact.write_report(impact.run(reference=reference), tmp_path / "b")
    for name in ("impacts.csv", "summary.csv", "rejected.csv", "match_audit.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
