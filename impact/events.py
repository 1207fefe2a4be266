"""Read control-change events from CSV or Excel files into one normalised table.

Every input row ends in exactly one of two tables: `events` (usable) or `rejected` (with the
file, line, column, value and a reason code). Column names are matched forgivingly, so a sheet
typed by a colleague or exported from another tool reads without editing.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from impact.errors import InputFileError
from impact.schemas import Event, Rejected

COLUMN_SYNONYMS = {
    "event_id": ["event_id", "id", "event", "event_no", "event_id_cnty"],
    "date": ["date", "event_date", "date_of_change", "day"],
    "place": ["place", "location", "town", "place_name", "city", "village", "pcode"],
    "township": ["township", "admin3", "tsp", "township_name"],
    "district": ["district", "admin2"],
    "region": ["region", "state", "state_region", "admin1", "state_or_region"],
    "change": ["change", "change_type", "control_change", "type"],
    "gaining_actor": ["gaining_actor", "gained_by", "taken_by", "actor", "actor1", "new_holder"],
    "losing_actor": ["losing_actor", "lost_by", "actor2", "previous_holder"],
    "source": ["source", "sources", "reported_by", "reference"],
    "confidence": ["confidence"],
    "notes": ["notes", "note", "comment", "comments"],
}
CHANGE_WORDS = {
    "captured": [
        "captured",
        "capture",
        "seized",
        "taken",
        "took",
        "took control",
        "overran",
        "overrun",
        "fell",
        "occupied",
        "took full control",
        "control",
    ],
    "recaptured": ["recaptured", "retaken", "retook", "regained", "recapture"],
    "handed over": ["handed over", "handed back", "handover", "hand over", "transferred", "ceded"],
    "contested": ["contested", "claimed", "disputed", "claim"],
    "withdrawn": ["withdrawn", "withdrew", "abandoned", "evacuated"],
}
DATE_FORMATS = ["%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%Y/%m/%d"]


@dataclass
class EventTable:
    """Events read from one or more files: what can be used, what cannot, and the inputs."""

    events: pd.DataFrame
    rejected: pd.DataFrame
    inputs: list[dict] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(item["rows"] for item in self.inputs)


def read_events(
    paths: str | Path | list[str | Path], *, dayfirst: bool | None = None, sheet: str | int = 0
) -> EventTable:
    """Read event files (CSV or XLSX) into normalised events and rejected rows.

    Args:
        paths: one file or several; their rows are concatenated.
        dayfirst: how to read dates such as 07/11/2023; None refuses ambiguous ones.
        sheet: the Excel sheet to read.

    Raises:
        InputFileError: a file is missing, unreadable, or has no date or place column.
    """
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    tables = [_read_one(Path(path), dayfirst=dayfirst, sheet=sheet) for path in paths]
    events = pd.concat([t.events for t in tables], ignore_index=True)
    rejected = pd.concat([t.rejected for t in tables], ignore_index=True)
    events, duplicates = _split_duplicate_ids(events)
    rejected = pd.concat([rejected, duplicates], ignore_index=True)
    return EventTable(
        events=events.reset_index(drop=True),
        rejected=Rejected.validate(rejected.reset_index(drop=True)),
        inputs=[item for t in tables for item in t.inputs],
    )


def _read_one(path: Path, *, dayfirst: bool | None, sheet: str | int) -> EventTable:
    raw = _read_raw(path, sheet)
    raw.columns = _canonical_columns(raw.columns, path)
    frame = _normalise(raw, path, dayfirst)
    events, rejected = _validate(frame)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return EventTable(events, rejected, [{"file": str(path), "sha256": digest, "rows": len(raw)}])


def _read_raw(path: Path, sheet: str | int) -> pd.DataFrame:
    if not path.exists():
        raise InputFileError("no such file; check the path", file=str(path))
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            return pd.read_excel(path, sheet_name=sheet, dtype=str).fillna("")
        except (ValueError, KeyError) as error:
            raise InputFileError(f"cannot read the Excel sheet: {error}", file=str(path)) from error
    text = _decode(path)
    if not text.strip():
        raise InputFileError(
            "the file is empty; expected a header row and event rows", file=str(path)
        )
    delimiter = _sniff_delimiter(text)
    from io import StringIO

    return pd.read_csv(StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError("cannot decode the file; save it as UTF-8", file=str(path))


def _sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _canonical_columns(columns: pd.Index, path: Path) -> list[str]:
    """Map each header to its canonical name; unknown headers pass through normalised."""
    lookup = {synonym: name for name, synonyms in COLUMN_SYNONYMS.items() for synonym in synonyms}
    seen: set[str] = set()
    result = []
    for column in columns:
        key = re.sub(r"[^a-z0-9]+", "_", str(column).strip().lower()).strip("_")
        name = lookup.get(key, key)
        if name in seen:
            name = key if key not in seen else f"{key}_{len(seen)}"
        seen.add(name)
        result.append(name)
    missing = [name for name in ("date", "place") if name not in result]
    if missing:
        raise InputFileError(
            f"no {' or '.join(missing)} column; expected headers such as "
            f"{', '.join(COLUMN_SYNONYMS[missing[0]][:4])} (found: {', '.join(map(str, columns))})",
            file=str(path),
        )
    return result


def _normalise(raw: pd.DataFrame, path: Path, dayfirst: bool | None) -> pd.DataFrame:
    frame = raw.apply(lambda column: column.str.strip()).replace("", pd.NA)
    for name in COLUMN_SYNONYMS:
        if name not in frame:
            frame[name] = pd.NA
    frame["source_file"] = path.name
    frame["source_row"] = range(2, len(frame) + 2)
    frame["event_id"] = frame["event_id"].fillna(path.stem + "-" + frame["source_row"].astype(str))
    frame["date_text"] = frame["date"]
    frame["date"] = parse_dates(frame["date"], dayfirst=dayfirst)
    frame["change_text"] = frame["change"]
    frame["change"] = normalise_change(frame["change"].fillna("captured"))
    return frame


def parse_dates(text: pd.Series, *, dayfirst: bool | None = None) -> pd.Series:
    """Parse dates written in the usual ways; ambiguous day/month forms stay NaT unless told."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    clean = text.str.replace(r"(\d)(st|nd|rd|th)\b", r"\1", regex=True).str.replace(",", "")
    for fmt in DATE_FORMATS:
        todo = parsed.isna() & clean.notna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(clean[todo], format=fmt, errors="coerce")
    numeric = clean.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$").astype("Float64")
    first, second, year = numeric[0], numeric[1], numeric[2]
    plain_dayfirst = (
        (first > 12) | (first == second)
        if dayfirst is None
        else pd.Series(dayfirst, index=text.index)
    )
    plain_monthfirst = (
        (second > 12) if dayfirst is None else pd.Series(not dayfirst, index=text.index)
    )
    for is_form, day, month in ((plain_dayfirst, first, second), (plain_monthfirst, second, first)):
        use = parsed.isna() & is_form.fillna(False).astype(bool) & year.notna()
        if use.any():
            parsed[use] = pd.to_datetime(
                pd.DataFrame({"year": year[use], "month": month[use], "day": day[use]}).astype(
                    "Int64"
                ),
                errors="coerce",
            )
    return parsed


def normalise_change(text: pd.Series) -> pd.Series:
    """Map change words to the small vocabulary; unknown words become NA (rejected later)."""
    lookup = {word: name for name, words in CHANGE_WORDS.items() for word in words}
    key = text.str.lower().str.replace(r"[^a-z ]", " ", regex=True).str.split().str.join(" ")
    return key.map(lookup).astype("string")


def _validate(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate lazily; every failure case becomes a rejected row with a reason code."""
    try:
        return Event.validate(frame, lazy=True), _empty_rejected()
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases.dropna(subset=["index"])
        cases = cases.drop_duplicates("index")
        rows = frame.loc[cases["index"]]
        rejected = pd.DataFrame(
            {
                "source_file": rows["source_file"].to_numpy(),
                "source_row": rows["source_row"].to_numpy(),
                "column": cases["column"].to_numpy(),
            }
        )
        reasons = [
            _reason(case, row)
            for case, (_, row) in zip(cases.itertuples(), rows.iterrows(), strict=True)
        ]
        rejected["value"] = [value for value, _, _ in reasons]
        rejected["reason"] = [reason for _, reason, _ in reasons]
        rejected["message"] = [message for _, _, message in reasons]
        return frame.drop(index=cases["index"]), rejected


def _reason(case: object, row: pd.Series) -> tuple[str | None, str, str]:
    column = case.column
    if column == "date":
        value = row["date_text"]
        if pd.isna(value):
            return None, "missing_date", "no date; expected a date such as 2023-11-07"
        return (
            value,
            "bad_date",
            (
                f"cannot read date '{value}'; expected YYYY-MM-DD or "
                "'7 Nov 2023' (for 07/11/2023 say --dayfirst or --monthfirst)"
            ),
        )
    if column == "place":
        return None, "missing_place", "no place; expected a place name or P-code"
    if column == "change":
        value = row["change_text"]
        return (
            value,
            "bad_value",
            (f"unknown change '{value}'; expected one of {', '.join(CHANGE_WORDS)}"),
        )
    value = None if pd.isna(row.get(column)) else str(row.get(column))
    return value, "bad_value", f"column '{column}' failed check {case.check}"


def _split_duplicate_ids(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    repeated = events["event_id"].duplicated()
    first_row = events.drop_duplicates("event_id").set_index("event_id")
    dupes = events[repeated]
    rejected = pd.DataFrame(
        {
            "source_file": dupes["source_file"],
            "source_row": dupes["source_row"],
            "column": "event_id",
            "value": dupes["event_id"],
            "reason": "duplicate_event",
            "message": [
                f"event_id {eid} already used at {first_row.at[eid, 'source_file']} row "
                f"{first_row.at[eid, 'source_row']}"
                for eid in dupes["event_id"]
            ],
        }
    )
    return events[~repeated], rejected


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_file": pd.Series(dtype=str),
            "source_row": pd.Series(dtype=int),
            "column": pd.Series(dtype=str),
            "value": pd.Series(dtype=str),
            "reason": pd.Series(dtype=str),
            "message": pd.Series(dtype=str),
        }
    )
