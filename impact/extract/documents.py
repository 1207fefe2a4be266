"""A news report as text: its metadata header, its body without markup, and its sentences.

Reports arrive as plain text, Markdown or saved HTML pages. An optional header block at the top
(`Source:`, `URL:`, `Published:` or `Date:` lines) says where the report came from and when it
was published; the published date anchors "on Tuesday" and "last week".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser

import pandas as pd

HEADER_LINE = re.compile(r"^\s*(source|url|link|published|date|title)\s*:\s*(.*?)\s*$", re.I)
ABBREVIATIONS = (
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Capt|Brig"
    r"|Sgt|Sen|Gov|St|No|Nos|Vol|approx|vs|etc|U\.S|U\.N|a\.m|p\.m|i\.e|e\.g)"
)
SENTENCE_END = re.compile(
    r"(?<=[.!?][\"'”’)])\s+(?=[\"'“‘(]?[A-Z0-9])|(?<=[.!?])\s+(?=[\"'“‘(]?[A-Z0-9])"
)
MAX_SENTENCE = 600
BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "article",
    "section",
}
SKIPPED_TAGS = {"script", "style", "nav", "footer", "header", "aside", "noscript", "form"}


@dataclass
class Document:
    """One report: metadata from its header and its body split into paragraphs of sentences."""

    body: str
    source: str | None = None
    published: date | None = None
    title: str | None = None
    paragraphs: list[list[str]] = field(default_factory=list)

    @property
    def sentences(self) -> list[tuple[int, int, str]]:
        """(paragraph number, sentence number within the report, text) for every sentence."""
        numbered, count = [], 0
        for number, paragraph in enumerate(self.paragraphs):
            for sentence in paragraph:
                numbered.append((number, count, sentence))
                count += 1
        return numbered


def read_document(text: str, published: str | date | None = None, source: str | None = None):
    """Split a report into metadata and sentences; arguments win over the header block."""
    text = strip_markup(text) if looks_like_html(text) else text
    header, body = split_header(text)
    when = parse_published(published) or parse_published(header.get("published"))
    when = when or parse_published(header.get("date"))
    document = Document(
        body=body,
        source=source or header.get("url") or header.get("link") or header.get("source"),
        published=when,
        title=header.get("title"),
    )
    document.paragraphs = [split_sentences(p) for p in split_paragraphs(body)]
    document.paragraphs = [p for p in document.paragraphs if p]
    return document


def split_header(text: str) -> tuple[dict[str, str], str]:
    """The `Key: value` lines at the top (lowercase keys) and the text after them."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header: dict[str, str] = {}
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and (match := HEADER_LINE.match(lines[end])):
        header.setdefault(match[1].lower(), match[2])
        end += 1
    if not header:
        return {}, "\n".join(lines)
    return header, "\n".join(lines[end:])


def parse_published(value: str | date | None) -> date | None:
    """A publication date from an ISO date, a date object or text such as "8 Nov 2023"."""
    if isinstance(value, datetime):
        return None if pd.isna(value) else value.date()
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp.date()


# Markdown's fenced code: not prose of the report.
CODE_BLOCK = re.compile(r"(?ms)^\s*(```|~~~).*?^\s*\1[^\n]*$")
TABLE_ROW = re.compile(r"(?m)^\s*\|(.*)\|\s*$")
TABLE_RULE = re.compile(r"^[\s|:-]*$")


def split_paragraphs(body: str) -> list[str]:
    """Blank-line separated blocks, with Markdown marks (#, *, >, links) and code removed, and
    each row of a Markdown table a block of its own (its cells read as one sentence)."""
    body = CODE_BLOCK.sub("", body)
    body = TABLE_ROW.sub(_table_row, body)
    body = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", body)
    blocks = re.split(r"\n\s*\n", body)
    cleaned = []
    for block in blocks:
        block = re.sub(r"(?m)^\s*(#{1,6}|[*+>-]|\d+\.)\s+", "", block)
        block = re.sub(r"[*_`]{1,3}", "", block)
        block = re.sub(r"\s+", " ", block).strip()
        if block:
            cleaned.append(block)
    return cleaned


def _table_row(row: re.Match) -> str:
    """A table row as a paragraph of its own: its cells joined by commas; a rule row dropped."""
    if TABLE_RULE.fullmatch(row[1]):
        return ""
    cells = [cell.strip() for cell in row[1].split("|")]
    return "\n\n" + ", ".join(cell for cell in cells if cell) + ".\n\n"


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph; abbreviations such as "Nov." or "Lt." do not end one."""
    parts = SENTENCE_END.split(paragraph)
    sentences: list[str] = []
    for part in parts:
        if sentences and re.search(rf"\b{ABBREVIATIONS}\.[\"'”’)]*$", sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {part}"
        else:
            sentences.append(part)
    return [piece for s in sentences for piece in _pieces(s.strip()) if piece]


def _pieces(sentence: str) -> list[str]:
    """A run-on "sentence" (a page with no full stops) is cut at spaces every MAX_SENTENCE
    characters, so that no rule ever works on more than that at once."""
    pieces = []
    while len(sentence) > MAX_SENTENCE:
        cut = sentence.rfind(" ", 0, MAX_SENTENCE)
        cut = cut if cut > 0 else MAX_SENTENCE
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    return [*pieces, sentence]


def looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(html|body|p|div|article|br)\b", text[:5000], re.I))


class _TextCollector(HTMLParser):
    """Collects visible text, with a blank line at block ends and the page title kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.in_title = False
        self.title = ""
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "meta":
            values = dict(attrs)
            key = (values.get("property") or values.get("name") or "").lower()
            if key in ("article:published_time", "og:url", "date", "og:site_name"):
                self.meta.setdefault(key, values.get("content") or "")
        if tag in BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1
        elif tag == "title":
            self.in_title = False
        if tag in BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skipping:
            self.parts.append(data)


def strip_markup(html: str) -> str:
    """Visible text of an HTML page, with its publication metadata as a header block."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    header = []
    if collector.meta.get("og:site_name"):
        header.append(f"Source: {collector.meta['og:site_name']}")
    if collector.meta.get("og:url"):
        header.append(f"URL: {collector.meta['og:url']}")
    published = collector.meta.get("article:published_time") or collector.meta.get("date")
    if published:
        header.append(f"Published: {published[:10]}")
    if collector.title.strip():
        header.append(f"Title: {collector.title.strip()}")
    text = "".join(collector.parts)
    return "\n".join(header) + "\n\n" + text if header else text
