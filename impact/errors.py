"""The exceptions `impact` raises; the CLI turns them into messages and exit codes."""

from __future__ import annotations


class ImpactError(Exception):
    """A problem an analyst can fix; the message says how."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column, self.message = file, row, column, message
        where = ", ".join(
            part
            for part in (
                file and f"file {file}",
                row is not None and f"row {row}",
                column and f"column '{column}'",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class InputFileError(ImpactError):
    """An events file cannot be read at all (missing, unreadable, no usable columns)."""


class InputLimitError(InputFileError):
    """An events file is larger than a safety limit; the message names the limit to raise."""


class ReferenceDataError(ImpactError):
    """A reference data package is missing a table or breaks its schema."""


class AssumptionsError(ImpactError):
    """An assumptions file cannot be read or sets an unknown or impossible value."""


class NoUsableEventsError(ImpactError):
    """Every input row was rejected, so there is nothing to report on."""


class ReportExistsError(ImpactError):
    """The report folder already exists and would be overwritten."""

    exit_code = 2


class OutputFolderError(ImpactError):
    """The report folder cannot be used: unsafe to replace, not writable, or not a folder."""

    exit_code = 2


class ImpactWarning(UserWarning):
    """Something an analyst should know that does not stop the run (e.g. a hidden sheet)."""
