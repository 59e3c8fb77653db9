"""Links the first mention of each glossary term in the article to its definition.

The article is long and its readers are not doctors: the first time a medical word appears,
it becomes a link to the glossary with the plain-language definition in a tooltip, shown on
hover and on keyboard focus by CSS alone (``site/static/css/glossary.css``). Later mentions
stay plain text so the article does not turn into a page of links.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from django.http import HttpRequest

from home.content_changes import GLOSSARY, content_memo
from home.glossary.selectors import glossary_page_url, glossary_term_url
from home.models.glossary import GlossaryTerm
from home.prose_html import prose_texts, text_replace

__all__ = [
    "GlossaryLinker",
    "GlossaryMatcher",
    "glossary_link_first_mentions",
    "glossary_linker_for_request",
    "glossary_matcher",
]

TOOLTIP_CLASS = "glossary-tooltip"


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    term: GlossaryTerm


def _phrase_pattern(phrase: str) -> str:
    # Any run of spaces, a line break or a non-breaking space between words still matches.
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _plain_text(html: str) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


class GlossaryMatcher:
    """What finding mentions needs, built once from the terms: the phrase of each term and
    one compiled pattern for all of them. Shared, never changed after it is built."""

    def __init__(self, terms: Sequence[GlossaryTerm]):
        self.term_for_phrase: dict[str, GlossaryTerm] = {}
        for term in terms:
            for phrase in term.phrases:
                # When two terms claim the same word, the one listed first keeps it.
                self.term_for_phrase.setdefault(" ".join(phrase.casefold().split()), term)
        self.slugs = frozenset(term.slug for term in self.term_for_phrase.values())
        # Filled as terms are first linked: an article links a few of many terms.
        self.definitions: dict[str, str] = {}
        phrases = sorted(self.term_for_phrase, key=len, reverse=True)
        if phrases:
            alternatives = "|".join(_phrase_pattern(phrase) for phrase in phrases)
            # A lookahead finds every mention, overlapping ones too, so the longest can win
            # even when a shorter term starts earlier ("lower back" in "lower back pain").
            self.pattern = re.compile(rf"(?=(?<!\w)({alternatives})(?!\w))", re.IGNORECASE)
        else:
            self.pattern = None


class GlossaryLinker:
    """Links the first mention of each term across several HTML fragments, in order.

    An article is often rendered in parts (rich-text fields, StreamField blocks); one linker
    passed through them in document order links each term once in the whole article.
    """

    def __init__(
        self,
        terms: Sequence[GlossaryTerm] = (),
        glossary_url: str = "",
        *,
        matcher: GlossaryMatcher | None = None,
    ):
        self.glossary_url = glossary_url
        self.linked_slugs: set[str] = set()
        self._links_made = 0
        matcher = matcher or GlossaryMatcher(terms)
        self._term_for_phrase = matcher.term_for_phrase
        self._slugs = matcher.slugs
        self._definitions = matcher.definitions
        self._pattern = matcher.pattern

    def link(self, html: str) -> str:
        """Return ``html`` with the first mention of each term not linked before wrapped in
        a link to its glossary entry. Returns ``html`` unchanged when nothing is linked."""
        if self._pattern is None or not html or self.linked_slugs >= self._slugs:
            return html
        soup = BeautifulSoup(html, "html.parser")
        changed = False
        for text in prose_texts(soup, also_skip=self._is_tooltip):
            first_mentions = []
            for mention in self._mentions(str(text)):
                if mention.term.slug not in self.linked_slugs:
                    self.linked_slugs.add(mention.term.slug)
                    first_mentions.append(mention)
            if first_mentions:
                self._wrap(soup, text, first_mentions)
                changed = True
        return str(soup) if changed else html

    @staticmethod
    def _is_tooltip(tag: Tag) -> bool:
        return TOOLTIP_CLASS in (tag.get("class") or []) or tag.get("role") == "tooltip"

    def _mentions(self, text: str) -> list[_Mention]:
        """The mentions in ``text`` in reading order, longer phrases winning overlaps."""
        candidates = []
        for match in self._pattern.finditer(text):
            key = " ".join(match.group(1).casefold().split())
            # Case-insensitive matching and case folding differ for a few letters (ß, İ):
            # such a match is simply not a mention rather than an error in the page.
            term = self._term_for_phrase.get(key)
            if term is not None:
                candidates.append(_Mention(match.start(1), match.end(1), term))
        chosen: list[_Mention] = []
        for candidate in sorted(candidates, key=lambda m: (m.start - m.end, m.start)):
            if all(candidate.end <= m.start or candidate.start >= m.end for m in chosen):
                chosen.append(candidate)
        return sorted(chosen, key=lambda m: m.start)

    def _wrap(self, soup: BeautifulSoup, text: NavigableString, mentions: list[_Mention]) -> None:
        value = str(text)
        pieces: list[NavigableString | Tag] = []
        position = 0
        for mention in mentions:
            if mention.start > position:
                pieces.append(NavigableString(value[position : mention.start]))
            pieces.append(
                self._mention_markup(soup, mention.term, value[mention.start : mention.end])
            )
            position = mention.end
        if position < len(value):
            pieces.append(NavigableString(value[position:]))
        text_replace(text, pieces)

    def _mention_markup(self, soup: BeautifulSoup, term: GlossaryTerm, words: str) -> Tag:
        self._links_made += 1
        tooltip_id = f"gloss-{term.slug}-{self._links_made}"
        wrapper = soup.new_tag("span", attrs={"class": "glossary-mention"})
        link = soup.new_tag(
            "a",
            attrs={
                "class": "glossary-term",
                "href": glossary_term_url(self.glossary_url, term),
                "aria-describedby": tooltip_id,
            },
        )
        link.string = words
        tooltip = soup.new_tag(
            "span",
            attrs={"class": TOOLTIP_CLASS, "role": "tooltip", "id": tooltip_id, "hidden": ""},
        )
        tooltip.string = self._definition(term)
        wrapper.append(link)
        wrapper.append(tooltip)
        return wrapper

    def _definition(self, term: GlossaryTerm) -> str:
        if term.slug not in self._definitions:
            self._definitions[term.slug] = _plain_text(term.definition)
        return self._definitions[term.slug]


def glossary_link_first_mentions(
    html: str, terms: Sequence[GlossaryTerm], *, glossary_url: str
) -> str:
    """Link the first mention of each term in one piece of rich-text HTML to the glossary.

    Mentions are whole words, in any case, of the term or one of its ``also_matches``.
    Text inside links, headings and code is left alone. To link across several pieces of
    one article, use a single :class:`GlossaryLinker` for all of them instead.
    """
    return GlossaryLinker(terms, glossary_url).link(html)


def glossary_matcher() -> GlossaryMatcher:
    """The matcher for the current terms, built once per process and change to the glossary."""
    memo = content_memo(GLOSSARY)
    if "matcher" not in memo:
        memo["matcher"] = GlossaryMatcher(GlossaryTerm.objects.cached())
    return memo["matcher"]


def glossary_linker_for_request(request: HttpRequest) -> GlossaryLinker | None:
    """The request's linker, with every term and the site's glossary page address.

    The same linker comes back for the whole request, so every part of the article rendered
    for it shares which terms are already linked. None when the site has no live glossary.
    """
    if not hasattr(request, "glossary_linker"):
        url = glossary_page_url(request)
        request.glossary_linker = (
            GlossaryLinker(glossary_url=url, matcher=glossary_matcher()) if url else None
        )
    return request.glossary_linker
