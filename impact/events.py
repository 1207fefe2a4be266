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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from impact import acled
from impact.dates import parse_event_dates
from impact.errors import InputFileError
from impact.input_files import excel_sheet, read_input_file
from impact.schemas import Event, Rejected, Skipped

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
}
CHANGE_WORDS = {
    "captured": [
        "captured",
        "capture",
        "seized",
        "seize",
        "taken",
        "took",
        "took control",
        "took full control",
        "overran",
        "overrun",
        "fell",
        "occupied",
        "control",
        "liberated",
        "taken over",
        "overtaken",
    ],
    "recaptured": [
        "recaptured",
        "recapture",
        "retaken",
        "retook",
        "regained",
        "regain",
        "taken back",
        "recovered",
    ],
    "handed over": [
        "handed over",
        "handed back",
        "handover",
        "hand over",
        "transferred",
        "ceded",
        "handed back under a ceasefire deal",
        "returned",
    ],
    "contested": ["contested", "claimed", "disputed", "claim", "claimed captured"],
    "withdrawn": ["withdrawn", "withdrew", "abandoned", "evacuated", "retreated"],
}
CHANGE_QUALIFIERS = r"\b(partially|partly|reportedly|full|fully|under a ceasefire deal|back)\b"
MAX_PLACE_LENGTH = 200
CENSUS_DATE = pd.Timestamp("2014-03-29")


@dataclass
class EventTable:
    """Events read from one or more files: usable, rejected and skipped rows, and the inputs."""

    events: pd.DataFrame
    rejected: pd.DataFrame
    skipped: pd.DataFrame
    inputs: list[dict] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(item["rows"] for item in self.inputs)


def read_events(
    paths: str | Path | list[str | Path],
    *,
    dayfirst: bool | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
) -> EventTable:
    """Read event files (CSV, XLSX, ACLED exports) into normalised events.

    Args:
        paths: one file or several; their rows are concatenated.
        dayfirst: how to read dates such as 07/11/2023; None refuses ambiguous ones.
        sheet: the Excel sheet to read (name or position).
        encoding: the text encoding of CSV files; detected when None.

    Raises:
        InputFileError: a file is missing, unreadable, or has no date or place column.
    """
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    tables = [_read_one(Path(p), dayfirst=dayfirst, sheet=sheet, encoding=encoding) for p in paths]
    events = pd.concat([t.events for t in tables], ignore_index=True)
    events, duplicates = _split_duplicates(events)
    rejected = pd.concat([*(t.rejected for t in tables), duplicates], ignore_index=True)
    skipped = pd.concat([t.skipped for t in tables], ignore_index=True)
    return EventTable(
        events=events.reset_index(drop=True),
        rejected=Rejected.validate(rejected.reset_index(drop=True)),
        skipped=Skipped.validate(skipped.reset_index(drop=True)),
        inputs=[item for t in tables for item in t.inputs],
    )


def _read_one(
    path: Path, *, dayfirst: bool | None, sheet: str | int, encoding: str | None
) -> EventTable:
    data = read_input_file(path)
    raw = read_table(path, data, sheet=sheet, encoding=encoding)
    raw["source_row"] = pd.Series(range(2, len(raw) + 2), index=raw.index, dtype="int64")
    if acled.is_acled(raw.columns):
        frame, rule_out = acled.acled_events(raw)
        layout = "acled"
    else:
        raw.columns = [*canonical_columns(raw.columns[:-1], path), "source_row"]
        frame, rule_out, layout = raw, pd.Series(False, index=raw.index), "table"
    skipped = _skipped(raw.rename(columns=str.lower)[rule_out], path)
    normalised = _normalise(frame[~rule_out], path, dayfirst, layout)
    events, rejected = _validate(normalised)
    digest = hashlib.sha256(data).hexdigest()
    return EventTable(
        events,
        rejected,
        skipped,
        [{"file": str(path), "sha256": digest, "rows": len(raw), "layout": layout}],
    )


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
        table = pd.read_excel(
            io.BytesIO(data), sheet_name=excel_sheet(path, data, sheet), dtype=str
        )
    except (ValueError, KeyError, OSError, SyntaxError) as error:  # SyntaxError: bad XML
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


def _normalise(frame: pd.DataFrame, path: Path, dayfirst: bool | None, layout: str) -> pd.DataFrame:
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
    frame[dates.columns] = dates
    frame["date_flag"] = date_flags(frame["date"])
    frame["change_text"] = frame["change"].fillna("(not given: taken as captured)")
    frame["change"] = normalise_change(frame["change"].fillna("captured"))
    return frame


def date_flags(dates: pd.Series) -> pd.Series:
    """Dates after today or before the 2014 census are kept but flagged."""
    future = dates > pd.Timestamp(date.today())
    early = dates < CENSUS_DATE
    flags = pd.Series(pd.NA, index=dates.index, dtype="string")
    flags[future] = "in the future"
    flags[early] = "before the 2014 census"
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


def _validate(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate lazily; every failing row becomes one rejected row with a reason code."""
    too_long = (frame["place"].str.len() > MAX_PLACE_LENGTH).fillna(False).astype(bool)
    checked = frame.assign(place=frame["place"].mask(too_long))
    try:
        return Event.validate(checked, lazy=True), _empty(Rejected)
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases.dropna(subset=["index"])
        order = {"date": 0, "place": 1, "change": 2}
        cases = (
            cases.assign(order=cases["column"].map(order).fillna(9))
            .sort_values(["index", "order"])
            .drop_duplicates("index")
        )
        rows = frame.loc[cases["index"]].assign(
            failed=cases["column"].to_numpy(), check=cases["check"].astype(str).to_numpy()
        )
        rejected = _reasons(rows, too_long.loc[rows.index])
        return checked.drop(index=cases["index"]), rejected


def _reasons(rows: pd.DataFrame, too_long: pd.Series) -> pd.DataFrame:
    """Reason code, value and message for each failing row, built column-wise."""
    out = pd.DataFrame(
        {
            "source_file": rows["source_file"],
            "source_row": rows["source_row"],
            "column": rows["failed"],
            "value": pd.NA,
            "reason": "bad_value",
            "message": "column '" + rows["failed"] + "' failed check " + rows["check"],
        }
    )
    date_text = rows["date_text"].astype("string")
    is_date = rows["failed"] == "date"
    missing = is_date & date_text.isna()
    ambiguous = is_date & ~missing & (rows["date_problem"] == "ambiguous").fillna(False)
    unreadable = is_date & ~missing & ~ambiguous
    delimiter = date_text.str.contains(r"[,;\t|]", regex=True).fillna(False)
    out.loc[is_date & ~missing, "value"] = date_text
    out.loc[is_date, "reason"] = "bad_date"
    out.loc[missing, ["reason", "message"]] = [
        "missing_date",
        "no date; expected a date such as 2023-11-07",
    ]
    out.loc[ambiguous, "message"] = (
        "'" + date_text + "' could be day/month or month/day; say --dayfirst or --monthfirst"
    )
    out.loc[unreadable, "message"] = (
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
    out.loc[is_place, ["reason", "message"]] = [
        "missing_place",
        "no place; expected a place name or P-code",
    ]
    long_place = is_place & too_long
    out.loc[long_place, "value"] = long_text.str.slice(0, 60) + "…"
    out.loc[long_place, "reason"] = "bad_value"
    out.loc[long_place, "message"] = (
        "place text is " + long_text.str.len().astype("string") + " characters; expected a "
        f"name of at most {MAX_PLACE_LENGTH}"
    )
    is_change = rows["failed"] == "change"
    change_text = rows["change_text"].astype("string")
    out.loc[is_change, "value"] = change_text
    out.loc[is_change, "message"] = (
        "unknown change '" + change_text + f"'; expected one of {', '.join(CHANGE_WORDS)} "
        "(or words such as seized, retaken, handed back)"
    )
    return out.reset_index(drop=True)


def _split_duplicates(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repeated event IDs, and rows identical in every fact to an earlier one, are reported."""
    facts = ["date", "place", "township", "region", "change", "gaining_actor", "losing_actor"]
    if events.empty:
        return events, _empty(Rejected)
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
    rejected = pd.DataFrame(
        {
            "source_file": dupes["source_file"],
            "source_row": dupes["source_row"],
            "column": "event_id",
            "value": dupes["event_id"],
            "reason": "duplicate_event",
            "message": message,
        }
    ).reset_index(drop=True)
    return events[~(same_id | same_facts)], rejected


def _skipped(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    kind = rows.get("sub_event_type", pd.Series(pd.NA, index=rows.index))
    return pd.DataFrame(
        {
            "source_file": path.name,
            "source_row": rows["source_row"].to_numpy(),
            "column": "sub_event_type",
            "value": kind.to_numpy(),
            "reason": "not_a_control_change",
            "message": "ACLED sub-event type is not one of the territorial changes",
        }
    )


def _empty(model: type[pa.DataFrameModel]) -> pd.DataFrame:
    return model.validate(
        pd.DataFrame(
            {
                c: pd.Series(dtype=object)
                for c in ["source_file", "source_row", "column", "value", "reason", "message"]
            }
        ).astype({"source_row": int})
    )
