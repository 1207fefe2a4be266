"""From news reports to draft control-change events an analyst confirms before reporting.

    import impact
    drafts = impact.extract_events(text, published="2023-11-08")
    drafts = impact.extract_files(["report1.txt", "page.html"])

Rule-based and deterministic: the gazetteer finds places, change verbs and their grammar say
what changed and who gained or lost, and dates are read against the publication date. Every
row carries its evidence sentences; anything uncertain is marked for review, never guessed.
The rows use the events input format, so `impact report drafts.csv` reads them unchanged.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd

from impact.actors import canonical_actors, load_actors
from impact.errors import ImpactWarning, InputFileError
from impact.extract.actors_in_text import ActorMention
from impact.extract.documents import looks_like_html, read_document, split_header, strip_markup
from impact.extract.drafts import drafts_of
from impact.extract.places import PlaceIndex
from impact.extract.rows import COLUMNS, Sourced, empty_rows, to_rows, write_drafts
from impact.input_files import MB, Limits, too_big
from impact.reference import Reference, load_reference
from impact.sheets import utf16_kind

__all__ = ["COLUMNS", "Extractor", "extract_events", "extract_files", "write_drafts"]


class Extractor:
    """Reads reports against one reference package; build it once for many reports."""

    def __init__(self, reference: Reference | str | Path | None = None) -> None:
        if not isinstance(reference, Reference):
            reference = load_reference(reference)
        self.index = PlaceIndex(reference)
        self.namer = ActorNamer()

    def sourced(self, text: str, published=None, source: str | None = None) -> list[Sourced]:
        """The drafts of one report, each with its source and named actors."""
        document = read_document(text, published, source)
        label = document.source or ""
        return [
            Sourced(
                d,
                label,
                self.namer.names(d.gaining),
                self.namer.names(d.losing),
                self.namer.generic.get("resistance"),
            )
            for d in drafts_of(document, self.index, self.namer.side)
        ]


class ActorNamer:
    """Canonical actor names from the project's actors table.

    A common phrase the table does not list ("the junta's military", "rebels") takes the
    table's name for its side's unnamed forces; a proper name it does not list keeps the words
    the report used.
    """

    def __init__(self) -> None:
        self.table = load_actors()
        self.known: dict[str, str | None] = {}
        fallback = canonical_actors(pd.Series(["junta", "resistance forces"]), self.table)
        self.generic = {
            side: name
            for side, name, known in zip(
                ("military", "resistance"), fallback["actor"], fallback["known"], strict=True
            )
            if known
        }

    def side(self, actor: ActorMention) -> str:
        """The actor's side in the table, else the side its words suggest."""
        self.names([actor])
        name = self.known.get(actor.text)
        if name is not None and name in self.table.rows.index:
            return str(self.table.rows.at[name, "side"])
        return actor.side

    def names(self, actors: list[ActorMention]) -> list[str]:
        """Canonical names; common phrases yield to the groups a report names."""
        todo = sorted({a.text for a in actors if a.text not in self.known})
        if todo:
            found = canonical_actors(pd.Series(todo, dtype="string"), self.table)
            for text, actor, known in zip(todo, found["actor"], found["known"], strict=True):
                self.known[text] = str(actor) if known and not pd.isna(actor) else None
        placeholder = self.generic.get("resistance")
        specific, general = [], []
        for actor in actors:
            name = self.known[actor.text] or (
                self.generic.get(actor.side) if actor.generic else None
            )
            if name is None and actor.generic:
                continue
            name = name or actor.text
            (general if name == placeholder else specific).append(name)
        return list(dict.fromkeys(specific or general))


def extract_events(
    text: str,
    published: str | date | None = None,
    source: str | None = None,
    reference: Reference | str | Path | Extractor | None = None,
) -> pd.DataFrame:
    """Draft event rows from the text of one report (plain text, Markdown or HTML).

    `published` anchors relative dates ("on Tuesday", "last week"); a `Published:` or `Date:`
    line at the top of the text is used when it is not given. Returns the columns of
    `impact.extract.COLUMNS`, one row per change, with `evidence` quoting the report.
    """
    extractor = reference if isinstance(reference, Extractor) else Extractor(reference)
    if not isinstance(text, str) or not text.strip():
        return empty_rows()
    return to_rows(extractor.sourced(text, published, source))


LETTER = re.compile(r"[^\W\d_]")


def extract_files(
    paths: Iterable[str | Path],
    published: str | date | None = None,
    reference: Reference | str | Path | Extractor | None = None,
) -> pd.DataFrame:
    """Draft event rows from report files (or "-" for standard input), merged across reports.

    Raises:
        InputFileError: a file cannot be found or read as text.
    """
    extractor = reference if isinstance(reference, Extractor) else Extractor(reference)
    items: list[Sourced] = []
    for path in dict.fromkeys(_same_file(path) for path in paths):  # a file named twice: once
        text = _read_text(path)
        label = "stdin" if str(path) == "-" else Path(path).name
        if not LETTER.search(text):
            note = f"{label}: no readable text (empty, or not text)"
            warnings.warn(ImpactWarning(note), stacklevel=2)
        items.extend(extractor.sourced(text, published, _source_or(text, label)))
    return to_rows(items)


def _same_file(path: str | Path) -> str | Path:
    """The path as one file is named however it is written (./a.txt, a.txt)."""
    return path if str(path) == "-" else Path(os.path.abspath(path))


def _source_or(text: str, label: str) -> str | None:
    """The file name is the source only when the report names none itself."""
    header, _ = split_header(strip_markup(text) if looks_like_html(text) else text)
    return None if (header.get("url") or header.get("link") or header.get("source")) else label


def _read_text(path: str | Path) -> str:
    """The text of a report file ("-": standard input), read as the events files are: by
    byte-order mark or UTF-16 shape, UTF-8, then Windows-1252; bytes neither reads are
    replaced."""
    limits = Limits.from_environment()
    most = limits.report_mb * MB
    where = Path("stdin" if str(path) == "-" else path)
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(most + 1)
        else:
            with where.open("rb") as handle:
                data = handle.read(most + 1)
    except OSError as error:
        raise InputFileError(
            f"cannot read the report ({error.strerror})", file=str(where)
        ) from error
    if len(data) > most:
        raise too_big(where, "the report", "report_mb", limits.report_mb, "MB")
    wide = utf16_kind(data)
    encodings = (wide,) if wide else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode(wide or "utf-8", errors="replace")
