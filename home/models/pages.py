"""Page types. Every page names its template and where it may sit in the tree, so the admin
only offers what makes sense."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from modelcluster.fields import ParentalKey
from rest_framework.fields import Field
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from home.blocks import INLINE_FEATURES, PARAGRAPH_FEATURES, ArticleStreamBlock
from home.content_changes import content_version
from home.models.medical_review import HealthContent
from home.models.snippets import Testimonial
from home.serializers import AuthorProfileSerializer, MedicalReviewerSerializer
from web.content_security import frames_allow_video

__all__ = [
    "ArticlePage",
    "HomePage",
    "QAItem",
    "QAPage",
    "SiteContentsPage",
    "StandardPage",
    "TestimonialsPage",
]

# Blocks in which the first mention of a glossary term is linked to its definition.
GLOSSARY_LINKED_BLOCKS = ("paragraph", "bullet_list", "callout")

# Page types that sit directly under the home page.
SECTION_PAGE_TYPES = [
    "home.ArticlePage",
    "home.GlossaryPage",
    "home.ContactFormPage",
    "home.FeedbackFormPage",
    "home.StandardPage",
    "home.QAPage",
    "home.TestimonialsPage",
    "home.SiteContentsPage",
]


class SnippetField(Field):
    """A snippet the page points to (its author, its reviewer) as the content API shows it,
    in the same shape as the snippet's own endpoint (/api/authors/, /api/reviewers/)."""

    def __init__(self, serializer_class, **kwargs):
        self.serializer_class = serializer_class
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, snippet):
        return self.serializer_class(snippet, context=self.context).data


def _list_field(help_text: str) -> StreamField:
    return StreamField(
        [("item", blocks.CharBlock(max_length=150, label="Item"))],
        blank=True,
        help_text=help_text,
    )


HEALTH_API_FIELDS = [
    APIField("condition"),
    APIField("reviewed_by", serializer=SnippetField(MedicalReviewerSerializer)),
    APIField("last_reviewed_on"),
    APIField("last_updated_on"),
]


class ArticleContent(HealthContent):
    """The fields of a long article: the home page carries one, and so does each ArticlePage."""

    # Every article gives health information: the medical disclaimer is shown on it.
    gives_health_information = True

    lead = models.TextField(blank=True, help_text="The opening lines, shown large under the title.")
    symptoms_heading = models.CharField(
        max_length=150, blank=True, default="Do you have some of these symptoms?"
    )
    symptoms = _list_field("The first list at the top of the page, one item each.")
    tried_heading = models.CharField(
        max_length=150, blank=True, default="Have you already tried ...?"
    )
    tried = _list_field("The second list at the top of the page, one item each.")
    author = models.ForeignKey(
        "home.AuthorProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown as the byline with the article's date.",
    )
    article_date = models.DateField(
        null=True, blank=True, help_text="The date in the byline; the first publication if empty."
    )
    body = StreamField(ArticleStreamBlock(), blank=True)
    link_glossary_terms = models.BooleanField(
        default=True,
        help_text="Link the first mention of each glossary term to its plain-language meaning.",
    )
    show_trust_badges = models.BooleanField(
        default=True, help_text="Show the trust badges from the site settings under the lists."
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("lead"),
        MultiFieldPanel(
            [
                FieldPanel("symptoms_heading"),
                FieldPanel("symptoms"),
                FieldPanel("tried_heading"),
                FieldPanel("tried"),
            ],
            heading="Lists at the top",
        ),
        MultiFieldPanel([FieldPanel("author"), FieldPanel("article_date")], heading="Byline"),
        *HealthContent.health_panels,
        FieldPanel("body"),
    ]
    settings_panels = [
        *Page.settings_panels,
        FieldPanel("link_glossary_terms"),
        FieldPanel("show_trust_badges"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("lead"),
        index.SearchField("body"),
    ]
    api_fields = [
        APIField("lead"),
        APIField("symptoms_heading"),
        APIField("symptoms"),
        APIField("tried_heading"),
        APIField("tried"),
        APIField("author", serializer=SnippetField(AuthorProfileSerializer)),
        APIField("article_date"),
        *HEALTH_API_FIELDS,
        APIField("body"),
    ]

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    @property
    def updated_date(self):
        """When the article last changed in substance: the author's date, else its first."""
        return self.last_updated_on or self.byline_date

    @property
    def byline_date(self):
        if self.article_date:
            return self.article_date
        published = self.first_published_at or self.last_published_at
        return published.date() if published else None

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # The author's own prose; quotes, offers and link lists are left as they are.
        context["linkable_blocks"] = GLOSSARY_LINKED_BLOCKS
        # The article as rendered is kept until the page is published again or any content
        # changes; a preview shows unsaved edits and is never kept.
        if self.live and not getattr(request, "is_preview", False):
            context["article_cache_key"] = (
                f"{self.pk}.{self.live_revision_id}.{content_version(request=request)}."
                f"{request.scheme}.{request.get_host()}"
            )
        # Said here rather than only by the video blocks, which a kept article skips.
        if self.shows_video():
            frames_allow_video(request)
        return context

    def shows_video(self) -> bool:
        """Whether a block plays a video, read from the stored body without loading it."""
        return any(
            block["type"] == "video"
            or (block["type"] == "recording" and (block.get("value") or {}).get("video_url"))
            for block in self.body.raw_data
        )

    def section_headings(self) -> list[tuple[str, str]]:
        """(anchor, text) of each top-level section, for the table of contents."""
        return [
            (block.value["anchor"] or slugify(block.value["text"]), block.value["text"])
            for block in self.body
            if block.block_type == "heading" and block.value["level"] == "h2"
        ]


class HomePage(ArticleContent, Page):
    """The site's root page; it carries the main article."""

    template = "home/article_page.html"
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = SECTION_PAGE_TYPES
    max_count = 1

    class Meta:
        verbose_name = "home page"


class ArticlePage(ArticleContent, Page):
    """A long article with the same parts as the home page's."""

    template = "home/article_page.html"
    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = []

    class Meta:
        verbose_name = "article"


class StandardPage(Page):
    """A plain page: about pages, one-on-one sessions, webinar recordings."""

    lead = models.TextField(blank=True)
    body = StreamField(ArticleStreamBlock(), blank=True)
    gives_health_information = models.BooleanField(
        "gives health information",
        default=True,
        help_text=(
            "Show the medical disclaimer on this page. Untick for pages such as the terms "
            "of use or the privacy policy."
        ),
    )

    content_panels = [*Page.content_panels, FieldPanel("lead"), FieldPanel("body")]
    settings_panels = [*Page.settings_panels, FieldPanel("gives_health_information")]
    search_fields = [*Page.search_fields, index.SearchField("lead"), index.SearchField("body")]
    api_fields = [APIField("lead"), APIField("body")]

    template = "home/standard_page.html"
    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = ["home.StandardPage", "home.ArticlePage"]

    class Meta:
        verbose_name = "standard page"


class QAPage(HealthContent, Page):
    """Questions and answers, in the author's order, each with its own anchor."""

    gives_health_information = True

    intro = RichTextField(blank=True, features=INLINE_FEATURES)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        *HealthContent.health_panels,
        InlinePanel("items", label="Question", min_num=1),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    api_fields = [APIField("intro"), *HEALTH_API_FIELDS, APIField("items")]

    template = "home/qa_page.html"
    parent_page_types = ["home.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = "questions and answers page"


class QAItem(Orderable):
    page = ParentalKey(QAPage, on_delete=models.CASCADE, related_name="items")
    question = models.CharField(max_length=250)
    answer = RichTextField(features=PARAGRAPH_FEATURES)
    anchor = models.SlugField(
        max_length=80, blank=True, help_text="Link target; made from the question when empty."
    )

    panels = [FieldPanel("question"), FieldPanel("answer"), FieldPanel("anchor")]
    api_fields = [APIField("question"), APIField("answer"), APIField("anchor")]

    def __str__(self):
        return self.question

    def clean(self):
        if not self.anchor:
            self.anchor = slugify(self.question)[:80].strip("-") or "question"
        if self.page_id and (
            QAItem.objects.filter(page_id=self.page_id, anchor=self.anchor)
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError({"anchor": "Another question on this page has this anchor."})


class TestimonialsPage(Page):
    """Every testimonial and letter of reference that may be published."""

    # Testimonials speak of health results: the disclaimer goes with them.
    gives_health_information = True

    intro = RichTextField(blank=True, features=INLINE_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    template = "home/testimonials_page.html"
    parent_page_types = ["home.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = "testimonials page"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["testimonials"] = Testimonial.objects.publishable()
        return context


class SiteContentsPage(Page):
    """A map of the site, generated from the page tree."""

    intro = RichTextField(blank=True, features=INLINE_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    template = "home/site_contents_page.html"
    parent_page_types = ["home.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = "site contents page"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        site = self.get_site()
        root = site.root_page if site else self.get_parent()
        # One query for the whole tree, in tree order; depth drives the indentation.
        context["entries"] = [
            (page, page.depth - root.depth)
            for page in root.get_descendants(inclusive=True).live().public().order_by("path")
        ]
        return context
