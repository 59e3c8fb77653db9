"""Who checked the health content and when: the medical reviewers, and the review and
"last updated" dates each health page carries."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index
from wagtail.snippets.models import register_snippet

__all__ = ["HealthContent", "MedicalReviewer", "future_date_errors", "months_before"]


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months earlier (the month's last day when shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last_day))


def future_date_errors(instance, names) -> dict[str, str]:
    """A form error for each of the dates ``names`` of ``instance`` that is after today: a
    review, an update, a consent or a check cannot have happened yet."""
    today = timezone.localdate()
    return {
        name: "This date is in the future."
        for name in names
        if getattr(instance, name) and getattr(instance, name) > today
    }


@register_snippet
class MedicalReviewer(index.Indexed, models.Model):
    """A health professional who checks that a page's health information is accurate."""

    name = models.CharField(max_length=120, help_text="As the reader should see it.")
    post_nominals = models.CharField(
        max_length=60,
        blank=True,
        help_text="Letters after the name that show the qualification, e.g. D.P.T. or M.D.",
    )
    credentials = models.CharField(
        max_length=250,
        help_text=(
            "What qualifies them to check the page, in plain words, e.g. "
            "'Doctor of Physical Therapy, board-certified in orthopaedics'."
        ),
    )
    profile_url = models.URLField(
        "profile page",
        blank=True,
        help_text="A page where readers can check who they are, e.g. their clinic's page.",
    )
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bio = models.TextField(blank=True, help_text="One or two sentences about their work.")

    panels = [
        FieldPanel("name"),
        FieldPanel("post_nominals"),
        FieldPanel("credentials"),
        FieldPanel("profile_url"),
        FieldPanel("photo"),
        FieldPanel("bio"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = "medical reviewer"

    def __str__(self):
        return f"{self.name}, {self.post_nominals}" if self.post_nominals else self.name


class HealthContent(models.Model):
    """The fields of a page that gives health information: the condition it is about, who
    reviewed it and when, and when it last changed in substance."""

    condition = models.CharField(
        "condition",
        max_length=120,
        blank=True,
        help_text="The condition this page is about, e.g. 'Low back pain'. Search engines read it.",
    )
    reviewed_by = models.ForeignKey(
        "home.MedicalReviewer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The health professional who checked this page.",
    )
    last_reviewed_on = models.DateField(
        "last reviewed on",
        null=True,
        blank=True,
        help_text="The day the reviewer last checked the page as it reads now.",
    )
    last_updated_on = models.DateField(
        "last updated on",
        null=True,
        blank=True,
        help_text=(
            "Set this when you change what the page says, not for a typo fix. "
            "Readers see it as 'Last updated'."
        ),
    )

    health_panels = [
        MultiFieldPanel(
            [
                FieldPanel("condition"),
                FieldPanel("reviewed_by"),
                FieldPanel("last_reviewed_on"),
                FieldPanel("last_updated_on"),
            ],
            heading="Medical review",
            help_text=(
                "Who checked the health information and when. Pages whose review is older than "
                "the months set under Settings → Health content are listed in Reports → "
                "Medical reviews due."
            ),
        )
    ]

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        errors = future_date_errors(self, ("last_reviewed_on", "last_updated_on"))
        if self.reviewed_by_id and not self.last_reviewed_on:
            errors["last_reviewed_on"] = "Give the day the reviewer checked the page."
        if self.last_reviewed_on and not self.reviewed_by_id:
            errors["reviewed_by"] = "Choose who reviewed the page, or clear the review date."
        if errors:
            raise ValidationError(errors)
