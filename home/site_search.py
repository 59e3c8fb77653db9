"""The site search: pages, glossary terms and the program, with the reader's words marked."""

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from oscar.core.loading import get_model
from wagtail.models import Page, Site
from wagtail.search.backends import get_search_backend

from home.glossary.selectors import glossary_page_url, glossary_term_url
from home.models import GlossaryPage, GlossaryTerm, HomePage, QAPage

# Enough for a reader to page through; a query matching more than this needs other words.
MAX_HITS_PER_KIND = 100
EXCERPT_CHARS = 220
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class SearchHit:
    kind: str
    title: str
    url: str
    excerpt: str


def query_words(*, query: str) -> list[str]:
    """The words of a query worth matching, longest first so longer matches win."""
    words = {word for word in re.findall(r"\w+", query[:MAX_QUERY_CHARS]) if len(word) > 1}
    return sorted(words, key=lambda word: (-len(word), word.lower()))


def _pattern(words: list[str]) -> re.Pattern | None:
    if not words:
        return None
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def text_highlight(*, text: str, words: list[str]) -> SafeString:
    """The text, escaped, with each occurrence of the query's words wrapped in <mark>."""
    pattern = _pattern(words)
    if pattern is None:
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308  every piece escaped above


def text_excerpt(*, text: str, words: list[str]) -> str:
    """About EXCERPT_CHARS of the text around the first matching word."""
    text = " ".join(text.split())
    if len(text) <= EXCERPT_CHARS:
        return text
    pattern = _pattern(words)
    match = pattern.search(text) if pattern else None
    start = max(0, (match.start() if match else 0) - EXCERPT_CHARS // 3)
    excerpt = text[start : start + EXCERPT_CHARS]
    return f"{'… ' if start else ''}{excerpt}{' …' if start + EXCERPT_CHARS < len(text) else ''}"


def page_search_text(*, page: Page, words: list[str]) -> str:
    """The part of a page's text that best shows why it matched."""
    candidates = [page.search_description, getattr(page, "lead", "")]
    intro = getattr(page, "intro", "")
    if intro:
        candidates.append(strip_tags(intro))
    for block in getattr(page, "body", None) or []:
        candidates += [strip_tags(text) for text in block.block.get_searchable_content(block.value)]
    candidates = [text for text in candidates if text and text.strip()]
    pattern = _pattern(words)
    for text in candidates:
        if pattern and pattern.search(text):
            return text
    return candidates[0] if candidates else ""


def site_search(*, query: str, site: Site | None) -> list[SearchHit]:
    """Pages, glossary terms and products matching the query, pages first."""
    words = query_words(query=query)
    if not words:
        return []
    text = " ".join(words)
    backend = get_search_backend()

    pages = Page.objects.live().public()
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    page_results = list(backend.search(text, pages)[:MAX_HITS_PER_KIND])
    specific = Page.objects.filter(pk__in=[p.pk for p in page_results]).specific().in_bulk()
    hits = [
        SearchHit(
            kind="Page",
            title=page.title,
            url=page.get_url(current_site=site) or "",
            excerpt=page_search_text(page=page, words=words),
        )
        for page in (specific[p.pk] for p in page_results if p.pk in specific)
    ]

    glossary_url = glossary_page_url(site) or ""
    for term in backend.search(text, GlossaryTerm)[:MAX_HITS_PER_KIND]:
        hits.append(
            SearchHit(
                kind="Glossary",
                title=term.term,
                url=glossary_term_url(glossary_url, term) if glossary_url else "",
                excerpt=strip_tags(term.definition),
            )
        )

    product_model = get_model("catalogue", "Product")
    matches = Q()
    for word in words:
        matches &= Q(title__icontains=word) | Q(description__icontains=word)
    for product in product_model.objects.browsable().filter(matches)[:MAX_HITS_PER_KIND]:
        hits.append(
            SearchHit(
                kind="Program",
                title=product.get_title(),
                url=product.get_absolute_url(),
                excerpt=strip_tags(product.description),
            )
        )
    return hits


def search_suggestions(*, site: Site | None) -> list[Page]:
    """Where a reader who found nothing may look next: the glossary, the Q&A, the article."""
    suggestions = []
    for model in (GlossaryPage, QAPage, HomePage):
        pages = model.objects.live().public()
        if site is not None:
            pages = pages.descendant_of(site.root_page, inclusive=True)
        page = pages.order_by("path").first()
        if page is not None:
            suggestions.append(page)
    return suggestions
