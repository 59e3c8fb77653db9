"""Demo content for the contact and feedback forms: created once, never overwriting edits."""

from email.utils import parseaddr

from django.conf import settings
from django.db import transaction
from wagtail.models import Page

from home.models import ContactFormField, ContactFormPage, FeedbackFormField, FeedbackFormPage

CONTACT_INTRO = (
    "<p>Have a question about the exercises, or about your own back? Write to me here. "
    "I read every message myself and usually answer within a few days.</p>"
)
CONTACT_THANK_YOU = (
    "<p>Thank you for writing. Your message has reached me, and I will answer "
    "at the email address you gave.</p>"
)
FEEDBACK_INTRO = (
    "<p>Did you try the exercise from the video in the article? I would love to hear how it "
    "went. Do it slowly, once or twice, then take a minute to tell me which one you did and "
    "how your back feels now. Your answers help me explain the movements better.</p>"
)
FEEDBACK_THANK_YOU = (
    "<p>Thank you for trying the exercise and for telling me about it. "
    "Every answer helps me improve the lessons for the next reader.</p>"
)

# (label, field type, required, choices)
CONTACT_FIELDS = [
    ("Your name", "singleline", True, ""),
    ("Your email", "email", True, ""),
    ("Your message", "multiline", True, ""),
]
FEEDBACK_FIELDS = [
    ("Your name", "singleline", True, ""),
    ("Your email", "email", False, ""),
    ("Which exercise did you do?", "singleline", True, ""),
    ("How does your back feel now compared with before?", "radio", True, "Better\nThe same\nWorse"),
    ("Comments", "multiline", False, ""),
]


def _author_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _form_page_add(*, home: Page, page: Page, field_class, fields: list) -> bool:
    """Publish ``page`` under ``home`` with its fields, unless its slug is already taken."""
    if home.get_children().filter(slug=page.slug).exists():
        return False
    page.form_fields = [
        field_class(label=label, field_type=field_type, required=required, choices=choices)
        for label, field_type, required, choices in fields
    ]
    home.add_child(instance=page)
    page.save_revision().publish()
    return True


@transaction.atomic
def forms_demo_create(*, home: Page) -> list[str]:
    """Create and publish the contact and feedback pages under ``home`` where none exists yet.

    Returns what was written. Safe to run again: a page of either kind anywhere under
    ``home``, edited or not, is left as it is.
    """
    written = []
    if not ContactFormPage.objects.descendant_of(home).exists() and _form_page_add(
        home=home,
        page=ContactFormPage(
            title="Contact",
            slug="contact",
            intro=CONTACT_INTRO,
            thank_you_text=CONTACT_THANK_YOU,
            to_address=_author_address(),
            subject="A message from the contact form",
        ),
        field_class=ContactFormField,
        fields=CONTACT_FIELDS,
    ):
        written.append("contact page 'Contact'")
    if not FeedbackFormPage.objects.descendant_of(home).exists() and _form_page_add(
        home=home,
        page=FeedbackFormPage(
            title="Give your feedback on the exercise",
            slug="feedback",
            intro=FEEDBACK_INTRO,
            thank_you_text=FEEDBACK_THANK_YOU,
            to_address=_author_address(),
            subject="Feedback on the exercise",
        ),
        field_class=FeedbackFormField,
        fields=FEEDBACK_FIELDS,
    ):
        written.append("feedback page 'Give your feedback on the exercise'")
    return written
