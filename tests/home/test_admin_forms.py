"""Every page type, snippet and setting opens in the CMS, so the author can always edit it."""

import pytest
from django.urls import reverse

from home.models import HomePage
from tests.home.factories import StandardPageFactory

pytestmark = pytest.mark.django_db

PAGE_TYPES_UNDER_HOME = [
    "articlepage",
    "standardpage",
    "qapage",
    "testimonialspage",
    "sitecontentspage",
    "glossarypage",
    "contactformpage",
    "feedbackformpage",
]


@pytest.fixture
def author(client, django_user_model):
    user = django_user_model.objects.create_superuser("author", "author@example.com", "pw-1234567")
    client.force_login(user)
    return user


@pytest.mark.parametrize("model_name", PAGE_TYPES_UNDER_HOME)
def test_add_form_opens_for_each_page_type(client, author, model_name):
    home = HomePage.objects.get()
    response = client.get(reverse("wagtailadmin_pages:add", args=["home", model_name, home.pk]))
    assert response.status_code == 200


def test_edit_forms_open_for_the_home_page_and_a_standard_page(client, author):
    home = HomePage.objects.get()
    page = StandardPageFactory(parent=home)
    for pk in (home.pk, page.pk):
        assert client.get(reverse("wagtailadmin_pages:edit", args=[pk])).status_code == 200


@pytest.mark.parametrize(
    "url_name",
    [
        "wagtailsnippets_home_authorprofile:add",
        "wagtailsnippets_home_testimonial:add",
        "wagtailsnippets_home_glossaryterm:add",
    ],
)
def test_snippet_add_forms_open(client, author, url_name):
    assert client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("setting", ["sitesettings", "navigationsettings"])
def test_settings_forms_open(client, author, setting):
    response = client.get(reverse("wagtailsettings:edit", args=["home", setting]))
    assert response.status_code in (200, 302)
    if response.status_code == 302:  # redirects to the default site's form
        assert client.get(response["Location"]).status_code == 200


def test_testimonial_without_consent_is_saved_but_not_published(client, author):
    response = client.post(
        reverse("wagtailsnippets_home_testimonial:add"),
        {
            "kind": "testimonial",
            "quote": "Kind words.",
            "person": "A. Reader",
            "result": "not_typical",
            "connection": "none",
        },
    )
    assert response.status_code == 302
    from home.models import Testimonial

    testimonial = Testimonial.objects.get()
    assert testimonial.consent_to_publish is False
