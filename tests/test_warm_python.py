"""The warm process behind `run_python` gives each case what a cold `python -c` would: its
own environment and streams, the exit code, the traceback, and nothing left by an earlier case."""

import os
import subprocess

import pytest

from tests.support import ROOT
from tests.support.processes import run_python
from tests.support.warm_python import warm_python


def test_each_case_gets_its_own_environment_and_streams():
    first = run_python(
        "import os, sys; print(os.environ['CASE']); print('to stderr', file=sys.stderr)",
        CASE="one",
    )
    assert (first.returncode, first.stdout, first.stderr) == (0, "one\n", "to stderr\n")
    second = run_python("import os; print(os.environ.get('CASE'))")
    assert second.stdout == "None\n"


def test_settings_and_modules_of_one_case_never_reach_the_next():
    run_python("import django; django.setup(); import sys; sys.modules['leftover'] = 1")
    later = run_python(
        "import sys; from django.conf import settings; "
        "print('leftover' in sys.modules, settings.configured, 'home.models' in sys.modules)"
    )
    assert later.stdout == "False False False\n"


def test_a_case_runs_in_a_process_of_its_own_at_the_project_root():
    pids = {run_python("import os; print(os.getpid())").stdout for _ in range(2)}
    assert len(pids) == 2 and str(os.getpid()) + "\n" not in pids
    assert run_python("import os; print(os.getcwd())").stdout.strip() == str(ROOT)


@pytest.mark.parametrize(
    ("code", "returncode", "stderr"),
    [
        ("raise SystemExit(3)", 3, ""),
        ("raise SystemExit('refused')", 1, "refused\n"),
        ("import sys; sys.exit()", 0, ""),
        ("raise ValueError('no such thing')", 1, "ValueError: no such thing"),
    ],
)
def test_exit_codes_and_tracebacks_are_those_of_python(code, returncode, stderr):
    result = run_python(code)
    assert result.returncode == returncode
    assert stderr in result.stderr


def test_a_case_that_hangs_is_stopped_and_the_next_one_runs():
    with pytest.raises(subprocess.TimeoutExpired):
        warm_python().run("import time; time.sleep(60)", dict(os.environ), timeout=1)
    assert run_python("print('after')").stdout == "after\n"
