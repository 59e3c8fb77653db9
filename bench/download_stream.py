"""Stream a 1 GB program file through the download view of a real server and watch its memory.

Starts `manage.py runserver --noreload` on a free loopback port with a throw-away SQLite
database, signs in a customer with an open grant, downloads the file over HTTP while sampling
the server's resident memory (VmRSS), and compares the throughput with `cat file > /dev/null`
in the same run. Goal: the server grows by less than 50 MB. Results go to
bench/results/download_stream.txt. Run with `make bench-download`.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "download_stream.txt"
FILE_SIZE = 1024**3
RSS_GOAL_MB = 50
WORK = Path(tempfile.mkdtemp(prefix="bench-downloads-"))
ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))},
    "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    "DATABASE_URL": f"sqlite:///{WORK / 'bench.sqlite3'}",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"the server did not start on port {port}")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def customer_with_file(file_path: Path) -> tuple[int, str, Path]:
    """A migrated database with one customer, their grant and the file; returns the file's
    id, a signed-in session key and the folder to remove afterwards."""
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shop.downloads.models import ProgramFile
    from tests.shop.download_factories import grant_with_plan
    from tests.shop.factories import ProgramFactory

    # The private storage holds a link to the big file, so nothing is copied.
    name = f"bench-{uuid.uuid4().hex}/session.mp4"
    link = Path(settings.STORAGES["private"]["OPTIONS"]["location"]) / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(file_path)
    program = ProgramFactory()
    user = get_user_model().objects.create_user(username="bench", email="bench@example.com")
    grant_with_plan(user=user, product=program)
    program_file = ProgramFile.objects.create(
        product=program,
        title="Session (video)",
        file=name,
        original_filename="session.mp4",
        size_bytes=FILE_SIZE,
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return program_file.pk, session.session_key, link.parent


def download(url: str, session_key: str, headers: dict | None = None) -> tuple[int, float]:
    cookie = {"Cookie": f"sessionid={session_key}"}
    request = Request(url, headers={**cookie, **(headers or {})})  # noqa: S310 (loopback)
    started = time.perf_counter()
    received = 0
    with urlopen(request, timeout=600) as response:  # noqa: S310 (our own loopback server)
        while chunk := response.read(1024 * 1024):
            received += len(chunk)
    return received, time.perf_counter() - started


def main() -> int:
    big = WORK / "session.mp4"
    with big.open("wb") as handle:
        handle.truncate(FILE_SIZE)  # sparse: no disk space used, reads come back as zeros
    file_id, session_key, link_dir = customer_with_file(big)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/shop/accounts/downloads/file/{file_id}/"
        # Warm up: the first request imports views and templates.
        download(url, session_key, {"Range": "bytes=0-1023"})
        baseline = rss_kb(server.pid)
        peak = baseline
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_kb(server.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        received, seconds = download(url, session_key)
        done.set()
        sampler.join()

        started = time.perf_counter()
        subprocess.run(  # noqa: S602 (a fixed command on our own temp file)
            f"cat '{big}' > /dev/null", shell=True, check=True
        )
        cat_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(link_dir, ignore_errors=True)
        shutil.rmtree(WORK, ignore_errors=True)

    growth_mb = (peak - baseline) / 1024
    mb = FILE_SIZE / 1024**2
    lines = [
        f"download_stream: {mb:.0f} MB sparse local file through the download view "
        "(manage.py runserver --noreload, one client)",
        f"bytes received:      {received} ({'complete' if received == FILE_SIZE else 'SHORT'})",
        f"view throughput:     {mb / seconds:8.1f} MB/s ({seconds:.2f} s)",
        f"cat > /dev/null:     {mb / cat_seconds:8.1f} MB/s ({cat_seconds:.2f} s)",
        f"server RSS baseline: {baseline / 1024:8.1f} MB",
        f"server RSS peak:     {peak / 1024:8.1f} MB",
        f"server RSS growth:   {growth_mb:8.1f} MB (goal < {RSS_GOAL_MB} MB: "
        f"{'met' if growth_mb < RSS_GOAL_MB else 'NOT met'})",
    ]
    report = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)
    print(report, end="")
    return 0 if received == FILE_SIZE and growth_mb < RSS_GOAL_MB else 1


if __name__ == "__main__":
    sys.exit(main())
