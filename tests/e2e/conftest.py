"""The real stack for browser journeys: the site served by its own process on a copy of a
demo database, the Stripe stand-in with its fake Stripe.js, captured email, and Debian's
Chromium driven by Playwright. Each journey starts from a clean copy of the database."""

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

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, clean_env, free_port, wait_for_port

SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def manage(*args: str, env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory, stripe_standin):
    """A migrated database with the demo site, built once and copied for each journey."""
    folder = tmp_path_factory.mktemp("e2e-db")
    path = folder / "template.sqlite3"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{path}",
        STRIPE_API_BASE=stripe_standin,
        SITE_URL="http://127.0.0.1",
    )
    manage("migrate", "--noinput", env=env)
    manage("load_demo_content", env=env)
    return path


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


def _start_site(tmp_path, demo_database, *, stripe_base: str) -> RunningSite:
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


def _stop_site(site: RunningSite) -> None:
    os.killpg(site.process.pid, signal.SIGTERM)
    site.process.wait(timeout=10)


def standin_empty(stripe_standin: str) -> None:
    """Forget every customer, card and payment the stand-in holds (webhooks stay)."""
    request = urllib.request.Request(f"{stripe_standin}/_config/data", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (loopback)


@pytest.fixture
def site(tmp_path, demo_database, stripe_standin):
    standin_empty(stripe_standin)
    running = _start_site(tmp_path, demo_database, stripe_base=stripe_standin)
    yield running
    _stop_site(running)


@pytest.fixture
def site_with_stripe_down(tmp_path, demo_database):
    running = _start_site(tmp_path, demo_database, stripe_base=f"http://127.0.0.1:{free_port()}")
    yield running
    _stop_site(running)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make browser` (scripts/install_browser.sh).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shoot(request):
    """Screenshot the page at phone and desktop widths: tests/artifacts/screenshots/<test>/."""
    folder = SCREENSHOTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, name: str) -> None:
        counter["n"] += 1
        original = page.viewport_size
        for label, size in (("390", PHONE), ("1280", DESKTOP)):
            page.set_viewport_size(size)
            page.screenshot(
                path=str(folder / f"{counter['n']:02d}-{name}-{label}.png"), full_page=True
            )
        page.set_viewport_size(original)

    return take
