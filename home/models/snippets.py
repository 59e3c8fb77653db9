"""Snippets the author keeps once and uses on many pages: author profiles and testimonials."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from home.models.medical_review import future_date_errors, months_before

__all__ = ["AuthorProfile", "Testimonial"]


@register_snippet
class AuthorProfile(index.Indexed, models.Model):
    """Who wrote an article: shown as its byline with credentials and links."""

    name = models.CharField(max_length=120)
    credentials = models.CharField(
        max_length=200,
        blank=True,
        help_text="Shown under the name, e.g. 'Certified Practitioner, Hanna Somatic Education'.",
    )
    post_nominals = models.CharField(
        max_length=40, blank=True, help_text="Letters after the name, e.g. C.H.S.E."
    )
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bio = models.TextField(blank=True, help_text="Two or three sentences about the author.")
    linkedin_url = models.URLField("LinkedIn profile", blank=True)
    personal_page_url = models.URLField("personal page", blank=True)
    publications_url = models.URLField("publications", blank=True)
    credentials_url = models.URLField("credentials page", blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("post_nominals"),
        FieldPanel("credentials"),
        FieldPanel("photo"),
        FieldPanel("bio"),
        MultiFieldPanel(
            [
                FieldPanel("linkedin_url"),
                FieldPanel("personal_page_url"),
                FieldPanel("publications_url"),
                FieldPanel("credentials_url"),
            ],
            heading="Links",
        ),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = "author profile"

    def __str__(self):
        return self.name

    @property
    def links(self) -> list[tuple[str, str]]:
        candidates = [
            ("LinkedIn", self.linkedin_url),
            ("Personal page", self.personal_page_url),
            ("Publications", self.publications_url),
            ("Credentials", self.credentials_url),
        ]
        return [(label, url) for label, url in candidates if url]


class TestimonialQuerySet(models.QuerySet):
    def publishable(self) -> "TestimonialQuerySet":
        """Those the person agreed to publish, with when and how they agreed on record."""
        return self.filter(consent_to_publish=True, consent_given_on__isnull=False).exclude(
            consent_method=""
        )

    def with_checked_from(self) -> "TestimonialQuerySet":
        """Each with ``checked_from``: the day its words were last known to stand (the last
        check, else the day they were given, else the day of consent)."""
        return self.annotate(checked_from=Coalesce("checked_on", "date", "consent_given_on"))

    def with_check_due(
        self, *, months: int, today: datetime.date | None = None
    ) -> "TestimonialQuerySet":
        """Each with ``checked_from`` and ``check_due``: whether its words were given or last
        checked more than ``months`` ago, or never dated at all."""
        cutoff = months_before(today or timezone.localdate(), months)
        return self.with_checked_from().annotate(
            check_due=ExpressionWrapper(
                Q(checked_from__lt=cutoff) | Q(checked_from__isnull=True),
                output_field=models.BooleanField(),
            )
        )

    def due_for_check(self, *, months: int, today: datetime.date | None = None):
        """Those whose words were given or last checked more than ``months`` ago, or never
        dated at all."""
        return self.with_check_due(months=months, today=today).filter(check_due=True)


# Registered with its own listing in home/wagtail_hooks.py (TestimonialViewSet).
class Testimonial(index.Indexed, models.Model):
    """A testimonial or letter of reference, published only with the person's recorded
    consent, and with the wording the rules on endorsements ask for (the result is not
    typical; the person received something or knows the author)."""

    LETTER = "letter"
    TESTIMONIAL = "testimonial"

    CONSENT_METHODS = [
        ("signed_form", "Signed consent form"),
        ("email", "Email from the person"),
        ("online_form", "Online form on this site"),
        ("letter", "Letter from the person"),
        ("spoken", "Said aloud, recorded with their permission"),
    ]

    TYPICAL = "typical"
    NOT_TYPICAL = "not_typical"
    NO_RESULT = "no_result"
    RESULTS = [
        (TYPICAL, "Typical: most people who follow the program get a result like this"),
        (NOT_TYPICAL, "Not typical: better than most people get, or not known to be typical"),
        (NO_RESULT, "Describes no result (e.g. a letter about the author's work)"),
    ]

    NO_CONNECTION = "none"
    CONNECTIONS = [
        (NO_CONNECTION, "None: no payment, gift, discount or personal tie"),
        ("free_program", "Received the program or a session free"),
        ("paid", "Was paid for the testimonial"),
        ("discount", "Received a discount or another reward"),
        ("family_or_friend", "Is a relative or friend of the author"),
        ("business", "Works or does business with the author"),
    ]

    kind = models.CharField(
        max_length=20,
        choices=[(LETTER, "Letter of reference"), (TESTIMONIAL, "Testimonial")],
        default=TESTIMONIAL,
    )
    quote = models.TextField(help_text="Their words. Blank lines separate paragraphs.")
    person = models.CharField(max_length=120)
    credentials = models.CharField(max_length=200, blank=True, help_text="e.g. D.O., M.P.H.")
    organisation = models.CharField(max_length=200, blank=True)
    place = models.CharField(max_length=120, blank=True, help_text="Town, state or country.")
    date = models.DateField(null=True, blank=True, help_text="When the person gave these words.")
    consent_to_publish = models.BooleanField(
        default=False,
        help_text=(
            "Tick only when the person has agreed to publication of these words. It is shown "
            "only once the day and the way they agreed are recorded below."
        ),
    )
    consent_given_on = models.DateField(
        "consent given on", null=True, blank=True, help_text="The day the person agreed."
    )
    consent_method = models.CharField(
        "how consent was given",
        max_length=20,
        choices=CONSENT_METHODS,
        blank=True,
    )
    consent_note = models.CharField(
        "where the consent is kept",
        max_length=250,
        blank=True,
        help_text=(
            "So you can show it if asked, e.g. 'Email of 12 March 2025, Testimonials folder'."
        ),
    )
    result = models.CharField(
        "is the result typical?",
        max_length=20,
        choices=RESULTS,
        default=NOT_TYPICAL,
        help_text=(
            "When it is not typical, the page says so under the testimonial, with what most "
            "people can expect (Settings → Health content)."
        ),
    )
    connection = models.CharField(
        "did the person receive anything, or know you?",
        max_length=20,
        choices=CONNECTIONS,
        default=NO_CONNECTION,
        help_text="Anything other than 'None' is stated under the testimonial.",
    )
    connection_details = models.CharField(
        "details of the connection",
        max_length=250,
        blank=True,
        help_text="Optional, in plain words, e.g. 'She received a free copy of the program.'",
    )
    checked_on = models.DateField(
        "last checked on",
        null=True,
        blank=True,
        help_text=(
            "The day you last confirmed the person still stands by these words. A testimonial "
            "not checked for the months set under Settings → Health content is flagged."
        ),
    )

    objects = TestimonialQuerySet.as_manager()

    panels = [
        FieldPanel("kind"),
        FieldPanel("quote"),
        FieldPanel("person"),
        FieldPanel("credentials"),
        FieldPanel("organisation"),
        FieldPanel("place"),
        FieldPanel("date"),
        MultiFieldPanel(
            [
                FieldPanel("consent_to_publish"),
                FieldPanel("consent_given_on"),
                FieldPanel("consent_method"),
                FieldPanel("consent_note"),
            ],
            heading="Consent",
        ),
        MultiFieldPanel(
            [
                FieldPanel("result"),
                FieldPanel("connection"),
                FieldPanel("connection_details"),
                FieldPanel("checked_on"),
            ],
            heading="What readers must be told",
        ),
    ]
    search_fields = [
        index.SearchField("quote"),
        index.SearchField("person"),
        index.AutocompleteField("person"),
    ]

    class Meta:
        ordering = ["-date", "person"]

    def __str__(self):
        return f"{self.person} ({self.get_kind_display().lower()})"

    def clean(self):
        super().clean()
        errors = future_date_errors(self, ("date", "consent_given_on", "checked_on"))
        if self.consent_to_publish:
            if not self.consent_given_on:
                errors["consent_given_on"] = "Give the day the person agreed to publication."
            if not self.consent_method:
                errors["consent_method"] = "Say how the person agreed to publication."
        if errors:
            raise ValidationError(errors)

    @property
    def consent_recorded(self) -> bool:
        return bool(self.consent_to_publish and self.consent_given_on and self.consent_method)

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.quote.split("\n\n") if p.strip()]
