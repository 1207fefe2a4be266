"""The reference build: deterministic, and the committed tables are what it produces."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_build.errors import MissingSourcesError
from reference_build.myanmar import build
from reference_build.myanmar.__main__ import main
from reference_build.myanmar.census_keying import only_exact_combination
from reference_build.myanmar.sources import Sources
from reference_build.myanmar.spelling import split_camel, squash
from tests.conftest import SHARED_SOURCES

BUNDLED = Path(__file__).resolve().parents[1] / "reference_data" / "myanmar"
needs_sources = pytest.mark.skipif(
    not SHARED_SOURCES.exists(), reason="public source files (shared/reference_sources) absent"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("myanmar")
    build(SHARED_SOURCES, out)
    return out


@needs_sources
def test_build_reproduces_the_committed_tables_byte_for_byte(built):
    names = sorted(p.name for p in built.iterdir())
    assert names == [
        "actors.csv",
        "aliases.csv",
        "build_report.md",
        "census_coverage_townships.csv",
        "facilities.csv",
        "memberships.csv",
        "metadata.json",
        "name_keys.csv",
        "places.csv",
        "sources.csv",
        "states_regions.geojson",
        "townships.geojson",
        "villages.csv",
    ]
    for name in names:
        assert (built / name).read_bytes() == (BUNDLED / name).read_bytes(), name


@needs_sources
def test_build_report_states_the_checks_and_lists_unplaced_rows(built):
    report = (built / "build_report.md").read_text()
    assert "Township population sum: 50,279,900" in report
    assert "villages left out, village tract not in places: 450 in 107 village tracts" in report
    assert "MMR001004007: 11 villages" in report
    assert "households 10,877,832" in report
    assert "| VT_Ward_geo.csv | Yegyi Township | No(1)(W) |" in report
    assert "| Hospitals.csv |" in report
    assert "Townships with ward/VT census figures: 167." in report
    # The "total" rule (one value per census name summing to the township's total) lifts the
    # exact ward sums from 53 townships to 85 and the village-tract sums from 18 to 33.
    assert "sum exactly to the urban population in 85, " in report
    assert "their village tracts to the rural population in 33" in report
    # Where the answer is known, the total rule never picks a wrong combination.
    assert re.search(
        r"Total rule checked on \d+ townships.*: (\d+) decided correctly, 0 wrongly", report
    )


@needs_sources
def test_every_pcode_unit_is_in_the_package_or_listed_with_a_reason(built):
    report = (built / "build_report.md").read_text()
    listed, kept, deleted, orphans = (
        int(n.replace(",", ""))
        for n in re.search(
            r"village tracts: ([\d,]+); in places.csv: ([\d,]+); deleted by the release: (\d+) .*"
            r"deleted their parent: (\d+)\.",
            report,
        ).groups()
    )
    assert listed == kept + deleted + orphans
    assert report.count("deleted in the P-code release (end date") == deleted > 100
    assert report.count("parent unit deleted in the P-code release") == orphans


def test_missing_sources_raise_our_error_naming_every_absent_file(tmp_path):
    (tmp_path / "cartesianproduct").mkdir()
    with pytest.raises(MissingSourcesError) as caught:
        Sources.read(tmp_path)
    assert "VT_Ward_geo.csv" in str(caught.value)
    assert "Hospitals.csv" in str(caught.value)


def test_command_line_reports_missing_sources_without_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main([str(tmp_path), "--out", str(tmp_path / "out")])
    assert stopped.value.code == 1
    assert "missing source files" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_squash_and_split_camel_spellings():
    names = pd.Series(["TamuMyoMa(W)", "Tamu Myo Ma Ward", "No (1) Ward", "No(1)(W)"])
    assert squash(names).tolist() == ["tamumyoma", "tamumyoma", "no1", "no1"]
    assert split_camel(pd.Series(["HpaingLin(VT)"])).tolist() == ["Hpaing Lin"]


@given(
    options=st.lists(
        st.lists(st.integers(1, 60), min_size=1, max_size=3, unique=True), min_size=1, max_size=5
    ),
    target=st.integers(1, 200),
)
def test_total_rule_takes_a_combination_only_when_it_is_the_only_exact_one(options, target):
    choices = pd.Series({f"name{i}": sorted(values) for i, values in enumerate(options)})
    exact = [c for c in itertools.product(*choices.tolist()) if sum(c) == target]
    found = only_exact_combination(choices, target)
    if len(exact) == 1:
        assert found == list(exact[0])
    else:
        assert found is None
