from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

__all__ = ["HomePage"]


class HomePage(Page):
    """The site's root page: the author's welcome and the way into the article and shop."""

    lead = models.CharField(
        max_length=255,
        blank=True,
        help_text="One sentence under the title, shown large.",
    )
    body = RichTextField(blank=True, help_text="The welcome text under the lead.")

    content_panels = [*Page.content_panels, FieldPanel("lead"), FieldPanel("body")]

    template = "home/home_page.html"
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = "home page"
