"""Work done in a forked process beside this one, and done here instead if that fails.

A report's charts need nothing from the files written meanwhile, and most of their time is
Python holding the interpreter lock: a thread would not draw them beside the rest, a second
process does. Forking shares the tables without copying or pickling them, as long as neither
process writes to them: a garbage collection writes to every object it walks, copying the
memory page each one sits on. So the objects alive at a fork are frozen out of collections
(as the `gc` documentation advises) until every child has been waited for; both processes
still collect what they make afterwards. Work whose input comes later but whose preparation
can start at once waits in a `Standby` child, which gets ready meanwhile and is handed its
input pickled. Items this process would work through alone until a core comes free are
`shared` with a helper child that joins in from that moment. Two halves of one computation
are worked out `both` at once, one in a child that hands its result back.
Only on Linux (fork is unsafe with macOS system libraries and absent on Windows); elsewhere,
and whenever the child fails for any reason, the work is done in this process, where an error
is raised as usual, so the child's failure is never silent and never a different error.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, BinaryIO, Generic, TypeVar

import pyarrow as pa

T = TypeVar("T")
U = TypeVar("U")


class _Child:
    """A forked child of this process, waited for once."""

    _child: int | None = None

    def _waited_for(self) -> bool:
        """Wait for the child (once); whether there was one and it succeeded."""
        child, self._child = self._child, None
        return child is not None and _waited(child)


class Beside(_Child):
    """`work` started in a forked child process; call `done` where its result is needed."""

    def __init__(self, work: Callable[[], object]) -> None:
        self._work = work
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):  # no process to spare: the work is done here
                self._child = _fork(work)

    def done(self) -> None:
        """Wait for the child; when it failed, or there is none, do the work here."""
        if not self._waited_for():
            self._work()

    def abandon(self) -> None:
        """Wait for the child and drop its work: the caller failed and will not use it."""
        self._waited_for()


class Standby(_Child):
    """A forked child that gets `ready()` now and does `work(input)` once handed its input.

    For work whose input exists only later but whose preparation (imports, files) does not:
    the preparation runs beside this process's own work rather than after it. The input
    reaches the child pickled, through a pipe. With `parts`, it comes in parts, the first
    as soon as there is enough to start on: `work(first, next_part)` is called with the
    first, and `next_part()` waits for the next (None when none will come). Each part is
    written by a thread of this process, so a part the child reads only later never holds
    this process up. A child that cannot be forked, fails, or is never handed anything does
    no work; the caller looks for the work's results and does what is missing itself.
    """

    def __init__(
        self, ready: Callable[[], object], work: Callable[..., object], *, parts: bool = False
    ) -> None:
        self._send: int | None = None
        self._writer: threading.Thread | None = None
        if not sys.platform.startswith("linux"):
            return
        read, write = os.pipe()
        _SENDING.add(write)
        try:
            self._child = _fork(partial(_when_handed, read, ready, work, parts))
        except OSError:  # no process to spare
            _SENDING.discard(write)
            os.close(write)
            return
        finally:
            os.close(read)
        self._send = write

    def hand(self, data: bytes) -> None:
        """Hand the child (the next part of) its input, already pickled; a child gone takes
        nothing."""
        if self._send is None:
            return
        self._wait_for_writer()  # parts arrive in order
        message = len(data).to_bytes(8, "little") + data
        self._writer = threading.Thread(target=_write, args=(self._send, message), daemon=True)
        self._writer.start()

    def done(self) -> bool:
        """Wait for the child (one never handed its input ends without working); whether
        it succeeded."""
        self._wait_for_writer()
        if self._send is not None:
            _SENDING.discard(self._send)
            os.close(self._send)
            self._send = None
        return self._waited_for()

    abandon = done

    def _wait_for_writer(self) -> None:
        if self._writer is not None:
            self._writer.join()
            self._writer = None


def _write(pipe: int, data: bytes) -> None:
    """Write all of `data` to `pipe`; a reader gone (the child ended) takes none of it."""
    view = memoryview(data)
    with contextlib.suppress(OSError):
        while view:
            view = view[os.write(pipe, view) :]


def shared(
    items: Sequence[T],
    do: Callable[[T], object],
    *,
    helper_when: Callable[[], bool] | None = None,
    done: Callable[[int], object] | None = None,
) -> None:
    """`do(item)` once for each item, here and, when `helper_when` is given, in a forked helper
    that joins in once `helper_when()` holds (it asks every `POLL` seconds).

    For work this process would otherwise do alone while a core is about to come free (when
    other processes end): the helper takes the next items from then on, so the work left is
    shared at the moment the core is free, not at a boundary this process happens to reach.
    Items go to whoever is free, in order. A helper never needed is ended; an item the helper
    took but did not finish (it failed or died) is done here, where an error is raised as usual.
    `done(i)`, when given, is called here once item `i` is finished, whoever did it: right
    after this process does it, and as soon as the helper reports it (from a thread, while
    this process works on), so what follows from an item need not wait for all of them.
    """
    report_done = done or (lambda i: None)
    claims = Claims(range(len(items)))
    finished, report = os.pipe()
    helper = None
    if helper_when is not None and sys.platform.startswith("linux"):
        work = partial(_help, claims, lambda i: do(items[i]), helper_when, report, os.getpid())
        with contextlib.suppress(OSError):  # no process to spare: the work is done here
            helper = _fork(work)
    os.close(report)
    helped: list[int] = []
    listener = _Listener(finished, helped, report_done)
    mine: set[int] = set()
    try:
        for i in claims.take():
            mine.add(i)
            do(items[i])
            report_done(i)
        if helper is not None and len(mine) < len(items):
            _waited(helper)
    finally:
        claims.close()
        if helper in _CHILDREN:  # not waited for: it holds no item, or this process failed
            _ended(helper)
        try:
            listener.join()  # the helper's reports end once it is gone
        finally:
            os.close(finished)
    for i, item in enumerate(items):
        if i not in mine and i not in helped:
            do(item)
            report_done(i)


class _Listener(threading.Thread):
    """Reads the items a helper reports finished (one byte each, sent once the item is
    written), as they come, into `helped`, calling `done` for each; an error of `done` is
    raised where the listener is joined."""

    def __init__(self, pipe: int, helped: list[int], done: Callable[[int], object]) -> None:
        super().__init__(daemon=True)
        self._pipe, self._helped, self._done = pipe, helped, done
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        with open(self._pipe, "rb", buffering=0, closefd=False) as reports:
            while byte := reports.read(1):
                self._helped.append(byte[0])
                if self._error is None:
                    try:
                        self._done(byte[0])
                    except BaseException as error:  # raised in the joining thread
                        self._error = error

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self._error is not None:
            raise self._error


def both(here: Callable[[], T], there: Callable[[], U]) -> tuple[T, U]:
    """`here()` and `there()`, the second worked out at the same time in a forked child
    that hands its result back pickled through a pipe.

    For two halves of one computation in Python, which a thread would not run beside the
    other. When the child cannot be forked, fails or dies, `there()` is worked out here,
    where an error is raised as usual.
    """
    if not sys.platform.startswith("linux"):
        return here(), there()
    read, write = os.pipe()
    try:
        # Nothing frozen: the child is short-lived and collects nothing (see `_hand_back`),
        # and this process goes on collecting what dies meanwhile.
        child = _fork(partial(_hand_back, there, read, write), freeze=False)
    except OSError:  # no process to spare
        os.close(read)
        os.close(write)
        return here(), there()
    try:
        os.close(write)
        mine = here()
        with open(read, "rb", closefd=False) as pipe:
            data = pipe.read()
    except BaseException:
        _ended(child)
        raise
    finally:
        os.close(read)
    if not _waited(child):
        data = b""
    return mine, pickle.loads(data) if data else there()


def _hand_back(work: Callable[[], object], read: int, write: int) -> None:
    gc.disable()  # a collection would copy every page of this process's objects it walks
    os.close(read)
    with open(write, "wb") as pipe:
        pipe.write(pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))


# How often a helper waiting to join asks whether it may (seconds).
POLL = 0.01


def _help(
    claims: Claims[int],
    do: Callable[[int], object],
    when: Callable[[], bool],
    report: int,
    parent: int,
) -> None:
    """Wait for `when()`, then do the items not yet taken, reporting each once done. A helper
    whose parent has gone (killed before its work was shared) ends instead of waiting on."""
    while not when():
        if os.getppid() != parent:
            return
        time.sleep(POLL)
    for i in claims.take():
        do(i)
        os.write(report, bytes([i]))


def _close_siblings_pipes() -> None:
    """In a child: close the pipes to this process's `Standby` children, each of which must
    see its pipe close when this process closes it, not when the last child does."""
    for other in _SENDING:
        os.close(other)
    _SENDING.clear()


def _when_handed(
    read: int, ready: Callable[[], object], work: Callable[..., object], parts: bool
) -> None:
    ready()
    with open(read, "rb") as pipe:
        first = _next_part(pipe)
        if first is None:
            return
        if parts:
            work(first, partial(_next_part, pipe))
        else:
            work(first)


def _next_part(pipe: BinaryIO) -> Any:
    """The next part handed through `pipe`, unpickled; None when the pipe closes first."""
    size = int.from_bytes(pipe.read(8) or b"\0", "little")
    data = pipe.read(size) if size else b""
    return pickle.loads(data) if len(data) == size > 0 else None


def _ended(child: int) -> None:
    """Kill `child`, whose work is no longer wanted, and wait for it."""
    with contextlib.suppress(OSError):
        os.kill(child, signal.SIGKILL)
    _waited(child)


def _waited(child: int) -> bool:
    """Wait for `child`; whether it exited with 0."""
    try:
        status = os.waitpid(child, 0)[1]
    except ChildProcessError:  # reaped by the system (SIGCHLD ignored): its work is redone
        status = LOST
    _CHILDREN.discard(child)
    if not _CHILDREN:
        gc.unfreeze()  # cycles among the shared objects can be collected again
    return os.waitstatus_to_exitcode(status) == 0


# Children forked and not yet waited for: the frozen objects stay frozen while any lives.
_CHILDREN: set[int] = set()
# The status of a child whose exit cannot be known (as if it had exited with 1).
LOST = 1 << 8
# Writing ends of the pipes to `Standby` children not yet handed their input.
_SENDING: set[int] = set()


def _fork(work: Callable[[], object], *, freeze: bool = True) -> int:
    """A child process that does `work` and exits: 0 when it succeeded, else 1 (silently,
    without flushing this process's buffered output or running its exit handlers). With
    `freeze`, the objects alive now stay out of collections while any child lives."""
    _give_back_freed_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        if freeze:
            gc.freeze()
        try:
            child = os.fork()
        except OSError:
            if freeze and not _CHILDREN:
                gc.unfreeze()
            raise
    if child == 0:
        status = 1
        try:
            _close_siblings_pipes()
            work()
            status = 0
        finally:
            os._exit(status)
    _CHILDREN.add(child)
    return child


def _give_back_freed_memory() -> None:
    """Hand the memory freed but kept for reuse (by glibc and Arrow's pool, see
    `impact.cli`) back to the system before forking.

    A child starts out mapping every page this process holds, kept ones included, so each
    would count twice: a million-event report's writing helper started at 1.8 GB instead of
    1.45 GB. Where the C library has no `malloc_trim` (not glibc), Arrow's pool alone.
    """
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


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
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
