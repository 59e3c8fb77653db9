"""Snippets the author keeps once and uses on many pages: author profiles and testimonials."""

from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index
from wagtail.snippets.models import register_snippet

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


@register_snippet
class Testimonial(index.Indexed, models.Model):
    """A testimonial or letter of reference, published only with the person's consent."""

    LETTER = "letter"
    TESTIMONIAL = "testimonial"

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
    date = models.DateField(null=True, blank=True)
    consent_to_publish = models.BooleanField(
        default=False,
        help_text="Tick only when the person has agreed to publication of these words.",
    )

    panels = [
        FieldPanel("kind"),
        FieldPanel("quote"),
        FieldPanel("person"),
        FieldPanel("credentials"),
        FieldPanel("organisation"),
        FieldPanel("place"),
        FieldPanel("date"),
        FieldPanel("consent_to_publish"),
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

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.quote.split("\n\n") if p.strip()]
