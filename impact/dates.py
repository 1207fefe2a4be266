"""Read the dates analysts write: ISO, day-first or month-first, month names, a month or a
year alone, and ranges such as "3–7 Nov 2023". Each date keeps its precision as a window
(`date_start` … `date_end`); `date` is the day control is taken to have changed (the last day of
a range, the first of a month or year).

A year outside 1900–2100 is never passed to pandas (whose calendar ends in 1677 and 2262): a
Buddhist-era year, common in Myanmar and Thai sheets (2566 = 2023), is converted by subtracting
543 and flagged; any other year is left unread with the problem "out_of_range", so that one
typo rejects one row instead of stopping the run.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd

from impact.errors import ImpactError

DAY_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d-%b-%Y",
    "%d-%b-%y",
]
# "Nov-23" is how Excel shows a date formatted mmm-yy: a month, not the 23rd.
MONTH_NAMES = ["%b %Y", "%B %Y"]
MONTH_FORMATS = [*MONTH_NAMES, "%Y-%m", "%b-%y", "%B-%y"]
# Words that say a date is approximate ("~13 Aug 2024", "28 Oct 2025 (approx)", "Oct 2025?"):
# the date is read without them and flagged.
APPROXIMATE = re.compile(
    r"^(?:~|≈|c\.|ca\.|circa|approx\.?|approximately|around|about)\s*"
    r"|\s*\((?:approx\.?|approximate|approximately|est\.?|estimated|unconfirmed|\?)\)$"
    r"|\s*\?+$",
    re.IGNORECASE,
)
# Parts of a month: early (1st-10th), mid (11th-20th), late (21st to its end).
MONTH_PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
# A time after a numeric date as spreadsheets export it ("11/7/2023 0:00:00", "… 12:00 AM").
NUMERIC_DATE_TIME = re.compile(
    r"^(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})[T ]\d{1,2}:\d\d(?::\d\d)?\s*(?:[AaPp]\.?[Mm]\.?)?$"
)
COLUMNS = ["date", "date_start", "date_end", "date_precision", "date_problem"]
FIRST_YEAR, LAST_YEAR = 1900, 2100
BUDDHIST_ERA_OFFSET = 543
# Excel's day 0 (its 1900 system, with the 1900 leap-day error) and the serials taken as
# dates: 1927-05-18 to 2100-12-31.
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIALS = (10_000, 73_415)
# Characters that take no room on screen: zero-width spaces and joiners, word joiner, BOM.
INVISIBLE = "[\u200b-\u200f\u2060\ufeff]"
# A weekday before a date ("Tuesday, November 7, 2023"), which the date fixes anyway.
WEEKDAY = re.compile(
    r"^(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+", re.I
)
# A time after an ISO date ("2023-11-07 10:00", "2023-11-07T23:30:00.5Z", "…+06:30"): the day
# is read as written, in whatever zone the sheet keeps.
TIME_OF_DAY = re.compile(
    r"(?<=^\d{4}-\d\d-\d\d)[T ]\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d:?\d\d)?$"
)
YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def resolve_as_of(as_of: str | date | None = None) -> str:
    """The report's "today" as YYYY-MM-DD: the date given, else the run date.

    Raises:
        ImpactError: `as_of` is not a date such as 2024-01-31.
    """
    if as_of is None:
        return date.today().isoformat()
    if isinstance(as_of, date):
        return as_of.isoformat()
    try:
        return date.fromisoformat(str(as_of).strip()).isoformat()
    except ValueError as error:
        raise ImpactError(f"as-of date must look like 2024-01-31, got {as_of!r}") from error


def date_flags(
    dates: pd.DataFrame, as_of: str | date | None = None, census_date: pd.Timestamp | None = None
) -> pd.Series:
    """Flags for dates kept but worth a look: after `as_of`, before the census, converted era.

    `dates` holds the `date` and `date_problem` columns of `parse_event_dates`.
    """
    today = pd.Timestamp(resolve_as_of(as_of))
    checks = {"in the future": dates["date"] > today}
    if census_date is not None:
        checks[f"before the {census_date.year} census"] = dates["date"] < census_date
    checks[f"Buddhist-era year converted (minus {BUDDHIST_ERA_OFFSET})"] = (
        dates["date_problem"] == "buddhist_era"
    )
    checks["Excel serial number read as a date"] = dates["date_problem"] == "excel_serial"
    checks["approximate as written"] = dates["date_problem"] == "approximate"
    flags = np.full(len(dates), "", dtype=object)
    for text, mask in checks.items():
        hit = mask.fillna(False).to_numpy(dtype=bool)
        if hit.any():
            earlier = flags[hit]
            flags[hit] = np.where(earlier == "", text, earlier + "; " + text)
    return pd.Series(flags, index=dates.index, dtype="string").replace("", pd.NA)


def parse_event_dates(text: pd.Series, *, dayfirst: bool | None = None) -> pd.DataFrame:
    """One row per input: date, date_start, date_end, date_precision, date_problem.

    `dayfirst` says how to read 07/11/2023; when None such a date is left unread with the
    problem "ambiguous" (17/11/2023 and 11/17/2023 are read either way). Each distinct text is
    parsed once: a million events share a few thousand dates.
    """
    codes, uniques = pd.factorize(text.astype("string"), use_na_sentinel=True)
    parsed = _parse_texts(pd.Series(uniques, dtype="string"), dayfirst)
    empty = pd.DataFrame({c: [pd.NaT] if c in COLUMNS[:3] else [pd.NA] for c in COLUMNS})
    table = pd.concat([parsed, empty.astype(parsed.dtypes.to_dict())], ignore_index=True)
    # -1 (missing text) takes the last, empty row.
    return table.iloc[np.where(codes < 0, len(table) - 1, codes)].set_index(text.index)


def _parse_texts(text: pd.Series, dayfirst: bool | None) -> pd.DataFrame:
    clean = (
        _ascii_digits(text.astype("string"))
        .str.replace(INVISIBLE, "", regex=True)
        .str.strip()
        .str.replace(WEEKDAY, "", regex=True)
        .str.replace(r"(?<=\b[A-Za-z]{3})t?\.(?=\s)", "", regex=True)
        .str.replace(r"(?<=\d)(st|nd|rd|th)\b", "", regex=True)
        .str.replace(",", " ")
        .str.replace(TIME_OF_DAY, "", regex=True)
        .str.replace(NUMERIC_DATE_TIME, r"\1", regex=True)
        .str.replace(r"\s*(–|—|\bto\b)\s*|\s+-\s+", "-", regex=True)
        .str.replace(r"\s+", " ", regex=True)
    )
    out = pd.DataFrame(index=text.index, columns=COLUMNS)
    for column in COLUMNS[:3]:
        out[column] = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    out["date_precision"] = pd.Series(pd.NA, index=text.index, dtype="string")
    out["date_problem"] = pd.Series(pd.NA, index=text.index, dtype="string")
    approximate = clean.str.contains(APPROXIMATE).fillna(False).astype(bool)
    clean = clean.str.replace(APPROXIMATE, "", regex=True).str.strip()
    clean = _calendar_years(out, clean)
    _days(out, clean)
    _compact_days(out, clean)
    _month_parts(out, clean)
    _numeric_days(out, clean, dayfirst)
    _ranges(out, clean)
    _months(out, clean)
    _years(out, clean)
    _excel_serials(out, clean)
    unread = out["date"].isna() & clean.notna() & out["date_problem"].isna()
    out.loc[unread, "date_problem"] = "unreadable"
    out.loc[approximate & out["date"].notna() & out["date_problem"].isna(), "date_problem"] = (
        "approximate"
    )
    return out


def _ascii_digits(text: pd.Series) -> pd.Series:
    """Dates written in Myanmar (၁၇/၁၁/၂၀၂၃), full-width or other digits, in ASCII digits,
    which the formats and numbers below expect."""
    other = text.str.contains(r"(?![0-9])\d", regex=True).fillna(False).astype(bool)
    if not other.any():
        return text
    return text.mask(other, text[other].map(_with_ascii_digits))


def _with_ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _calendar_years(out: pd.DataFrame, clean: pd.Series) -> pd.Series:
    """Buddhist-era years converted (flagged); texts with other impossible years set aside."""
    years = clean.str.findall(YEAR)
    era = years.map(
        lambda found: bool(found) and all(_is_buddhist_era(int(y)) for y in found),
        na_action="ignore",
    ).astype("boolean")
    era = era.fillna(False).astype(bool)
    clean = clean.where(~era, clean[era].str.replace(YEAR, _common_era, regex=True))
    out.loc[era, "date_problem"] = "buddhist_era"
    outside = years.map(
        lambda found: any(not FIRST_YEAR <= int(y) <= LAST_YEAR for y in found),
        na_action="ignore",
    ).astype("boolean")
    outside = outside.fillna(False).astype(bool) & ~era
    out.loc[outside, "date_problem"] = "out_of_range"
    return clean.mask(outside)


def _is_buddhist_era(year: int) -> bool:
    return FIRST_YEAR <= year - BUDDHIST_ERA_OFFSET <= LAST_YEAR and year > LAST_YEAR


def _common_era(match: re.Match) -> str:
    return str(int(match.group(0)) - BUDDHIST_ERA_OFFSET)


def _set(
    out: pd.DataFrame,
    rows: pd.Series,
    start: pd.Series,
    end: pd.Series,
    precision: str,
    date: pd.Series | None = None,
) -> None:
    rows = rows & start.notna() & end.notna() & out["date"].isna()
    out.loc[rows, "date_start"] = start[rows]
    out.loc[rows, "date_end"] = end[rows]
    out.loc[rows, "date"] = (start if date is None else date)[rows]
    out.loc[rows, "date_precision"] = precision


def _parse(clean: pd.Series, formats: list[str], todo: pd.Series) -> pd.Series:
    parsed = pd.Series(pd.NaT, index=clean.index, dtype="datetime64[ns]")
    for fmt in formats:
        left = todo & parsed.isna() & clean.notna()
        if not left.any():
            break
        parsed[left] = pd.to_datetime(clean[left], format=fmt, errors="coerce")
    return parsed.dt.normalize()


def _days(out: pd.DataFrame, clean: pd.Series) -> None:
    day = _parse(clean, DAY_FORMATS, out["date"].isna())
    _set(out, day.notna(), day, day, "day")


def _compact_days(out: pd.DataFrame, clean: pd.Series) -> None:
    """20240803: eight digits, year first."""
    compact = clean.str.fullmatch(r"(19|20)\d{6}").fillna(False).astype(bool)
    day = _parse(clean.where(compact), ["%Y%m%d"], out["date"].isna() & compact)
    _set(out, compact & day.notna(), day, day, "day")


def _month_parts(out: pd.DataFrame, clean: pd.Series) -> None:
    """ "early November 2023", "mid-Nov 2023", "late Nov 2023": a range within the month."""
    todo = out["date"].isna() & clean.notna()
    parts = clean.str.extract(r"^(?i:(early|mid|late))[- ]?([A-Za-z]+ \d{4})$")
    month = _parse(parts[1], MONTH_NAMES, todo & parts[1].notna())
    part = parts[0].str.lower()
    for name, (first, last) in MONTH_PARTS.items():
        rows = todo & (part == name).fillna(False).astype(bool)
        start = month + pd.to_timedelta(first - 1, unit="D")
        month_end = month + pd.offsets.MonthEnd(0)
        end = np.minimum(month + pd.to_timedelta(last - 1, unit="D"), month_end)
        _set(out, rows, start, end, "range", date=end)


def _numeric_days(out: pd.DataFrame, clean: pd.Series, dayfirst: bool | None) -> None:
    parts = clean.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$").astype("Float64")
    first, second, year = parts[0], parts[1], parts[2]
    year = year.where(year >= 100, year + 2000)  # 7/11/23: events are of this century
    if dayfirst is None:
        as_dayfirst = (first > 12) | (first == second)
        as_monthfirst = second > 12
        # A 0 is no day or month whichever way the date is read: unreadable, not ambiguous.
        ambiguous = (
            year.notna()
            & ~as_dayfirst.fillna(False)
            & ~as_monthfirst.fillna(False)
            & (first > 0)
            & (second > 0)
        )
        out.loc[ambiguous.fillna(False).astype(bool), "date_problem"] = "ambiguous"
    else:
        as_dayfirst = pd.Series(dayfirst, index=clean.index)
        as_monthfirst = pd.Series(not dayfirst, index=clean.index)
    for use, day, month in ((as_dayfirst, first, second), (as_monthfirst, second, first)):
        rows = use.fillna(False).astype(bool) & year.notna() & out["date"].isna()
        if rows.any():
            when = pd.to_datetime(
                pd.DataFrame({"year": year[rows], "month": month[rows], "day": day[rows]}).astype(
                    "Int64"
                ),
                errors="coerce",
            )
            _set(out, rows, when.reindex(clean.index), when.reindex(clean.index), "day")


def _ranges(out: pd.DataFrame, clean: pd.Series) -> None:
    todo = out["date"].isna() & clean.notna()
    same_month = clean.str.extract(r"^(\d{1,2})-(\d{1,2}) ([A-Za-z]+ \d{4})$")
    start = _parse(same_month[0] + " " + same_month[2], ["%d %b %Y", "%d %B %Y"], todo)
    end = _parse(same_month[1] + " " + same_month[2], ["%d %b %Y", "%d %B %Y"], todo)
    _set(out, todo & (start <= end), start, end, "range", date=end)
    spans = clean.str.extract(r"^(\d{1,2} [A-Za-z]+(?: \d{4})?)-(\d{1,2} [A-Za-z]+ \d{4})$")
    end = _parse(spans[1], ["%d %b %Y", "%d %B %Y"], todo)
    year = end.dt.strftime("%Y")
    first = spans[0].where(spans[0].str.contains(r"\d{4}$", na=False), spans[0] + " " + year)
    start = _parse(first, ["%d %b %Y", "%d %B %Y"], todo)
    _set(out, todo & (start <= end), start, end, "range", date=end)
    iso = clean.str.extract(r"^(\d{4}-\d{2}-\d{2})[-/](\d{4}-\d{2}-\d{2})$")
    start, end = _parse(iso[0], ["%Y-%m-%d"], todo), _parse(iso[1], ["%Y-%m-%d"], todo)
    _set(out, todo & (start <= end), start, end, "range", date=end)
    # Months: "Dec 2023-Jan 2024", "Jul-Aug 2024".
    months = clean.str.extract(r"^([A-Za-z]{3,9}(?: \d{4})?)-([A-Za-z]{3,9} \d{4})$")
    last = _parse(months[1], MONTH_NAMES, todo)
    year = last.dt.strftime("%Y")
    first = months[0].where(months[0].str.contains(r"\d{4}$", na=False), months[0] + " " + year)
    start = _parse(first, MONTH_NAMES, todo)
    end = last + pd.offsets.MonthEnd(0)
    _set(out, todo & (start <= last), start, end, "range", date=end)


def _months(out: pd.DataFrame, clean: pd.Series) -> None:
    start = _parse(clean, MONTH_FORMATS, out["date"].isna())
    _set(out, start.notna(), start, start + pd.offsets.MonthEnd(0), "month")


def _excel_serials(out: pd.DataFrame, clean: pd.Series) -> None:
    """A five-digit number is an Excel date shown unformatted (45237 = 2023-11-07): no year or
    day reads so. Flagged, as it is read on trust."""
    serial = clean.str.fullmatch(r"\d{5}(?:\.0+)?").fillna(False).astype(bool)
    if not serial.any():
        return
    days = pd.to_numeric(clean.where(serial), errors="coerce")
    serial &= days.between(EXCEL_SERIALS[0], EXCEL_SERIALS[1]).fillna(False).astype(bool)
    day = EXCEL_EPOCH + pd.to_timedelta(days.where(serial), unit="D")
    _set(out, serial, day, day, "day")
    out.loc[serial & out["date"].notna(), "date_problem"] = "excel_serial"


def _years(out: pd.DataFrame, clean: pd.Series) -> None:
    year = clean.str.fullmatch(r"(?:19|20)\d{2}|2100").fillna(False).astype(bool)
    start = pd.to_datetime(clean.where(year) + "-01-01", errors="coerce")
    _set(out, year, start, start + pd.offsets.YearEnd(0), "year")
