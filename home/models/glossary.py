"""The glossary: the medical words the article uses, each explained in plain language, and
the page that lists them from A to Z."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import redirect
from django.utils.html import strip_tags
from django.utils.text import slugify
from wagtail.admin.panels import FieldPanel, TitleFieldPanel
from wagtail.admin.widgets.slug import SlugInput
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from home.content_changes import GLOSSARY, content_memo
from home.glossary.letters import (
    OTHER_LETTER,
    glossary_entry_url,
    glossary_is_split,
    glossary_sections,
)

__all__ = ["GlossaryPage", "GlossaryTerm"]

# A definition is a few plain sentences: emphasis and a link, nothing that needs a layout.
DEFINITION_FEATURES = ["bold", "italic", "link"]


class TermFieldPanel(TitleFieldPanel):
    """The term field, filling in the slug as the author types a new term.

    Once a term exists its slug stays put while the term is edited: articles and other
    sites may already link to its anchor on the glossary page.
    """

    class BoundPanel(TitleFieldPanel.BoundPanel):
        def get_should_apply(self):
            return self.instance.pk is None


class GlossaryTermManager(models.Manager):
    def cached(self) -> list["GlossaryTerm"]:
        """Every term, read from the database once per process and change to the glossary."""
        memo = content_memo(GLOSSARY)
        if "terms" not in memo:
            memo["terms"] = list(self.all())
        return memo["terms"]


class GlossaryTerm(index.Indexed, models.Model):
    """A word or phrase from the article with a plain-language definition."""

    term = models.CharField(
        max_length=120,
        help_text="The word or phrase as readers meet it in the article, e.g. 'Sciatica'.",
    )
    slug = models.SlugField(
        max_length=120,
        unique=True,
        blank=True,
        help_text=(
            "The term's address on the glossary page (#term-<slug>). "
            "Left blank, it is made from the term."
        ),
    )
    definition = RichTextField(
        features=DEFINITION_FEATURES,
        help_text="A few plain sentences a reader with no medical training understands.",
    )
    source = models.CharField(
        max_length=255,
        blank=True,
        help_text="Where the definition comes from, e.g. a book title.",
    )
    also_matches = models.CharField(
        max_length=255,
        blank=True,
        help_text=(
            "Other spellings, plurals or related words that should link to this term, "
            "separated by commas, e.g. 'sciatic, sciatic nerve'."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GlossaryTermManager()

    panels = [
        TermFieldPanel("term", placeholder=False),
        # The model's SlugField accepts ASCII only, so the admin must not type others.
        FieldPanel("slug", widget=SlugInput(attrs={"data-w-slug-allow-unicode-value": False})),
        FieldPanel("definition"),
        FieldPanel("source"),
        FieldPanel("also_matches"),
    ]
    # The site search finds a term by itself, its other spellings and its definition.
    search_fields = [
        index.SearchField("term", boost=3),
        index.SearchField("also_matches", boost=2),
        index.SearchField("definition"),
        index.AutocompleteField("term"),
    ]

    class Meta:
        ordering = [Lower("term")]
        verbose_name = "glossary term"
        constraints = [
            # The form reports duplicates first (see clean); this only guards other writers.
            models.UniqueConstraint(Lower("term"), name="home_glossaryterm_term_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.term

    def save(self, *args, **kwargs):
        # Terms made in code (demo content, factories) get a slug without going through a form.
        self.slug = (self.slug or self.slug_for(self.term)).lower()
        super().save(*args, **kwargs)

    @staticmethod
    def slug_for(term: str) -> str:
        """The slug a term gets when the author leaves the slug blank."""
        return slugify(term)[:120]

    @property
    def phrases(self) -> list[str]:
        """The term and each of its other spellings, as the article may write them."""
        others = (part.strip() for part in self.also_matches.split(","))
        return [self.term.strip(), *(part for part in others if part)]

    def clean(self) -> None:
        """Report a term or slug already in the glossary, ignoring case, on its own field."""
        super().clean()
        self.term = self.term.strip()
        slug_was_blank = not self.slug
        # Slugs are compared and stored in lower case so 'Sciatica' and 'sciatica' clash.
        self.slug = (self.slug or self.slug_for(self.term)).lower()
        others = GlossaryTerm.objects.exclude(pk=self.pk)
        errors = {}
        if self.term and others.filter(term__iexact=self.term).exists():
            errors["term"] = f"The glossary already has the term '{self.term}'."
        if self.slug and others.filter(slug__iexact=self.slug).exists():
            if slug_was_blank:
                message = (
                    f"Another term already uses the slug '{self.slug}' made from this term. "
                    "Please type a different slug."
                )
            else:
                message = f"Another term already uses the slug '{self.slug}'."
            errors["slug"] = message
        # The editor sends an empty paragraph when nothing was typed: that is no definition.
        if not strip_tags(self.definition or "").strip():
            errors["definition"] = "Write what the term means, in plain words."
        if errors:
            raise ValidationError(errors)


class GlossaryPage(RoutablePageMixin, Page):
    """Every glossary term from A to Z, each with an anchor the article links to.

    A long glossary is shown a letter a page (``<letter>/``), so no page grows with it.
    """

    # The definitions are health information: the medical disclaimer is shown with them.
    gives_health_information = True

    intro = RichTextField(
        blank=True,
        features=["bold", "italic", "link", "ol", "ul"],
        help_text="A few words above the letters: what the glossary is for.",
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    template = "home/glossary_page.html"
    parent_page_types = ["home.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = "glossary page"

    @path("")
    def all_letters(self, request):
        return self.render(request)

    @re_path(r"^(?P<letter>[a-z]|other)/$")
    def one_letter(self, request, letter):
        if not glossary_is_split(GlossaryTerm.objects.cached()):
            raise Http404("The glossary is on one page.")
        shown = OTHER_LETTER if letter == "other" else letter.upper()
        return self.render(request, letter=shown)

    @re_path(r"^term/(?P<slug>[-a-z0-9_]+)/$")
    def term(self, request, slug):
        """Where a term's entry is now: links made before the glossary was split still work."""
        terms = GlossaryTerm.objects.cached()
        for term in terms:
            if term.slug == slug:
                split = glossary_is_split(terms)
                return redirect(glossary_entry_url(self.get_url(request), term, split=split))
        raise Http404("No such term.")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        letter = kwargs.get("letter")
        sections = glossary_sections(GlossaryTerm.objects.cached(), letter)
        context["sections"] = sections
        context["term_count"] = sum(section.count for section in sections)
        context["letter"] = letter
        context["split"] = any(section.path for section in sections)
        return context
