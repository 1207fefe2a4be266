"""Read control-change events from CSV, Excel or ACLED files into one normalised table.

Every input row ends in exactly one of three tables: `events` (usable), `rejected` (with the
file, line, column, value and a reason code) or `skipped` (left out by a rule, such as an
ACLED row that is not a control change). Column names are matched forgivingly, unknown columns
pass through, and encodings and delimiters are detected, so a sheet typed by a colleague reads
without editing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame

from impact import acled
from impact.dates import parse_event_dates
from impact.errors import InputFileError
from impact.problems import combine, no_problems, rejected_rows
from impact.schemas import CHANGE_WORDS, Event, Rejected, RejectReason, Skipped

COLUMN_SYNONYMS = {
    "event_id": ["event_id", "id", "event", "event_no", "event_number"],
    "date": ["date", "event_date", "date_of_change", "day", "when"],
    "place": ["place", "location", "town", "place_name", "city", "village", "pcode", "where"],
    "township": ["township", "admin3", "tsp", "township_name"],
    "district": ["district", "admin2"],
    "region": ["region", "state", "state_region", "admin1", "state_or_region", "division"],
    "change": ["change", "change_type", "control_change", "type", "what_happened"],
    "gaining_actor": ["gaining_actor", "gained_by", "taken_by", "actor", "actor1", "new_holder"],
    "losing_actor": ["losing_actor", "lost_by", "actor2", "previous_holder"],
    "source": ["source", "sources", "reported_by", "reference"],
    "confidence": ["confidence"],
    "event_scope": ["scope", "event_scope"],
    "notes": ["notes", "note", "comment", "comments"],
    "alt_names": ["alt_names", "alt_name", "aliases", "other_names", "alternative_names"],
    "latitude": ["latitude", "lat", "y"],
    "longitude": ["longitude", "lon", "lng", "long", "x"],
}
CHANGE_QUALIFIERS = r"\b(partially|partly|reportedly|full|fully|under a ceasefire deal|back)\b"
MAX_PLACE_LENGTH = 200


@dataclass(frozen=True)
class InputFile:
    """One file read: its name as given, its bytes' hash, its rows and how it was laid out."""

    file: str
    sha256: str
    rows: int
    layout: str

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


def read_events(
    paths: str | Path | list[str | Path],
    *,
    dayfirst: bool | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
    census_date: pd.Timestamp | None = None,
) -> EventTable:
    """Read event files (CSV, XLSX, ACLED exports) into normalised events, in date order.

    Args:
        paths: one file or several; their rows are concatenated.
        dayfirst: how to read dates such as 07/11/2023; None refuses ambiguous ones.
        sheet: the Excel sheet to read (name or position).
        encoding: the text encoding of CSV files; detected when None.
        census_date: the reference census date; earlier events are flagged.

    Raises:
        InputFileError: a file is missing, unreadable, or has no date or place column.
    """
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    tables = [
        _read_one(Path(p), dayfirst=dayfirst, sheet=sheet, encoding=encoding, census=census_date)
        for p in paths
    ]
    events, duplicates = _split_duplicates(pd.concat([t.events for t in tables], ignore_index=True))
    return EventTable(
        # Date order from the start: no later stage reorders the wide tables.
        events=events.sort_values(["date", "event_id"], kind="stable").reset_index(drop=True),
        rejected=combine(*(t.rejected for t in tables), duplicates),
        skipped=combine(*(t.skipped for t in tables)),
        inputs=[item for t in tables for item in t.inputs],
    )


def _read_one(
    path: Path,
    *,
    dayfirst: bool | None,
    sheet: str | int,
    encoding: str | None,
    census: pd.Timestamp | None,
) -> EventTable:
    if not path.exists():
        raise InputFileError("no such file; check the path", file=str(path))
    data = path.read_bytes()
    raw = read_table(path, data, sheet=sheet, encoding=encoding)
    raw["source_row"] = pd.Series(range(2, len(raw) + 2), index=raw.index, dtype="int64")
    if acled.is_acled(raw.columns):
        frame, rule_out = acled.acled_events(raw)
        layout = "acled"
    else:
        raw.columns = [*canonical_columns(raw.columns[:-1], path), "source_row"]
        frame, rule_out, layout = raw, pd.Series(False, index=raw.index), "table"
    skipped = acled.skipped_rows(
        raw.rename(columns=str.lower)[rule_out].assign(source_file=path.name)
    )
    normalised, date_problem = _normalise(frame[~rule_out], path, dayfirst, layout, census)
    events, rejected = _validate(normalised, date_problem)
    digest = hashlib.sha256(data).hexdigest()
    return EventTable(events, rejected, skipped, [InputFile(str(path), digest, len(raw), layout)])


def read_table(
    path: Path, data: bytes, *, sheet: str | int = 0, encoding: str | None = None
) -> pd.DataFrame:
    """The file's bytes as a table of text cells, whatever its format, encoding or delimiter.

    `path` names the file in messages and tells Excel from text by its suffix.
    """
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_excel(path, data, sheet)
    text = decode(data, path, encoding)
    if not text.strip():
        raise InputFileError(
            "the file is empty; expected a header row and event rows", file=str(path)
        )
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=sniff_delimiter(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise InputFileError(
            f"cannot split the file into columns ({error}); check the delimiter and quotes",
            file=str(path),
        ) from error
    return table.rename(columns=lambda c: str(c).strip())


def _read_excel(path: Path, data: bytes, sheet: str | int) -> pd.DataFrame:
    try:
        table = pd.read_excel(io.BytesIO(data), sheet_name=sheet, dtype=str)
    except (ValueError, KeyError, OSError) as error:
        raise InputFileError(
            f"cannot read sheet {sheet!r}: {error}; name the sheet with --sheet", file=str(path)
        ) from error
    return table.fillna("").rename(columns=lambda c: str(c).strip())


def decode(data: bytes, path: Path, encoding: str | None = None) -> str:
    """Text of a CSV: the given encoding, else by byte-order mark, UTF-8, then Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise InputFileError(f"cannot decode as {encoding}: {error}", file=str(path)) from error
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        "cannot tell the text encoding; try --encoding latin-1 or save the file as UTF-8",
        file=str(path),
    )


def sniff_delimiter(text: str) -> str:
    header = text.splitlines()[0] if text else ""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def canonical_columns(columns: pd.Index, path: Path) -> list[str]:
    """Map each header to its canonical name; unknown headers pass through in snake_case."""
    lookup = {syn: name for name, synonyms in COLUMN_SYNONYMS.items() for syn in synonyms}
    taken: set[str] = set()
    result = []
    for column in columns:
        key = re.sub(r"[^a-z0-9]+", "_", str(column).strip().lower()).strip("_") or "column"
        name = lookup.get(key, key)
        if name in taken:
            name = f"{key}_original" if key not in taken else f"{key}_{len(taken)}"
        taken.add(name)
        result.append(name)
    missing = [name for name in ("date", "place") if name not in result]
    if missing:
        raise InputFileError(
            f"no {' or '.join(missing)} column; expected headers such as "
            f"{', '.join(COLUMN_SYNONYMS[missing[0]][:4])} (found: "
            f"{', '.join(map(str, columns[:12]))})",
            file=str(path),
        )
    return result


def _normalise(
    frame: pd.DataFrame,
    path: Path,
    dayfirst: bool | None,
    layout: str,
    census: pd.Timestamp | None,
) -> tuple[pd.DataFrame, pd.Series]:
    """The canonical event columns, and why each unreadable date could not be read."""
    text_columns = [c for c in frame.columns if c != "source_row"]
    frame = frame.copy()
    frame[text_columns] = (
        frame[text_columns]
        .apply(lambda column: column.astype("string").str.strip())
        .replace("", pd.NA)
    )
    for name in COLUMN_SYNONYMS:
        if name not in frame:
            frame[name] = pd.NA
    frame["source_file"] = path.name
    frame["event_id"] = frame["event_id"].fillna(path.stem + "-" + frame["source_row"].astype(str))
    frame["date_text"] = frame["date"]
    dates = parse_event_dates(frame["date"], dayfirst=dayfirst)
    if layout == "acled":
        dates = acled.precision_window(dates, frame["time_precision"])
    problem = dates.pop("date_problem")
    frame[dates.columns] = dates
    frame["date_flag"] = date_flags(frame["date"], census)
    frame["change_text"] = frame["change"].fillna("(not given: taken as captured)")
    frame["change"] = normalise_change(frame["change"].fillna("captured"))
    return frame, problem


def date_flags(dates: pd.Series, census_date: pd.Timestamp | None = None) -> pd.Series:
    """Dates after today or before the census are kept but flagged."""
    flags = pd.Series(pd.NA, index=dates.index, dtype="string")
    flags[dates > pd.Timestamp(date.today())] = "in the future"
    if census_date is not None:
        flags[dates < census_date] = f"before the {census_date.year} census"
    return flags


def normalise_change(text: pd.Series) -> pd.Series:
    """Map change words to the small vocabulary; unknown words become NA (rejected later)."""
    codes, uniques = pd.factorize(text.astype("string"))
    known = _change_names(pd.Series(uniques, dtype="string")).to_numpy()
    result = np.where(codes < 0, None, known[np.maximum(codes, 0)] if len(known) else None)
    return pd.Series(result, index=text.index).astype("string")


def _change_names(text: pd.Series) -> pd.Series:
    lookup = {word: name for name, words in CHANGE_WORDS.items() for word in words}
    words = text.astype("string").str.lower().str.replace(r"[^a-z ]", " ", regex=True)
    key = words.str.split().str.join(" ")
    direct = key.map(lookup)
    bare = key.str.replace(CHANGE_QUALIFIERS, " ", regex=True).str.split().str.join(" ")
    return direct.fillna(bare.map(lookup)).astype("string")


def _validate(frame: pd.DataFrame, date_problem: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate lazily; every failing row becomes one rejected row with a reason code."""
    too_long = (frame["place"].str.len() > MAX_PLACE_LENGTH).fillna(False).astype(bool)
    checked = frame.assign(place=frame["place"].mask(too_long))
    try:
        return Event.validate(checked, lazy=True), no_problems()
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases.dropna(subset=["index"])
        order = {"date": 0, "place": 1, "change": 2}
        cases = (
            cases.assign(order=cases["column"].map(order).fillna(9))
            .sort_values(["index", "order"])
            .drop_duplicates("index")
        )
        rows = frame.loc[cases["index"]].assign(
            failed=cases["column"].to_numpy(),
            check=cases["check"].astype(str).to_numpy(),
            date_problem=date_problem.loc[cases["index"]],
        )
        rejected = _reasons(rows, too_long.loc[rows.index])
        return checked.drop(index=cases["index"]), rejected


def _reasons(rows: pd.DataFrame, too_long: pd.Series) -> DataFrame[Rejected]:
    """Reason code, value and message for each failing row, built column-wise."""
    value = pd.Series(pd.NA, index=rows.index, dtype=object)
    reason = pd.Series(RejectReason.BAD_VALUE.value, index=rows.index, dtype=object)
    message = "column '" + rows["failed"] + "' failed check " + rows["check"]
    date_text = rows["date_text"].astype("string")
    is_date = rows["failed"] == "date"
    missing = is_date & date_text.isna()
    ambiguous = is_date & ~missing & (rows["date_problem"] == "ambiguous").fillna(False)
    unreadable = is_date & ~missing & ~ambiguous
    delimiter = date_text.str.contains(r"[,;\t|]", regex=True).fillna(False)
    value[is_date & ~missing] = date_text
    reason[is_date] = RejectReason.BAD_DATE.value
    reason[missing] = RejectReason.MISSING_DATE.value
    message[missing] = "no date; expected a date such as 2023-11-07"
    message[ambiguous] = (
        "'" + date_text + "' could be day/month or month/day; say --dayfirst or --monthfirst"
    )
    message[unreadable] = (
        "cannot read date '" + date_text + "'; expected e.g. 2023-11-07, 7 Nov 2023, "
        "Nov 2023, 2023 or 3-7 Nov 2023."
        + pd.Series(
            np.where(
                delimiter,
                " The cell holds a delimiter: does this row use a different one from the header?",
                "",
            ),
            index=rows.index,
        )
    )
    is_place = rows["failed"] == "place"
    long_text = rows["place"].astype("string")
    reason[is_place] = RejectReason.MISSING_PLACE.value
    message[is_place] = "no place; expected a place name or P-code"
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
    message[is_change] = (
        "unknown change '" + change_text + f"'; expected one of {', '.join(CHANGE_WORDS)} "
        "(or words such as seized, retaken, handed back)"
    )
    return rejected_rows(rows, column=rows["failed"], value=value, reason=reason, message=message)


def _split_duplicates(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeated event IDs, and rows identical in every fact to an earlier one, are reported."""
    facts = ["date", "place", "township", "region", "change", "gaining_actor", "losing_actor"]
    if events.empty:
        return events, no_problems()
    key = pd.util.hash_pandas_object(events[facts].astype("string").fillna(""), index=False)
    same_id = events["event_id"].duplicated()
    same_facts = key.duplicated() & ~same_id
    where = events["source_file"] + " row " + events["source_row"].astype(str)
    first_by_id = where.groupby(events["event_id"]).first()
    first_by_key = events.assign(key=key, where=where).drop_duplicates("key").set_index("key")
    dupes = events[same_id | same_facts]
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
    return events[~(same_id | same_facts)], rejected
