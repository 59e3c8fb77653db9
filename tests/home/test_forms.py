"""The contact and feedback forms: what readers see, what the author receives, and what
spam, floods and a broken mail server cannot do."""

import logging
import time

import pytest
from django.core.cache import cache
from wagtail.contrib.forms.models import FormSubmission
from wagtail.models import Page

from demo.loader import demo_content, forms_demo_create
from home.models import (
    ContactFormField,
    ContactFormPage,
    FeedbackFormPage,
    HomePage,
)
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db

CONTACT_INTRO = demo_content("forms")["contact"]["intro"]
FEEDBACK_THANK_YOU = demo_content("forms")["feedback"]["thank_you_text"]

AUTHOR = "author@example.com"
VALID = {
    "your_name": "Dana Reader",
    "your_email": "dana@example.com",
    "your_message": "Does the lying-down lesson help with sciatica too?",
}


@pytest.fixture(autouse=True)
def empty_cache():
    # Rate-limit counts live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def home():
    return HomePage.objects.get()


def contact_page_publish(home, *, extra_fields=(), **overrides) -> ContactFormPage:
    fields = [
        ContactFormField(label="Your name", field_type="singleline"),
        ContactFormField(label="Your email", field_type="email"),
        ContactFormField(label="Your message", field_type="multiline"),
        *extra_fields,
    ]
    values = {
        "title": "Write to me",
        "slug": "contact",
        "to_address": AUTHOR,
        "subject": "From the contact form",
        "intro": "<p>Questions welcome.</p>",
        "thank_you_text": "<p>Your note reached me, thank you.</p>",
        **overrides,
    }
    page = ContactFormPage(**values, form_fields=fields)
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def contact(home):
    return contact_page_publish(home)


def post(client, page, data, ip="203.0.113.7"):
    return client.post(page.url, data, REMOTE_ADDR=ip)


def template_names(response) -> list[str]:
    return [t.name for t in response.templates]


def test_contact_page_renders_labelled_fields_and_a_hidden_honeypot(client, contact):
    response = client.get(contact.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "home/contact_form_page.html" in template_names(response)
    assert "css/forms.css" in html
    assert "Questions welcome." in html
    for name, label in [
        ("your_name", "Your name"),
        ("your_email", "Your email"),
        ("your_message", "Your message"),
    ]:
        assert f'<label for="id_{name}">{label} <span class="form-required">(required)' in html
        assert f'id="id_{name}"' in html
    assert '<div class="form-honeypot" aria-hidden="true">' in html
    assert (
        '<input type="text" name="website" id="id_website" value="" tabindex="-1" '
        'autocomplete="off">'
    ) in html
    assert "csrfmiddlewaretoken" in html


def test_valid_submission_is_stored_emailed_once_and_thanked(
    client, contact, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, contact, VALID)

    assert response.status_code == 200
    assert "home/form_page_landing.html" in template_names(response)
    assert "Your note reached me, thank you." in response.content.decode()
    submission = FormSubmission.objects.get(page=contact)
    assert submission.form_data == VALID
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [AUTHOR]
    assert mail.subject == "From the contact form"
    assert "Your message: Does the lying-down lesson help with sciatica too?" in mail.body
    assert f"/cms/forms/submissions/{contact.pk}/" in mail.body
    assert mail.reply_to == ["dana@example.com"]


def test_email_is_sent_only_after_the_submission_is_committed(
    client, contact, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(client, contact, VALID)
    assert FormSubmission.objects.count() == 1
    assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1


def test_invalid_input_is_shown_next_to_each_field_and_nothing_is_kept(
    client, contact, mailoutbox, django_capture_on_commit_callbacks
):
    data = {"your_name": "Dana Reader", "your_email": "not-an-address", "your_message": ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, contact, data)

    assert response.status_code == 200
    assert "home/contact_form_page.html" in template_names(response)
    html = response.content.decode()
    assert 'class="error-summary" role="alert"' in html
    assert '<a href="#id_your_email">Your email – Enter a valid email address.</a>' in html
    assert '<a href="#id_your_message">Your message – This field is required.</a>' in html
    assert 'aria-describedby="id_your_email_error"' in html
    assert 'aria-invalid="true"' in html
    assert '<ul class="form-errors" id="id_your_email_error">' in html
    assert '<ul class="form-errors" id="id_your_message_error">' in html
    # What the reader typed is still there.
    assert 'value="Dana Reader"' in html
    assert 'value="not-an-address"' in html
    assert not FormSubmission.objects.exists()
    assert mailoutbox == []


def test_filled_honeypot_looks_like_success_but_keeps_and_sends_nothing(
    client, contact, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, contact, {**VALID, "website": "http://cheap-pills.example"})

    assert response.status_code == 200
    assert "home/form_page_landing.html" in template_names(response)
    assert not FormSubmission.objects.exists()
    assert mailoutbox == []


def test_a_real_website_field_moves_the_honeypot_out_of_its_way(client, home, mailoutbox):
    page = contact_page_publish(
        home, extra_fields=[ContactFormField(label="Website", field_type="url", required=False)]
    )
    assert page.honeypot_name == "homepage"
    assert 'name="homepage"' in client.get(page.url).content.decode()

    response = post(client, page, {**VALID, "website": "https://dana.example"})
    assert "home/form_page_landing.html" in template_names(response)
    assert FormSubmission.objects.get().form_data["website"] == "https://dana.example"


def test_sixth_submission_from_one_address_is_refused_politely(client, contact):
    for _ in range(5):
        assert post(client, contact, VALID).status_code == 200
    response = post(client, contact, VALID)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Please wait 10 minutes and send it again" in html
    assert 'value="Dana Reader"' in html  # nothing to type again
    assert FormSubmission.objects.count() == 5

    other = post(client, contact, VALID, ip="198.51.100.23")
    assert other.status_code == 200
    assert "home/form_page_landing.html" in template_names(other)
    assert FormSubmission.objects.count() == 6


def test_rate_limit_follows_the_settings_and_ends_with_its_window(client, contact, settings):
    settings.FORM_RATE_LIMIT = 1
    settings.FORM_RATE_WINDOW_SECONDS = 1
    assert post(client, contact, VALID).status_code == 200
    refused = post(client, contact, VALID)
    assert refused.status_code == 429
    assert "Please wait 1 minute and send it again" in refused.content.decode()
    time.sleep(1.1)
    assert post(client, contact, VALID).status_code == 200
    assert FormSubmission.objects.count() == 2


def test_mistakes_do_not_count_against_the_rate_limit(client, contact, settings):
    settings.FORM_RATE_LIMIT = 1
    for _ in range(3):
        assert post(client, contact, {**VALID, "your_email": "oops"}).status_code == 200
    assert post(client, contact, VALID).status_code == 200
    assert FormSubmission.objects.count() == 1


def test_submission_is_kept_and_reader_thanked_when_mail_server_is_down(
    client, contact, settings, caplog, django_capture_on_commit_callbacks, django_user_model
):
    # A real SMTP client talking to a port where nothing listens.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2

    with (
        caplog.at_level(logging.ERROR, logger="home.form_submissions"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(client, contact, VALID)

    assert response.status_code == 200
    assert "home/form_page_landing.html" in template_names(response)
    submission = FormSubmission.objects.get(page=contact)
    assert "could not be emailed" in caplog.text
    assert f"Form submission {submission.pk} to page {contact.pk}" in caplog.text

    # The author still finds it in the CMS.
    admin = django_user_model.objects.create_superuser("author", AUTHOR, "pw-long-123!")
    client.force_login(admin)
    listing = client.get(f"/cms/forms/submissions/{contact.pk}/")
    assert listing.status_code == 200
    assert "Does the lying-down lesson help with sciatica too?" in listing.content.decode()


def test_form_pages_live_directly_under_the_home_page_only(home, contact):
    for model in (ContactFormPage, FeedbackFormPage):
        assert model.can_create_at(home)
        assert not model.can_create_at(contact)
        assert not model.can_create_at(Page.get_first_root_node())
        assert model.allowed_subpage_models() == []
    assert ContactFormPage in HomePage.allowed_subpage_models()


def test_author_can_open_the_add_form_in_the_cms(client, home, django_user_model):
    admin = django_user_model.objects.create_superuser("author", AUTHOR, "pw-long-123!")
    client.force_login(admin)
    for model_name in ("contactformpage", "feedbackformpage"):
        response = client.get(f"/cms/pages/add/home/{model_name}/{home.pk}/")
        assert response.status_code == 200


def test_demo_creates_both_forms_once_and_keeps_the_authors_edits(client, home):
    written = forms_demo_create(home=home)
    assert len(written) == 2
    contact = ContactFormPage.objects.get()
    feedback = FeedbackFormPage.objects.get()
    assert (contact.slug, contact.title, contact.live) == ("contact", "Contact", True)
    assert (feedback.slug, feedback.title, feedback.live) == (
        "feedback",
        "Give your feedback on the exercise",
        True,
    )
    assert [f.clean_name for f in contact.form_fields.all()] == [
        "your_name",
        "your_email",
        "your_message",
    ]
    labels = {f.label: f for f in feedback.form_fields.all()}
    assert not labels["Your email"].required
    feel = labels["How does your back feel now compared with before?"]
    assert (feel.field_type, feel.choices) == ("radio", "Better\nThe same\nWorse")
    assert CONTACT_INTRO in client.get("/contact/").content.decode()

    contact.title = "Ask me anything"
    contact.intro = "<p>My own words.</p>"
    contact.save_revision().publish()
    revisions = (contact.revisions.count(), feedback.revisions.count())

    assert forms_demo_create(home=home) == []
    contact.refresh_from_db()
    assert (contact.title, contact.intro) == ("Ask me anything", "<p>My own words.</p>")
    assert (contact.revisions.count(), feedback.revisions.count()) == revisions
    assert ContactFormPage.objects.count() == FeedbackFormPage.objects.count() == 1


def test_demo_leaves_a_taken_slug_alone(home):
    contact_page_publish(home, slug="feedback")  # a contact page someone put at /feedback/
    assert forms_demo_create(home=home) == []
    assert not FeedbackFormPage.objects.exists()


def test_feedback_on_the_exercise_with_its_how_does_it_feel_choice(
    client, home, mailoutbox, django_capture_on_commit_callbacks
):
    forms_demo_create(home=home)
    feedback = FeedbackFormPage.objects.get()
    html = client.get(feedback.url).content.decode()
    assert "<legend>How does your back feel now compared with before?" in html
    for choice in ("Better", "The same", "Worse"):
        assert f'value="{choice}"' in html
    assert '<label for="id_your_email">Your email</label>' in html  # optional: not marked

    answer = {
        "your_name": "Sam",
        "which_exercise_did_you_do": "The slow knee roll",
        "how_does_your_back_feel_now_compared_with_before": "Better",
        "comments": "Less stiff when standing up.",
    }
    bad = post(client, feedback, {**answer, "how_does_your_back_feel_now_compared_with_before": ""})
    assert 'aria-describedby="id_how_does_your_back_feel_now_compared_with_before_error"' in (
        bad.content.decode()
    )
    assert not FormSubmission.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, feedback, answer)
    assert "home/form_page_landing.html" in template_names(response)
    assert FEEDBACK_THANK_YOU in response.content.decode()
    stored = FormSubmission.objects.get(page=feedback).form_data
    assert stored["how_does_your_back_feel_now_compared_with_before"] == "Better"
    assert stored["your_email"] == ""
    assert len(mailoutbox) == 1
    assert mailoutbox[0].reply_to == []
