"""Read control-change events from CSV, Excel or ACLED files into one normalised table.

Every input row ends in exactly one of three tables: `events` (usable), `rejected` (with the
file, line, column, value and a reason code) or `skipped` (left out by a rule, such as an
ACLED row that is not a control change). Column names are matched forgivingly, unknown columns
pass through, and encodings and delimiters are detected, so a sheet typed by a colleague reads
without editing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame

from impact import acled
from impact.changes import NEGATED, parse_changes, read_change
from impact.dates import INVISIBLE, date_flags, parse_event_dates
from impact.errors import InputFileError
from impact.input_files import excel_sheet, read_input_file, visible_sheets
from impact.names import repair_pcode
from impact.per_value import once_per_row, once_per_value, rows_at
from impact.problems import combine, no_problems, rejected_rows, skipped_rows
from impact.schemas import (
    CHANGE_WORDS,
    WORKING_COLUMNS,
    Event,
    Impact,
    Rejected,
    RejectReason,
    Skipped,
    SkipReason,
    date_order,
)
from impact.sheets import HEADER_SEARCH_LINES, Sheet, is_workbook, read_sheet

COLUMN_SYNONYMS = {
    "event_id": ["event_id", "id", "event", "event_no", "event_number"],
    "date": [
        "date",
        "event_date",
        "date_of_change",
        "date_of_event",
        "date_of_takeover",
        "date_of_capture",
        "takeover_date",
        "capture_date",
        "date_captured",
        "incident_date",
        "date_reported",
        "reported_date",
        "when",
        "day",
        "month",
        "period",
    ],
    "place": [
        "place",
        "town",
        "location",
        "place_name",
        "town_name",
        "location_name",
        "city",
        "village",
        "village_name",
        "locality",
        "settlement",
        "towns_captured",
        "town_captured",
        "place_captured",
        "where",
        "area",
        "pcode",
    ],
    "township": ["township", "admin3", "tsp", "township_name"],
    "district": ["district", "admin2"],
    "region": ["region", "state", "state_region", "admin1", "state_or_region", "division"],
    "change": [
        "change",
        "change_type",
        "control_change",
        "type",
        "what_happened",
        "status",
        "current_status",
        "control_status",
        "situation",
        "event",
        "event_type",
    ],
    "gaining_actor": [
        "gaining_actor",
        "gained_by",
        "taken_by",
        "actor",
        "actor1",
        "new_holder",
        "controlled_by",
        "now_controlled_by",
        "captured_by",
        "seized_by",
        "new_controller",
        "current_controller",
        "controller",
        "armed_group",
        "group",
    ],
    "losing_actor": [
        "losing_actor",
        "lost_by",
        "actor2",
        "previous_holder",
        "previous_control",
        "previously_controlled_by",
        "previous_controller",
        "former_controller",
    ],
    "source": ["source", "sources", "reported_by", "reference"],
    "confidence": ["confidence"],
    "event_scope": ["scope", "event_scope"],
    "notes": ["notes", "note", "comment", "comments"],
    "alt_names": ["alt_names", "alt_name", "aliases", "other_names", "alternative_names"],
    "latitude": ["latitude", "lat", "y"],
    "longitude": ["longitude", "lon", "lng", "long", "x"],
}
# Every column a later stage writes: an input column of the same name is kept as input_<name>.
RESERVED = frozenset(Impact.to_schema().columns) | WORKING_COLUMNS
WEEKDAYS = re.compile(
    r"^(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|sday|nesday|rsday|urday)?\.?$",
    re.IGNORECASE,
)
MAX_PLACE_LENGTH = 200
# Words that make a header the date or the place when no header is a synonym of it.
WORD_IN_HEADER = {"date": ("date",), "place": ("town", "towns", "village", "location", "place")}
# Rows, then distinct texts, of a column looked at to tell what it holds.
COLUMN_SAMPLE = 10_000
CHANGE_SAMPLE = 200


def _word_list(words: list[str]) -> str:
    """The words without their other forms (seized, not also seize, seizes …)."""
    kept: list[str] = []
    for word in words:
        if not any(word[:4] == other[:4] for other in kept):
            kept.append(word)
    return ", ".join(kept)


CHANGE_WORDS_HINT = "expected a change word (notes around it are kept): " + "; ".join(
    f"{change}: {_word_list(words)}" for change, words in CHANGE_WORDS.items()
)


@dataclass(frozen=True)
class InputFile:
    """One file read: its name as given, its bytes' hash, its rows and how it was laid out.

    `renamed` maps an input header that passes through to the name it is kept under, when
    that differs from the header as written (snake_case, a collision with one of the
    project's columns, a repeat, no name); `notes` says what else the reader did
    (lines above the header skipped, empty columns dropped, a weekday column not taken as the
    date).
    """

    file: str
    sha256: str
    rows: int
    layout: str
    renamed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class EventTable:
    """Events read from one or more files: usable, rejected and skipped rows, and the inputs."""

    events: DataFrame[Event]
    rejected: DataFrame[Rejected]
    skipped: DataFrame[Skipped]
    inputs: list[InputFile]

    @property
    def rows_read(self) -> int:
        return sum(item.rows for item in self.inputs)

    def pop_events(self) -> DataFrame[Event]:
        """The usable rows, handed over: the table keeps none of them, so that a large run
        lets them go once it has made the next table from them."""
        # Taken, not sliced: an empty slice of Arrow text still holds every row's text.
        events, self.events = self.events, self.events.take([])
        return events

    @property
    def renamed(self) -> dict[str, dict[str, str]]:
        """Input columns kept under another name, by file: {file: {header: kept as}}."""
        return {item.file: item.renamed for item in self.inputs if item.renamed}


def read_events(
    paths: str | Path | list[str | Path],
    *,
    dayfirst: bool | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
    census_date: pd.Timestamp | None = None,
    as_of: str | date | None = None,
) -> EventTable:
    """Read event files (CSV, XLSX, ACLED exports) into normalised events, in date order.

    Args:
        paths: one file or several; their rows are concatenated.
        dayfirst: how to read dates such as 07/11/2023; None refuses ambiguous ones.
        sheet: the Excel sheet to read (name or position).
        encoding: the text encoding of CSV files; detected when None.
        census_date: the reference census date; earlier events are flagged.
        as_of: the report's "today"; later events are flagged (default the run date).

    Raises:
        InputFileError: a file is missing, unreadable, or has no date or place column.
    """
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    tables = [
        _read_one(Path(p), sheet=sheet, encoding=encoding, dates=(dayfirst, as_of, census_date))
        for p in paths
    ]
    events = pd.concat([t.events for t in tables], ignore_index=True)
    repeated, duplicates = _duplicates(events)
    # Date order from the start (no later stage reorders the wide tables); the repeated rows
    # are left out by the same move.
    kept = np.flatnonzero(~repeated)
    order = kept[date_order(events[["date", "event_id"]].iloc[kept])]
    return EventTable(
        events=rows_at(events, order),
        rejected=combine(*(t.rejected for t in tables), duplicates),
        skipped=combine(*(t.skipped for t in tables)),
        inputs=[item for t in tables for item in t.inputs],
    )


def _read_one(
    path: Path,
    *,
    sheet: str | int,
    encoding: str | None,
    dates: tuple[bool | None, str | date | None, pd.Timestamp | None],
) -> EventTable:
    """One file's events; `dates` is (dayfirst, as_of, census_date) for reading and flags."""
    data = read_input_file(path)
    if is_workbook(path):
        sheet = excel_sheet(path, data, sheet)
    read = read_sheet(path, data, looks_like_header, sheet=sheet, encoding=encoding)
    lines = read.lines.to_numpy()
    if acled.is_acled(read.header):
        plan = acled_plan(read.header)
        raw = read.cells.set_axis(plan.names, axis=1).assign(source_row=lines)
        frame, rule_out = acled.acled_events(raw)
        layout, renamed, notes = "acled", plan.renamed, plan.notes
    else:
        plan = _planned(read, path, data, sheet)
        raw = read.cells.set_axis(plan.names, axis=1).assign(source_row=lines)
        filled, fill_notes = _blank_places_filled(raw, plan)
        frame = _place_from_pcodes(filled, plan)
        why = _not_events(filled)
        rule_out = pd.Series(raw.index.isin(why.index), index=raw.index)
        layout, renamed, notes = "table", plan.renamed, [*plan.notes, *fill_notes]
    if layout == "acled":
        skipped = acled.skipped_rows(
            raw.rename(columns=str.lower)[rule_out].assign(source_file=path.name)
        )
    else:
        skipped = skipped_rows(
            raw.loc[why.index].assign(source_file=path.name),
            column=why["column"],
            value=why["value"],
            reason=SkipReason.NOT_AN_EVENT,
            message=why["message"],
        )
    kept = frame[~rule_out] if rule_out.any() else frame
    normalised, problems = _normalise(kept, path, layout, *dates)
    events, rejected = _validate(normalised, problems)
    digest = hashlib.sha256(data).hexdigest()
    notes = [*read.notes, *notes, *_unread_points(normalised)]
    item = InputFile(str(path), digest, len(raw), layout, renamed, notes)
    return EventTable(events, rejected, skipped, [item])


def _planned(read: Sheet, path: Path, data: bytes, sheet: str | int) -> ColumnPlan:
    """`plan_columns`; when a workbook's sheet has no events table, the message names the
    workbook's other sheets (a README sheet often comes first)."""
    try:
        return plan_columns(read.header, read.cells, path)
    except InputFileError as error:
        names = visible_sheets(data) if is_workbook(path) else []
        if isinstance(sheet, int):
            sheet = names[sheet] if sheet < len(names) else None
        others = [name for name in names if name != sheet]
        if not others:
            raise
        listed = ", ".join(repr(name) for name in others)
        raise InputFileError(
            f"{error.message}. The workbook has other sheets ({listed}): name the one holding "
            "the events with --sheet",
            file=error.file,
        ) from error


@dataclass
class ColumnPlan:
    """The name each input column is read under, and the renames and notes to report."""

    names: list[str]
    renamed: dict[str, str]
    notes: list[str]
    pcode_column: str | None = None
    # Other columns named like a place ("Village" beside "Town"), for rows whose place is empty.
    other_places: list[str] = field(default_factory=list)


def header_key(name: object) -> str:
    """A header in snake_case: "Event Date " → "event_date"."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _bare_key(name: object) -> str:
    """The header without bracketed notes: "Date (dd/mm/yyyy)" → "date"."""
    return header_key(re.sub(r"[(\[][^)\]]*[)\]]", " ", str(name)))


def _first_key(name: object) -> str:
    """The first of several names in a header: "Town/Village" or "Town, village" → "town"."""
    return _bare_key(re.split(r"[/,;|]| or ", str(name))[0])


def looks_like_header(cells: Sequence[str]) -> bool:
    """True when the cells name a date and a place column (or are an ACLED header)."""
    if acled.is_acled(pd.Index(cells)):
        return True
    keys = {key(c) for c in cells for key in (header_key, _bare_key, _first_key)}
    words = {word for key in keys for word in key.split("_")}
    return all(
        keys & set(COLUMN_SYNONYMS[name]) or words & set(WORD_IN_HEADER[name])
        for name in ("date", "place")
    )


def plan_columns(header: list[str], cells: pd.DataFrame, path: Path) -> ColumnPlan:
    """Map each header to its canonical name; other headers pass through in snake_case.

    Repeated headers become name, name_2 …; a header equal to one of the project's own columns
    (`RESERVED`) is kept as input_<name>; a `pcode` column next to a place column is used for
    the place when it holds P-codes, else kept as input_pcode.

    Raises:
        InputFileError: no date or no place column.
    """
    keys, notes = _unique_keys(header)
    names: list[str | None] = [None] * len(keys)
    # By position: a repeated header would otherwise give a table of every column so named.
    values = {position: cells.iloc[:, position] for position in range(cells.shape[1])}
    for canonical, synonyms in COLUMN_SYNONYMS.items():
        unfit = partial(_unfit, canonical, keys, values)
        position = _best_column(keys, header, synonyms, names, unfit)
        if position is not None and canonical == "date" and _weekdays(values.get(position)):
            notes.append(f"column {header[position]!r} holds weekdays: not read as the date")
            position = _best_column(keys, header, synonyms[:-1], names, unfit)
        if position is None and canonical in WORD_IN_HEADER:
            position = _column_with_word(keys, names, WORD_IN_HEADER[canonical], unfit)
        if position is not None:
            names[position] = canonical
    if "place" not in names and "township" in names:
        names[names.index("township")] = "place"
        notes.append("no place column: the township column is the place")
    pcode_at = keys.index("pcode") if "pcode" in keys and names[keys.index("pcode")] is None else -1
    uses_pcodes = pcode_at >= 0 and _holds_pcodes(values.get(pcode_at))
    passing = [
        names[position] or (f"input_{key}" if key in RESERVED else key)
        for position, key in enumerate(keys)
    ]
    # input_<name> may be another header's name too; with P-codes, the names go to input_place.
    final, clashes = _numbered(header, passing, kept={"input_place"} if uses_pcodes else set())
    plan = ColumnPlan(final, {}, [*notes, *clashes])
    for position, name in enumerate(final):
        if names[position] is None and name != header[position]:
            plan.renamed[_label(header, position)] = name
    if uses_pcodes:
        plan.pcode_column = final[pcode_at]
    plan.other_places = [
        final[position]
        for synonym in COLUMN_SYNONYMS["place"]
        if synonym not in ("pcode", "area", "where")
        for position, key in enumerate(keys)
        if key == synonym and names[position] is None
    ]
    missing = [name for name in ("date", "place") if name not in plan.names]
    if missing:
        raise InputFileError(
            f"no {' or '.join(missing)} column; expected headers such as "
            f"{', '.join(COLUMN_SYNONYMS[missing[0]][:4])} (found: "
            f"{', '.join(map(str, header[:12]))}; the header is looked for in the first "
            f"{HEADER_SEARCH_LINES} lines)",
            file=str(path),
        )
    if plan.pcode_column:
        plan.renamed[_label(header, plan.names.index("place"))] = "input_place"
        plan.notes.append("P-codes in column 'pcode' used for the place where given")
    return plan


def _unique_keys(header: list[str]) -> tuple[list[str], list[str]]:
    keys = [header_key(name) or f"column_{position + 1}" for position, name in enumerate(header)]
    return _numbered(header, keys)


def _numbered(
    header: list[str], keys: list[str], kept: set[str] = frozenset()
) -> tuple[list[str], list[str]]:
    """`keys` made unique, each repeat (or name in `kept`, which a later step makes) numbered
    key_2, key_3 … (skipping any number another header already has), and a note for each."""
    taken, seen = set(keys) | kept, set(kept)
    unique, notes = [], []
    for position, key in enumerate(keys):
        if key in seen:
            number = 2
            while f"{key}_{number}" in taken:
                number += 1
            notes.append(
                f"header {header[position]!r} repeats: column {position + 1} kept as {key}_{number}"
            )
            key = f"{key}_{number}"
            taken.add(key)
        seen.add(key)
        unique.append(key)
    return unique, notes


def _best_column(
    keys: list[str],
    header: list[str],
    synonyms: list[str],
    names: list[str | None],
    unfit: Callable[[int], bool],
) -> int | None:
    """The first free column named by the first synonym that names one (exact, then without
    bracketed notes, then by the first of several names), skipping columns `unfit` for it."""
    for candidates in (keys, [_bare_key(h) for h in header], [_first_key(h) for h in header]):
        for synonym in synonyms:
            for position, key in enumerate(candidates):
                if key == synonym and names[position] is None and not unfit(position):
                    return position
    return None


def _column_with_word(
    keys: list[str], names: list[str | None], words: tuple[str, ...], unfit: Callable[[int], bool]
) -> int | None:
    """The first free column whose header has one of `words` among its words ("Date AA
    announced", "Towns captured"): for a sheet none of whose headers is a synonym."""
    for position, key in enumerate(keys):
        if names[position] is None and set(key.split("_")) & set(words) and not unfit(position):
            return position
    return None


def _unfit(canonical: str, keys: list[str], values: dict[int, pd.Series], position: int) -> bool:
    """Whether a column named like `canonical` cannot be it: it is empty (unless named
    exactly so), or its cells say otherwise (a "type" or "status" column without change
    words; an "event" column of change words is the change, not an identifier)."""
    column = values.get(position)
    if column is None or not len(column):
        return False
    filled = _filled(column.head(COLUMN_SAMPLE))
    if filled.empty:
        filled = _filled(column)
    if filled.empty:  # a column named for it is still it: its rows are rejected, each saying so
        return keys[position] != canonical
    if canonical == "change" and keys[position] != "change":
        return not _mostly_changes(filled)
    if canonical == "event_id":
        return _mostly_changes(filled)
    return False


def _filled(column: pd.Series) -> pd.Series:
    return column[column.str.strip() != ""]


def _mostly_changes(filled: pd.Series) -> bool:
    """At least half of the distinct texts name a change (`impact.changes`)."""
    distinct = filled.drop_duplicates().head(CHANGE_SAMPLE)
    return distinct.map(lambda text: read_change(text)[0] is not None).mean() >= 0.5


def _label(header: list[str], position: int) -> str:
    name = header[position]
    repeats = sum(header_key(h) == header_key(name) for h in header) > 1
    return f"{name} (column {position + 1})" if repeats or not name else name


def _weekdays(values: pd.Series | None) -> bool:
    if values is None:
        return False
    filled = _filled(values).str.strip()
    return bool(len(filled)) and filled.str.match(WEEKDAYS).mean() >= 0.5


def _holds_pcodes(values: pd.Series | None) -> bool:
    if values is None:
        return False
    filled = _filled(values).drop_duplicates()
    return bool(len(filled)) and filled.map(repair_pcode).notna().mean() >= 0.5


def _blank_places_filled(frame: pd.DataFrame, plan: ColumnPlan) -> tuple[pd.DataFrame, list[str]]:
    """Where the place cell is empty, the first other place column with a value (a Town
    column left blank on rows about villages, named in a Village column), and a note for
    each column so used."""
    if not plan.other_places:
        return frame, []
    place = frame["place"]
    blank = _blank_texts(place).to_numpy(dtype=bool, copy=True)
    if not blank.any():
        return frame, []
    filled, notes = place.to_numpy(dtype=object, copy=True), []
    for column in plan.other_places:
        values = frame[column]
        use = blank & ~_blank_texts(values).to_numpy(dtype=bool)
        if use.any():
            filled[use] = values.to_numpy(dtype=object)[use]
            blank &= ~use
            notes.append(f"empty places taken from column '{column}' ({use.sum():,} rows)")
    return frame.assign(place=pd.array(filled, dtype=place.dtype)), notes


# A row that sums the others ("TOTAL", "Grand total", "Sub-total: Sagaing").
TOTAL = re.compile(r"^\W*(?:grand\s+|sub[\s-]*)?totals?\b", re.IGNORECASE)
# A heading's decoration: "--- Rakhine ---", "== Sagaing ==", "Chin State:".
DECORATED = re.compile(r"^\s*[-=*#_~>]{2,}|[-=*#_~<]{2,}\s*$|:\s*$")
ADMIN_WORD = re.compile(r"\b(?:state|region|division)\s*$", re.IGNORECASE)
# A whole row in one cell, its fields split by another delimiter than the header's.
SPLIT_ROW = re.compile(r"[,;|\t]")


def _not_events(raw: pd.DataFrame) -> pd.DataFrame:
    """Rows that are not events: totals (the place, the date or the first filled cell starts
    with "Total", "Subtotal" or "Grand total") and headings or notes (one cell filled, not a
    date, and decorated, a state or region, or outside the place column). Each one's column,
    value and message, indexed as in `raw`.

    Beyond the place and date columns, only rows lacking a place or a date are looked at:
    an event needs both."""
    named = [c for c in ("place", "date") if c in raw]
    todo = np.zeros(len(raw), dtype=bool) if named else np.ones(len(raw), dtype=bool)
    for column in named:
        todo |= once_per_value(_blank_or_total, raw[column]).to_numpy(dtype=bool)
    columns = [c for c in raw.columns if c != "source_row"]
    cells = raw.loc[todo, columns].astype(object).fillna("")
    cells = cells.apply(lambda column: column.astype(str).str.strip())
    filled = (cells != "").to_numpy()
    first = filled.argmax(axis=1)
    lead = pd.DataFrame(
        {
            "text": cells.to_numpy()[np.arange(len(cells)), first],
            "column": np.asarray(columns, dtype=object)[first],
        },
        index=cells.index,
    )
    totals = _total_rows(cells, named, lead)
    alone = pd.Series(filled.sum(axis=1) == 1, index=cells.index) & ~cells.index.isin(totals.index)
    return pd.concat([totals, _heading_rows(lead[alone])]).sort_index()


def _total_rows(cells: pd.DataFrame, named: list[str], lead: pd.DataFrame) -> pd.DataFrame:
    """The rows whose place, else date, else first filled cell starts with "Total"."""
    found = []
    for name in [*named, None]:
        values = cells[name] if name else lead["text"]
        hit = once_per_value(_totals, values) & (values != "")
        hit &= ~cells.index.isin([i for part in found for i in part.index])
        column = pd.Series(name, index=cells.index) if name else lead["column"]
        found.append(
            pd.DataFrame(
                {
                    "column": column[hit],
                    "value": values[hit],
                    "message": "a total row ('" + values[hit] + "')",
                }
            )
        )
    return pd.concat(found)


def _heading_rows(lead: pd.DataFrame) -> pd.DataFrame:
    """The rows of one cell (`lead`) that read as a heading or a note."""
    heading = once_per_row(_headings, lead[["text", "column"]]).to_numpy(dtype=bool)
    rows = lead[heading]
    message = "not an event (a heading or a note): only '" + rows["text"] + "' is filled"
    return pd.DataFrame({"column": rows["column"], "value": rows["text"], "message": message})


def _blank_or_total(values: pd.Series) -> pd.Series:
    return _blank_texts(values) | _totals(values)


def _totals(values: pd.Series) -> pd.Series:
    return values.astype("string").str.match(TOTAL).fillna(False).astype(bool)


def _blank_texts(values: pd.Series) -> pd.Series:
    """Whether each cell is missing or holds only spaces."""
    return values.fillna("").astype(str).str.strip() == ""


def _headings(rows: pd.DataFrame) -> pd.Series:
    """Whether each row's only cell (`text`, in `column`) reads as a heading: decorated, a
    state or region, or outside the place column; not a date (a date alone is an event
    missing its place), nor a row whose fields another delimiter joined into one cell."""
    text = rows["text"].astype(str)
    dated = parse_event_dates(text.astype("string"))["date_problem"].isna().to_numpy()
    looks = (
        text.str.contains(DECORATED) | text.str.contains(ADMIN_WORD) | (rows["column"] != "place")
    )
    return pd.Series(looks.to_numpy() & ~dated & ~text.str.contains(SPLIT_ROW).to_numpy())


def _place_from_pcodes(frame: pd.DataFrame, plan: ColumnPlan) -> pd.DataFrame:
    """With a P-code column beside the place names, the P-code is the place where it is one;
    the names are kept as input_place."""
    if not plan.pcode_column:
        return frame
    codes = frame[plan.pcode_column].str.strip()
    distinct = codes[codes.fillna("") != ""].unique()
    repairable = {code: repair_pcode(code) is not None for code in distinct}
    valid = codes.map(repairable).fillna(False).astype(bool)
    frame = frame.assign(input_place=frame["place"])
    frame["place"] = codes.where(valid, frame["place"])
    return frame


def acled_plan(header: list[str]) -> ColumnPlan:
    """ACLED headers as they are (in lower case), except those that collide with the
    project's own columns (kept as input_<name>); a repeated header is numbered as in
    `plan_columns`, the first one keeping its ACLED meaning."""
    keys = [_acled_rename(name) or f"column_{at + 1}" for at, name in enumerate(header)]
    names, notes = _numbered(header, keys)
    renamed = {
        _label(header, position): name
        for position, name in enumerate(names)
        if name != str(header[position]).strip().lower()
    }
    return ColumnPlan(names, renamed, notes)


def _acled_rename(name: str) -> str:
    key = str(name).strip().lower()
    return f"input_{key}" if key in RESERVED and key not in acled.USED else key


def _normalise(
    frame: pd.DataFrame,
    path: Path,
    layout: str,
    dayfirst: bool | None,
    as_of: str | date | None,
    census: pd.Timestamp | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The canonical event columns, and why each unreadable date or change could not be read."""
    text_columns = [c for c in frame.columns if c != "source_row"]
    frame = frame.copy()
    frame[text_columns] = (
        frame[text_columns]
        .apply(lambda column: column.astype("string").str.strip())
        .replace("", pd.NA)
    )
    for name in COLUMN_SYNONYMS:
        if name not in frame:  # text like the others: no cell of it to convert later
            frame[name] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["source_file"] = path.name
    frame["event_id"] = frame["event_id"].fillna(path.stem + "-" + frame["source_row"].astype(str))
    frame["date_text"] = frame["date"]
    dates = parse_event_dates(frame["date"], dayfirst=dayfirst)
    if layout == "acled":
        dates = acled.precision_window(dates, frame["time_precision"])
    problems = pd.DataFrame({"date_problem": dates.pop("date_problem")})
    frame[dates.columns] = dates
    frame["date_flag"] = date_flags(problems.assign(date=frame["date"]), as_of, census)
    changes = parse_changes(frame["change"], frame["confidence"])
    problems["change_problem"] = changes.pop("change_problem")
    frame["change_text"] = frame["change"].fillna("(not given: taken as captured)")
    frame[changes.columns] = changes
    return frame, problems


def point_numbers(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Latitude and longitude as numbers, NaN where not given or unreadable (each distinct
    text read once)."""
    lat, lon = (
        once_per_value(_as_number, frame.get(c, pd.Series(np.nan, index=frame.index)))
        for c in ("latitude", "longitude")
    )
    return lat, lon


def _as_number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


def usable_points(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """Which rows' latitude and longitude (numbers, NaN where unreadable) make a point that
    resolution uses: both in range, and not 0,0 (an empty point exported as zeros)."""
    return lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))


def _unread_points(frame: pd.DataFrame) -> list[str]:
    """A note on the rows whose point is given but not latitude and longitude in decimal
    degrees (`22.96 N`, `999`, 0,0): resolution uses their place name alone."""
    given = frame[["latitude", "longitude"]].notna().any(axis=1)
    if not given.any():
        return []
    unread = given & ~usable_points(*point_numbers(frame))
    if not unread.any():
        return []
    row = frame[unread].iloc[0]
    example = f"row {row['source_row']}: {row['latitude']!r}, {row['longitude']!r}"
    return [
        f"{int(unread.sum())} row(s) give a point that is not latitude and longitude in "
        f"decimal degrees ({example}): their place is found by its name alone"
    ]


def _validate(frame: pd.DataFrame, problems: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate lazily; every failing row becomes one rejected row with a reason code."""
    too_long = (frame["place"].str.len() > MAX_PLACE_LENGTH).fillna(False).astype(bool)
    checked = frame.assign(place=frame["place"].mask(too_long))
    try:
        validated, cases = Event.validate(checked, lazy=True), None
    except pa.errors.SchemaErrors as error:
        validated, cases = None, error.failure_cases.dropna(subset=["index"])
    cases = _with_missing_places(cases, checked)
    if cases is None:
        return validated, no_problems()
    order = {"date": 0, "place": 1, "change": 2}
    cases = (
        cases.assign(order=cases["column"].map(order).fillna(9))
        .sort_values(["index", "order"])
        .drop_duplicates("index")
    )
    rows = frame.loc[cases["index"]].assign(
        failed=cases["column"].to_numpy(),
        check=cases["check"].astype(str).to_numpy(),
        date_problem=problems["date_problem"].loc[cases["index"]],
        change_problem=problems["change_problem"].loc[cases["index"]],
    )
    rejected = _reasons(rows, too_long.loc[rows.index])
    return checked.drop(index=cases["index"]), rejected


def _with_missing_places(cases: pd.DataFrame | None, frame: pd.DataFrame) -> pd.DataFrame | None:
    """`cases` (pandera's failure cases, or None) with a row for each event that names no
    place and gives no usable point: the schema lets `place` be empty, since a point alone
    places an event, so this rule is checked here."""
    unnamed = frame[frame["place"].isna()]
    missing = unnamed.index[~usable_points(*point_numbers(unnamed))]
    if not len(missing):
        return cases
    found = pd.DataFrame({"index": missing, "column": "place", "check": "place or point"})
    return found if cases is None else pd.concat([cases, found], ignore_index=True)


def _reasons(rows: pd.DataFrame, too_long: pd.Series) -> DataFrame[Rejected]:
    """Reason code, value and message for each failing row, built column-wise."""
    value = pd.Series(pd.NA, index=rows.index, dtype=object)
    reason = pd.Series(RejectReason.BAD_VALUE.value, index=rows.index, dtype=object)
    message = "column '" + rows["failed"] + "' failed check " + rows["check"]
    date_text = rows["date_text"].astype("string")
    is_date = rows["failed"] == "date"
    missing = is_date & date_text.isna()
    ambiguous = is_date & ~missing & (rows["date_problem"] == "ambiguous").fillna(False)
    out_of_range = is_date & ~missing & (rows["date_problem"] == "out_of_range").fillna(False)
    unreadable = is_date & ~missing & ~ambiguous & ~out_of_range
    # A row split on another delimiter leaves its cells joined without a space after the
    # delimiter ("2023-11-07;Khampat"); a date's own comma has one ("Nov 7, 2023").
    delimiter = date_text.str.contains(r"[,;\t|](?!\s)", regex=True).fillna(False)
    invisible = date_text.str.contains(INVISIBLE, regex=True).fillna(False)
    value[is_date & ~missing] = date_text
    reason[is_date] = RejectReason.BAD_DATE.value
    reason[missing] = RejectReason.MISSING_DATE.value
    message[missing] = "no date; expected a date such as 2023-11-07"
    message[ambiguous] = (
        "'" + date_text + "' could be day/month or month/day; say --dayfirst or --monthfirst"
    )
    message[out_of_range] = (
        "year outside 1900-2100 in '" + date_text + "'; expected a date such as 2023-11-07 "
        "(a Buddhist-era year such as 2566 is converted)"
    )
    hint = np.select(
        [invisible, delimiter],
        [
            " The cell holds an invisible character (a zero-width space or mark).",
            " The cell holds a delimiter: does this row use a different one from the header?",
        ],
        "",
    )
    message[unreadable] = (
        "cannot read date '" + date_text + "'; expected e.g. 2023-11-07, 7 Nov 2023, "
        "Nov 2023, 2023 or 3-7 Nov 2023." + pd.Series(hint, index=rows.index)
    )
    is_place = rows["failed"] == "place"
    long_text = rows["place"].astype("string")
    reason[is_place] = RejectReason.MISSING_PLACE.value
    message[is_place] = "no place; expected a place name, a P-code or a latitude and longitude"
    long_place = is_place & too_long
    value[long_place] = long_text.str.slice(0, 60) + "…"
    reason[long_place] = RejectReason.BAD_VALUE.value
    message[long_place] = (
        "place text is " + long_text.str.len().astype("string") + " characters; expected a "
        f"name of at most {MAX_PLACE_LENGTH}"
    )
    is_change = rows["failed"] == "change"
    change_text = rows["change_text"].astype("string")
    value[is_change] = change_text
    negated = is_change & (rows["change_problem"] == NEGATED).fillna(False)
    message[is_change] = "no change word in '" + change_text + "'; " + CHANGE_WORDS_HINT
    message[negated] = (
        "'" + change_text + "' says control did not change (a failed, attempted, denied or "
        "planned change is not an event); " + CHANGE_WORDS_HINT
    )
    return rejected_rows(rows, column=rows["failed"], value=value, reason=reason, message=message)


def _duplicates(events: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Which rows repeat an event ID, or every fact of an earlier row, and their rejected rows."""
    facts = ["date", "place", "township", "region", "change", "gaining_actor", "losing_actor"]
    if events.empty:
        return np.zeros(0, dtype=bool), no_problems()
    key = pd.util.hash_pandas_object(events[facts].astype("string").fillna(""), index=False)
    same_id = events["event_id"].duplicated()
    same_facts = key.duplicated() & ~same_id
    repeated = same_id | same_facts
    if not repeated.any():
        return repeated.to_numpy(), no_problems()
    # Messages only for the repeated rows and the first rows they repeat.
    involved = events["event_id"].isin(events.loc[same_id, "event_id"]) | key.isin(key[same_facts])
    where = (
        events.loc[involved, "source_file"]
        + " row "
        + events.loc[involved, "source_row"].astype(str)
    )
    first_by_id = where.groupby(events.loc[involved, "event_id"]).first()
    first_by_key = (
        events.loc[involved].assign(key=key[involved], where=where).drop_duplicates("key")
    ).set_index("key")
    dupes = events[repeated]
    by_id = "event_id already used at " + dupes["event_id"].map(first_by_id)
    earlier = first_by_key.loc[key[same_facts]]
    by_facts = pd.Series(
        "same date, place, change and actors as event "
        + earlier["event_id"].to_numpy()
        + " ("
        + earlier["where"].to_numpy()
        + ")",
        index=events.index[same_facts],
    )
    message = by_id.where(same_id[dupes.index], by_facts.reindex(dupes.index))
    rejected = rejected_rows(
        dupes,
        column="event_id",
        value=dupes["event_id"],
        reason=RejectReason.DUPLICATE_EVENT,
        message=message,
    )
    return repeated.to_numpy(), rejected
