"""The exceptions the reference builds raise; `__main__` turns them into a message and exit code."""

from __future__ import annotations


class BuildError(Exception):
    """A reference build cannot go on; the message names the file or figure to fix."""


class MissingSourcesError(BuildError):
    """Source or evidence files the build reads are absent from the folder given."""
