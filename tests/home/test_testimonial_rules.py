"""Testimonials as the rules on endorsements ask: a result that is not typical says so, with
what most people can expect; a payment, gift, discount or personal tie is stated next to the
words; nothing is shown without the person's consent on record (the day and the way); and
old testimonials are flagged in the CMS for a check with the person."""

import datetime
import itertools

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from home import blocks
from home.models import HealthContentSettings, HomePage, Testimonial, TestimonialsPage
from home.models.medical_review import months_before
from home.testimonial_disclosures import testimonial_disclosures as wording_for
from home.wagtail_hooks import TESTIMONIAL_CONNECTIONS_SHORT, TESTIMONIAL_RESULTS_SHORT
from tests.home.factories import ArticlePageFactory, TestimonialFactory
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db

NOT_TYPICAL = "This result is not typical: results vary from person to person."
EXPECT = "Most people who practise twenty minutes a day feel less stiffness within two weeks."
# Each connection in the site's own words, for a testimonial by Maria T.
CONNECTION_WORDS = {
    "free_program": "Maria T. received the program free of charge.",
    "paid": "Maria T. was paid for this testimonial.",
    "discount": "Maria T. received a discount or another reward for this testimonial.",
    "family_or_friend": "Maria T. is a relative or friend of the author.",
    "business": "Maria T. works or does business with the author.",
}
DETAILS = "She was given the audio lessons to try and asked for her honest view."
RESULTS = [Testimonial.TYPICAL, Testimonial.NOT_TYPICAL, Testimonial.NO_RESULT]
CONNECTIONS = [Testimonial.NO_CONNECTION, *CONNECTION_WORDS]

CMS_LIST = "wagtailsnippets_home_testimonial:list"
CMS_ADD = "wagtailsnippets_home_testimonial:add"


def expected_wording(result: str, connection_kind: str, details: str, typical: str) -> list[str]:
    sentences = []
    if result == Testimonial.NOT_TYPICAL:
        sentences.append(NOT_TYPICAL)
        if typical:
            sentences.append(typical)
    if connection_kind != Testimonial.NO_CONNECTION:
        sentences.append(details or CONNECTION_WORDS[connection_kind])
    return sentences


# The wording, for every combination


@pytest.mark.parametrize(
    ("result", "connection_kind", "details", "typical"),
    list(itertools.product(RESULTS, CONNECTIONS, ["", DETAILS], ["", EXPECT])),
)
def test_the_wording_for_every_result_and_connection(result, connection_kind, details, typical):
    testimonial = TestimonialFactory.build(
        person="Maria T.", result=result, connection=connection_kind, connection_details=details
    )
    wording = wording_for(testimonial=testimonial, typical_results=typical)
    assert wording == expected_wording(result, connection_kind, details, typical)


def test_a_typical_result_with_no_connection_needs_no_wording():
    testimonial = TestimonialFactory.build(
        result=Testimonial.TYPICAL, connection=Testimonial.NO_CONNECTION
    )
    assert wording_for(testimonial=testimonial, typical_results=EXPECT) == []


def test_a_letter_is_named_as_a_letter_and_the_authors_words_end_as_sentences():
    letter = TestimonialFactory.build(
        kind=Testimonial.LETTER,
        person="Dr. Jordan Ellis",
        result=Testimonial.NO_RESULT,
        connection="paid",
    )
    assert wording_for(testimonial=letter, typical_results=EXPECT) == [
        "Dr. Jordan Ellis was paid for this letter of reference."
    ]
    testimonial = TestimonialFactory.build(
        result=Testimonial.NOT_TYPICAL,
        connection="business",
        connection_details="  He is the author's   business partner ",
    )
    assert wording_for(
        testimonial=testimonial, typical_results="Most people feel looser\nin a week"
    ) == [NOT_TYPICAL, "Most people feel looser in a week.", "He is the author's business partner."]


# Pages, the article's block and the program's page in the shop


@pytest.fixture
def home():
    return HomePage.objects.get()


@pytest.fixture
def expectation():
    settings = HealthContentSettings.for_site(Site.objects.get(is_default_site=True))
    settings.typical_results = EXPECT
    settings.save()
    return settings


@pytest.fixture
def three_testimonials():
    """Not typical; typical but given the program free; typical with no connection."""
    return {
        "not_typical": TestimonialFactory(
            person="Maria T.",
            quote="I stand straight again.",
            date=datetime.date(2025, 3, 12),
            result=Testimonial.NOT_TYPICAL,
        ),
        "connected": TestimonialFactory(
            person="David K.",
            quote="My back feels looser after each session.",
            date=datetime.date(2025, 2, 2),
            result=Testimonial.TYPICAL,
            connection="free_program",
        ),
        "plain": TestimonialFactory(
            person="Sam P.",
            quote="Slow, easy movements that help.",
            date=datetime.date(2025, 1, 5),
            result=Testimonial.TYPICAL,
        ),
    }


def figures(html: str) -> dict:
    """Each testimonial shown, by the person's name."""
    page = BeautifulSoup(html, "html.parser")
    return {
        figure.select_one(".testimonial-person").get_text(strip=True): figure
        for figure in page.select("figure.testimonial")
    }


def assert_wording_under_each_quote(html: str) -> None:
    shown = figures(html)
    assert set(shown) == {"Maria T.", "David K.", "Sam P."}
    for person, wording in [
        ("Maria T.", f"Please note: {NOT_TYPICAL} {EXPECT}"),
        ("David K.", "Please note: David K. received the program free of charge."),
    ]:
        figure = shown[person]
        note = figure.select_one(".testimonial-disclosures")
        assert note is not None, person
        assert " ".join(note.get_text().split()) == wording
        # Right under the quote, inside the figure, and not hidden away.
        assert note.find_previous_sibling() == figure.blockquote
        assert note.find_parent("details") is None and not note.has_attr("hidden")
        assert note.select_one("strong").get_text() == "Please note:"
    assert shown["Sam P."].select_one(".testimonial-disclosures") is None


def test_the_testimonials_page_shows_the_wording(client, home, expectation, three_testimonials):
    page = home.add_child(instance=TestimonialsPage(title="Testimonials", slug="testimonials"))
    assert_wording_under_each_quote(client.get(page.url).content.decode())


def test_an_article_shows_the_wording_in_its_testimonial_blocks(
    client, home, expectation, three_testimonials
):
    article = ArticlePageFactory(
        parent=home,
        slug="article",
        body=[
            ("testimonial", {"testimonial": three_testimonials["not_typical"], "show_as": "quote"}),
            ("testimonial", {"testimonial": three_testimonials["connected"], "show_as": "letter"}),
            ("testimonial", {"testimonial": three_testimonials["plain"], "show_as": "quote"}),
        ],
    )
    html = client.get(article.url).content.decode()
    assert_wording_under_each_quote(html)
    shown = figures(html)
    assert "testimonial-quote" in shown["Maria T."]["class"]
    assert "testimonial-letter" in shown["David K."]["class"]


def test_the_program_page_shows_the_wording(client, expectation, three_testimonials):
    program = ProgramFactory()
    html = client.get(program.get_absolute_url()).content.decode()
    assert "What people say" in html
    assert_wording_under_each_quote(html)


def test_the_wording_changes_with_the_sites_settings(client, home, three_testimonials):
    page = home.add_child(instance=TestimonialsPage(title="Testimonials", slug="testimonials"))
    note = figures(client.get(page.url).content.decode())["Maria T."].select_one(
        ".testimonial-disclosures"
    )
    assert " ".join(note.get_text().split()) == f"Please note: {NOT_TYPICAL}"


def test_the_settings_are_read_once_however_many_testimonials(client, home, expectation):
    page = home.add_child(instance=TestimonialsPage(title="Testimonials", slug="testimonials"))

    def visit() -> tuple[int, int, str]:
        client.get(page.url)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(page.url).content.decode()
        settings_reads = [q for q in queries if "home_healthcontentsettings" in q["sql"]]
        return len(queries), len(settings_reads), html

    TestimonialFactory.create_batch(3, result=Testimonial.NOT_TYPICAL, connection="paid")
    few, few_settings, html = visit()
    assert html.count("Please note:") == 3
    TestimonialFactory.create_batch(7, result=Testimonial.NOT_TYPICAL, connection="paid")
    many, many_settings, html = visit()
    assert html.count("Please note:") == 10
    assert many == few
    assert few_settings == many_settings == 1


# Consent on record, or nothing


@pytest.fixture
def unrecorded():
    """Consent ticked, but the day or the way it was given never recorded."""
    return [
        TestimonialFactory(person="No Day", quote="Words with no day.", consent_given_on=None),
        TestimonialFactory(person="No Way", quote="Words with no way.", consent_method=""),
    ]


def test_a_testimonial_without_recorded_consent_is_shown_nowhere(client, home, unrecorded):
    shown = TestimonialFactory(person="Recorded Person", date=datetime.date(2020, 1, 1))
    assert not any(t.consent_recorded for t in unrecorded)
    testimonials_page = home.add_child(
        instance=TestimonialsPage(title="Testimonials", slug="testimonials")
    )
    # Written into the page directly: the editor refuses such a block (home/blocks.py).
    article = ArticlePageFactory(
        parent=home,
        slug="article",
        body=[
            ("testimonial", {"testimonial": testimonial, "show_as": show_as})
            for testimonial in [*unrecorded, shown]
            for show_as in ("letter", "quote")
        ],
    )
    program = ProgramFactory()
    for url in (testimonials_page.url, article.url, program.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Recorded Person" in html, url
        for words in ("No Day", "No Way", "Words with no day.", "Words with no way."):
            assert words not in html, (url, words)
    block = blocks.TestimonialBlock()
    for testimonial in unrecorded:
        for show_as in ("letter", "quote"):
            value = block.to_python({"testimonial": testimonial.pk, "show_as": show_as})
            assert block.render(value).strip() == ""
    listed = client.get("/api/testimonials/").json()
    assert [item["person"] for item in listed["items"]] == ["Recorded Person"]
    for testimonial in unrecorded:
        assert client.get(f"/api/testimonials/{testimonial.pk}/").status_code == 404


def test_the_editor_refuses_a_block_with_a_testimonial_whose_consent_is_not_recorded(unrecorded):
    block = blocks.TestimonialBlock()
    for testimonial in unrecorded:
        with pytest.raises(blocks.StructBlockValidationError) as error:
            block.clean(block.to_python({"testimonial": testimonial.pk, "show_as": "quote"}))
        assert "consent to publication is not recorded" in str(
            error.value.block_errors["testimonial"]
        )


# The API gives other front ends the same wording


def test_the_api_gives_the_wording_with_each_testimonial(client, expectation, three_testimonials):
    items = {item["person"]: item for item in client.get("/api/testimonials/").json()["items"]}
    assert items["Maria T."]["result"] == "not_typical"
    assert items["Maria T."]["connection"] == "none"
    assert items["Maria T."]["disclosures"] == [NOT_TYPICAL, EXPECT]
    assert items["David K."]["connection"] == "free_program"
    assert items["David K."]["disclosures"] == ["David K. received the program free of charge."]
    assert items["Sam P."]["disclosures"] == []
    detail = client.get(f"/api/testimonials/{three_testimonials['not_typical'].pk}/").json()
    assert detail["disclosures"] == [NOT_TYPICAL, EXPECT]


def test_the_api_reads_the_settings_once_for_the_whole_list(client):
    TestimonialFactory.create_batch(3, result=Testimonial.NOT_TYPICAL)
    client.get("/api/testimonials/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/testimonials/")
    TestimonialFactory.create_batch(7, result=Testimonial.NOT_TYPICAL)
    with CaptureQueriesContext(connection) as many:
        data = client.get("/api/testimonials/").json()
    assert len(data["items"]) == 10
    assert all(item["disclosures"] == [NOT_TYPICAL] for item in data["items"])
    assert len(many) == len(few)


# The CMS: the add form and the listing


@pytest.fixture
def author(client, django_user_model):
    user = django_user_model.objects.create_superuser("author", "author@example.com", "pw-1234567")
    client.force_login(user)
    return user


def add_form_data(**fields) -> dict:
    return {
        "kind": "testimonial",
        "quote": "Kind words.",
        "person": "A. Reader",
        "result": "not_typical",
        "connection": "none",
        **fields,
    }


def test_the_add_form_refuses_consent_without_its_day_and_way(client, author):
    response = client.post(reverse(CMS_ADD), add_form_data(consent_to_publish="on"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["consent_given_on"] == ["Give the day the person agreed to publication."]
    assert errors["consent_method"] == ["Say how the person agreed to publication."]
    assert not Testimonial.objects.exists()


def test_the_add_form_refuses_a_consent_day_in_the_future(client, author):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse(CMS_ADD),
        add_form_data(
            consent_to_publish="on", consent_given_on=tomorrow.isoformat(), consent_method="email"
        ),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["consent_given_on"] == ["This date is in the future."]
    assert not Testimonial.objects.exists()


def test_the_add_form_saves_consent_on_record(client, author):
    response = client.post(
        reverse(CMS_ADD),
        add_form_data(
            consent_to_publish="on",
            consent_given_on="2025-06-01",
            consent_method="signed_form",
            connection="discount",
        ),
    )
    assert response.status_code == 302
    testimonial = Testimonial.objects.publishable().get()
    assert testimonial.consent_given_on == datetime.date(2025, 6, 1)
    assert testimonial.connection == "discount"


def listing_rows(client, **query) -> dict[str, list[str]]:
    """The listing's rows: each person's cells, in the columns' order."""
    response = client.get(reverse(CMS_LIST), query)
    assert response.status_code == 200
    page = BeautifulSoup(response.content.decode(), "html.parser")
    rows = {}
    for row in page.select("table.listing tbody tr"):
        cells = [" ".join(cell.get_text().split()) for cell in row.select("td")]
        rows[row.select_one("[id$=_title]").get_text(strip=True)] = cells
    return rows


def listing_headings(client) -> list[str]:
    page = BeautifulSoup(client.get(reverse(CMS_LIST)).content.decode(), "html.parser")
    return [" ".join(th.get_text().split()) for th in page.select("table.listing thead th")]


@pytest.fixture
def check_every_year():
    settings = HealthContentSettings.for_site(Site.objects.get(is_default_site=True))
    settings.check_testimonials_every_months = 12
    settings.save()
    return settings


@pytest.fixture
def to_check():
    """Given long ago; given long ago but checked lately; undated and without consent."""
    today = timezone.localdate()
    old = months_before(today, 30)
    return {
        "Old": TestimonialFactory(
            person="Old", date=old, quote="Old words.", connection="paid", result="typical"
        ),
        "Checked": TestimonialFactory(
            person="Checked", date=old, checked_on=months_before(today, 2), quote="Still true."
        ),
        "Undated": TestimonialFactory(
            person="Undated", date=None, consent_to_publish=False, quote="Never dated."
        ),
    }


def test_the_listing_shows_consent_and_checks_in_words(client, author, check_every_year, to_check):
    assert listing_headings(client)[1:] == [
        "Person",
        "Kind",
        "Date",
        "Consent",
        "Result",
        "Connection",
        "Check due",
    ]
    rows = listing_rows(client)
    due_since = months_before(to_check["Old"].date, -12)
    assert rows["Old"][4:] == [
        "Recorded",
        "Typical",
        "Paid",
        f"Check due since {due_since:%B %Y}",
    ]
    assert rows["Checked"][4:] == ["Recorded", "Not typical", "None", "—"]
    assert rows["Undated"][4:] == [
        "Not recorded",
        "Not typical",
        "None",
        "Check due (no date recorded)",
    ]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, {"Old", "Checked", "Undated"}),
        ({"consent": "recorded"}, {"Old", "Checked"}),
        ({"consent": "not_recorded"}, {"Undated"}),
        ({"check": "due"}, {"Old", "Undated"}),
        ({"check": "not_due"}, {"Checked"}),
        ({"result": "typical"}, {"Old"}),
        ({"result": "not_typical"}, {"Checked", "Undated"}),
        ({"connection": "paid"}, {"Old"}),
        ({"connection": "none"}, {"Checked", "Undated"}),
        ({"check": "due", "consent": "recorded"}, {"Old"}),
        ({"q": "Still true"}, {"Checked"}),
        ({"q": "Undated"}, {"Undated"}),
    ],
)
def test_the_listing_filters_and_searches(client, author, check_every_year, to_check, query, shown):
    assert set(listing_rows(client, **query)) == shown


def test_every_result_and_connection_has_a_short_name_in_the_listing():
    assert set(TESTIMONIAL_RESULTS_SHORT) == {value for value, _ in Testimonial.RESULTS}
    assert set(TESTIMONIAL_CONNECTIONS_SHORT) == {value for value, _ in Testimonial.CONNECTIONS}
    assert set(CONNECTION_WORDS) | {Testimonial.NO_CONNECTION} == set(TESTIMONIAL_CONNECTIONS_SHORT)


def test_the_listing_sorts_by_when_each_was_last_known_to_stand(
    client, author, check_every_year, to_check
):
    dated = ["Old", "Checked"]
    oldest_first = [p for p in listing_rows(client, ordering="checked_from") if p in dated]
    newest_first = [p for p in listing_rows(client, ordering="-checked_from") if p in dated]
    assert oldest_first == ["Old", "Checked"]
    assert newest_first == ["Checked", "Old"]


def test_the_listing_costs_the_same_for_3_and_10_testimonials(client, author):
    today = timezone.localdate()
    TestimonialFactory.create_batch(3, date=months_before(today, 40))
    client.get(reverse(CMS_LIST))

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = listing_rows(client)
        return len(queries), sum(cells[-1].startswith("Check due") for cells in rows.values())

    few, few_due = count()
    TestimonialFactory.create_batch(4, date=months_before(today, 40))
    TestimonialFactory.create_batch(3, date=today)
    many, many_due = count()
    assert (few_due, many_due) == (3, 7)
    assert many == few


# Which testimonials are due for a check


TODAY = datetime.date(2026, 3, 15)


@pytest.mark.parametrize(
    ("fields", "due"),
    [
        ({"date": datetime.date(2024, 3, 15)}, False),  # exactly 24 months: not yet
        ({"date": datetime.date(2024, 3, 14)}, True),  # a day more
        ({"date": datetime.date(2010, 1, 1), "checked_on": datetime.date(2024, 3, 15)}, False),
        ({"date": datetime.date(2010, 1, 1), "checked_on": datetime.date(2024, 3, 14)}, True),
        ({"date": None, "consent_given_on": datetime.date(2024, 3, 15)}, False),
        ({"date": None, "consent_given_on": datetime.date(2024, 3, 14)}, True),
        ({"date": None, "consent_given_on": None, "consent_method": ""}, True),  # undated
    ],
)
def test_due_for_check_boundaries(fields, due):
    testimonial = TestimonialFactory(**fields)
    found = Testimonial.objects.due_for_check(months=24, today=TODAY)
    assert (testimonial in found) is due


def test_a_recent_check_outweighs_an_old_date():
    old = TestimonialFactory(date=datetime.date(2015, 6, 1), checked_on=datetime.date(2026, 1, 1))
    assert old not in Testimonial.objects.due_for_check(months=1, today=datetime.date(2026, 1, 31))
    assert old in Testimonial.objects.due_for_check(months=1, today=datetime.date(2026, 2, 2))
