"""Runs that race for one report folder, and a run killed while writing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_hostile import AS_OF, CORPUS, make_small_reference


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_reference(tmp_path_factory.mktemp("reference") / "small")


def _start(folder: Path, reference: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "impact", "report", CORPUS / "base.csv"),
            *("--reference", reference, "--quiet", "--as-of", AS_OF, *args),
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_staging(folder: Path, run: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        found = list(folder.glob(".impact-staging-*"))
        if found:
            return found[0]
        time.sleep(0.005)
    raise AssertionError("the run never started writing")


def _complete(report: Path) -> bool:
    manifest = json.loads((report / "manifest.json").read_text())
    return all((report / name).is_file() for name in manifest["outputs"])


def test_two_runs_on_one_folder_exactly_one_wins(tmp_path, reference):
    runs = [_start(tmp_path, reference, "--out", "out") for _ in range(2)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(text for code, text in results if code == 2)
    assert "Traceback" not in loser and ("appeared" in loser or "already exists" in loser)
    assert _complete(tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_runs_with_default_folders_never_collide(tmp_path, reference):
    runs = [_start(tmp_path, reference) for _ in range(2)]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    folders = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert folders == [f"base-{AS_OF}", f"base-{AS_OF}-2"]
    assert all(_complete(tmp_path / "reports" / name) for name in folders)


def test_a_folder_made_while_the_run_works_is_never_touched(tmp_path, reference):
    run = _start(tmp_path, reference, "--out", "out")
    _wait_for_staging(tmp_path, run)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "colleague.txt").write_text("theirs")
    assert run.wait(timeout=300) == 2
    assert "appeared" in run.stderr.read()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["colleague.txt"]
    assert not list(tmp_path.glob(".impact-*"))


def test_a_killed_run_leaves_only_its_staging_folder_which_the_next_run_removes(
    tmp_path, reference
):
    run = _start(tmp_path, reference, "--out", "out")
    staging = _wait_for_staging(tmp_path, run)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    assert sorted(p.name for p in tmp_path.iterdir()) == [staging.name]
    assert staging.name.startswith(f".impact-staging-{run.pid}-")
    again = _start(tmp_path, reference, "--out", "out")
    assert again.wait(timeout=300) == 0, again.stderr.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert _complete(tmp_path / "out")


def test_a_forced_run_killed_while_writing_keeps_the_earlier_report(tmp_path, reference):
    first = _start(tmp_path, reference, "--out", "out")
    assert first.wait(timeout=300) == 0
    before = (tmp_path / "out" / "manifest.json").read_bytes()
    run = _start(tmp_path, reference, "--out", "out", "--force")
    _wait_for_staging(tmp_path, run)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    assert (tmp_path / "out" / "manifest.json").read_bytes() == before
