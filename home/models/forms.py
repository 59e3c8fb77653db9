"""The forms readers fill in: the contact form and feedback on the exercise.

Both are Wagtail form pages the author edits in the CMS. What happens to a submission (spam
checks, the rate limit, storing, the email) lives in ``home.form_submissions``.
"""

import logging

from django.conf import settings
from django.db import models
from django.template.response import TemplateResponse
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
)
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.fields import RichTextField

from home import form_submissions

logger = logging.getLogger(__name__)

__all__ = ["ContactFormField", "ContactFormPage", "FeedbackFormField", "FeedbackFormPage"]

# Names a bot expects to fill in; the first one no real field of the page uses is the trap.
HONEYPOT_NAMES = ("website", "homepage", "web_address")


def form_page_panels(*, above_form: tuple = ()) -> list:
    """The editing screen of a form page, with any page-specific panels above the form."""
    return [
        *AbstractEmailForm.content_panels,
        FormSubmissionsPanel(),
        FieldPanel("intro"),
        *above_form,
        InlinePanel("form_fields", label="Form fields"),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("to_address"), FieldPanel("from_address")]),
                FieldPanel("subject"),
            ],
            heading="Email to the author",
        ),
    ]


class ReaderFormPage(AbstractEmailForm):
    """A form page whose submissions are kept, emailed to the author and guarded from spam."""

    # One thank-you page for every form: it shows the page's own thank-you text.
    landing_page_template = "home/form_page_landing.html"

    intro = RichTextField(blank=True, help_text="Shown above the form.")
    thank_you_text = RichTextField(
        blank=True, help_text="Shown after the form was sent, in place of the form."
    )

    content_panels = form_page_panels()

    parent_page_types = ["home.HomePage"]
    subpage_types = []

    class Meta:
        abstract = True

    @property
    def honeypot_name(self) -> str:
        taken = {field.clean_name for field in self.get_form_fields()}
        return next((name for name in HONEYPOT_NAMES if name not in taken), "contact_website")

    def process_form_submission(self, form):
        return form_submissions.submission_store(page=self, form=form)

    def render_form(self, request, form, *, rate_limited: bool = False) -> TemplateResponse:
        context = self.get_context(request)
        context["form"] = form
        context["rate_limited"] = rate_limited
        context["rate_window_minutes"] = max(1, settings.FORM_RATE_WINDOW_SECONDS // 60)
        return TemplateResponse(
            request, self.get_template(request), context, status=429 if rate_limited else 200
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["honeypot_name"] = self.honeypot_name
        return context

    def serve(self, request, *args, **kwargs):
        if request.method != "POST":
            form = self.get_form(page=self, user=request.user)
            return self.render_form(request, form)

        if request.POST.get(self.honeypot_name):
            # A bot filled the hidden field: let it believe it succeeded, keep nothing.
            logger.info("Form on page %s: honeypot filled, ignored", self.pk)
            return self.render_landing_page(request, None, *args, **kwargs)

        form = self.get_form(request.POST, request.FILES, page=self, user=request.user)
        if not form.is_valid():
            return self.render_form(request, form)
        # Counted only once the form is valid: corrections a reader makes cost them nothing.
        if not form_submissions.rate_limit_spend(
            page_id=self.pk, client_ip=form_submissions.request_client_ip(request)
        ):
            return self.render_form(request, form, rate_limited=True)
        submission = self.process_form_submission(form)
        return self.render_landing_page(request, submission, *args, **kwargs)


class ContactFormField(AbstractFormField):
    page = ParentalKey("ContactFormPage", on_delete=models.CASCADE, related_name="form_fields")


class ContactFormPage(ReaderFormPage):
    """The contact form: readers write to the author."""

    template = "home/contact_form_page.html"

    class Meta:
        verbose_name = "contact form page"


class FeedbackFormField(AbstractFormField):
    page = ParentalKey("FeedbackFormPage", on_delete=models.CASCADE, related_name="form_fields")


class FeedbackFormPage(ReaderFormPage):
    """Readers do the exercise shown in the article's video, then say here how it went."""

    exercise_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The page whose video shows the exercise; linked above the form.",
    )

    content_panels = form_page_panels(above_form=(FieldPanel("exercise_page"),))

    template = "home/feedback_form_page.html"

    class Meta:
        verbose_name = "feedback form page"
