"""The demo site holds everything the author's current page shows, in our own words."""

import html as html_lib
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.html import strip_tags

from demo.loader import demo_content
from home.models import GlossaryTerm, HomePage, NavigationItem, TrustBadge

pytestmark = pytest.mark.django_db

SYMPTOMS = demo_content("home")["symptoms"]
TRIED = demo_content("home")["tried"]
BADGES = demo_content("site")["trust_badges"]["names"]


@pytest.fixture
def demo_home(client, demo_site):
    response = client.get("/")
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


SECTIONS = [
    "Lower Back Pain Relief Exercises for Relief That Lasts",
    "A Body Is More Than a Marvellous Machine",
    "An Alternative",
    "Back Spasms: The Therapist's Dilemma",
    "Back Pain Therapies, Old and New",
    "Why Back Pain Strikes Suddenly",
    "Muscle/Movement Memory Runs the Show",
    "A View That Makes Sense",
]


def test_article_has_every_part_of_the_authors_page(demo_home):
    page = demo_home
    assert page.count("<h1") == 1 and "Get Lower Back Pain Relief</h1>" in page
    # navigation, in the seed's order
    nav = page[page.index('aria-label="Main"') : page.index("</nav>")]
    labels = [
        "home",
        "learn about your condition",
        "about somatics",
        "site contents",
        "store",
        "testimonials",
        "contact",
    ]
    positions = [nav.index(f">{label}</a>") for label in labels]
    assert positions == sorted(positions)
    assert 'href="/shop/">store</a>' in nav
    # both symptom lists
    assert "Do you have some of these symptoms?" in page
    assert "Have you already tried ...?" in page
    for item in SYMPTOMS + TRIED:
        assert f"<li>{item}</li>" in page, item
    # trust badges
    for badge in BADGES:
        assert f'alt="{badge}"' in page, badge
    # headed sections and their table of contents
    for heading in SECTIONS:
        assert f">{heading}</h2>" in page, heading
    assert "Topics in this article" in page
    # byline with credentials and date
    assert "Written by" in page and "Lawrence Gold" in page and "C.H.S.E." in page
    assert "Certified Practitioner, Hanna Somatic Education®" in page
    assert '<time datetime="2024-03-01">' in page
    # letter of reference
    assert "Letter of reference" in page and "Dr. Jordan Ellis" in page
    assert "Watsonville, CA" in page
    # video as a light placeholder
    assert "data-video-embed=" in page and "<iframe" not in page
    # related topics, glossary, Q&A
    assert "Related topics" in page and "<li>sciatica</li>" in page
    assert 'href="/glossary/"' in page
    assert 'class="glossary-term"' in page
    assert 'href="/back-pain-questions-and-answers/"' in page
    assert "ten basic questions" in page
    # the offer with its terms
    assert "$98.50" in page and "every 4 weeks, 2 payments" in page
    assert "$197.00" in page and "free 2-week tryout" in page
    assert "Quit 2-Week Tryout" in page
    # benefits, feedback, one-on-one sessions, webinars
    assert "The benefits" in page
    assert 'href="/feedback/">Give your feedback on the exercise</a>' in page
    assert 'href="/one-on-one-sessions/"' in page
    assert 'href="/webinar-recordings/"' in page
    # footer
    assert "The Institute for Somatic Study and Development" in page
    assert "Herrada Road<br>Santa Fe, NM 87508" in page
    assert "Telephone" in page and "505 819-0858" in page
    assert ">Terms of use</a>" in page and ">Privacy policy</a>" in page
    assert ">Contact</a>" in page
    assert "This article may be reproduced only in its entirety." in page


def test_demo_sentences_are_our_own(demo_home):
    for sentence in [
        "It's been a while since you could stand up straight",
        "You've been through a lot of different therapies, with middling results.",
        "A new category of therapeutic exercises affects the cause of back muscle spasms",
    ]:
        assert sentence not in demo_home


def test_every_demo_page_renders(client, demo_site):
    home = HomePage.objects.get()
    for page in home.get_descendants().live().specific():
        response = client.get(page.url)
        assert response.status_code == 200, page.url


def test_demo_content_is_loaded_once(demo_site):
    counts = (
        HomePage.objects.get().get_descendants().count(),
        GlossaryTerm.objects.count(),
        NavigationItem.objects.count(),
        TrustBadge.objects.count(),
    )
    out = StringIO()
    call_command("load_demo_content", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert counts == (
        HomePage.objects.get().get_descendants().count(),
        GlossaryTerm.objects.count(),
        NavigationItem.objects.count(),
        TrustBadge.objects.count(),
    )
    assert counts[0] >= 12 and counts[1] >= 12 and counts[2] == 7 and counts[3] == 5


def test_the_demo_program_is_listed_in_the_store_and_editable_in_the_dashboard(
    client, django_user_model, demo_site
):
    from oscar.core.loading import get_model

    product = get_model("catalogue", "Product").objects.get(upc="GFTBP-DOWNLOAD")
    assert product.categories.filter(name="Programs").exists()
    assert product.trial_offer.total == product.stockrecords.get().price
    # The only product: the store opens its page; its category lists it.
    assert client.get("/shop/catalogue/")["Location"] == product.get_absolute_url()
    category = product.categories.get(name="Programs")
    assert product.get_title() in client.get(category.get_absolute_url()).content.decode()
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-1234567")
    client.force_login(admin)
    edit = client.get(f"/shop/dashboard/catalogue/products/{product.pk}/")
    assert edit.status_code == 200
    assert "Trial and installments" in edit.content.decode()


def test_every_demo_page_passes_the_cms_validation(demo_site):
    """The author can publish the demo pages from the CMS without fixing anything first."""
    from django.core.exceptions import ValidationError
    from wagtail.fields import StreamField

    for page in HomePage.objects.get().get_descendants(inclusive=True).specific():
        for field in page._meta.get_fields():
            if isinstance(field, StreamField):
                value = getattr(page, field.name)
                try:
                    field.stream_block.clean(value)
                except ValidationError as error:
                    pytest.fail(f"{page.url} {field.name}: {error}")


def test_the_demo_program_shows_its_cover_rather_than_the_placeholder(client, demo_site):
    from oscar.core.loading import get_model

    # Loaded a second time, the demo adds no other cover.
    call_command("load_demo_content", stdout=StringIO())
    product = get_model("catalogue", "Product").objects.get(upc="GFTBP-DOWNLOAD")
    cover = product.images.get()
    assert cover.original.name.startswith("images/products/")
    assert product.primary_image() == cover

    page = client.get(product.get_absolute_url()).content.decode()
    assert settings.OSCAR_MISSING_IMAGE_URL not in page
    assert f'alt="Cover of {product.get_title()}"' in page
    # Sharp on high-density phones too (Lighthouse's image-size-responsive): the browser
    # picks from several widths, up to the picture's own.
    found = re.search(
        r'<img class="program-cover" src="[^"]+" srcset="([^"]+)"\s+sizes="[^"]+" '
        r'width="(\d+)" height="\d+"',
        page,
    )
    assert found, "no responsive cover"
    widths = [int(width) for width in re.findall(r" (\d+)w", found.group(1))]
    assert widths[-1] == int(found.group(2)) == cover.original.width


def test_the_demo_health_content_is_reviewed_referenced_and_disclaimed(client, demo_site):
    """The demo shows the author what a trustworthy health page carries: a reviewer and the
    review dates, numbered references cited in the text, the disclaimer, and testimonials
    whose consent is on record."""
    from home.models import HealthContentSettings, MedicalReviewer, QAPage, StandardPage
    from home.references import page_references

    reviewer = MedicalReviewer.objects.get()
    assert reviewer.photo is not None and reviewer.credentials and reviewer.profile_url
    home = HomePage.objects.get()
    questions = QAPage.objects.get()
    for page in (home, questions):
        assert page.reviewed_by == reviewer
        assert page.condition == "Low back pain"
        assert page.last_reviewed_on and page.last_updated_on
        page.full_clean()
    references = page_references(page=home)
    assert [reference["year"] for reference in references] == [2018, 2017, 1988]
    assert [bool(reference["doi"]) for reference in references] == [True, True, False]
    prose = " ".join(
        str(block.value.source) for block in home.body if block.block_type == "paragraph"
    )
    assert all(f"[{number}]" in prose for number in (1, 2, 3))

    health = HealthContentSettings.for_site(home.get_site())
    assert "See a doctor at once" in health.disclaimer
    assert health.typical_results and health.disclaimer_position == "end"
    legal = StandardPage.objects.filter(slug__in=["terms-of-use", "privacy-policy"])
    assert [page.gives_health_information for page in legal] == [False, False]

    page = html_lib.unescape(client.get("/").content.decode())
    assert f"Medically reviewed by {reviewer.name}" in " ".join(strip_tags(page).split())
    assert "What low back pain is and why we need to pay attention" in page
    assert 'href="#reference-3"' in page
    assert "does not replace the advice of your doctor" in page


def test_every_demo_testimonial_has_its_consent_on_record(demo_site):
    from home.models import Testimonial

    testimonials = Testimonial.objects.all()
    assert testimonials.count() == 3
    assert list(testimonials.publishable()) == list(testimonials)
    for testimonial in testimonials:
        testimonial.full_clean()
    # The demo shows each wording the rules ask for: a result that is not typical, and a
    # testimonial given by someone who received the program free.
    assert {t.result for t in testimonials} == {"typical", "not_typical", "no_result"}
    assert testimonials.exclude(connection="none").count() == 2
