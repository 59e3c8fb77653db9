"""Medical review: readers see who checked an article or the Q&A and when, and when it last
changed; the author's dates are checked in the editor; Reports → Medical reviews due lists
the pages to send for review again, and the CMS home page says how many there are."""

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format
from openpyxl import load_workbook
from wagtail.models import Site
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from home.models import HealthContentSettings, HomePage, QAItem
from tests.home.factories import (
    ArticlePageFactory,
    AuthorProfileFactory,
    MedicalReviewerFactory,
    QAPageFactory,
    StandardPageFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 24)
REPORT = "/cms/reports/medical-reviews-due/"


@pytest.fixture(autouse=True)
def today():
    # Noon, so the local date is the same whatever the time zone.
    with time_machine.travel(datetime.datetime(2026, 11, 24, 12, 0), tick=False):
        yield TODAY


@pytest.fixture
def home():
    return HomePage.objects.get()


@pytest.fixture
def reviewer():
    return MedicalReviewerFactory(
        name="Dana Ruiz",
        post_nominals="D.P.T.",
        credentials="Doctor of Physical Therapy, board-certified in orthopaedics",
        profile_url="https://clinic.example.com/dana-ruiz/",
    )


def review_every(months: int) -> None:
    settings = HealthContentSettings.for_site(Site.objects.get(is_default_site=True))
    settings.review_every_months = months
    settings.save()


def shown(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def page_html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# Readers


def test_article_shows_its_reviewer_review_date_and_last_update(client, home, reviewer):
    page = ArticlePageFactory(
        parent=home,
        author=AuthorProfileFactory(name="Lawrence Gold"),
        article_date=datetime.date(2025, 3, 1),
        reviewed_by=reviewer,
        last_reviewed_on=datetime.date(2026, 2, 10),
        last_updated_on=datetime.date(2026, 2, 12),
    )
    html = page_html(client, page.url)
    assert (
        'Medically reviewed by <a class="medical-reviewer-name" '
        'href="https://clinic.example.com/dana-ruiz/" rel="noopener">Dana Ruiz, D.P.T.</a>, '
        '<span class="medical-reviewer-credentials">Doctor of Physical Therapy, '
        "board-certified in orthopaedics</span>, on "
        '<time datetime="2026-02-10">' + shown(datetime.date(2026, 2, 10)) + "</time>"
    ) in html
    assert (
        f'Last updated <time datetime="2026-02-12">{shown(datetime.date(2026, 2, 12))}</time>'
        in html
    )
    # Under the byline, in the article's header.
    header_end = html.index("</header>", html.index("<article"))
    assert html.index("Written by") < html.index("Medically reviewed by") < header_end


def test_last_updated_falls_back_to_the_byline_date(client, home):
    page = ArticlePageFactory(parent=home, article_date=datetime.date(2025, 3, 1))
    html = page_html(client, page.url)
    assert (
        f'Last updated <time datetime="2025-03-01">{shown(datetime.date(2025, 3, 1))}</time>'
        in html
    )
    assert "Medically reviewed by" not in html


def test_reviewer_without_a_profile_page_is_named_without_a_link(client, home):
    reviewer = MedicalReviewerFactory(name="Sam Lee", post_nominals="", profile_url="")
    page = ArticlePageFactory(
        parent=home, reviewed_by=reviewer, last_reviewed_on=datetime.date(2026, 1, 5)
    )
    html = page_html(client, page.url)
    assert 'Medically reviewed by <span class="medical-reviewer-name">Sam Lee</span>' in html
    assert 'rel="noopener">Sam Lee' not in html


def test_qa_page_shows_its_reviewer_and_last_update(client, home, reviewer):
    page = QAPageFactory(
        parent=home,
        reviewed_by=reviewer,
        last_reviewed_on=datetime.date(2026, 6, 2),
        last_updated_on=datetime.date(2026, 6, 1),
    )
    QAItem.objects.create(page=page, question="Why?", answer="<p>Because.</p>", anchor="why")
    html = page_html(client, page.url)
    assert "Medically reviewed by" in html
    assert (
        'href="https://clinic.example.com/dana-ruiz/" rel="noopener">Dana Ruiz, D.P.T.</a>' in html
    )
    assert f'<time datetime="2026-06-02">{shown(datetime.date(2026, 6, 2))}</time>' in html
    assert (
        f'Last updated <time datetime="2026-06-01">{shown(datetime.date(2026, 6, 1))}</time>'
        in html
    )


def test_qa_page_without_its_own_date_shows_its_first_publication(client, home):
    page = QAPageFactory(parent=home)
    page.save_revision().publish()
    page.refresh_from_db()
    html = page_html(client, page.url)
    published = page.first_published_at.date().isoformat()
    assert f'Last updated <time datetime="{published}">' in html


# The author's dates, checked by the real page editor


@pytest.fixture
def author(client, django_user_model):
    user = django_user_model.objects.create_superuser("author", "author@example.com", "pw-12345678")
    client.force_login(user)
    return user


def article_form(**health):
    return nested_form_data(
        {
            "title": "Relief",
            "slug": "relief",
            "lead": "Lead.",
            "symptoms_heading": "Do you have some of these symptoms?",
            "symptoms": streamfield([("item", "sore back")]),
            "tried_heading": "Have you already tried ...?",
            "tried": streamfield([]),
            "body": streamfield([("paragraph", rich_text("<p>Text.</p>"))]),
            "link_glossary_terms": "on",
            "show_trust_badges": "on",
            "condition": "Low back pain",
            **health,
        }
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reviewed_by": "REVIEWER"}, "Give the day the reviewer checked the page."),
        (
            {"last_reviewed_on": "2026-11-01"},
            "Choose who reviewed the page, or clear the review date.",
        ),
        (
            {"reviewed_by": "REVIEWER", "last_reviewed_on": "2026-11-25"},
            "This date is in the future.",
        ),
        ({"last_updated_on": "2027-01-01"}, "This date is in the future."),
    ],
)
def test_editor_refuses_review_dates_that_cannot_be_true(
    client, author, home, reviewer, fields, message
):
    page = ArticlePageFactory(parent=home, title="Relief", slug="relief")
    fields = {name: reviewer.pk if value == "REVIEWER" else value for name, value in fields.items()}
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = client.post(edit_url, article_form(**fields))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The page could not be saved due to validation errors" in html
    assert message in html
    page.refresh_from_db()
    assert page.reviewed_by is None and page.last_reviewed_on is None


def test_editor_saves_a_complete_review(client, author, home, reviewer):
    page = ArticlePageFactory(parent=home, title="Relief", slug="relief")
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = article_form(reviewed_by=reviewer.pk, last_reviewed_on="2026-11-20")
    response = client.post(edit_url, {**data, "action-publish": "action-publish"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.reviewed_by == reviewer
    assert page.last_reviewed_on == datetime.date(2026, 11, 20)


# Reports → Medical reviews due


@pytest.fixture
def signed_in_editor(client, editor):
    client.force_login(editor)
    return editor


@pytest.fixture
def health_pages(home, reviewer):
    """A page never reviewed, one reviewed 20 months ago, one 8 months ago (a draft), and
    one reviewed last month; a standard page has no review at all."""
    home.reviewed_by = reviewer
    home.last_reviewed_on = datetime.date(2026, 10, 20)
    home.save()
    never = ArticlePageFactory(parent=home, title="Never Reviewed", slug="never")
    old = ArticlePageFactory(
        parent=home,
        title="Reviewed Long Ago",
        slug="long-ago",
        reviewed_by=reviewer,
        last_reviewed_on=datetime.date(2025, 3, 10),
        last_updated_on=datetime.date(2025, 4, 1),
    )
    draft = QAPageFactory(
        parent=home,
        title="Questions Draft",
        slug="questions",
        live=False,
        reviewed_by=reviewer,
        last_reviewed_on=datetime.date(2026, 3, 1),
    )
    StandardPageFactory(parent=home, title="About Us", slug="about")
    return {"never": never, "old": old, "draft": draft, "home": home}


def rows_of(html: str) -> list[str]:
    """The report's page titles, in its order."""
    return re.findall(r'<a href="/cms/pages/\d+/edit/">\s*([^<]*?)\s*</a>', html)


def test_report_lists_pages_due_with_the_settings_months_oldest_first(
    client, signed_in_editor, health_pages
):
    review_every(12)
    response = client.get(REPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Medical reviews due" in html
    assert rows_of(html) == ["Never Reviewed", "Reviewed Long Ago"]
    assert "About Us" not in html and ">Home<" not in html
    edit_url = reverse("wagtailadmin_pages:edit", args=[health_pages["old"].pk])
    assert f'href="{edit_url}"' in html
    assert "Never" in html
    assert "Dana Ruiz, D.P.T." in html
    assert shown(datetime.date(2025, 3, 10)) in html and shown(datetime.date(2025, 4, 1)) in html
    # The filter starts at the months from the settings.
    assert '<option value="12" selected>12 months</option>' in html


def test_report_default_follows_the_settings(client, signed_in_editor, health_pages):
    review_every(6)
    html = page_html(client, REPORT)
    assert rows_of(html) == ["Never Reviewed", "Reviewed Long Ago", "Questions Draft"]
    assert '<option value="6" selected>6 months</option>' in html


def test_report_header_has_no_search_of_the_shop(client, signed_in_editor, health_pages):
    # The shop's product search (with its "Relevancy" sort) is in every page's context; the
    # report searches nothing, so its header must not borrow it.
    html = page_html(client, REPORT)
    assert "Relevancy" not in html and 'name="sort_by"' not in html


def test_report_months_unusual_setting_is_offered_too(client, signed_in_editor, health_pages):
    review_every(9)
    html = page_html(client, REPORT)
    assert '<option value="9" selected>9 months</option>' in html
    assert rows_of(html) == ["Never Reviewed", "Reviewed Long Ago"]


def test_report_filter_chooses_the_months(client, signed_in_editor, health_pages):
    review_every(12)
    html = page_html(client, f"{REPORT}?months=3")
    assert rows_of(html) == ["Never Reviewed", "Reviewed Long Ago", "Questions Draft"]
    html = page_html(client, f"{REPORT}?months=24")
    assert rows_of(html) == ["Never Reviewed"]
    # The results alone, as the filter asks for them without reloading the page.
    results = page_html(client, f"{REPORT}results/?months=3")
    assert rows_of(results) == ["Never Reviewed", "Reviewed Long Ago", "Questions Draft"]


def test_report_exports_its_rows_as_csv(client, signed_in_editor, health_pages):
    review_every(6)
    response = client.get(REPORT, {"export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Page",
        "Type",
        "Status",
        "Reviewer",
        "Last reviewed",
        "Last updated",
        "Months since review",
    ]
    assert rows[1] == ["Never Reviewed", "Article", "live", "", "Never", "", ""]
    assert rows[2] == [
        "Reviewed Long Ago",
        "Article",
        "live",
        "Dana Ruiz, D.P.T.",
        "2025-03-10",
        "2025-04-01",
        "20",
    ]
    assert rows[3][:4] == [
        "Questions Draft",
        "Questions and answers page",
        "draft",
        "Dana Ruiz, D.P.T.",
    ]
    assert rows[3][6] == "8"
    assert len(rows) == 4


def test_report_exports_xlsx(client, signed_in_editor, health_pages):
    response = client.get(REPORT, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('medical-reviews-due.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Page" and rows[0][4] == "Last reviewed"
    assert [row[0] for row in rows[1:]] == ["Never Reviewed", "Reviewed Long Ago"]
    assert rows[1][4] == "Never"


def test_report_is_listed_under_reports_for_editors(client, signed_in_editor):
    html = page_html(client, "/cms/")
    assert "Medical reviews due" in html
    assert REPORT in html


def test_shop_manager_without_page_permissions_cannot_open_it(client, shop_manager, health_pages):
    client.force_login(shop_manager)
    assert client.get(REPORT).status_code == 403
    assert client.get(REPORT, {"export": "csv"}).status_code == 403
    home = client.get("/cms/")
    assert home.status_code == 200
    html = home.content.decode()
    assert REPORT not in html
    assert "Health content to check" not in html


def test_report_reads_the_same_number_of_queries_for_3_or_30_pages(
    client, signed_in_editor, home, reviewer
):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(REPORT)
        assert response.status_code == 200
        return len(queries)

    for n in range(3):
        ArticlePageFactory(
            parent=home, reviewed_by=reviewer, last_reviewed_on=datetime.date(2020, 1, n + 1)
        )
    client.get(REPORT)  # the settings row is made on the first visit
    small = count_queries()
    for n in range(27):
        ArticlePageFactory(
            parent=home, reviewed_by=reviewer, last_reviewed_on=datetime.date(2021, 1, n + 1)
        )
    assert count_queries() == small


# The CMS home page


def test_home_panel_says_how_many_pages_are_due_and_links_to_the_report(
    client, signed_in_editor, health_pages
):
    review_every(12)
    html = page_html(client, "/cms/")
    assert "Health content to check" in html
    assert "2 health pages have no medical review, or one older than 12 months." in html
    assert f'href="{REPORT}"' in html


def test_home_panel_is_absent_when_nothing_is_due(client, signed_in_editor, home, reviewer):
    home.reviewed_by = reviewer
    home.last_reviewed_on = datetime.date(2026, 10, 1)
    home.save()
    html = page_html(client, "/cms/")
    assert "Health content to check" not in html


# The content API


def test_reviewers_are_listed_and_shown_one_by_one(client, reviewer):
    data = client.get("/api/reviewers/").json()
    assert data["meta"]["total_count"] == 1
    item = data["items"][0]
    assert item == {
        "id": reviewer.pk,
        "name": "Dana Ruiz",
        "post_nominals": "D.P.T.",
        "credentials": "Doctor of Physical Therapy, board-certified in orthopaedics",
        "profile_url": "https://clinic.example.com/dana-ruiz/",
        "bio": "",
        "photo_url": None,
    }
    assert client.get(f"/api/reviewers/{reviewer.pk}/").json() == item
    assert client.get("/api/reviewers/999999/").status_code == 404
    assert client.get("/api/reviewers/", {"x": "1"}).status_code == 400
