"""Page types: where they may sit in the tree, and what each renders."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Page, Site

from home.models import (
    ArticlePage,
    ContactFormPage,
    FeedbackFormPage,
    GlossaryPage,
    HomePage,
    NavigationItem,
    NavigationSettings,
    QAItem,
    QAPage,
    SiteContentsPage,
    SiteSettings,
    StandardPage,
    TestimonialsPage,
)
from tests.home.factories import (
    ArticlePageFactory,
    AuthorProfileFactory,
    QAPageFactory,
    StandardPageFactory,
    TestimonialFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return HomePage.objects.get()


def test_home_page_offers_only_the_sections_that_make_sense(home):
    allowed = set(home.specific_class.allowed_subpage_models())
    assert allowed == {
        ArticlePage,
        StandardPage,
        QAPage,
        TestimonialsPage,
        SiteContentsPage,
        GlossaryPage,
        ContactFormPage,
        FeedbackFormPage,
    }
    assert not HomePage.can_create_at(home)  # one home page per site


@pytest.mark.parametrize(
    "model", [QAPage, TestimonialsPage, SiteContentsPage, GlossaryPage, ContactFormPage]
)
def test_section_pages_live_only_under_the_home_page(home, model):
    assert model.can_create_at(home)
    article = ArticlePageFactory(parent=home)
    assert not model.can_create_at(article)
    assert model.allowed_subpage_models() == []


def test_articles_nest_under_standard_pages_but_have_no_children(home):
    section = StandardPageFactory(parent=home)
    assert ArticlePage.can_create_at(section)
    assert StandardPage.can_create_at(section)
    assert ArticlePage.allowed_subpage_models() == []
    assert not ArticlePage.can_create_at(Page.get_first_root_node())


def test_article_renders_title_lists_byline_and_body(client, home):
    author = AuthorProfileFactory(name="Lawrence Gold", personal_page_url="https://example.com/")
    page = ArticlePageFactory(
        parent=home,
        title="Relief That Lasts",
        lead="First line.\n\nSecond line.",
        symptoms=[("item", "sore, tired back"), ("item", "popping in your back")],
        tried=[("item", "Massage")],
        author=author,
        article_date=date(2024, 3, 1),
        body=[
            ("heading", {"text": "Why It Hurts", "level": "h2", "anchor": ""}),
            ("paragraph", "<p>Muscles that never rest.</p>"),
        ],
    )
    html = client.get(page.url).content.decode()
    assert html.count("<h1") == 1
    assert "<h1>Relief That Lasts</h1>" in html
    assert "Do you have some of these symptoms?" in html
    assert "<li>sore, tired back</li>" in html and "<li>Massage</li>" in html
    assert "Have you already tried ...?" in html
    assert 'rel="author" href="https://example.com/">Lawrence Gold</a>, C.H.S.E.' in html
    assert "Certified Practitioner, Hanna Somatic Education" in html
    assert 'href="https://www.linkedin.com/"' in html
    assert '<time datetime="2024-03-01">March 1, 2024</time>' in html
    assert '<h2 id="why-it-hurts">Why It Hurts</h2>' in html
    assert "Muscles that never rest." in html
    assert 'class="skip-link" href="#main"' in html
    assert "<main" in html and "<footer" in html and 'aria-label="Main"' not in html  # no nav yet


def test_byline_date_is_the_chosen_date_or_the_first_publication(home):
    page = ArticlePageFactory(parent=home)
    assert page.byline_date is None or page.byline_date == page.first_published_at.date()
    page.save_revision().publish()
    page.refresh_from_db()
    assert page.byline_date == page.first_published_at.date()


def test_qa_page_lists_questions_with_anchors_in_order(client, home):
    page = QAPageFactory(parent=home)
    for order, question in enumerate(["Why does it hurt?", "What helps?"]):
        item = QAItem(page=page, sort_order=order, question=question, answer="<p>An answer.</p>")
        item.clean()
        item.save()
    html = client.get(page.url).content.decode()
    assert html.index('href="#why-does-it-hurt"') < html.index('href="#what-helps"')
    assert 'id="why-does-it-hurt"' in html and 'id="what-helps"' in html


def test_qa_anchor_must_be_unique_on_its_page(home):
    page = QAPageFactory(parent=home)
    QAItem.objects.create(page=page, question="Why?", answer="<p>a</p>", anchor="why")
    duplicate = QAItem(page=page, question="Why again?", answer="<p>b</p>", anchor="why")
    with pytest.raises(ValidationError):
        duplicate.clean()


def test_testimonials_page_shows_only_consented_testimonials(client, home):
    page = TestimonialsPage(title="Testimonials", slug="testimonials")
    home.add_child(instance=page)
    TestimonialFactory(person="Agreed Person")
    TestimonialFactory(person="Private Person", consent_to_publish=False)
    html = client.get(page.url).content.decode()
    assert "Agreed Person" in html
    assert "Private Person" not in html
    assert "ratingValue" not in html and "aggregateRating" not in html


def test_site_contents_page_lists_live_public_pages_in_tree_order(client, home):
    section = StandardPageFactory(parent=home, title="About Somatics")
    ArticlePageFactory(parent=section, title="A Nested Article")
    draft = StandardPageFactory(parent=home, title="Unpublished Draft")
    draft.unpublish()
    contents = SiteContentsPage(title="Site Contents", slug="site-contents")
    home.add_child(instance=contents)
    html = client.get(contents.url).content.decode()
    assert html.index("About Somatics") < html.index("A Nested Article")
    assert re.search(r'class="level-2"><a href="/about-somatics/[^"]+/">A Nested Article', html)
    assert "Unpublished Draft" not in html
    assert 'href="/shop/">Store' in html


def test_navigation_item_needs_exactly_one_target(home):
    navigation = NavigationSettings.for_site(Site.objects.get())
    with pytest.raises(ValidationError):
        NavigationItem(settings=navigation, label="Nowhere").clean()
    with pytest.raises(ValidationError):
        NavigationItem(settings=navigation, label="Both", page=home, url="/shop/").clean()
    with pytest.raises(ValidationError):
        NavigationItem(settings=navigation, label="Bad", url="shop").clean()
    NavigationItem(settings=navigation, label="Store", url="/shop/").clean()


def test_navigation_and_footer_come_from_the_site_settings(client, home):
    site = Site.objects.get()
    navigation = NavigationSettings.for_site(site)
    about = StandardPageFactory(parent=home, title="About")
    NavigationItem.objects.create(settings=navigation, sort_order=0, label="home", page=home)
    NavigationItem.objects.create(settings=navigation, sort_order=1, label="about", page=about)
    NavigationItem.objects.create(settings=navigation, sort_order=2, label="store", url="/shop/")
    chrome = SiteSettings.for_site(site)
    chrome.organisation_name = "The Institute"
    chrome.postal_address = "Herrada Road\nSanta Fe, NM 87508"
    chrome.phone = "505 819-0858"
    chrome.terms_page = about
    chrome.footer_text = "Lawrence Gold, C.H.S.E."
    chrome.save()

    html = client.get(about.url).content.decode()
    nav = html[html.index('aria-label="Main"') : html.index("</nav>")]
    assert nav.index(">home<") < nav.index(">about<") < nav.index(">store<")
    assert 'href="/shop/">store' in nav
    assert f'href="{about.url}" aria-current="page">about' in nav
    assert "Herrada Road<br>Santa Fe, NM 87508" in html
    assert 'href="tel:505819-0858"' in html
    assert ">Terms of use</a>" in html
    assert "Lawrence Gold, C.H.S.E." in html
