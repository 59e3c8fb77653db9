"""What `make run` relies on: a home page from the migrations, demo content that never
overwrites the author's edits, and a local admin login printed once created."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site as DjangoSite
from django.core.management import CommandError, call_command
from wagtail.models import Site

from demo.loader import demo_content
from home.models import HomePage

pytestmark = pytest.mark.django_db

HOME_LEAD = demo_content("home")["lead"]


def test_migrations_create_a_live_home_page_as_site_root(client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1>Home</h1>" in response.content.decode()


def test_demo_content_fills_an_unedited_home_page(client, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    out = StringIO()
    call_command("load_demo_content", stdout=out)
    assert "the home page article" in out.getvalue()
    home = HomePage.objects.get()
    assert home.title == "Get Lower Back Pain Relief"
    assert home.live and home.lead == HOME_LEAD
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8000)
    assert DjangoSite.objects.get_current().domain == "127.0.0.1:8000"
    page = client.get("/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert "Get Lower Back Pain Relief" in page
    assert HOME_LEAD.split("\n\n")[0] in page


def test_demo_content_never_overwrites_the_authors_edits():
    call_command("load_demo_content", stdout=StringIO())
    home = HomePage.objects.get()
    home.title = "The author's own title"
    home.lead = "Edited in the CMS"
    home.save_revision().publish()

    out = StringIO()
    call_command("load_demo_content", stdout=out)
    assert "nothing changed" in out.getvalue()
    home.refresh_from_db()
    assert (home.title, home.lead) == ("The author's own title", "Edited in the CMS")
    assert home.revisions.count() == 2


def test_demo_content_keeps_an_unpublished_draft():
    home = HomePage.objects.get()
    home.lead = "A draft the author is still writing"
    home.save_revision()  # saved, not published

    call_command("load_demo_content", stdout=StringIO())
    home.refresh_from_db()
    assert home.get_latest_revision_as_object().lead == "A draft the author is still writing"


def test_local_admin_is_created_once_and_its_login_printed(settings, tmp_path):
    settings.DEBUG = True
    login_file = tmp_path / "admin-login.txt"
    first = StringIO()
    call_command("create_local_admin", login_file=str(login_file), stdout=first)
    password = login_file.read_text().splitlines()[1]
    assert f"password:   {password}" in first.getvalue()
    assert "/cms/" in first.getvalue()
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)
    assert oct(Path(login_file).stat().st_mode & 0o777) == "0o600"

    second = StringIO()
    call_command("create_local_admin", login_file=str(login_file), stdout=second)
    assert "already there" in second.getvalue()
    assert password in second.getvalue()
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_local_admin_refuses_to_run_in_production_mode(settings, tmp_path):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="for local runs"):
        call_command("create_local_admin", login_file=str(tmp_path / "x.txt"))
    assert not get_user_model().objects.exists()


def test_sync_site_records_points_both_sites_at_site_url(settings):
    settings.SITE_URL = "https://relief.example.com"
    call_command("sync_site_records", stdout=StringIO())
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("relief.example.com", 443)
    assert DjangoSite.objects.get_current().domain == "relief.example.com"
    assert HomePage.objects.get().title == "Home"  # content untouched
