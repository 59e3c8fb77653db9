"""Site-wide settings the author edits under Settings: contact details, footer, trust badges,
the main navigation, and the medical disclaimer with the rules for health content."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Site

__all__ = [
    "HealthContentSettings",
    "NavigationItem",
    "NavigationSettings",
    "SiteSettings",
    "TrustBadge",
]


@register_setting(icon="site")
class SiteSettings(ClusterableModel, BaseSiteSetting):
    organisation_name = models.CharField(max_length=200, blank=True)
    postal_address = models.TextField(blank=True, help_text="One line per line of the address.")
    phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="terms of use page",
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="privacy policy page",
    )
    footer_text = models.TextField(blank=True, help_text="A short line shown in every footer.")
    copyright_notice = models.CharField(max_length=200, blank=True)
    reproduction_notice = models.CharField(
        max_length=200,
        blank=True,
        default="This article may be reproduced only in its entirety.",
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("organisation_name"),
                FieldPanel("postal_address"),
                FieldPanel("phone"),
                FieldPanel("contact_email"),
                FieldPanel("contact_page"),
            ],
            heading="Contact details",
        ),
        MultiFieldPanel(
            [
                FieldPanel("terms_page"),
                FieldPanel("privacy_page"),
                FieldPanel("footer_text"),
                FieldPanel("copyright_notice"),
                FieldPanel("reproduction_notice"),
            ],
            heading="Footer",
        ),
        InlinePanel("trust_badges", label="Trust badge", heading="Trust badges"),
    ]

    class Meta:
        verbose_name = "site settings"

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.postal_address.splitlines() if line.strip()]


class TrustBadge(Orderable):
    settings = ParentalKey(SiteSettings, on_delete=models.CASCADE, related_name="trust_badges")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    alt_text = models.CharField(max_length=200, help_text="Name the award or seal, e.g. its title.")
    link_url = models.URLField(blank=True, help_text="Optional page that confirms the badge.")

    panels = [FieldPanel("image"), FieldPanel("alt_text"), FieldPanel("link_url")]

    def __str__(self):
        return self.alt_text


@register_setting(icon="list-ul")
class NavigationSettings(ClusterableModel, BaseSiteSetting):
    panels = [InlinePanel("items", label="Menu item", heading="Main navigation")]

    class Meta:
        verbose_name = "navigation"


class NavigationItem(Orderable):
    settings = ParentalKey(NavigationSettings, on_delete=models.CASCADE, related_name="items")
    label = models.CharField(max_length=60)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    url = models.CharField(
        max_length=300,
        blank=True,
        help_text="Used when no page is chosen, e.g. /shop/ for the store.",
    )

    panels = [FieldPanel("label"), FieldPanel("page"), FieldPanel("url")]

    def __str__(self):
        return self.label

    def clean(self):
        if bool(self.page_id) == bool(self.url):
            raise ValidationError("Choose a page or enter an address, not both or neither.")
        if self.url and not self.url.startswith(("/", "https://", "http://", "mailto:")):
            raise ValidationError({"url": "Start the address with /, https:// or mailto:."})

    def href(self, request=None) -> str:
        if self.page_id:
            return self.page.get_url(request) or "#"
        return self.url


@register_setting(icon="doc-full-inverse")
class HealthContentSettings(BaseSiteSetting):
    """The medical disclaimer, and how often health pages and testimonials are checked."""

    TOP = "top"
    END = "end"

    disclaimer_heading = models.CharField(
        max_length=120, default="Medical disclaimer", help_text="The disclaimer's title."
    )
    disclaimer = RichTextField(
        blank=True,
        features=["bold", "italic", "link", "ol", "ul"],
        help_text=(
            "Shown on every page that gives health information and on the checkout page. "
            "Say that the site teaches and does not diagnose or treat, and when to see a "
            "doctor at once."
        ),
    )
    disclaimer_position = models.CharField(
        "where the disclaimer is shown",
        max_length=10,
        choices=[(TOP, "Near the top, under the title"), (END, "At the end of the page")],
        default=END,
    )
    review_every_months = models.PositiveSmallIntegerField(
        "review pages every (months)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=(
            "Pages reviewed longer ago than this are listed in Reports → Medical reviews due."
        ),
    )
    typical_results = models.TextField(
        "what most people can expect",
        blank=True,
        help_text=(
            "Shown under a testimonial whose result is not typical, e.g. 'Most people who "
            "practise 20 minutes a day feel less stiffness within two weeks.' Say only what "
            "you can back up."
        ),
    )
    check_testimonials_every_months = models.PositiveSmallIntegerField(
        "check testimonials every (months)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=(
            "A testimonial given or last checked longer ago than this is flagged under "
            "Snippets → Testimonials."
        ),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("disclaimer_heading"),
                FieldPanel("disclaimer"),
                FieldPanel("disclaimer_position"),
            ],
            heading="Medical disclaimer",
        ),
        MultiFieldPanel(
            [FieldPanel("review_every_months")],
            heading="Medical review",
        ),
        MultiFieldPanel(
            [FieldPanel("typical_results"), FieldPanel("check_testimonials_every_months")],
            heading="Testimonials",
        ),
    ]

    class Meta:
        verbose_name = "health content"

    @classmethod
    def for_default_site(cls) -> "HealthContentSettings":
        """The default site's settings, for what has no request (the CMS's reports and lists,
        rendering without a request); unsaved defaults when there is no site at all."""
        site = Site.objects.filter(is_default_site=True).first()
        return cls.for_site(site) if site is not None else cls()
