"""Work done in a forked process beside this one, and done here instead if that fails.

A report's charts need nothing from the files written meanwhile, and most of their time is
Python holding the interpreter lock: a thread would not draw them beside the rest, a second
process does. Forking shares the tables without copying or pickling them, as long as neither
process writes to them: a garbage collection writes to every object it walks, copying the
memory page each one sits on. So the objects alive at a fork are frozen out of collections
(as the `gc` documentation advises) until every child has been waited for; both processes
still collect what they make afterwards.
Only on Linux (fork is unsafe with macOS system libraries and absent on Windows); elsewhere,
and whenever the child fails for any reason, the work is done in this process, where an error
is raised as usual, so the child's failure is never silent and never a different error.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Beside:
    """`work` started in a forked child process; call `done` where its result is needed."""

    def __init__(self, work: Callable[[], object]) -> None:
        self._work = work
        self._child = None
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):  # no process to spare: the work is done here
                self._child = _fork(work)

    def done(self) -> None:
        """Wait for the child; when it failed, or there is none, do the work here."""
        if not self._succeeded():
            self._work()

    def abandon(self) -> None:
        """Wait for the child and drop its work: the caller failed and will not use it."""
        self._succeeded()

    def _succeeded(self) -> bool:
        child, self._child = self._child, None
        if child is None:
            return False
        status = os.waitpid(child, 0)[1]
        _CHILDREN.discard(child)
        if not _CHILDREN:
            gc.unfreeze()  # cycles among the shared objects can be collected again
        return os.waitstatus_to_exitcode(status) == 0


# Children forked and not yet waited for: the frozen objects stay frozen while any lives.
_CHILDREN: set[int] = set()


def _fork(work: Callable[[], object]) -> int:
    """A child process that does `work` and exits: 0 when it succeeded, else 1 (silently,
    without flushing this process's buffered output or running its exit handlers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        gc.freeze()
        try:
            child = os.fork()
        except OSError:
            if not _CHILDREN:
                gc.unfreeze()
            raise
    if child == 0:
        status = 1
        try:
            work()
            status = 0
        finally:
            os._exit(status)
    _CHILDREN.add(child)
    return child


class Claims(Generic[T]):
    """Items each taken by exactly one of the processes forked after the claims were made.

    One byte per item in a pipe whose writing end is already closed: a one-byte read is
    atomic, so it takes the next item, and an empty read says none is left. Whoever is free
    takes the next item, so no process sits idle while another has a queue of work.
    """

    def __init__(self, items: Sequence[T]) -> None:
        if len(items) > 256:
            raise ValueError("at most 256 items")
        self._items = list(items)
        self._read, write = os.pipe()
        os.write(write, bytes(range(len(self._items))))
        os.close(write)

    def take(self) -> Iterator[T]:
        """The items not yet taken, one at a time, each taken from every other process."""
        while byte := os.read(self._read, 1):
            yield self._items[byte[0]]

    def close(self) -> None:
        os.close(self._read)
