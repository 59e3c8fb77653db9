"""The medical disclaimer from Settings → Health content: on every page that gives health
information, near the top or at the end as the author chose, and where the card is taken at
checkout; never on the forms, the site contents or a page the author marked as not giving
health information."""

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import Site
from wagtail.test.utils.form_data import rich_text

from home.models import (
    ContactFormPage,
    HealthContentSettings,
    HomePage,
    SiteContentsPage,
    TestimonialsPage,
)
from tests.home.factories import (
    ArticlePageFactory,
    GlossaryPageFactory,
    GlossaryTermFactory,
    QAPageFactory,
    StandardPageFactory,
    TestimonialFactory,
    bulk_glossary_terms,
)
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

DISCLAIMER = "<p>This site teaches self-care; it does not diagnose. See a doctor at once if</p>"
SHOWN = "This site teaches self-care; it does not diagnose."


def health_settings(**fields) -> HealthContentSettings:
    settings = HealthContentSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.save()
    return settings


@pytest.fixture
def home():
    return HomePage.objects.get()


@pytest.fixture
def disclaimer():
    return health_settings(
        disclaimer_heading="Before you start", disclaimer=DISCLAIMER, disclaimer_position="end"
    )


def page_html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def article(home, **fields):
    return ArticlePageFactory(
        parent=home,
        slug="relief",
        body=[("paragraph", "<p>The body of the article.</p>")],
        **fields,
    )


def test_disclaimer_at_the_end_comes_after_the_body(client, home, disclaimer):
    html = page_html(client, article(home).url)
    assert html.count(SHOWN) == 1
    assert '<aside class="medical-disclaimer medical-disclaimer-end"' in html
    assert ">Before you start</h2>" in html
    assert html.index("The body of the article.") < html.index(SHOWN)


def test_disclaimer_at_the_top_comes_under_the_header_before_the_body(client, home, disclaimer):
    health_settings(disclaimer_position="top")
    page = article(home)
    html = page_html(client, page.url)
    assert html.count(SHOWN) == 1
    assert "medical-disclaimer-top" in html
    assert html.index("</header>", html.index("<article")) < html.index(SHOWN)
    assert html.index(SHOWN) < html.index("The body of the article.")


@pytest.mark.parametrize("empty", ["", '<p data-block-key="x3k1"></p>'])
def test_no_disclaimer_when_the_author_wrote_none(client, home, empty):
    health_settings(disclaimer=empty)
    html = page_html(client, article(home).url)
    assert "medical-disclaimer" not in html


def test_standard_page_shows_it_unless_the_author_unticked_the_box(client, home, disclaimer):
    about = StandardPageFactory(parent=home, slug="about")
    terms = StandardPageFactory(parent=home, slug="terms", gives_health_information=False)
    assert SHOWN in page_html(client, about.url)
    assert SHOWN not in page_html(client, terms.url)


def test_forms_and_site_contents_have_no_disclaimer(client, home, disclaimer):
    contact = home.add_child(instance=ContactFormPage(title="Contact", slug="contact"))
    contents = home.add_child(instance=SiteContentsPage(title="Site contents", slug="contents"))
    for page in (contact, contents):
        html = page_html(client, page.url)
        assert "medical-disclaimer" not in html, page.title


@pytest.mark.parametrize("position", ["top", "end"])
def test_qa_testimonials_and_glossary_show_it(client, home, disclaimer, position):
    health_settings(disclaimer_position=position)
    qa = QAPageFactory(parent=home, slug="questions")
    testimonials = home.add_child(instance=TestimonialsPage(title="Said", slug="said"))
    TestimonialFactory(person="Agreed Person")
    glossary = GlossaryPageFactory(parent=home)
    GlossaryTermFactory(term="Psoas")
    for page in (qa, testimonials, glossary):
        html = page_html(client, page.url)
        assert html.count(SHOWN) == 1, page.title
        assert f"medical-disclaimer-{position}" in html


def test_every_letter_of_a_long_glossary_shows_it(client, home, disclaimer):
    glossary = GlossaryPageFactory(parent=home)
    bulk_glossary_terms(400)  # "Term 0000" ...: the glossary is split a letter a page
    html = page_html(client, f"{glossary.url}t/")
    assert html.count('<dt id="term-term-') > 100
    assert html.count(SHOWN) == 1


def test_kept_article_shows_the_disclaimer_as_edited(client, home, disclaimer):
    page = article(home)
    assert SHOWN in page_html(client, page.url)
    # The article is now kept whole; the author rewrites the disclaimer in the settings.
    health_settings(disclaimer="<p>Newly worded: ask your doctor first.</p>")
    html = page_html(client, page.url)
    assert "Newly worded: ask your doctor first." in html
    assert SHOWN not in html


def test_kept_article_shows_a_moved_disclaimer_in_its_new_place(client, home, disclaimer):
    page = article(home)
    assert "medical-disclaimer-end" in page_html(client, page.url)
    health_settings(disclaimer_position="top")
    html = page_html(client, page.url)
    assert "medical-disclaimer-top" in html and "medical-disclaimer-end" not in html


@pytest.fixture
def stripe_at_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin


@pytest.mark.parametrize("position", ["top", "end"])
def test_checkout_shows_it_after_the_card_form(
    stripe_at_standin, disclaimer, django_user_model, position
):
    health_settings(disclaimer_position=position)
    program = ProgramFactory()
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "pw-long-12")
    customer = Client()
    customer.force_login(reader)
    # As the existing checkout tests do: the program in the basket, then the checkout.
    assert customer.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1}).status_code == 302
    response = customer.get("/shop/checkout/", follow=True)
    assert response.redirect_chain[-1][0].endswith("/shop/checkout/payment-details/")
    html = response.content.decode()
    assert 'id="card-element"' in html
    assert html.count(SHOWN) == 1
    assert html.index('id="trial-form"') < html.index(SHOWN)


def test_checkout_without_a_disclaimer_shows_none(stripe_at_standin, django_user_model):
    program = ProgramFactory()
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "pw-long-12")
    customer = Client()
    customer.force_login(reader)
    customer.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1})
    html = customer.get("/shop/checkout/", follow=True).content.decode()
    assert 'id="card-element"' in html
    assert "medical-disclaimer" not in html


def test_site_settings_api_gives_the_disclaimer_for_other_front_ends(client, home, disclaimer):
    page = article(home)
    health_settings(
        disclaimer=f'<p>Read <a linktype="page" id="{page.pk}">our article</a> first.</p>',
        disclaimer_position="top",
    )
    data = client.get("/api/site-settings/").json()["medical_disclaimer"]
    assert data["heading"] == "Before you start"
    assert data["position"] == "top"
    # The page link is made a real address, as on the site.
    assert f'<a href="{page.url}">our article</a>' in data["html"]


def test_site_settings_api_gives_an_empty_disclaimer_when_there_is_none(client):
    data = client.get("/api/site-settings/").json()["medical_disclaimer"]
    assert data == {"heading": "Medical disclaimer", "html": "", "position": "end"}


def test_author_rewrites_the_disclaimer_in_settings_and_the_kept_article_shows_it(
    client, home, disclaimer, django_user_model
):
    page = article(home)
    reader = Client()
    assert SHOWN in page_html(reader, page.url)  # the article is now kept whole
    author = django_user_model.objects.create_superuser("author", "a@example.com", "pw-1234567")
    client.force_login(author)
    site = Site.objects.get(is_default_site=True)
    edit_url = reverse("wagtailsettings:edit", args=["home", "healthcontentsettings", site.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url,
        {
            "disclaimer_heading": "Please read",
            "disclaimer": rich_text("<p>Rewritten: this is no diagnosis.</p>"),
            "disclaimer_position": "top",
            "review_every_months": "12",
            "typical_results": "",
            "check_testimonials_every_months": "24",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    html = page_html(reader, page.url)
    assert "Rewritten: this is no diagnosis." in html
    assert ">Please read</h2>" in html
    assert "medical-disclaimer-top" in html
    assert SHOWN not in html
