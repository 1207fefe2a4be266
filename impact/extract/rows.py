"""Draft events as the rows `impact report` reads, merged across reports of the same change.

Every row keeps the sentences it rests on (`evidence`), how sure the extraction is and, when an
analyst should look before using it, why (`needs_review`, `review_reason`). The same change of
the same place reported by several outlets within a few days becomes one row listing every
source.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from impact.errors import OutputFolderError, ReportExistsError
from impact.extract.drafts import CONFIDENCE, MAX_EVIDENCE, Draft, place_key

COLUMNS = [
    "event_id",
    "date",
    "date_precision",
    "place",
    "township",
    "region",
    "change",
    "gaining_actor",
    "losing_actor",
    "source",
    "pcode",
    "evidence",
    "extraction_confidence",
    "needs_review",
    "review_reason",
]
MERGE_DAYS = 3


@dataclass
class Sourced:
    """A draft with the report it came from and its actors already named."""

    draft: Draft
    source: str
    gaining: list[str]
    losing: list[str]
    placeholder: str | None = None


def empty_rows() -> pd.DataFrame:
    """The output table with no rows, its columns in order."""
    frame = pd.DataFrame({column: pd.Series(dtype="string") for column in COLUMNS})
    return frame.astype({"needs_review": "boolean"})


def to_rows(items: list[Sourced]) -> pd.DataFrame:
    """One row per change after merging reports of the same change; sorted and numbered."""
    if not items:
        return empty_rows()
    items = sorted(items, key=lambda s: (s.source, min(s.draft.evidence), s.draft.change))
    groups = _merge(items)
    records = [_record(group) for group in groups]
    frame = pd.DataFrame.from_records(records, columns=COLUMNS[1:])
    frame = frame.sort_values(
        ["date", "place", "change", "source"], na_position="last", kind="stable"
    ).reset_index(drop=True)
    frame.insert(0, "event_id", [f"draft-{n:03d}" for n in range(1, len(frame) + 1)])
    frame = frame.astype({c: "string" for c in COLUMNS if c != "needs_review"})
    return frame.astype({"needs_review": "boolean"})


def _merge(items: list[Sourced]) -> list[list[Sourced]]:
    groups: list[list[Sourced]] = []
    for item in items:
        home = next((g for g in groups if _same(g[0], item)), None)
        if home is None:
            groups.append([item])
        else:
            home.append(item)
    return groups


def _same(a: Sourced, b: Sourced) -> bool:
    if place_key(a.draft.place) != place_key(b.draft.place) or a.draft.change != b.draft.change:
        return False
    if a.source == b.source and a.source:
        return False
    first, second = _day(a.draft), _day(b.draft)
    if first is None or second is None:
        return True
    return abs((first - second).days) <= MERGE_DAYS


def _day(draft: Draft) -> date | None:
    if draft.date is None or draft.date_quality < 2:
        return None
    try:
        return date.fromisoformat(draft.date[:10]) if len(draft.date) >= 10 else None
    except ValueError:
        return None


def _record(group: list[Sourced]) -> dict:
    best = max(
        group,
        key=lambda s: (s.draft.date_quality, CONFIDENCE.index(s.draft.confidence), -len(s.source)),
    )
    draft = best.draft
    reasons = list(dict.fromkeys(draft.reasons))
    days = {s.draft.date[:10] for s in group if s.draft.date and s.draft.date_quality >= 2}
    if len(days) > 1:
        reasons.append("reports differ on the date: " + ", ".join(sorted(days)))
    if any("claim denied" in r for s in group for r in s.draft.reasons):
        reasons.append("claim denied in the report")
    reasons = list(dict.fromkeys(reasons))
    place = draft.place
    township = place.township if place.level != "township" else place.text
    return {
        "date": draft.date,
        "date_precision": draft.precision,
        "place": draft.place_text,
        "township": township,
        "region": place.region,
        "change": draft.change,
        "gaining_actor": _names(_union(best, group, "gaining")),
        "losing_actor": _names(_union(best, group, "losing")),
        "source": "; ".join(dict.fromkeys(s.source for s in group if s.source)) or None,
        "pcode": place.pcode,
        "evidence": " … ".join(
            list(dict.fromkeys(t for s in group for t in s.draft.evidence.values()))[:MAX_EVIDENCE]
        ),
        "extraction_confidence": "low"
        if "claim denied in the report" in reasons
        else draft.confidence,
        "needs_review": bool(reasons),
        "review_reason": "; ".join(reasons) or None,
    }


def _union(best: Sourced, group: list[Sourced], side: str) -> list[str]:
    """Every report's names for one side, the best report's first; the placeholder for unnamed
    forces only when no report names the group."""
    names = [n for s in [best, *group] for n in getattr(s, side)]
    named = [n for n in names if n != best.placeholder]
    return list(dict.fromkeys(named or names))


def _names(names: list[str]) -> str | None:
    return "; ".join(dict.fromkeys(names)) or None


def write_drafts(drafts: pd.DataFrame, path: str | Path, *, force: bool = False) -> Path:
    """Write draft events as CSV (UTF-8, "\\n" line ends); an existing file needs `force`.

    The file appears whole or not at all: it is written beside the target, then moved there.

    Raises:
        ReportExistsError: the file exists and `force` is False.
        OutputFolderError: the target is a folder or a device, or cannot be written.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputFolderError(
            "is a folder; give --out a file name such as drafts.csv", file=str(target)
        )
    if target.exists() and not target.is_file():
        raise OutputFolderError("is not a regular file; give --out a file name", file=str(target))
    if target.exists() and not force:
        raise ReportExistsError("already exists; use --force to replace it", file=str(target))
    frame = drafts.astype({"needs_review": "object"}).replace({True: "true", False: "false"})
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(partial, index=False, lineterminator="\n", encoding="utf-8")
        partial.replace(target)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise OutputFolderError(
            f"cannot write the drafts ({error.strerror or error})", file=str(target)
        ) from error
    return target
