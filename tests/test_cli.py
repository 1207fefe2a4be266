"""The command line, through the real entry points."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

IMPACT = Path(sys.executable).with_name("impact")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "impact", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_report_with_no_argument_runs_on_the_bundled_seeds(tmp_path):
    done = subprocess.run(
        [str(IMPACT), "report"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    folders = list((tmp_path / "reports").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("events-")
    folder = folders[0]
    for name in (
        "impacts.csv",
        "summary.csv",
        "rejected.csv",
        "report.md",
        "manifest.json",
        "match_audit.csv",
    ):
        assert (folder / name).exists(), name
    assert len(list((folder / "charts").glob("*.png"))) >= 2
    assert str(folder.relative_to(tmp_path)) in done.stdout
    assert "used 8, rejected 0" in done.stdout
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["inputs"][0]["rows"] == 8 and len(manifest["inputs"][0]["sha256"]) == 64
    assert manifest["reference"]["version"].startswith("mmr-2014")
    assert manifest["software"]["version"] and manifest["assumptions"]
    report = (folder / "report.md").read_text()
    assert "38,728 / 14,559" in report and "`census_ward_vt`" in report
    again = subprocess.run(
        [str(IMPACT), "report"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0 and len(list((tmp_path / "reports").iterdir())) == 2


def test_help_texts_have_examples(tmp_path):
    for args in (["--help"], ["report", "--help"]):
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 0 and "Example" in done.stdout


def test_data_problem_gives_message_not_traceback(tmp_path):
    done = cli("report", "missing.csv", cwd=tmp_path)
    assert done.returncode == 1
    assert "no such file" in done.stderr and "Traceback" not in done.stderr
    (tmp_path / "bad.csv").write_text("date,place\nnot a date,Atlantis\n")
    done = cli("report", "bad.csv", cwd=tmp_path)
    assert done.returncode == 1 and "none of the 1 input rows" in done.stderr
    assert "Traceback" not in done.stderr


def test_existing_out_folder_needs_force(tmp_path):
    (tmp_path / "out").mkdir()
    done = cli("report", "--out", "out", cwd=tmp_path)
    assert done.returncode == 2 and "--force" in done.stderr
    assert cli("report", "--out", "out", "--force", cwd=tmp_path).returncode == 0


def test_rejected_rows_are_written_and_reconciled(tmp_path):
    (tmp_path / "mixed.csv").write_text(
        "date,place,township\n2023-11-07,Khampat,Tamu\n07/11/2023,Khampat,Tamu\n"
        "2023-11-08,Atlantis,\n2023-11-09,No (1) Ward,Tamu\n"
    )
    done = cli("report", "mixed.csv", "--out", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rejected = pd.read_csv(tmp_path / "r" / "rejected.csv")
    impacts = pd.read_csv(tmp_path / "r" / "impacts.csv")
    assert rejected["reason"].tolist() == ["bad_date", "place_not_found", "place_ambiguous"]
    assert len(impacts) + len(rejected) == 4
    assert "used 1, rejected 3" in done.stdout


@pytest.mark.parametrize(
    "args", [["report", "--scope", "county"], ["report", "--dayfirst", "--monthfirst"]]
)
def test_usage_errors_exit_2(tmp_path, args):
    assert cli(*args, cwd=tmp_path).returncode == 2


def test_places_command_prints_candidates_and_decision(tmp_path):
    done = cli("places", "Kham Pat", "--township", "Tamu", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "MMR005030703" in done.stdout and "matched: MMR005030703" in done.stdout
    done = cli("places", "Myothit", cwd=tmp_path)
    assert done.returncode == 0 and "place_ambiguous" in done.stdout


def test_impact_without_a_command_shows_help(tmp_path):
    done = cli(cwd=tmp_path)
    assert "report" in done.stdout and "places" in done.stdout


@pytest.mark.parametrize("chosen", [None, "mimalloc"])
def test_a_report_takes_arrows_jemalloc_unless_the_user_chose_a_pool(monkeypatch, chosen):
    """Arrow's jemalloc keeps freed pages for reuse (see `_reuse_freed_memory`); a pool the
    user named in ARROW_DEFAULT_MEMORY_POOL is left alone."""
    import pyarrow as pa

    from impact.cli import _reuse_freed_memory

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no jemalloc")
    before = pa.default_memory_pool()
    if chosen is None:
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    else:
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", chosen)
    try:
        _reuse_freed_memory()
        expected = "jemalloc" if chosen is None else before.backend_name
        assert pa.default_memory_pool().backend_name == expected
    finally:
        pa.set_memory_pool(before)


def test_an_unknown_encoding_is_a_usage_problem(tmp_path):
    """A misspelt --encoding is the command's problem, not the file's: exit 2, nothing read."""
    done = cli("report", "--encoding", "klingon", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2 and "unknown text encoding 'klingon'" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_counts_of_a_thousand_rows_or_more_are_written_with_thousands_separators(tmp_path):
    """The terminal, report.md and report.html write row counts as every other figure of
    the report is written: 1,200, not 1200."""
    days = pd.date_range("2021-02-01", periods=1_150, freq="D").strftime("%Y-%m-%d")
    rows = [
        f"KH-{i:04d},{day},Khampat,Tamu,Sagaing Region,captured,"
        "People's Defence Force,Myanmar military,Myanmar Now"
        for i, day in enumerate(days)
    ]
    rows += [
        f"BAD-{i:03d},2023-11-07,Nowhere Such Place,,,captured,PDF,Myanmar military,x"
        for i in range(50)
    ]
    events = tmp_path / "events.csv"
    header = "event_id,date,place,township,region,change,gaining_actor,losing_actor,source"
    events.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    done = cli("report", str(events), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Rows read 1,200: used 1,150, rejected 50" in done.stdout
    expected = "1,200 = 1,150 used + 50 rejected + 0 skipped by rule"
    assert expected in (tmp_path / "out" / "report.md").read_text()
    assert expected in (tmp_path / "out" / "report.html").read_text()


def test_odd_sheet_digits_and_a_looping_input_are_messages(tmp_path):
    (tmp_path / "events.csv").write_text("date,place,change\n2023-11-07,Khampat,captured\n")
    (tmp_path / "loop.csv").symlink_to("loop.csv")
    sheet = cli("report", "events.csv", "--sheet", "²", "--out", "a", "--quiet", cwd=tmp_path)
    assert sheet.returncode == 0, sheet.stderr  # a sheet name, which a CSV file ignores
    loop = cli("report", "loop.csv", "--out", "b", "--quiet", cwd=tmp_path)
    assert loop.returncode == 1
    assert loop.stderr.startswith("error: file loop.csv: cannot open the file")


def test_a_file_with_only_skipped_rows_says_why_each_was_skipped(tmp_path):
    (tmp_path / "acled.csv").write_text(
        "event_id_cnty,event_date,sub_event_type,actor1,location\n"
        "MMR1,2023-11-07,Armed clash,PDF,Khampat\n"
    )
    (tmp_path / "events.csv").write_text("date,place\n2023-11-07,Khampat\n")
    acled = cli("report", "acled.csv", "--out", "a", "--quiet", cwd=tmp_path)
    assert acled.returncode == 1
    assert "1 are not changes of control" in acled.stderr
    assert "--since" not in acled.stderr
    early = cli("report", "events.csv", "--since", "2024-01-01", "--out", "b", cwd=tmp_path)
    assert "1 fall outside the period asked for (widen --since/--until)" in early.stderr
