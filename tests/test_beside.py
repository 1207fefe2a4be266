"""Work in a forked process: done there once, or here when that fails, never lost."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest

from impact import beside
from impact.beside import Beside, Claims, Standby, both, shared

forks = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")


def _writer(path: Path, calls: list[int]):
    def work() -> None:
        calls.append(os.getpid())
        path.write_text(str(os.getpid()))

    return work


@forks
def test_work_that_succeeds_is_done_once_in_the_child(tmp_path):
    calls: list[int] = []
    job = Beside(_writer(tmp_path / "out.txt", calls))
    job.done()
    assert int((tmp_path / "out.txt").read_text()) != os.getpid()
    assert calls == []  # not redone here


def test_work_that_fails_in_the_child_raises_its_own_error_here(tmp_path):
    attempts = tmp_path / "attempts"
    attempts.mkdir()

    def work() -> None:
        (attempts / str(os.getpid())).touch()
        raise ValueError("the real error")

    job = Beside(work)
    with pytest.raises(ValueError, match="the real error"):
        job.done()
    assert str(os.getpid()) in {p.name for p in attempts.iterdir()}


@forks
def test_a_child_that_dies_is_replaced_by_work_here(tmp_path):
    calls: list[int] = []
    write = _writer(tmp_path / "out.txt", calls)

    def work() -> None:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        write()

    parent = os.getpid()
    Beside(work).done()
    assert calls == [parent]
    assert (tmp_path / "out.txt").read_text() == str(parent)


@forks
def test_abandoned_work_is_waited_for_and_not_redone(tmp_path):
    calls: list[int] = []

    def work() -> None:
        calls.append(os.getpid())
        raise RuntimeError("failed in the child")

    job = Beside(work)
    job.abandon()
    assert calls == []
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind


@forks
def test_objects_shared_with_a_child_stay_out_of_collections_until_it_is_done(tmp_path):
    """A collection writes to every object it walks, so either process collecting the shared
    objects would copy the pages they sit on; once the child is done, they are collected as
    usual again (a notebook writing report after report must not keep its garbage)."""

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    shared = Cycle()
    alive = weakref.ref(shared)
    report = tmp_path / "gc.txt"
    job = Beside(lambda: report.write_text(f"{gc.isenabled()} {gc.get_freeze_count()}"))
    assert gc.get_freeze_count() > 0
    job.done()
    enabled, frozen = report.read_text().split()
    assert enabled == "True" and int(frozen) > 0  # the child collects only what it makes
    assert gc.get_freeze_count() == 0
    del shared
    gc.collect()
    assert alive() is None


@forks
def test_each_claim_is_taken_by_exactly_one_process(tmp_path):
    items = [f"item-{i}" for i in range(40)]
    claims = Claims(items)

    def take() -> None:
        for item in claims.take():
            (tmp_path / f"{item}.{os.getpid()}").touch()

    processes = [Beside(take) for _ in range(3)]
    here = list(claims.take())
    for process in processes:
        process.done()
    claims.close()
    taken = sorted(p.name.split(".")[0] for p in tmp_path.iterdir()) + here
    assert sorted(taken) == sorted(items)


def test_claims_without_a_fork_are_all_taken_here_in_order():
    claims = Claims(["a", "b", "c"])
    assert list(claims.take()) == ["a", "b", "c"]
    assert list(claims.take()) == []
    claims.close()


@forks
def test_when_no_process_can_be_forked_the_work_is_done_here(tmp_path, monkeypatch):
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    calls: list[int] = []
    job = Beside(_writer(tmp_path / "out.txt", calls))
    job.done()
    assert calls == [os.getpid()]
    assert gc.get_freeze_count() == 0


def _ready_and_work(folder: Path):
    def ready() -> None:
        (folder / "ready").write_text(str(os.getpid()))

    def work(data: dict) -> None:
        (folder / "work").write_text(f"{os.getpid()} {sorted(data.items())}")

    return ready, work


@forks
def test_a_standby_child_gets_ready_at_once_and_works_on_what_it_is_handed(tmp_path):
    import pickle

    ready, work = _ready_and_work(tmp_path)
    job = Standby(ready, work)
    handed = {"rows": list(range(100_000)), "name": "Khampat"}  # more than a pipe holds
    job.hand(pickle.dumps(handed))
    assert job.done()
    child = (tmp_path / "ready").read_text()
    assert child != str(os.getpid())
    assert (tmp_path / "work").read_text() == f"{child} {sorted(handed.items())}"


def _work_in_parts(folder: Path):
    """Work on a first part that asks for the next only once it is done with the first."""

    def work(first: str, next_part) -> None:
        time.sleep(0.5)  # still busy when the next part is handed
        (folder / "first").write_text(first)
        (folder / "next").write_text(repr(next_part()))

    return work


@forks
def test_a_standby_child_takes_its_input_in_parts_and_later_parts_never_wait(tmp_path):
    """The child starts on the first part; the next, more than a pipe holds, is handed while
    it works, and handing it returns at once though the child reads it only later."""
    import pickle

    job = Standby(lambda: None, _work_in_parts(tmp_path), parts=True)
    job.hand(pickle.dumps("impacts"))
    later = {"rows": list(range(100_000))}
    started = time.perf_counter()
    job.hand(pickle.dumps(later))
    assert time.perf_counter() - started < 0.3
    assert job.done()
    assert (tmp_path / "first").read_text() == "impacts"
    assert (tmp_path / "next").read_text() == repr(later)


@forks
def test_a_standby_child_waiting_for_a_part_never_handed_ends_when_told(tmp_path):
    import pickle

    job = Standby(lambda: None, _work_in_parts(tmp_path), parts=True)
    job.hand(pickle.dumps("impacts"))
    assert job.done()
    assert (tmp_path / "next").read_text() == "None"


@forks
def test_standby_children_never_handed_anything_end_without_working(tmp_path):
    """Two at once: each ends when told, though the other holds the pipes open at its fork."""
    folders = [tmp_path / "a", tmp_path / "b"]
    jobs = []
    for folder in folders:
        folder.mkdir()
        jobs.append(Standby(*_ready_and_work(folder)))
    assert [job.done() for job in jobs] == [True, True]
    assert [sorted(p.name for p in f.iterdir()) for f in folders] == [["ready"], ["ready"]]
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@forks
def test_a_standby_child_that_failed_takes_nothing_and_says_so(tmp_path):
    def ready() -> None:
        raise RuntimeError("no matplotlib here")

    job = Standby(ready, lambda data: (tmp_path / "work").touch())
    job.hand(b"x" * 1_000_000)  # the child is gone: nothing to write to, and no error
    assert not job.done()
    assert not (tmp_path / "work").exists()


def _done_by(folder: Path):
    """Work that records, per item, which process did it (one file per item and process)."""

    def do(item: str) -> None:
        (folder / f"{item}.{os.getpid()}").touch()

    return do


def _doers(folder: Path) -> dict[str, list[int]]:
    doers: dict[str, list[int]] = {}
    for path in folder.iterdir():
        item, pid = path.name.rsplit(".", 1)
        doers.setdefault(item, []).append(int(pid))
    return doers


ITEMS = [f"item{i:02d}" for i in range(12)]


def _until_helped(folder: Path, parent: int, patience: float = 10) -> None:
    """Wait (at most `patience` seconds) until another process has done an item: a helper
    that joins takes part however slow the machine is."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if any(int(pids[0]) != parent for pids in _doers(folder).values()):
            return
        time.sleep(0.01)


@forks
def test_shared_work_is_done_once_each_here_and_by_a_helper_that_joins(tmp_path):
    """Every item exactly once; with the helper free to join at once and each item slow
    enough to matter, both processes take some."""

    parent = os.getpid()

    def do(item: str) -> None:
        _done_by(tmp_path)(item)
        if os.getpid() == parent:
            _until_helped(tmp_path, parent)

    shared(ITEMS, do, helper_when=lambda: True)
    doers = _doers(tmp_path)
    assert sorted(doers) == sorted(ITEMS)
    assert all(len(pids) == 1 for pids in doers.values())
    assert {pid for pids in doers.values() for pid in pids} - {os.getpid()}, "no helper took any"
    assert not beside._CHILDREN


@forks
def test_each_item_is_reported_done_here_once_and_as_soon_as_it_is_finished(tmp_path):
    """`done` is called in this process for every item, whoever did it; an item the helper
    finishes is reported while this process is still busy with one of its own."""
    parent = os.getpid()
    reported: list[int] = []
    helper_item_reported = threading.Event()
    seen_while_busy: list[bool] = []

    def do(item: str) -> None:
        _done_by(tmp_path)(item)
        if os.getpid() != parent:
            time.sleep(0.05)  # slow enough there that this process takes items too
        elif not seen_while_busy:
            # Busy with its first item here until a helper's item is reported (at most 10 s).
            seen_while_busy.append(helper_item_reported.wait(10))

    def done(i: int) -> None:
        assert os.getpid() == parent
        reported.append(i)
        if _doers(tmp_path)[ITEMS[i]] != [parent]:
            helper_item_reported.set()

    shared(ITEMS, do, helper_when=lambda: True, done=done)
    assert sorted(reported) == list(range(len(ITEMS)))
    assert seen_while_busy == [True], "the helper's items were reported only at the end"
    assert not beside._CHILDREN


def test_items_done_here_alone_are_reported_in_order(tmp_path):
    reported: list[int] = []
    shared(ITEMS, _done_by(tmp_path), done=reported.append)
    assert reported == list(range(len(ITEMS)))


@forks
def test_an_error_in_reporting_a_helper_item_is_raised_here(tmp_path):
    parent = os.getpid()

    def do(item: str) -> None:
        _done_by(tmp_path)(item)
        if os.getpid() == parent:
            _until_helped(tmp_path, parent)

    def done(i: int) -> None:
        if _doers(tmp_path)[ITEMS[i]] != [parent]:
            raise LookupError("no digest for it")

    with pytest.raises(LookupError, match="no digest"):
        shared(ITEMS, do, helper_when=lambda: True, done=done)
    assert not beside._CHILDREN


@forks
def test_a_helper_never_free_to_join_is_ended_and_the_work_is_done_here(tmp_path):
    started = time.monotonic()
    shared(ITEMS, _done_by(tmp_path), helper_when=lambda: False)
    assert _doers(tmp_path) == {item: [os.getpid()] for item in ITEMS}
    assert not beside._CHILDREN
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@forks
def test_the_helper_joins_when_told_and_takes_what_is_left(tmp_path):
    """The helper waits for its condition (here: a file this process writes halfway), then
    takes the next items; none is done twice."""
    go = tmp_path.parent / f"{tmp_path.name}-go"

    parent = os.getpid()

    def do(item: str) -> None:
        _done_by(tmp_path)(item)
        if item == "item03":
            go.touch()
        if item >= "item03" and os.getpid() == parent:
            _until_helped(tmp_path, parent)
        time.sleep(0.02)

    shared(ITEMS, do, helper_when=go.exists)
    doers = _doers(tmp_path)
    assert all(len(pids) == 1 for pids in doers.values())
    early = [doers[item][0] for item in ITEMS[:4]]
    assert early == [os.getpid()] * 4, "the helper joined before it was told"
    assert {pid for pids in doers.values() for pid in pids} - {os.getpid()}


@forks
def test_an_item_the_helper_fails_on_is_done_here_and_raises_here(tmp_path):
    parent = os.getpid()

    def do(item: str) -> None:
        if os.getpid() != parent and item != "item00":
            raise RuntimeError(f"failed on {item}")
        _done_by(tmp_path)(item)
        time.sleep(0.05)

    shared(ITEMS, do, helper_when=lambda: True)
    doers = _doers(tmp_path)
    assert sorted(doers) == sorted(ITEMS), "an item the helper failed on was lost"
    assert all(pids == [parent] for item, pids in doers.items() if item != "item00")

    def broken(item: str) -> None:
        if item == "item05":
            raise ValueError("the real error")

    with pytest.raises(ValueError, match="the real error"):
        shared(ITEMS, broken, helper_when=lambda: True)
    assert not beside._CHILDREN


@forks
def test_shared_work_leaves_no_child_and_nothing_frozen(tmp_path):
    def do(item: str) -> None:
        time.sleep(0.02)

    for when in (lambda: True, lambda: False):
        shared(ITEMS, do, helper_when=when)
        assert not beside._CHILDREN
        assert gc.get_freeze_count() == 0
        with pytest.raises(ChildProcessError):
            os.waitpid(-1, os.WNOHANG)


def test_without_a_helper_condition_no_process_is_forked(tmp_path, monkeypatch):
    def no_fork(work):
        raise AssertionError("forked")

    monkeypatch.setattr(beside, "_fork", no_fork)
    shared(ITEMS, _done_by(tmp_path))
    assert _doers(tmp_path) == {item: [os.getpid()] for item in ITEMS}


@forks
def test_interrupted_while_waiting_for_the_helper_it_is_ended_and_reaped(tmp_path, monkeypatch):
    waits = []
    real_waited = beside._waited

    def interrupted(child: int) -> bool:
        waits.append(child)
        if len(waits) == 1:  # interrupted while waiting for the helper
            raise KeyboardInterrupt
        return real_waited(child)

    parent = os.getpid()

    def do(item: str) -> None:
        _done_by(tmp_path)(item)
        if os.getpid() == parent:
            _until_helped(tmp_path, parent)

    monkeypatch.setattr(beside, "_waited", interrupted)
    with pytest.raises(KeyboardInterrupt):
        shared(ITEMS, do, helper_when=lambda: True)
    assert not beside._CHILDREN
    assert gc.get_freeze_count() == 0


@forks
def test_a_helper_whose_parent_is_gone_ends_instead_of_waiting(tmp_path):
    """Its parent killed before the helper could join, the helper does not wait forever."""
    pid_file = tmp_path / "helper.pid"
    parent = os.fork()
    if parent == 0:  # the process that will be killed: it starts a helper that never joins
        try:
            real_fork = beside._fork

            def recorded(work):
                child = real_fork(work)
                pid_file.write_text(str(child))
                return child

            beside._fork = recorded
            shared(ITEMS, lambda item: time.sleep(10), helper_when=lambda: False)
        finally:
            os._exit(0)
    while not pid_file.exists() or not pid_file.read_text():
        time.sleep(0.01)
    helper = int(pid_file.read_text())
    os.kill(parent, 9)
    os.waitpid(parent, 0)
    deadline = time.monotonic() + 5
    try:
        while _alive(helper) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(helper), "the helper outlived its parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(helper, 9)  # never left behind, even when the test fails


def _alive(pid: int) -> bool:
    """Running: not gone and not a zombie left for an init that does not reap."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


@forks
def test_a_helper_that_dies_has_its_item_done_here(tmp_path):
    parent = os.getpid()

    def do(item: str) -> None:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        _done_by(tmp_path)(item)
        time.sleep(0.02)

    shared(ITEMS, do, helper_when=lambda: True)
    assert _doers(tmp_path) == {item: [parent] for item in ITEMS}


@forks
def test_children_the_system_reaps_have_their_work_done_here(tmp_path):
    """With SIGCHLD ignored (inherited from a parent that ignores it) the system reaps the
    children and their exit cannot be known: the work is done here, not lost, no error."""
    import signal

    calls: list[int] = []
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        job = Beside(_writer(tmp_path / "out.txt", calls))
        time.sleep(0.2)  # ended and reaped by the system meanwhile
        job.done()
        Beside(_writer(tmp_path / "again.txt", calls)).done()
        (tmp_path / "shared").mkdir()
        shared(ITEMS, _done_by(tmp_path / "shared"), helper_when=lambda: True)
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert calls == [os.getpid(), os.getpid()]
    assert (tmp_path / "again.txt").read_text() == str(os.getpid())
    doers = _doers(tmp_path / "shared")
    assert sorted(doers) == sorted(ITEMS) and all(len(p) == 1 for p in doers.values())


@forks
def test_both_halves_are_worked_out_at_once_the_second_in_a_child():
    parent = os.getpid()
    mine, theirs = both(lambda: os.getpid(), lambda: (os.getpid(), list(range(100_000))))
    assert mine == parent
    assert theirs[0] != parent and theirs[1] == list(range(100_000))  # more than a pipe holds
    assert not beside._CHILDREN and gc.get_freeze_count() == 0


def test_a_half_that_fails_in_the_child_is_worked_out_here_with_its_own_error(tmp_path):
    def there() -> None:
        (tmp_path / str(os.getpid())).touch()
        raise ValueError("the real error")

    with pytest.raises(ValueError, match="the real error"):
        both(lambda: 1, there)
    assert str(os.getpid()) in {p.name for p in tmp_path.iterdir()}
    assert not beside._CHILDREN


@forks
def test_a_child_that_dies_before_handing_back_is_replaced_by_work_here():
    parent = os.getpid()

    def there() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return os.getpid()

    assert both(lambda: "here", there) == ("here", parent)
    assert not beside._CHILDREN


@forks
def test_when_the_first_half_fails_the_child_is_ended_at_once(tmp_path):
    def there() -> None:
        (tmp_path / "started").touch()
        time.sleep(30)

    def here() -> None:
        deadline = time.monotonic() + 10
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise KeyboardInterrupt

    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        both(here, there)
    assert time.monotonic() - began < 10
    assert not beside._CHILDREN and gc.get_freeze_count() == 0
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@forks
def test_without_a_process_to_spare_both_halves_are_worked_out_here(monkeypatch):
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    assert both(os.getpid, os.getpid) == (os.getpid(), os.getpid())
    assert gc.get_freeze_count() == 0


@forks
def test_both_leaves_what_dies_meanwhile_to_collections(tmp_path):
    """With a standby child alive (objects frozen at its fork), `both` freezes nothing more:
    a cycle made before it is collected once it is garbage, not only when the run ends."""
    ready, work = _ready_and_work(tmp_path)
    job = Standby(ready, work)
    frozen = gc.get_freeze_count()

    class Node:
        pass

    node = Node()
    node.itself = node
    gone = weakref.ref(node)
    assert both(lambda: 1, lambda: 2) == (1, 2)
    assert gc.get_freeze_count() == frozen
    del node
    gc.collect()
    assert gone() is None
    job.done()
