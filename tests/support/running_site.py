"""The site served by its own process for the browser journeys: a copy of the demo
database, the Stripe stand-in with its fake Stripe.js, and captured email."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

from tests.support import ROOT
from tests.support.processes import clean_env, free_port, manage, wait_for_port


@dataclass
class RunningSite:
    base_url: str
    database: Path
    mail_dir: Path
    process: subprocess.Popen
    admin_username: str = ""
    admin_password: str = ""
    home_page_id: int = 0

    def emails(self) -> list:
        """Emails the site sent, oldest first, as parsed messages."""
        files = sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime)
        messages = []
        for file in files:
            for chunk in file.read_bytes().split(b"-" * 79):
                if chunk.strip():
                    messages.append(message_from_bytes(chunk.strip()))
        return messages


def demo_database_build(folder: Path, *, stripe_base: str) -> Path:
    """A migrated SQLite database with the demo site, in ``folder``; returns its path."""
    path = folder / "template.sqlite3"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{path}",
        STRIPE_API_BASE=stripe_base,
        SITE_URL="http://127.0.0.1",
    )
    manage("migrate", "--noinput", env=env)
    manage("load_demo_content", env=env)
    return path


def site_start(
    tmp_path: Path, demo_database: Path, *, stripe_base: str, **extra_env: str
) -> RunningSite:
    """The site on a copy of ``demo_database``, on a free port, with a local admin;
    ``extra_env`` adds settings from the environment (e.g. a webhook's secret)."""
    database = tmp_path / "site.sqlite3"
    shutil.copy(demo_database, database)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{database}",
        STRIPE_API_BASE=stripe_base,
        STRIPE_JS_URL=f"{stripe_base}/js.stripe.com/v3/",
        SITE_URL=base_url,
        EMAIL_URL=f"filemail:///{mail_dir}",  # four slashes: an absolute path
        DEBUG="true",
        LOG_LEVEL="WARNING",
        **extra_env,
    )
    # The page records carry the host name the site answers on.
    manage("sync_site_records", env=env)
    login_file = tmp_path / "admin-login.txt"
    manage("create_local_admin", "--login-file", str(login_file), env=env)
    admin_username, admin_password = login_file.read_text().splitlines()[:2]
    with sqlite3.connect(database) as connection:
        (home_page_id,) = connection.execute(
            "SELECT page_ptr_id FROM home_homepage ORDER BY page_ptr_id LIMIT 1"
        ).fetchone()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port, timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    return RunningSite(
        base_url, database, mail_dir, process, admin_username, admin_password, home_page_id
    )


def site_stop(site: RunningSite) -> None:
    os.killpg(site.process.pid, signal.SIGTERM)
    site.process.wait(timeout=10)


def standin_empty(stripe_standin: str) -> None:
    """Forget every customer, card and payment the stand-in holds (webhooks stay)."""
    request = urllib.request.Request(f"{stripe_standin}/_config/data", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (loopback)
