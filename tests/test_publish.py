"""Publishing a report folder: never over someone's data, atomic, usual permissions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from impact.errors import OutputFolderError, ReportExistsError
from impact.publish import (
    check_target,
    is_impact_report,
    make_staging,
    publish,
    remove_stale,
    rename_noreplace,
)

DEAD_PID = 4194310  # above Linux's largest pid, so never a live process


def _report(folder: Path, marker: str = "old") -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"software": {"name": "impact"}}))
    (folder / "marker.txt").write_text(marker)
    return folder


def _staged(target: Path, marker: str = "new") -> Path:
    staging = make_staging(target)
    (staging / "manifest.json").write_text(json.dumps({"software": {"name": "impact"}}))
    (staging / "marker.txt").write_text(marker)
    return staging


def test_rename_never_replaces_an_empty_folder(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    with pytest.raises(FileExistsError):
        rename_noreplace(tmp_path / "source", tmp_path / "target")
    assert (tmp_path / "source").is_dir() and (tmp_path / "target").is_dir()


def test_staging_is_named_for_its_process_with_usual_permissions(tmp_path):
    staging = make_staging(tmp_path / "out")
    assert staging.name.startswith(f".impact-staging-{os.getpid()}-")
    umask = os.umask(0)
    os.umask(umask)
    assert staging.stat().st_mode & 0o777 == 0o777 & ~umask


def test_publish_without_force_leaves_a_folder_that_appeared(tmp_path):
    target = tmp_path / "out"
    staging = _staged(target)
    target.mkdir()  # a colleague's folder, made while the run was working
    with pytest.raises(ReportExistsError, match="appeared"):
        publish(staging, target)
    assert list(target.iterdir()) == [] and staging.is_dir()


def test_force_replaces_an_earlier_report_and_removes_it(tmp_path):
    target = _report(tmp_path / "out")
    publish(_staged(target), target, force=True)
    assert (target / "marker.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_refuses_a_folder_that_is_not_a_report(tmp_path):
    target = tmp_path / "out"
    staging = _staged(target)
    target.mkdir()
    (target / "thesis.docx").write_text("months of work")
    with pytest.raises(OutputFolderError, match="not an earlier impact report"):
        publish(staging, target, force=True)
    assert (target / "thesis.docx").read_text() == "months of work"


def test_is_impact_report_needs_our_manifest(tmp_path):
    assert is_impact_report(_report(tmp_path / "ours"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"software": {"name": "webpack"}}))
    assert not is_impact_report(other)
    (other / "manifest.json").write_text("{not json")
    assert not is_impact_report(other)


def test_stale_staging_is_removed_and_a_live_one_kept(tmp_path):
    stale = tmp_path / f".impact-staging-{DEAD_PID}-ab12cd34-out"
    live = tmp_path / f".impact-staging-{os.getpid()}-ab12cd34-out"
    stale.mkdir()
    live.mkdir()
    assert remove_stale(tmp_path) == [stale]
    assert not stale.exists() and live.exists()


def test_an_old_report_left_aside_by_a_killed_run_is_put_back(tmp_path):
    aside = _report(tmp_path / f".impact-old-{DEAD_PID}-ab12cd34-out")
    remove_stale(tmp_path)
    assert (tmp_path / "out" / "marker.txt").read_text() == "old" and not aside.exists()


@pytest.mark.parametrize(
    ("name", "force", "error", "message"),
    [
        (".", True, OutputFolderError, "current folder"),
        ("", True, OutputFolderError, "current folder"),
        ("data", True, OutputFolderError, "holds the input file"),
        ("data/events.csv", False, OutputFolderError, "holds the input file"),
        ("mine/notes.txt", False, OutputFolderError, "is a file"),
        ("mine/notes.txt/out", False, OutputFolderError, "is a file"),
        ("link", True, OutputFolderError, "symbolic link"),
        ("x" * 300, False, OutputFolderError, "too long"),
        ("mine", True, OutputFolderError, "not an earlier impact report"),
        ("report", False, ReportExistsError, "--force"),
    ],
)
def test_unsafe_targets_are_refused(tmp_path, monkeypatch, name, force, error, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.csv").write_text("date,place\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    _report(tmp_path / "report")
    (tmp_path / "link").symlink_to(tmp_path / "report")
    with pytest.raises(error, match=message):
        check_target(Path(name), inputs=["data/events.csv"], force=force)


def test_an_earlier_report_may_be_replaced_with_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _report(tmp_path / "report")
    check_target(Path("report"), inputs=[], force=True)
    check_target(Path("new/nested/report"), inputs=[], force=False)
