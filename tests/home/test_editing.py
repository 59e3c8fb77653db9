"""The author edits in the CMS: a section changed and published shows on the page; a page
scheduled for later appears only once its time has come."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from home.models import ArticlePage, HomePage
from tests.home.factories import ArticlePageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, django_user_model):
    """The author: a member of Wagtail's Moderators group (may publish), signed in via the CMS."""
    user = django_user_model.objects.create_user(
        "editor", "editor@example.com", "a-long-pass-phrase", is_staff=False
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    response = client.post("/cms/login/", {"username": "editor", "password": "a-long-pass-phrase"})
    assert response.status_code == 302
    return user


def article_form(title, sections, **extra):
    body = []
    for heading, text in sections:
        body.append(("heading", {"text": heading, "level": "h2", "anchor": ""}))
        body.append(("paragraph", rich_text(f"<p>{text}</p>")))
    data = {
        "title": title,
        "slug": extra.pop("slug", "relief"),
        "lead": "Lead.",
        "symptoms_heading": "Do you have some of these symptoms?",
        "symptoms": streamfield([("item", "sore back")]),
        "tried_heading": "Have you already tried ...?",
        "tried": streamfield([]),
        "body": streamfield(body),
        "link_glossary_terms": "on",
        "show_trust_badges": "on",
        **extra,
    }
    return nested_form_data(data)


def test_editor_edits_a_section_and_publishes_it(client, editor):
    page = ArticlePageFactory(
        parent=HomePage.objects.get(),
        title="Relief",
        slug="relief",
        body=[
            ("heading", {"text": "Why It Hurts", "level": "h2", "anchor": ""}),
            ("paragraph", "<p>Old explanation.</p>"),
        ],
    )
    assert "Old explanation." in client.get(page.url).content.decode()

    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert client.get(edit_url).status_code == 200
    data = article_form("Relief", [("Why It Hurts", "A clearer explanation.")])
    draft = client.post(edit_url, data)
    assert draft.status_code == 302, draft.content.decode()[:2000]
    # Saved as a draft: visitors still see the published text.
    assert "Old explanation." in client.get(page.url).content.decode()

    preview = client.post(reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk]), data)
    assert preview.json()["is_valid"]
    shown = client.get(reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk]))
    assert "A clearer explanation." in shown.content.decode()

    published = client.post(edit_url, {**data, "action-publish": "action-publish"})
    assert published.status_code == 302
    client.logout()
    html = client.get(page.url).content.decode()
    assert "A clearer explanation." in html
    assert "Old explanation." not in html
    assert page.revisions.count() >= 2


def test_a_bad_video_address_is_refused_with_a_message(client, editor):
    page = ArticlePageFactory(parent=HomePage.objects.get(), slug="relief")
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = article_form("Relief", [("Why", "Text")])
    data.update(
        nested_form_data(
            {
                "body": streamfield(
                    [("video", {"url": "https://example.com/not-a-video", "title": "Session"})]
                )
            }
        )
    )
    response = client.post(edit_url, {**data, "action-publish": "action-publish"})
    assert response.status_code == 200
    assert "not a YouTube or Vimeo video address" in response.content.decode()
    page.refresh_from_db()
    assert len(page.body) == 0
    assert page.revisions.count() == 0


def test_a_scheduled_page_appears_only_after_its_time(client, editor):
    home = HomePage.objects.get()
    go_live = timezone.now() + timedelta(days=2)
    data = article_form(
        "Coming Soon",
        [("New Section", "Fresh words.")],
        slug="coming-soon",
        go_live_at=go_live.strftime("%Y-%m-%d %H:%M"),
    )
    add_url = reverse("wagtailadmin_pages:add", args=["home", "articlepage", home.pk])
    response = client.post(add_url, {**data, "action-publish": "action-publish"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = ArticlePage.objects.get(slug="coming-soon")
    assert not page.live
    client.logout()
    assert client.get("/coming-soon/").status_code == 404

    call_command("publish_scheduled")
    assert client.get("/coming-soon/").status_code == 404

    with time_machine.travel(go_live + timedelta(minutes=1)):
        call_command("publish_scheduled")
        response = client.get("/coming-soon/")
    assert response.status_code == 200
    assert "Fresh words." in response.content.decode()
