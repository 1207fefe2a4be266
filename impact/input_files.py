"""Guards on an events file before any parser sees it: what it is, how big, which sheet.

A path can name a folder, a pipe, a device such as /dev/zero, an encrypted or old-format Excel
file, a truncated download or a zip bomb. Each is refused with a message that says what the file
is and what to do, and the size limits say which one was hit and how to raise it (an
environment variable), so a genuine large file is never stuck.
"""

from __future__ import annotations

import html
import io
import os
import re
import stat
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from impact.errors import ImpactWarning, InputFileError, InputLimitError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Safety limits on one events file (and on one news report, `report_mb`: a saved web
    page is a few MB; anything much larger is not a report and would take minutes to read
    sentence by sentence); each can be raised with its environment variable."""

    input_mb: int = 1024
    uncompressed_mb: int = 2048
    cells: int = 200_000_000
    report_mb: int = 16

    ENV: ClassVar[dict[str, str]] = {
        "input_mb": "IMPACT_MAX_INPUT_MB",
        "uncompressed_mb": "IMPACT_MAX_UNCOMPRESSED_MB",
        "cells": "IMPACT_MAX_CELLS",
        "report_mb": "IMPACT_MAX_REPORT_MB",
    }

    @classmethod
    def from_environment(cls) -> Limits:
        """Defaults, overridden by the environment variables named in `ENV`.

        Raises:
            InputFileError: a variable is set but is not a positive whole number.
        """
        values = {}
        for field, variable in cls.ENV.items():
            text = os.environ.get(variable)
            if text is None:
                continue
            if not text.strip().isdigit() or int(text) <= 0:
                raise InputFileError(f"{variable} must be a positive whole number, got {text!r}")
            values[field] = int(text)
        return cls(**values)


def too_big(path: Path, what: str, limit: str, value: int, unit: str) -> InputLimitError:
    variable = Limits.ENV[limit]
    return InputLimitError(
        f"{what} is over the safety limit of {value:,} {unit} ({variable}); if the file is "
        f"genuine, raise the limit, e.g. {variable}={value * 4}",
        file=str(path),
    )


def read_input_file(path: Path, limits: Limits | None = None) -> bytes:
    """The bytes of an events file after checking it is a readable, sane, regular file.

    Raises:
        InputFileError: missing, a folder, a pipe or device, unreadable, an old or encrypted
            Excel file, a damaged XLSX, or a file name that is not valid text.
        InputLimitError: larger than a limit (bytes, uncompressed size, rows × columns).
    """
    limits = limits or Limits.from_environment()
    where = str(path)
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise InputFileError(
            "the file name holds bytes that are not text in this system's encoding; rename the "
            "file (letters, digits, - and _ are always safe)",
            file=where,
        ) from None
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError("no such file; check the path", file=where) from None
    except OSError as error:
        raise InputFileError(f"cannot open the file: {error.strerror}", file=where) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError("is a folder, not a file; name the events file in it", file=where)
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(
            "is not a regular file (a pipe, device or socket); save the events to a file first",
            file=where,
        )
    most = limits.input_mb * MB
    if info.st_size > most:
        raise too_big(path, "the file size", "input_mb", limits.input_mb, "MB")
    try:
        with path.open("rb") as handle:
            data = handle.read(most + 1)
    except OSError as error:
        raise InputFileError(f"cannot read the file: {error.strerror}", file=where) from None
    if len(data) > most:
        raise too_big(path, "the file size", "input_mb", limits.input_mb, "MB")
    _check_format(path, data, limits)
    return data


def _check_format(path: Path, data: bytes, limits: Limits) -> None:
    where, suffix = str(path), path.suffix.lower()
    other = _other_format(data, suffix)
    if other:
        raise InputFileError(other, file=where)
    if data.startswith(OLE2_MAGIC) or (suffix == ".xls" and not _looks_like_html(data)):
        raise InputFileError(
            "is an old Excel 97-2003 (.xls) file or a password-protected workbook; remove the "
            "password and save it as .xlsx or CSV",
            file=where,
        )
    if suffix in EXCEL_SUFFIXES:
        _check_workbook(path, data, limits)
    else:
        _check_text_cells(path, data, limits)


def _other_format(data: bytes, suffix: str) -> str | None:
    """The message for a file of a format impact does not read, told by its first bytes (so
    that it names the format instead of a text encoding or missing columns); None for others."""
    save = "; save it as .xlsx or CSV"
    if data.startswith(b"\x1f\x8b"):
        return "is a compressed (gzip) file; unpack it and read the file inside"
    if data.startswith(b"PK") and b"mimetypeapplication/vnd.oasis.opendocument" in data[:200]:
        return "is an OpenDocument (LibreOffice) spreadsheet" + save
    if suffix == ".xlsb":
        return "is a binary Excel workbook (.xlsb)" + save
    if suffix in (".xls", ".xlsx", ".xlsm") and _looks_like_html(data):
        return "is a web page (HTML) saved with an Excel name, not a workbook" + save
    return None


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) and (
        b"<html" in data[:4096].lower() or b"<table" in data[:4096].lower()
    )


def _check_workbook(path: Path, data: bytes, limits: Limits) -> None:
    where = str(path)
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        entries = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputFileError(
            "is not a complete Excel workbook (damaged or truncated, e.g. an interrupted "
            "download); open and save it again in Excel, or export it as CSV",
            file=where,
        ) from None
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise InputFileError("is encrypted; remove the password and save it again", file=where)
    if "xl/workbook.xml" not in book.namelist():
        raise InputFileError("is a zip file but not an Excel workbook", file=where)
    total = sum(entry.file_size for entry in entries)
    if total > limits.uncompressed_mb * MB:
        raise too_big(path, "the unpacked size", "uncompressed_mb", limits.uncompressed_mb, "MB")
    for entry in entries:
        if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
            cells = _sheet_cells(book, entry)
            if cells > limits.cells:
                raise too_big(path, "a sheet's rows × columns", "cells", limits.cells, "cells")


def _sheet_cells(book: zipfile.ZipFile, entry: zipfile.ZipInfo) -> int:
    """Rows × columns from a sheet's <dimension> element (read from its first bytes only)."""
    with book.open(entry) as handle:
        head = handle.read(4096).decode("utf-8", "replace")
    found = re.search(r'<(?:\w+:)?dimension ref="[A-Z]*\d*:?([A-Z]+)(\d+)"', head)
    if not found:
        return 0
    column = 0
    for letter in found.group(1):
        column = column * 26 + ord(letter) - 64
    return column * int(found.group(2))


def _check_text_cells(path: Path, data: bytes, limits: Limits) -> None:
    lines = data.count(b"\n") + 1
    first = data[: data.find(b"\n")] if b"\n" in data else data[:65536]
    columns = max(first.count(sep) for sep in (b",", b";", b"\t", b"|")) + 1
    if lines * columns > limits.cells:
        raise too_big(path, "rows × columns", "cells", limits.cells, "cells")


def excel_sheet(path: Path, data: bytes, sheet: str | int) -> str | int:
    """The sheet to read: the one asked for, else the first visible one (never a hidden one).

    When the first sheet is hidden, an `ImpactWarning` names the sheet read instead.

    Raises:
        InputFileError: no sheet is visible and none was named.
    """
    if sheet != 0:
        return sheet
    sheets = _sheets(data)
    visible = [name for name, state in sheets if state in ("", "visible")]
    if not sheets or sheets[0][1] in ("", "visible"):
        return sheet
    if not visible:
        raise InputFileError(
            "every sheet is hidden; name the sheet to read with --sheet", file=str(path)
        )
    warnings.warn(
        ImpactWarning(
            f"{path.name}: the first sheet '{sheets[0][0]}' is {sheets[0][1]}; read the first "
            f"visible sheet '{visible[0]}' instead (choose another with --sheet)"
        ),
        stacklevel=2,
    )
    return visible[0]


def visible_sheets(data: bytes) -> list[str]:
    """The names of a workbook's visible sheets, in order ([] when they cannot be read)."""
    return [name for name, state in _sheets(data) if state in ("", "visible")]


def _sheets(data: bytes) -> list[tuple[str, str]]:
    """(name, state) of each sheet of a workbook, in order; [] when they cannot be read."""
    try:
        workbook = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode("utf-8")
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return []
    return [
        (_unescape(name), state)
        for name, state in re.findall(
            r'<(?:\w+:)?sheet\b(?=[^>]*\bname="([^"]*)")(?:(?=[^>]*\bstate="(\w+)"))?', workbook
        )
    ]


def _unescape(name: str) -> str:
    """A sheet name as workbook.xml escapes it (&amp;, &#39; …), as written."""
    return html.unescape(name)
