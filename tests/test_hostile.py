"""Hostile inputs and arguments through the real command line (`python -m impact report …`).

Every case states its class and expected exit code. Each one runs in its own folder and is
checked for the README's promises: a one-line message and never a traceback, rows in = used +
rejected + skipped (from manifest.json), no output cell a spreadsheet would run as a formula,
no raw HTML or injected Markdown in report.md/report.html, no control characters in the
outputs, no staging folder left, and nothing outside the report folder changed. Cases run in
parallel against a small reference package cut from the bundled one, so the suite stays fast.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import impact
import impact.gazetteer
from impact.reference import default_reference_path

CORPUS = Path(__file__).with_name("data") / "hostile"
AS_OF = "2025-06-30"
# Townships whose wards and village tracts are kept in the small reference (Tamu holds Khampat).
KEPT_TOWNSHIPS = {"MMR005030", "MMR005024"}


def make_small_reference(folder: Path) -> Path:
    """The bundled package cut to every unit down to towns, plus Tamu's and Kawlin's wards."""
    source = default_reference_path()
    folder.mkdir(parents=True, exist_ok=True)
    places = pd.read_csv(source / "places.csv", dtype=str, keep_default_na=False)
    upper = ~places["level"].isin(["ward", "village_tract"])
    kept = places[upper | places["township_pcode"].isin(KEPT_TOWNSHIPS)]
    kept = kept[(kept["parent_pcode"] == "") | kept["parent_pcode"].isin(kept["pcode"])]
    kept.to_csv(folder / "places.csv", index=False)
    pcodes = set(kept["pcode"])
    for name, column in (("aliases", "pcode"), ("memberships", "member_pcode")):
        table = pd.read_csv(source / f"{name}.csv", dtype=str, keep_default_na=False)
        table[table[column].isin(pcodes)].to_csv(folder / f"{name}.csv", index=False)
    for name in ("facilities.csv", "sources.csv", "metadata.json"):
        shutil.copy(source / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def small_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_reference(tmp_path_factory.mktemp("reference") / "small")


@dataclass(frozen=True)
class Case:
    """One hostile input: its class, the arguments after `impact report`, the exit code."""

    id: str
    kind: str
    args: tuple[str, ...]
    exit: int
    says: str = ""
    setup: Callable[[Path, Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    check: Callable[[Path, subprocess.CompletedProcess], None] | None = None
    marks: tuple = ()


def _earlier_report(case: Path, _: Path) -> None:
    folder = case / "out"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"software": {"name": "impact"}}))
    (folder / "old.txt").write_text("from the earlier run")


def _user_folder(name: str) -> Callable[[Path, Path], None]:
    def setup(case: Path, _: Path) -> None:
        (case / name).mkdir(parents=True, exist_ok=True)
        (case / name / "thesis.docx").write_text("months of work")

    return setup


def _input_in_subfolder(case: Path, _: Path) -> None:
    (case / "data" / "sub").mkdir(parents=True)
    shutil.copy(CORPUS / "base.csv", case / "data" / "sub" / "events.csv")


def _symlink_to_report(case: Path, ref: Path) -> None:
    _earlier_report(case, ref)
    (case / "link").symlink_to(case / "out", target_is_directory=True)


def _dangling_symlink(case: Path, _: Path) -> None:
    (case / "link").symlink_to(case / "nowhere")


def _a_file(case: Path, _: Path) -> None:
    (case / "out").write_text("not a folder")


def _empty_folder(case: Path, _: Path) -> None:
    (case / "out").mkdir()


def _stale_staging(case: Path, _: Path) -> None:
    stale = case / ".impact-staging-4194310-dead0000-out"
    stale.mkdir()
    (stale / "impacts.csv").write_text("half written")


def _fifo(case: Path, _: Path) -> None:
    os.mkfifo(case / "events.csv")


def _folder_input(case: Path, _: Path) -> None:
    (case / "events.csv").mkdir()


def _undecodable_name(case: Path, _: Path) -> None:
    shutil.copy(CORPUS / "base.csv", os.fsencode(case) + b"/ev\xff\xfe.csv")


def _markup_name(case: Path, _: Path) -> None:
    shutil.copy(CORPUS / "base.csv", case / "[red]events.csv")


def _zip_bomb(case: Path, _: Path) -> None:
    """A workbook whose sheet unpacks to 64 MB of one repeated row (about 100 KB packed)."""
    with (
        zipfile.ZipFile(CORPUS / "events.xlsx") as good,
        zipfile.ZipFile(case / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for entry in good.infolist():
            data = good.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"<row/>" * 11_000_000 + b"</sheetData>")
            bomb.writestr(entry.filename, data)


def _big_csv(case: Path, _: Path) -> None:
    body = (CORPUS / "base.csv").read_text()
    line = body.splitlines()[1] + "\n"
    (case / "big.csv").write_text(body + line * 20_000)


def _home_with_files(case: Path, _: Path) -> None:
    (case / "home" / "Documents").mkdir(parents=True)
    (case / "home" / "Documents" / "notes.txt").write_text("keep me")


def _reference_variant(change: Callable[[Path], None]) -> Callable[[Path, Path], None]:
    def setup(case: Path, reference: Path) -> None:
        shutil.copytree(reference, case / "ref")
        change(case / "ref")

    return setup


def _remove(name: str) -> Callable[[Path], None]:
    return lambda ref: (ref / name).unlink()


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda ref: (ref / name).write_bytes(data)


def _recode_places(ref: Path) -> None:
    text = (ref / "places.csv").read_text(encoding="utf-8")
    (ref / "places.csv").write_bytes(text.encode("utf-16"))


def _drop_column(name: str, column: str) -> Callable[[Path], None]:
    def change(ref: Path) -> None:
        table = pd.read_csv(ref / name, dtype=str, keep_default_na=False)
        table.drop(columns=column).to_csv(ref / name, index=False)

    return change


def _expect_flag(text: str) -> Callable[[Path, subprocess.CompletedProcess], None]:
    def check(folder: Path, _: subprocess.CompletedProcess) -> None:
        impacts = pd.read_csv(folder / "impacts.csv", dtype=str)
        assert impacts["date_flag"].fillna("").str.contains(text, regex=False).any()

    return check


def _expect_rejected(count: int, reason: str = "") -> Callable:
    def check(folder: Path, _: subprocess.CompletedProcess) -> None:
        rejected = pd.read_csv(folder / "rejected.csv", dtype=str)
        assert len(rejected) == count
        assert rejected["reason"].str.contains(reason).all()

    return check


def _expect_stdout(text: str) -> Callable:
    def check(_: Path, done: subprocess.CompletedProcess) -> None:
        assert text in done.stdout + done.stderr

    return check


def _rejected_line(line: int) -> Callable:
    def check(folder: Path, _: subprocess.CompletedProcess) -> None:
        assert pd.read_csv(folder / "rejected.csv")["source_row"].tolist() == [line]

    return check


def _input_named(name: str) -> Callable:
    def check(folder: Path, _: subprocess.CompletedProcess) -> None:
        assert json.loads((folder / "manifest.json").read_text())["inputs"][0]["file"] == name

    return check


def _old_report_replaced(folder: Path, _: subprocess.CompletedProcess) -> None:
    assert not (folder / "old.txt").exists() and (folder / "impacts.csv").exists()
    assert not list(folder.parent.glob(".impact-old-*"))


def _hidden_sheet_skipped(folder: Path, done: subprocess.CompletedProcess) -> None:
    assert "note:" in done.stderr and "'Events'" in done.stderr
    assert set(pd.read_csv(folder / "impacts.csv")["place"]) == {"Khampat", "Kawlin"}


def _defused_header(folder: Path, _: subprocess.CompletedProcess) -> None:
    header = next(csv.reader((folder / "impacts.csv").open(encoding="utf-8")))
    assert "'=hyperlink(1)" in header and "'@evil" in header
    sheet = load_workbook(folder / "impact.xlsx", read_only=True)["impacts"]
    first = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "'=hyperlink(1)" in first


def _escaped_markdown(folder: Path, _: subprocess.CompletedProcess) -> None:
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert not re.search(r"^#+ Injected", md, flags=re.MULTILINE)
    assert not re.search(r"^\s*\* injected", md, flags=re.MULTILINE)
    assert "<script" not in md.lower()
    assert not re.search(r"(?<!\\)\]\(javascript:", md)


def _plain_dollars(folder: Path, _: subprocess.CompletedProcess) -> None:
    assert (folder / "charts" / "people_per_event.png").stat().st_size > 1000
    assert "$\\frac{a$ forces" in (folder / "impacts.csv").read_text(encoding="utf-8")


def _controls_visible(folder: Path, _: subprocess.CompletedProcess) -> None:
    text = (folder / "impacts.csv").read_text(encoding="utf-8")
    assert "Kham\u2400pat" in text and "\u241b[31m" in text
    load_workbook(folder / "impact.xlsx")  # a workbook Excel can open


def _out(*args: str) -> tuple[str, ...]:
    return ("base.csv", "--out", *args)


CASES = [
    # Data is never lost: the report folder and --force.
    Case("out_dot_force", "output folder", _out(".", "--force"), 2, "current folder"),
    Case("out_empty_force", "output folder", _out("", "--force"), 2, "current folder"),
    Case("out_parent_force", "output folder", _out("..", "--force"), 2, "current folder"),
    Case(
        "out_input_folder_force",
        "output folder",
        ("data/sub/events.csv", "--out", "data/sub", "--force"),
        2,
        "holds the input file",
        _input_in_subfolder,
    ),
    Case(
        "out_input_ancestor_force",
        "output folder",
        ("data/sub/events.csv", "--out", "data", "--force"),
        2,
        "holds the input file",
        _input_in_subfolder,
    ),
    Case(
        "out_user_folder_force",
        "output folder",
        _out("out", "--force"),
        2,
        "not an earlier impact report",
        _user_folder("out"),
    ),
    Case(
        "out_earlier_report_no_force",
        "output folder",
        _out("out"),
        2,
        "--force",
        _earlier_report,
    ),
    Case("out_empty_no_force", "output folder", _out("out"), 2, "already exists", _empty_folder),
    Case(
        "out_symlink_force",
        "output folder",
        _out("link", "--force"),
        2,
        "symbolic link",
        _symlink_to_report,
    ),
    Case(
        "out_dangling_symlink", "output folder", _out("link"), 2, "symbolic link", _dangling_symlink
    ),
    Case("out_is_file", "output folder", _out("out"), 2, "is a file", _a_file),
    Case("out_is_file_force", "output folder", _out("out", "--force"), 2, "is a file", _a_file),
    Case("out_under_file", "output folder", _out("base.csv/report"), 2, "is a file"),
    Case("out_read_only", "output folder", _out("/proc/impact-report"), 2, "cannot"),
    Case("out_too_long", "output folder", _out("r" * 300), 2, "too long"),
    Case("out_root_force", "output folder", _out("/", "--force"), 2, "current folder"),
    Case(
        "out_home_force",
        "output folder",
        _out("home", "--force"),
        2,
        "home",
        _home_with_files,
        env={"HOME": "{case}/home", "MPLCONFIGDIR": "{case}/../mplconfig"},
    ),
    Case(
        "out_force_replaces_report",
        "output folder",
        _out("out", "--force"),
        0,
        setup=_earlier_report,
        check=_old_report_replaced,
    ),
    Case("out_force_empty_folder", "output folder", _out("out", "--force"), 0, setup=_empty_folder),
    Case(
        "out_default_name_taken",
        "output folder",
        ("base.csv",),
        0,
        setup=_user_folder(f"reports/base-{AS_OF}"),
        check=_expect_stdout(f"base-{AS_OF}-2"),
    ),
    Case("out_stale_staging_removed", "output folder", _out("out"), 0, setup=_stale_staging),
    Case("out_inside_input_folder", "output folder", _out("nested/report"), 0),
    Case("out_markup_name", "markup", _out("rep[bold]x"), 0, check=_expect_stdout("rep[bold]x")),
    # One bad cell never kills the run: dates.
    Case("date_year_3023", "dates", ("date_year_3023.csv",), 0, check=_expect_rejected(1, "date")),
    Case("date_iso_3023", "dates", ("date_iso_3023.csv",), 0, check=_expect_rejected(1, "date")),
    Case("date_numeric_3023", "dates", ("date_numeric_3023.csv", "--dayfirst"), 0),
    Case("date_year_1600", "dates", ("date_year_1600.csv",), 0, check=_expect_rejected(1, "date")),
    Case(
        "date_buddhist_era",
        "dates",
        ("date_buddhist_era.csv",),
        0,
        check=_expect_flag("Buddhist-era year converted"),
    ),
    Case(
        "date_range_buddhist",
        "dates",
        ("date_range_buddhist.csv",),
        0,
        check=_expect_flag("Buddhist-era"),
    ),
    Case("date_future", "dates", ("date_future.csv",), 0, check=_expect_flag("in the future")),
    Case("date_all_out_of_range", "dates", ("date_all_out_of_range.csv",), 1, "none of the 2"),
    Case("date_huge_numbers", "dates", ("date_huge_numbers.csv",), 0),
    Case("as_of_not_a_date", "dates", ("base.csv", "--as-of", "2024-13-45"), 2, "--as-of"),
    # Safe outputs: control characters, markup, mathtext, formulas, Markdown and HTML.
    Case(
        "control_characters",
        "text",
        ("control_characters.csv",),
        0,
        check=_controls_visible,
    ),
    Case("mathtext", "text", ("mathtext.csv",), 0, check=_plain_dollars),
    Case("rich_markup_cells", "markup", ("rich_markup.csv",), 0),
    Case(
        "rich_markup_file_name",
        "markup",
        ("[red]events.csv",),
        0,
        setup=_markup_name,
        check=_input_named("[red]events.csv"),
    ),
    Case(
        "rich_markup_missing_file",
        "markup",
        ("[bold]missing[/bold].csv",),
        1,
        "[bold]missing[/bold].csv",
    ),
    Case("formula_cells", "formulas", ("formula_cells.csv",), 0),
    Case("formula_header", "formulas", ("formula_header.csv",), 0),
    Case(
        "acled_formula_headers",
        "formulas",
        ("acled_formula_headers.csv",),
        0,
        check=_defused_header,
    ),
    Case(
        "markdown_injection", "report text", ("markdown_injection.csv",), 0, check=_escaped_markdown
    ),
    Case("html_in_place", "report text", ("html_in_place.csv",), 0),
    Case("pipes_and_newlines", "report text", ("pipes_and_newlines.csv",), 0),
    Case("long_cell", "text", ("long_cell.csv",), 0),
    Case("bidi_and_zero_width", "text", ("bidi_and_zero_width.csv",), 0),
    # Hostile files.
    Case("truncated_xlsx", "files", ("truncated.xlsx",), 1, "truncated"),
    Case("encrypted_xlsx", "files", ("encrypted.xlsx",), 1, "password"),
    Case("zip_entry_encrypted", "files", ("zip_entry_encrypted.xlsx",), 1, "encrypted"),
    Case("old_xls", "files", ("old_format.xls",), 1, ".xls"),
    Case("not_a_workbook", "files", ("not_a_workbook.xlsx",), 1, "not an Excel workbook"),
    Case("damaged_sheet_xml", "files", ("damaged_sheet_xml.xlsx",), 1, "save it again as .xlsx"),
    Case("all_sheets_hidden", "files", ("all_sheets_hidden.xlsx",), 1, "hidden"),
    Case(
        "hidden_first_sheet", "files", ("hidden_first_sheet.xlsx",), 0, check=_hidden_sheet_skipped
    ),
    Case(
        "very_hidden_first_sheet",
        "files",
        ("very_hidden_first_sheet.xlsx",),
        0,
        check=_hidden_sheet_skipped,
    ),
    Case("dimension_bomb", "limits", ("dimension_bomb.xlsx",), 1, "IMPACT_MAX_CELLS"),
    Case(
        "zip_bomb",
        "limits",
        ("bomb.xlsx",),
        1,
        "IMPACT_MAX_UNCOMPRESSED_MB",
        _zip_bomb,
        env={"IMPACT_MAX_UNCOMPRESSED_MB": "16"},
    ),
    Case(
        "bytes_limit",
        "limits",
        ("big.csv",),
        1,
        "IMPACT_MAX_INPUT_MB",
        _big_csv,
        env={"IMPACT_MAX_INPUT_MB": "1"},
    ),
    Case(
        "cells_limit_csv",
        "limits",
        ("big.csv",),
        1,
        "IMPACT_MAX_CELLS",
        _big_csv,
        env={"IMPACT_MAX_CELLS": "1000"},
    ),
    Case(
        "limit_not_a_number",
        "limits",
        ("base.csv",),
        1,
        "IMPACT_MAX_CELLS",
        env={"IMPACT_MAX_CELLS": "lots"},
    ),
    Case("directory_input", "files", ("events.csv",), 1, "is a folder", _folder_input),
    Case("fifo_input", "files", ("events.csv",), 1, "not a regular file", _fifo),
    Case("dev_zero", "files", ("/dev/zero",), 1, "not a regular file"),
    Case("missing_file", "files", ("nowhere.csv",), 1, "no such file"),
    Case("undecodable_file_name", "files", ("{undecodable}",), 1, "rename", _undecodable_name),
    Case("empty_file", "files", ("empty.csv",), 1, "empty"),
    Case("header_only", "files", ("header_only.csv",), 1, "no event rows"),
    Case("binary_garbage", "files", ("binary_garbage.csv",), 1),
    Case("xlsx_named_csv", "files", ("xlsx_named_csv.csv",), 1),
    Case("nul_bytes_raw", "files", ("nul_bytes_raw.csv",), 0),
    # Malformed reference packages.
    Case("ref_missing_folder", "reference", ("base.csv", "--reference", "noref"), 1, "no such"),
    Case("ref_is_file", "reference", ("base.csv", "--reference", "base.csv"), 1, "no such"),
    Case(
        "ref_no_places",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "no places.csv",
        _reference_variant(_remove("places.csv")),
    ),
    Case(
        "ref_empty_places",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "is empty",
        _reference_variant(_write("places.csv", b"")),
    ),
    Case(
        "ref_header_only_places",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "no place rows",
        _reference_variant(_write("places.csv", b"pcode,name,level,parent_pcode,source\n")),
    ),
    Case(
        "ref_bad_json",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "metadata.json",
        _reference_variant(_write("metadata.json", b'{"census_date": "2014-03-29",')),
    ),
    Case(
        "ref_json_not_object",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "JSON object",
        _reference_variant(_write("metadata.json", b"[1, 2]")),
    ),
    Case(
        "ref_bad_census_date",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "census_date",
        _reference_variant(_write("metadata.json", b'{"census_date": "soon"}')),
    ),
    Case(
        "ref_wrong_encoding",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "UTF-8",
        _reference_variant(_recode_places),
    ),
    Case(
        "ref_sources_no_title",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "title",
        _reference_variant(_drop_column("sources.csv", "title")),
    ),
    Case(
        "ref_aliases_no_alias",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "alias",
        _reference_variant(_drop_column("aliases.csv", "alias")),
    ),
    Case(
        "ref_places_no_level",
        "reference",
        ("base.csv", "--reference", "ref"),
        1,
        "level",
        _reference_variant(_drop_column("places.csv", "level")),
    ),
    # Impossible assumptions.
    *[
        Case(f"assumptions_{name}", "assumptions", ("base.csv", "--assumptions", file), 1, says)
        for name, file, says in [
            ("growth_minus_100", "growth_minus_100.toml", "growth_low"),
            ("growth_absurd", "growth_absurd.toml", "growth_high"),
            ("growth_nan", "growth_nan.toml", "growth_central"),
            ("census_future", "census_future.toml", "census_date"),
            ("census_not_date", "census_not_date.toml", "census_date"),
            ("empty", "assumptions_empty.toml", "sets no assumption"),
            ("wrong_type", "wrong_type.toml", "growth_central"),
            ("boolean", "boolean.toml", "coverage_margin"),
            ("unknown_name", "unknown_name.toml", "growth_middle"),
            ("unknown_entry_key", "unknown_entry_key.toml", "growth_central"),
            ("no_value", "no_value.toml", "growth_central"),
            ("not_toml", "not_toml.toml", "cannot read"),
            ("missing", "none.toml", "cannot read"),
        ]
    ],
    Case(
        "assumptions_valid", "assumptions", ("base.csv", "--assumptions", "valid_override.toml"), 0
    ),
    # Input columns that collide with ours, notes in change text, file line numbers.
    Case(
        "collision_population_source",
        "collisions",
        ("collision.csv",),
        0,
        setup=lambda case, _: (case / "collision.csv").write_text(
            (CORPUS / "base.csv").read_text().replace("notes", "population_source")
        ),
        check=_expect_stdout("rejected 0"),
    ),
    Case(
        "change_with_note",
        "collisions",
        ("note.csv",),
        0,
        setup=lambda case, _: (case / "note.csv").write_text(
            (CORPUS / "base.csv").read_text().replace(",captured,", ",captured (reported),")
        ),
        check=_expect_stdout("rejected 0"),
    ),
    Case(
        "blank_line_row_numbers",
        "collisions",
        ("blank.csv",),
        0,
        setup=lambda case, _: (case / "blank.csv").write_text(
            "event_id,date,place,township\nE1,2023-11-07,Khampat,Tamu\n\nE2,someday,Kawlin,\n"
        ),
        check=_rejected_line(4),
    ),
]


def _snapshot(folder: Path) -> dict[str, tuple]:
    """Every path under `folder` with its type and content hash (links and pipes not followed)."""
    state = {}
    for root, dirs, files in os.walk(os.fsencode(folder)):
        for name in dirs + files:
            path = os.path.join(root, name)
            key = os.path.relpath(path, os.fsencode(folder))
            info = os.lstat(path)
            if os.path.islink(path):
                state[key] = ("link", os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as handle:
                    state[key] = ("file", hashlib.sha256(handle.read()).hexdigest())
            else:
                state[key] = ("other", info.st_mode)
    return state


@dataclass
class Outcome:
    case: Case
    folder: Path
    before: dict
    after: dict
    done: subprocess.CompletedProcess
    report: Path | None


def _in_corpus(name: str) -> bool:
    try:
        return (CORPUS / name).is_file()
    except OSError:  # a name too long for the file system
        return False


def _run_case(case: Case, root: Path, reference: Path) -> Outcome:
    folder = root / case.id
    folder.mkdir()
    args = []
    for arg in case.args:
        if _in_corpus(arg) and not (folder / arg).exists():
            shutil.copy(CORPUS / arg, folder / arg)
        args.append(arg)
    if case.setup:
        case.setup(folder, reference)
    argv = [os.fsencode(a) for a in args]
    if "{undecodable}" in args:
        argv = [b"ev\xff\xfe.csv"]
    if "--reference" not in args:
        argv += [b"--reference", os.fsencode(reference)]
    if "--out" not in args and case.id != "out_default_name_taken":
        argv += [b"--out", b"report"]
    env = os.environ | {k: v.replace("{case}", str(folder)) for k, v in case.env.items()}
    before = _snapshot(folder)
    done = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"impact", b"report", *argv, b"--quiet"]
        + ([] if "--as-of" in args else [b"--as-of", AS_OF.encode()]),
        cwd=folder,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        env=env,
    )
    found = re.search(r"Report written to (.+)", done.stdout)
    report = folder / found.group(1).strip() if found else None
    return Outcome(case, folder, before, _snapshot(folder), done, report)


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory, small_reference: Path) -> dict:
    """Every case run once, several at a time (each is its own process)."""
    root = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = pool.map(lambda case: _run_case(case, root, small_reference), CASES)
        return {outcome.case.id: outcome for outcome in runs}


FORMULA = re.compile(r"^[=+\-@\t\r]")
NUMBER = re.compile(r"^[+-]?(\d[\d,]*)?\.?\d+([eE][+-]?\d+)?$")
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _risky(value: object) -> bool:
    return isinstance(value, str) and bool(FORMULA.match(value)) and not NUMBER.match(value)


def output_problems(folder: Path) -> list[str]:
    """Broken promises in a report folder: formulas, controls, raw HTML, remote images."""
    problems = []
    csv.field_size_limit(2**31 - 1)  # a long input cell is one of the cases
    for path in sorted(folder.glob("*.csv")):
        if CONTROL_BYTES.search(path.read_bytes()):
            problems.append(f"{path.name}: control character")
        with path.open(encoding="utf-8", newline="") as handle:
            for number, cells in enumerate(csv.reader(handle)):
                problems += [f"{path.name} line {number + 1}: {c!r}" for c in cells if _risky(c)]
    book = load_workbook(folder / "impact.xlsx", read_only=True)
    for sheet in book.worksheets:
        for cells in sheet.iter_rows(values_only=True):
            problems += [f"impact.xlsx {sheet.title}: {c!r}" for c in cells if _risky(c)]
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    if re.search(r"<[A-Za-z/!]", markdown):
        problems.append("report.md: raw HTML")
    if re.search(r"!\[[^\]]*\]\((?!charts/)", markdown):
        problems.append("report.md: remote image")
    html = (folder / "report.html").read_text(encoding="utf-8")
    if re.search(r"<(script|iframe|object|embed|b)\b", html, flags=re.IGNORECASE):
        problems.append("report.html: raw tag from input")
    if re.search(r'<img\b(?![^>]*src="data:image/png)', html):
        problems.append("report.html: image that is not embedded")
    if re.search(r"<[^>]*\son\w+\s*=", html):
        problems.append("report.html: event handler attribute")
    for name in ("report.md", "report.html"):
        if CONTROL_BYTES.search((folder / name).read_bytes()):
            problems.append(f"{name}: control character")
    return problems


def _reconciled(folder: Path) -> None:
    rows = json.loads((folder / "manifest.json").read_text())["rows"]
    assert rows["input"] == rows["used"] + rows["rejected"] + rows["skipped"]
    for name, key in (("impacts", "used"), ("rejected", "rejected"), ("skipped", "skipped")):
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            assert sum(1 for _ in csv.reader(handle)) - 1 == rows[key], name


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_hostile_case(case: Case, outcomes: dict) -> None:
    outcome = outcomes[case.id]
    done = outcome.done
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == case.exit, done.stderr
    if case.exit and "Invalid value" not in done.stderr:  # typer's own usage errors
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, done.stderr
        assert case.says in done.stderr.replace("\n", " "), done.stderr
    changed = {
        key
        for key in outcome.before.keys() | outcome.after.keys()
        if outcome.before.get(key) != outcome.after.get(key)
    }
    if outcome.report is not None:
        inside = os.fsencode(outcome.report.relative_to(outcome.folder))
        changed = {k for k in changed if k != inside and not k.startswith(inside + b"/")}
        changed -= {os.fsencode(p) for p in ("reports", "nested")}
        if case.id == "out_stale_staging_removed":
            assert all(k.startswith(b".impact-staging-4194310") for k in changed)
            changed = set()
        _reconciled(outcome.report)
        assert output_problems(outcome.report) == []
        assert oct(outcome.report.stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    assert changed == set(), changed
    assert not list(outcome.folder.rglob(".impact-staging-*")) or case.id.startswith("out_read")
    if case.check:
        case.check(outcome.report, done)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_corpus_covers_every_class() -> None:
    kinds = pd.Series([c.kind for c in CASES]).value_counts()
    assert len(CASES) >= 60
    assert set(kinds.index) >= {
        "output folder",
        "dates",
        "text",
        "markup",
        "formulas",
        "report text",
        "files",
        "limits",
        "reference",
        "assumptions",
    }


def test_rerun_with_same_as_of_is_byte_identical_in_any_time_zone(tmp_path, small_reference):
    """Kiritimati (UTC+14) and Baker Island (UTC-12) are on different dates at every moment."""
    outputs = {}
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        done = subprocess.run(
            [
                *(sys.executable, "-m", "impact", "report", CORPUS / "date_future.csv"),
                *("--reference", small_reference, "--as-of", AS_OF, "--quiet"),
                *("--out", tmp_path / zone.replace("/", "-")),
            ],
            capture_output=True,
            text=True,
            env=os.environ | {"TZ": zone},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        folder = tmp_path / zone.replace("/", "-")
        outputs[zone] = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
    first, second = outputs.values()
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    manifest = json.loads(first["manifest.json"])
    assert manifest["as_of"] == AS_OF and manifest["created"] == AS_OF


def test_unexpected_exception_is_one_line_with_a_log_and_exit_3(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import impact.cli
    import impact.pipeline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(impact.pipeline, "run", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    done = CliRunner().invoke(impact.cli.app, ["report", "--quiet"])
    assert done.exit_code == 3
    assert "internal error" in done.output and "please report" in done.output
    log = Path(re.search(r"details in (\S+\.log)", done.output.replace("\n", "")).group(1))
    assert "ZeroDivisionError: a bug" in log.read_text()
    assert "Traceback" not in done.output


def test_library_raises_only_impact_errors_for_hostile_files(small_reference):
    for name in ("truncated.xlsx", "encrypted.xlsx", "old_format.xls", "dimension_bomb.xlsx"):
        with pytest.raises(impact.ImpactError):
            impact.read_events(CORPUS / name)


@pytest.fixture(scope="session")
def small_loaded(small_reference: Path) -> impact.reference.Reference:
    """The small package, loaded once (its name index is kept with it)."""
    return impact.load_reference(small_reference)


HOSTILE_TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("\x00\x07\x1b\x0b\r\n\t|$[]<>`*_#=+-@\\\"',;")),
        st.sampled_from(["$\\frac{", "[bold]", "[/]", "<script>", "![x](http://e/x.png)"]),
    ),
    max_size=12,
).map("".join)
COLUMNS = ["event_id", "date", "place", "township", "change", "gaining_actor", "notes", "=extra"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.fixed_dictionaries({c: HOSTILE_TEXT for c in COLUMNS}), max_size=3),
    header=HOSTILE_TEXT,
)
def test_random_text_in_every_column_raises_only_our_errors(rows, header, small_loaded):
    good = {"event_id": "K1", "date": "2023-11-07", "place": "Khampat", "township": "Tamu"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=[*COLUMNS, header or "x"])
            writer.writeheader()
            writer.writerows([good, *rows])
        try:
            result = impact.run(path, reference=small_loaded, as_of=AS_OF)
            report = impact.write_report(result, Path(folder) / "report")
        except impact.ImpactError:
            return
        assert output_problems(report) == []
        assert (
            sum(result.reconciliation[k] for k in ("used", "rejected", "skipped")) == len(rows) + 1
        )
