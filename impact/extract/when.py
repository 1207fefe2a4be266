"""Dates as news reports write them, resolved against the date the report was published.

"On Nov. 6 last year", "on the morning of 19 May", "at around 11am Tuesday", "yesterday",
"last week", "at the end of last month", "in late February": each becomes a day, a week or a
month. A weekday is the latest such day on or before publication; a day without a year is the
latest such day not after publication; no date is ever later than the report itself. Without
a publication date only dates that carry their year can be resolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
YEAR = r"(?:,?\s*(?P<year>(?:19|20)\d{2}))?"
LAST_YEAR = r"(?P<lastyear>\s+last\s+year)?"
PATTERNS = [
    ("day", re.compile(rf"\b{MONTH}\s+{DAY}\b{YEAR}{LAST_YEAR}", re.I)),
    ("day", re.compile(rf"\b{DAY}\s+(?:of\s+)?{MONTH}\b{YEAR}{LAST_YEAR}", re.I)),
    ("iso", re.compile(r"\b(?P<iso>(?:19|20)\d{2}-[01]\d-[0-3]\d)\b")),
    ("nth", re.compile(r"\bthe\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b", re.I)),
    (
        "weekday",
        re.compile(r"\b(?P<last>last\s+)?(?P<weekday>" + "|".join(WEEKDAYS) + r")\b", re.I),
    ),
    (
        "relative",
        re.compile(
            r"\b(?P<rel>yesterday|today|this morning|tonight|last night|"
            r"this afternoon|this evening|earlier today|the day before)\b",
            re.I,
        ),
    ),
    (
        "week",
        re.compile(
            r"\b(?P<week>last week|this week|earlier this week|the weekend|"
            r"over the weekend)\b",
            re.I,
        ),
    ),
    (
        "month_rel",
        re.compile(
            r"\b(?P<monthrel>(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+"
            r"last\s+month|last\s+month|this\s+month|earlier\s+this\s+month)\b",
            re.I,
        ),
    ),
    (
        "year_rel",
        re.compile(
            r"\b(?P<yearrel>(?:last|this|earlier\s+this|late\s+last|early\s+last)\s+"
            r"(?:year|summer|winter|spring|autumn|monsoon))\b",
            re.I,
        ),
    ),
    (
        "month",
        re.compile(
            rf"\b(?:in\s+)?(?:(?P<part>early|mid|late|mid-)\s*-?\s*)?{MONTH}"
            r"(?!\s+[0-3]?\d\b)" + YEAR + LAST_YEAR,
            re.I,
        ),
    ),
]
SHIFT = {"yesterday": 1, "last night": 1, "the day before": 1}


@dataclass(frozen=True)
class DateMention:
    """A date in a sentence: where it is, the day or window it means, and how precise it is."""

    start: int
    end: int
    text: str
    value: str | None
    precision: str
    relative: bool


def find_dates(sentence: str, published: date | None) -> list[DateMention]:
    """Every date expression of a sentence, resolved where the publication date allows."""
    found: list[DateMention] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(sentence):
            if any(match.start() < d.end and match.end() > d.start for d in found):
                continue
            if kind == "month" and not _looks_like_month(match, sentence):
                continue
            value, precision, relative = _resolve(kind, match, published)
            if precision:
                found.append(
                    DateMention(match.start(), match.end(), match[0], value, precision, relative)
                )
    return sorted(found, key=lambda d: d.start)


def _looks_like_month(match: re.Match, sentence: str) -> bool:
    """ "May" and "March" are also ordinary words; take them as months only with context."""
    word = match["month"].lower()
    if word not in ("may", "march", "mar"):
        return True
    return bool(
        match["year"]
        or match["part"]
        or re.search(r"\b(?:in|since|until|by)\s+$", sentence[: match.start("month")], re.I)
    )


def _resolve(kind: str, match: re.Match, published: date | None):
    groups = match.groupdict()
    if kind == "iso":
        return _clip(date.fromisoformat(groups["iso"]), published), "day", False
    if kind == "day":
        return _day(int(groups["day"]), MONTHS[groups["month"].lower()], groups, published)
    if published is None:
        return None, "unknown", True
    if kind == "nth":
        return _nth(int(groups["day"]), published)
    if kind == "weekday":
        target = WEEKDAYS.index(groups["weekday"].lower())
        back = (published.weekday() - target) % 7 or (7 if groups["last"] else 0)
        return (published - timedelta(days=back)).isoformat(), "day", True
    if kind == "relative":
        shift = SHIFT.get(groups["rel"].lower(), 0)
        return (published - timedelta(days=shift)).isoformat(), "day", True
    if kind == "week":
        return _week(groups["week"].lower(), published), "week", True
    if kind == "year_rel":
        last = "last" in groups["yearrel"].lower()
        return f"{published.year - (1 if last else 0):04d}", "year", True
    if kind == "month_rel":
        return _month_relative(groups["monthrel"].lower(), published), "month", True
    month = MONTHS[groups["month"].lower()]
    year = _year(month, 1, groups, published)
    return (f"{year:04d}-{month:02d}" if year else None), "month", True


def _day(day: int, month: int, groups: dict, published: date | None):
    year = _year(month, day, groups, published)
    if year is None:
        return None, "unknown", True
    try:
        value = date(year, month, day)
    except ValueError:
        return None, "", False
    return _clip(value, published), "day", groups.get("year") is None


def _year(month: int, day: int, groups: dict, published: date | None) -> int | None:
    if groups.get("year"):
        return int(groups["year"])
    if published is None:
        return None
    year = published.year - (1 if groups.get("lastyear") else 0)
    if not groups.get("lastyear") and (month, day) > (published.month, published.day):
        year -= 1
    return year


def _nth(day: int, published: date):
    month, year = published.month, published.year
    if day > published.day:
        month, year = (12, year - 1) if month == 1 else (month - 1, year)
    try:
        return date(year, month, day).isoformat(), "day", True
    except ValueError:
        return None, "", False


def _week(text: str, published: date) -> str:
    if "weekend" in text:
        sunday = published - timedelta(days=(published.weekday() + 1) % 7)
        return f"{(sunday - timedelta(days=1)).isoformat()}/{sunday.isoformat()}"
    monday = published - timedelta(days=published.weekday())
    if text == "last week":
        monday -= timedelta(days=7)
    end = min(monday + timedelta(days=6), published)
    return f"{monday.isoformat()}/{end.isoformat()}"


def _month_relative(text: str, published: date) -> str:
    year, month = published.year, published.month
    if "last" in text:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year:04d}-{month:02d}"


def _clip(value: date, published: date | None) -> str | None:
    """A day after publication cannot be the day of a reported change."""
    if published is not None and value > published:
        return None
    return value.isoformat()
