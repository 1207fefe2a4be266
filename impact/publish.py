"""Publish a finished report folder without ever losing someone's data.

A report is written into a staging folder beside its target (`.impact-staging-<pid>-…`) and
moved into place in one step that fails when the target exists, so a folder that appears while
the run is working (a colleague's, or a second run's) is never overwritten. `--force` replaces
only a folder that is an earlier impact report (it holds our manifest.json) or an empty one:
the old report is moved aside, the new one published, then the old one deleted. A run that is
killed leaves at most its staging folder, which the next run in the same place removes once the
process that made it is gone.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from impact.errors import OutputFolderError, ReportExistsError

STAGING_PREFIX = ".impact-staging-"
ASIDE_PREFIX = ".impact-old-"
NAME_MAX = 255
PATH_MAX = 4096
# Short enough that prefix, pid and token still fit in a file name.
NAME_IN_STAGING = 120


def check_target(target: Path, *, inputs: Iterable[str | Path] = (), force: bool = False) -> None:
    """Refuse a report folder that is unsafe to write or replace, before any work is done.

    Raises:
        OutputFolderError: the target is the current folder or one above it, the home or root
            folder, a folder holding an input file, a symbolic link, a file, under a file,
            too long, not writable, or (with `force`) an existing folder that is not an
            earlier impact report.
        ReportExistsError: the target exists and `force` is False.
    """
    where = str(target)
    if len(os.fsencode(target.name)) > NAME_MAX or len(os.fsencode(target.absolute())) > PATH_MAX:
        raise OutputFolderError(
            f"the folder name is too long (at most {NAME_MAX} bytes a name); choose a shorter "
            "--out",
            file=where,
        )
    if target.is_symlink():
        raise OutputFolderError(
            "is a symbolic link; give the real folder as --out (links are never followed or "
            "replaced)",
            file=where,
        )
    resolved = target.resolve()
    _refuse_protected(resolved, inputs, where)
    _refuse_under_file(target, where)
    if target.exists() and not target.is_dir():
        raise OutputFolderError("is a file, not a folder; choose another --out", file=where)
    if target.exists() and not force:
        raise ReportExistsError(
            "the report folder already exists; choose another --out or pass --force to replace "
            "an earlier impact report",
            file=where,
        )
    if target.exists() and not (is_impact_report(target) or _is_empty(target)):
        raise OutputFolderError(
            "is not an earlier impact report (it has no impact manifest.json), so --force will "
            "not replace it; choose another --out",
            file=where,
        )
    parent = _existing_ancestor(target)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFolderError(f"cannot write in {parent} (read-only); choose another --out")


def _refuse_protected(resolved: Path, inputs: Iterable[str | Path], where: str) -> None:
    here = Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        raise OutputFolderError(
            "is the current folder or one above it; give a new folder as --out, e.g. "
            "--out reports/november",
            file=where or ".",
        )
    if resolved in (_home(), Path(resolved.anchor)):
        raise OutputFolderError("is the home or root folder; choose another --out", file=where)
    for item in inputs:
        try:
            source = Path(item).resolve()
        except (OSError, RuntimeError):  # a symlink loop: reading it says so, in its turn
            continue
        if resolved == source or resolved in source.parents:
            raise OutputFolderError(
                f"holds the input file {item}; choose a report folder that does not contain "
                "your inputs",
                file=where,
            )


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return None


def _refuse_under_file(target: Path, where: str) -> None:
    for parent in target.absolute().parents:
        if parent.exists() and not parent.is_dir():
            raise OutputFolderError(
                f"{parent} is a file, so no folder can be made under it; choose another --out",
                file=where,
            )


def _existing_ancestor(target: Path) -> Path:
    for parent in target.absolute().parents:
        if parent.exists():
            return parent
    return Path(target.absolute().anchor)


def _is_empty(folder: Path) -> bool:
    return not any(folder.iterdir())


def is_impact_report(folder: Path) -> bool:
    """True when `folder` holds a manifest.json written by impact (an earlier report)."""
    manifest = folder / "manifest.json"
    if manifest.is_symlink() or not manifest.is_file():
        return False
    try:
        content = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and content.get("software", {}).get("name") == "impact"


def make_staging(target: Path) -> Path:
    """A new, empty staging folder beside `target` (created with the usual permissions).

    Raises:
        OutputFolderError: the parent folder cannot be created or written.
    """
    parent = target.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale(parent)
        name = target.name[:NAME_IN_STAGING]
        staging = parent / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{name}"
        # mkdir honours the umask (0755 as a rule); mkdtemp would make it 0700.
        staging.mkdir()
    except OSError as error:
        raise OutputFolderError(
            f"cannot create the report folder: {error.strerror}; choose another --out",
            file=str(target),
        ) from error
    return staging


def remove_stale(parent: Path) -> list[Path]:
    """Remove staging folders of runs that are gone; put back an old report left aside.

    Returns the folders removed or restored.
    """
    handled = []
    for folder in sorted(parent.glob(".impact-*")):
        owner = _pid_in_name(folder.name)
        if owner is None or _alive(owner) or folder.is_symlink() or not folder.is_dir():
            continue
        if folder.name.startswith(STAGING_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)
            handled.append(folder)
        elif folder.name.startswith(ASIDE_PREFIX):
            original = parent / folder.name.split("-", 4)[-1]
            if not original.exists():
                folder.rename(original)
            elif is_impact_report(original):
                shutil.rmtree(folder, ignore_errors=True)
            handled.append(folder)
    return handled


def _pid_in_name(name: str) -> int | None:
    for prefix in (STAGING_PREFIX, ASIDE_PREFIX):
        if name.startswith(prefix):
            pid = name[len(prefix) :].split("-", 1)[0]
            return int(pid) if pid.isdigit() else None
    return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(staging: Path, target: Path, *, force: bool = False) -> None:
    """Move the finished `staging` folder to `target`, never over someone else's folder.

    With `force`, an earlier impact report at `target` is moved aside first and deleted once
    the new one is in place; if another folder appears in between, the old report is put
    back where possible and kept aside otherwise (the message says where).

    Raises:
        ReportExistsError: `target` exists (or appeared while the run was working) and
            was not replaced.
        OutputFolderError: `target` may not be replaced (see `check_target`).
    """
    aside = None
    if force and target.exists():
        check_target(target, force=True)
        name = target.name[:NAME_IN_STAGING]
        aside = target.parent / f"{ASIDE_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{name}"
        try:
            target.rename(aside)
        except FileNotFoundError:
            aside = None  # another forced run moved it first
    try:
        rename_noreplace(staging, target)
    except FileExistsError as error:
        kept = _restore(aside, target)
        note = f"; the earlier report is kept in {kept}" if kept else ""
        raise ReportExistsError(
            "another folder appeared here while the report was being written (perhaps a second "
            f"run); it was left untouched{note}",
            file=str(target),
        ) from error
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _restore(aside: Path | None, target: Path) -> Path | None:
    """Put the earlier report back; return where it stays when that is not possible."""
    if aside is None:
        return None
    try:
        rename_noreplace(aside, target)
    except FileExistsError:
        return aside
    return None


def rename_noreplace(source: Path, destination: Path) -> None:
    """Rename `source` to `destination` atomically, failing if `destination` exists.

    Uses Linux renameat2(RENAME_NOREPLACE); elsewhere an exclusive mkdir of the destination
    claims it before the contents are moved in (plain rename would replace an empty folder).

    Raises:
        FileExistsError: `destination` exists.
    """
    result = _renameat2(source, destination)
    if result == 0:
        return
    if result == errno.EEXIST:
        raise FileExistsError(errno.EEXIST, "exists", str(destination))
    if result not in (errno.ENOSYS, errno.EINVAL, -1):
        raise OSError(result, os.strerror(result), str(destination))
    destination.mkdir()
    for item in sorted(source.iterdir()):
        item.rename(destination / item.name)
    source.rmdir()


RENAME_NOREPLACE = 1
AT_FDCWD = -100


def _renameat2(source: Path, destination: Path) -> int:
    """0 on success, the errno on failure, -1 when the call is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return -1
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    done = call(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(destination), RENAME_NOREPLACE)
    return 0 if done == 0 else ctypes.get_errno()
