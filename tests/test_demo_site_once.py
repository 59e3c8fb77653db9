"""The demo site loaded once for a module (tests/support/demo_site.py): each test that asks
for it finds it exactly as loaded, whatever the test before it changed; the others never see
it; a transactional test gets its own, committed.

The second test checks what the first left behind: pytest runs them in the file's order,
after the test without the demo and before the transactional one."""

import threading

import pytest
from django.db import connection
from wagtail.models import Site

from home.models import GlossaryTerm, HomePage

pytestmark = pytest.mark.django_db

DEMO_TITLE = "Get Lower Back Pain Relief"
MOVED_TO = "moved.example"


def titles_seen_by_another_connection() -> list[str]:
    seen = {}

    def read():
        try:
            seen["titles"] = list(HomePage.objects.values_list("title", flat=True))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen["titles"]


def test_a_test_that_changes_the_demo(demo_site, client):
    assert demo_site.title == DEMO_TITLE
    GlossaryTerm.objects.create(term="Left behind", slug="left-behind", definition="<p>x</p>")
    site = Site.objects.get(is_default_site=True)
    site.hostname = MOVED_TO
    site.save()
    # Wagtail keeps the site's address in the cache, which no rollback empties.
    assert client.get("/").status_code == 200
    assert Site.get_site_root_paths()[0].root_url.startswith(f"http://{MOVED_TO}")


def test_the_next_test_finds_the_demo_as_loaded(demo_site):
    assert demo_site.title == DEMO_TITLE
    assert GlossaryTerm.objects.exists()
    assert not GlossaryTerm.objects.filter(slug="left-behind").exists()
    assert Site.objects.get(is_default_site=True).hostname != MOVED_TO
    assert MOVED_TO not in Site.get_site_root_paths()[0].root_url


def test_a_test_without_the_demo_finds_the_site_as_migrated():
    assert list(HomePage.objects.values_list("title", flat=True)) == ["Home"]
    assert not GlossaryTerm.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transactional_test_gets_its_own_committed_demo(demo_site):
    assert not connection.in_atomic_block
    assert demo_site.title == DEMO_TITLE
    assert titles_seen_by_another_connection() == [DEMO_TITLE]
