"""The real stack for browser journeys: the site served by its own process on a copy of a
demo database, the Stripe stand-in with its fake Stripe.js, captured email, and Debian's
Chromium driven by Playwright. Each journey starts from a clean copy of the database."""

from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, SCREENSHOTS
from tests.support.processes import free_port
from tests.support.running_site import (
    demo_database_build,
    site_start,
    site_stop,
    standin_empty,
)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory, stripe_standin):
    """A migrated database with the demo site, built once and copied for each journey."""
    return demo_database_build(tmp_path_factory.mktemp("e2e-db"), stripe_base=stripe_standin)


@pytest.fixture
def site(tmp_path, demo_database, stripe_standin):
    standin_empty(stripe_standin)
    running = site_start(tmp_path, demo_database, stripe_base=stripe_standin)
    yield running
    site_stop(running)


@pytest.fixture
def site_with_stripe_down(tmp_path, demo_database):
    running = site_start(tmp_path, demo_database, stripe_base=f"http://127.0.0.1:{free_port()}")
    yield running
    site_stop(running)


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
