"""A fresh Python process per case, started warm.

Tests of settings and process start-up run their code in a new process, because settings are
read once per process. A cold interpreter spends about two seconds importing the libraries
(Django, Stripe, boto3, aiohttp, ...) before it reaches the project's code; forty such cases
cost more than the rest of their modules. So one process per test worker imports those
libraries once, and forks a child for each case. The child is a new process with its own
environment, working directory and standard streams: it imports the settings and the
project's code itself, as a real start would. Only libraries that read no settings and no
environment when imported are loaded ahead.

The parent talks to its children's parent over two pipes, one JSON line each way.
"""

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.support import ROOT

# Imported once in the parent: none of them reads settings or the environment on import.
PRELOADED = (
    "aiohttp",
    "bs4",
    "boto3",
    "botocore.client",
    "botocore.session",
    "django.contrib.admin",
    "django.core.management",
    "django.db.models",
    "django.forms",
    "django.template",
    "django.test",
    "environ",
    "modelcluster",
    "phonenumbers",
    "PIL.Image",
    "psycopg",
    "redis",
    "rest_framework",
    "stripe",
    "taggit",
    "treebeard",
)

# Runs in the warm process: reads {"code", "env", "stdout", "stderr"} lines, answers
# {"pid"} once the child runs, then {"returncode"} when it ends.
_SERVER = r"""
import importlib, json, os, sys, traceback

requests = os.fdopen(os.dup(0), "r")
answers = os.fdopen(os.dup(1), "w")
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 0)
os.dup2(null, 1)
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
answers.write(json.dumps({"ready": True}) + "\n")
answers.flush()


def child(case):
    requests.close()
    answers.close()
    for fd, path in ((1, case["stdout"]), (2, case["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.environ.clear()
    os.environ.update(case["env"])
    sys.argv = ["-c"]
    code = 0
    try:
        exec(compile(case["code"], "<string>", "exec"), {"__name__": "__main__"})
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


for line in requests:
    case = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(case)
    answers.write(json.dumps({"pid": pid}) + "\n")
    answers.flush()
    _, status = os.waitpid(pid, 0)
    answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
    answers.flush()
"""


class WarmPython:
    """One warm process; `run` is safe to call from several threads (one case at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._unread = b""
        self._folder = tempfile.TemporaryDirectory(prefix="warm-python-")

    def _started(self) -> subprocess.Popen:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _SERVER, json.dumps(PRELOADED)],
                cwd=ROOT,
                env=_base_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self._unread = b""
            if self._answer(self._process, timeout=60) != {"ready": True}:
                raise RuntimeError("the warm Python process did not start")
        return self._process

    def _answer(self, process: subprocess.Popen, *, timeout: float) -> dict:
        """The next JSON line from the warm process, read without blocking past ``timeout``."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._unread:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer from the warm Python process in {timeout}s")
            ready, _, _ = select.select([process.stdout], [], [], left)
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError("the warm Python process ended")
                self._unread += chunk
        line, _, self._unread = self._unread.partition(b"\n")
        return json.loads(line)

    def run(self, code: str, env: dict[str, str], *, timeout: float) -> subprocess.CompletedProcess:
        with self._lock:
            process = self._started()
            folder = Path(self._folder.name)
            out, err = folder / "stdout", folder / "stderr"
            case = {"code": code, "env": env, "stdout": str(out), "stderr": str(err)}
            process.stdin.write(json.dumps(case) + "\n")
            process.stdin.flush()
            pid = self._answer(process, timeout=30)["pid"]
            try:
                returncode = self._answer(process, timeout=timeout)["returncode"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._answer(process, timeout=30)
                raise subprocess.TimeoutExpired(["python", "-c", code], timeout) from None
            return subprocess.CompletedProcess(
                ["python", "-c", code],
                returncode,
                stdout=out.read_text(errors="replace"),
                stderr=err.read_text(errors="replace"),
            )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._folder.cleanup()


def _base_env() -> dict[str, str]:
    # The warm process itself never loads settings; its children get each case's environment.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}


_warm: WarmPython | None = None


def warm_python() -> WarmPython:
    global _warm
    if _warm is None:
        _warm = WarmPython()
        atexit.register(_warm.stop)
    return _warm
