"""The program's page in the shop sells it as the article's offer does: cover, full title,
what is inside, the tryout terms, testimonials given with consent, questions and answers and
one button. Oscar's product furniture (UPC, tax lines, basket button, placeholder picture,
reviews, alerts, wish lists) is gone from it; other products keep Oscar's page."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from home.models import Testimonial
from tests.home.factories import TestimonialFactory
from tests.shop.download_factories import program_file_create
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

Product = get_model("catalogue", "Product")

OSCAR_FURNITURE = [
    "UPC",
    "GFTBP-DOWNLOAD",
    "excl. tax",
    "Add to cart",
    "Add to basket",
    "Image Not Available",
    settings.OSCAR_MISSING_IMAGE_URL,
    "Product Information",
    "review",
    "Notify me",
    "wish list",
    "Recently viewed",
]


@pytest.fixture
def demo(demo_site):
    return Product.objects.get(upc="GFTBP-DOWNLOAD")


def main_content(html: str) -> str:
    return html[html.index('<div id="content_inner">') :]


def test_the_program_page_has_every_part_of_the_offer(client, demo):
    program_file_create(product=demo, title="The book", name="Back Pain Book.pdf")
    TestimonialFactory(person="Kept Private", consent_to_publish=False, quote="Not for print.")
    # Ticked, but the day the person agreed is not on record.
    TestimonialFactory(person="Not On Record", consent_given_on=None, quote="Not yet for print.")

    response = client.get(demo.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    content = main_content(html)
    # Full title, once, as the page's heading; the short description under it.
    assert content.count("<h1") == 1
    assert "<h1>Get Free from That Back Pain</h1>" in content
    assert "The complete somatic exercise program for lower back pain" in content
    # The cover, described, in several sizes for the browser to choose from.
    cover = re.search(r'<img class="program-cover" src="([^"]+)" srcset="([^"]+)"', content)
    assert cover, "no cover picture"
    widths = re.findall(r" (\d+)w", cover.group(2))
    assert len(widths) >= 2 and widths == sorted(widths, key=int)
    assert 'sizes="(min-width: 48em) 20rem, 40vw"' in content
    assert 'alt="Cover of Get Free from That Back Pain"' in content
    # What is inside: each file with its kind, length or pages, and size.
    inside = content[content.index("What is inside") :]
    assert "The book" in inside and re.search(r"Book \(PDF\) · 4 pages · [\d.]+\xa0KB", inside)
    assert "Lesson 1: Pelvic tilts" in inside and '<time datetime="PT40S">0:40</time>' in inside
    assert "Session 1: Lying twist" in inside and re.search(
        r"Video · .*0:12.* · [\d.]+\xa0KB", inside
    )
    # The tryout terms, from the shop's one include.
    assert '<dl class="trial-terms">' in content
    assert "$98.50 every 4 weeks, 2 payments" in content and "$197.00" in content
    assert "Quit 2-Week Tryout" in content
    # Testimonials given with consent on record, and no others.
    assert "What people say" in content
    shown = [t.person for t in Testimonial.objects.publishable()][:3]
    assert len(shown) >= 2
    for person in shown:
        assert person in content
    assert "Kept Private" not in content and "Not for print." not in content
    assert "Not On Record" not in content and "Not yet for print." not in content
    # The questions and answers the author edits, with the page they come from.
    assert "Questions and answers" in content
    assert "<summary>What actually causes most lower back pain?</summary>" in content
    assert "<summary>What if it does not work for me?</summary>" in content
    assert 'href="/back-pain-questions-and-answers/"' in content
    # One action.
    assert content.count("<button") == 1
    assert re.search(r"<button[^>]*>Start free 2-week tryout</button>", content)
    assert 'action="/shop/checkout/start-tryout/"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    for furniture in OSCAR_FURNITURE:
        assert furniture not in content, furniture
    assert "css/product.css" in html


def test_the_button_says_the_tryout_as_the_terms_have_it(client):
    program = ProgramFactory(trial_days=7)
    html = client.get(program.get_absolute_url()).content.decode()
    assert re.search(r"<button[^>]*>Start free 1-week tryout</button>", html)


def test_a_program_without_a_picture_shows_none_rather_than_the_placeholder(client):
    program = ProgramFactory()
    content = main_content(client.get(program.get_absolute_url()).content.decode())
    assert "<img" not in content
    assert settings.OSCAR_MISSING_IMAGE_URL not in content
    assert "Image Not Available" not in content
    assert "<h1>Get Free from That Back Pain</h1>" in content


def test_a_program_taken_off_sale_is_shown_to_staff_without_its_button(admin_client):
    program = ProgramFactory(is_public=False)
    content = main_content(admin_client.get(program.get_absolute_url()).content.decode())
    assert "This program is not available just now." in content
    assert "<button" not in content
    assert "Edit this product" in content


def test_other_products_keep_their_basket_button(client):
    recording = create_product(title="Webinar recording", price=Decimal("49.00"), num_in_stock=None)
    ProgramFactory()
    html = client.get(recording.get_absolute_url()).content.decode()
    assert re.search(r">Add to (cart|basket)</button>", html)
    assert "Start free" not in html
    assert "css/product.css" not in html


def test_the_page_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    program = ProgramFactory()
    TestimonialFactory.create_batch(5)
    for number in range(3):
        program_file_create(product=program, title=f"Lesson {number}", name=f"lesson-{number}.mp3")
    client.get(program.get_absolute_url())
    with django_assert_max_num_queries(100) as few:
        client.get(program.get_absolute_url())
    few_count = len(few.captured_queries)
    for number in range(3, 9):
        program_file_create(product=program, title=f"Lesson {number}", name=f"lesson-{number}.mp3")
    TestimonialFactory.create_batch(5)
    # New testimonials change the content, so the site's header and footer (kept per process
    # until then) are read again once: that visit is not the one measured.
    client.get(program.get_absolute_url())
    with django_assert_max_num_queries(few_count):
        html = client.get(program.get_absolute_url()).content.decode()
    assert html.count("Audio · ") == 9
