"""The command's start: the package imports its names on first use, the command line is
imported with the collector paused, and nothing else changes for a library user."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_importing_the_package_imports_a_name_only_when_it_is_used():
    code = (
        "import sys, impact\n"
        "print('pandas' in sys.modules)\n"
        "print(impact.run.__module__, impact.ImpactError.__module__)\n"
        "print(impact.reference.__name__, 'pandas' in sys.modules)\n"
        "from impact import load_reference, write_report\n"
        "print(load_reference.__module__, write_report.__module__)"
    )
    assert _python(code).splitlines() == [
        "False",
        "impact.pipeline impact.errors",
        "impact.reference True",
        "impact.reference impact.report",
    ]


def test_every_name_the_package_offers_is_imported_on_first_use():
    """`__all__` is written out for tools that read it as text: it names what `LAZY` imports.
    Each name means what its module defines, also `estimate` once the module `impact.estimate`
    (imported by every run) has made itself an attribute of the package."""
    import impact
    import impact.estimate

    assert sorted(impact.__all__) == sorted(impact.LAZY)
    for name in impact.__all__:
        assert getattr(impact, name).__name__ == name


def test_a_name_the_package_does_not_have_is_an_attribute_error():
    import impact

    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        impact.no_such_name  # noqa: B018
    assert not hasattr(impact, "no_such_name")


# Counts the collections that start before the command line is imported.
WATCH = (
    "import gc, sys\n"
    "early = []\n"
    "def seen(phase, info):\n"
    "    if phase == 'start' and not hasattr(sys.modules.get('impact.cli'), 'main'):\n"
    "        early.append(info['generation'])\n"
    "gc.callbacks.append(seen)\n"
)


def test_the_launcher_imports_the_command_line_without_collecting_and_runs_it():
    """No collection runs while pandas, pandera and the command line are imported (they free
    nothing); the command runs with the collector on, as the process found it."""
    assert _python(WATCH + "import impact.cli\nprint(len(early) > 0)") == "True"
    launched = (
        "sys.argv = ['impact', '--help']\n"
        "from impact import launch\n"
        "early.clear()\n"
        "print('exit', launch.status_of(launch.command))\n"
        "print('collections while importing', len(early))\n"
        "print('collector on', gc.isenabled())\n"
    )
    lines = _python(WATCH + launched).splitlines()
    assert lines[-3:] == ["exit 0", "collections while importing 0", "collector on True"]
    assert any("Usage" in line for line in lines)


def test_python_dash_m_and_the_installed_command_start_through_the_launcher():
    import tomllib
    from pathlib import Path

    root = Path(__file__).parent.parent
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["impact"] == "impact.launch:main"
    assert "from impact.launch import main" in (root / "impact" / "__main__.py").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "impact", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "report" in done.stdout


@pytest.mark.parametrize(
    ("status", "code", "stderr"),
    [(None, 0, ""), (0, 0, ""), (2, 2, ""), (257, 1, ""), ("bad input", 1, "bad input\n")],
)
def test_the_process_ends_with_the_status_sys_exit_would_give(status, code, stderr):
    """`leave` ends the process at once, with what it printed flushed even into a pipe and
    the exit status `sys.exit` gives the same value; nothing after it runs."""
    program = (
        "import atexit, sys\n"
        "from impact.launch import leave\n"
        "atexit.register(print, 'teardown')\n"
        "print('written', end='')\n"
        f"leave({status!r})\n"
        "print('after')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (code, "written", stderr)


def test_the_command_exits_with_its_status_and_all_its_output():
    """Through the real entry point: an error's status and message, and a long help text
    whole, from a process that skips its teardown."""
    missing = subprocess.run(
        [sys.executable, "-m", "impact", "report", "no-such-file.csv", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1
    assert "no-such-file.csv" in missing.stderr and "no such file" in missing.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "impact", "report", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert helped.returncode == 0
    assert "Usage" in helped.stdout and "--debug" in helped.stdout
    assert helped.stdout.rstrip().endswith("╯")  # the options' box closed: nothing lost
