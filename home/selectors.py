"""Reads the templates and views need, each in as few queries as the page allows."""

import string
import unicodedata
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from django.http import HttpRequest
from wagtail.models import Site
from wagtail.rich_text import expand_db_html

from home.content_changes import GLOSSARY, SITE, content_memo
from home.models import GlossaryPage, GlossaryTerm

# Terms that start with a digit or a symbol are listed after Z under this heading.
OTHER_LETTER = "#"
# Up to this many terms the glossary is one page; past it, one page per letter.
GLOSSARY_ONE_PAGE_MAX = 150


@dataclass(frozen=True)
class GlossaryEntry:
    """A term as the glossary page shows it: its definition ready for the template."""

    term: GlossaryTerm
    definition_html: str


@dataclass
class GlossaryLetter:
    """One letter of the glossary page's index, with the terms that start with it."""

    letter: str
    entries: list[GlossaryEntry] = field(default_factory=list)
    count: int = 0
    # Its own page's address below the glossary page's, when the glossary is split by letter.
    path: str = ""

    @property
    def anchor(self) -> str:
        return "letter-other" if self.letter == OTHER_LETTER else f"letter-{self.letter.lower()}"


def glossary_letter_of(term: str) -> str:
    """The index letter a term is filed under: 'Écart' under E, '5th lumbar' under #."""
    base = unicodedata.normalize("NFKD", term.strip())[:1].upper()
    return base if base in string.ascii_uppercase else OTHER_LETTER


def glossary_letter_slug(letter: str) -> str:
    """The letter as its page's address says it: 'a' ... 'z', 'other' for '#'."""
    return "other" if letter == OTHER_LETTER else letter.lower()


def richtext_many(values: list[str]) -> list[str]:
    """Expand several stored rich-text values for the front end in one pass.

    Wagtail looks up the pages and documents a rich text links to once per call, so
    expanding the values together keeps the queries flat however many values there are.
    """
    wrapped = "".join(
        f'<div data-richtext-part="{i}">{value}</div>' for i, value in enumerate(values)
    )
    soup = BeautifulSoup(expand_db_html(wrapped), "html.parser")
    parts = soup.find_all("div", attrs={"data-richtext-part": True}, recursive=False)
    return ["".join(str(child) for child in part.contents) for part in parts]


def glossary_is_split() -> bool:
    """Whether the glossary has too many terms for one page and is shown a letter a page."""
    return len(glossary_terms_for_linking()) > GLOSSARY_ONE_PAGE_MAX


def _terms_by_letter() -> dict[str, list[GlossaryTerm]]:
    memo = content_memo(GLOSSARY)
    if "by-letter" not in memo:
        letters: dict[str, list[GlossaryTerm]] = {letter: [] for letter in string.ascii_uppercase}
        for term in glossary_terms_for_linking():
            letters.setdefault(glossary_letter_of(term.term), []).append(term)
        memo["by-letter"] = letters
    return memo["by-letter"]


def glossary_sections(letter: str | None = None) -> list[GlossaryLetter]:
    """Every letter A to Z (then # if needed) with its number of terms, empty letters kept.

    On one page every letter comes with its terms; split by letter, only ``letter`` does
    (none when it is None), so a page expands a bounded number of definitions.
    """
    split = glossary_is_split()
    sections = []
    shown = []
    for key, terms in _terms_by_letter().items():
        if key == OTHER_LETTER and not terms:
            continue
        section = GlossaryLetter(
            key, count=len(terms), path=f"{glossary_letter_slug(key)}/" if split else ""
        )
        sections.append(section)
        if not split or key == letter:
            shown.append((section, terms))
    definitions = richtext_many([term.definition for _, terms in shown for term in terms])
    position = 0
    for section, terms in shown:
        for term in terms:
            section.entries.append(GlossaryEntry(term, definitions[position]))
            position += 1
    return sections


def glossary_term_url(glossary_url: str, term: GlossaryTerm) -> str:
    """The address of a term's entry: on the glossary page, or on its letter's page."""
    if glossary_is_split():
        letter = glossary_letter_slug(glossary_letter_of(term.term))
        return f"{glossary_url}{letter}/#term-{term.slug}"
    return f"{glossary_url}#term-{term.slug}"


def glossary_terms_for_linking() -> list[GlossaryTerm]:
    """All glossary terms, read from the database once per change to the glossary."""
    memo = content_memo(GLOSSARY)
    if "terms" not in memo:
        memo["terms"] = list(GlossaryTerm.objects.all())
    return memo["terms"]


def glossary_page_url(request_or_site: HttpRequest | Site | None) -> str | None:
    """The address of the live glossary page of the request's site, or None if it has none.

    The address is relative when the glossary is on the site the reader is on. Worked out
    once per process, site and host until the content changes.
    """
    if isinstance(request_or_site, Site) or request_or_site is None:
        request, site = None, request_or_site
    else:
        request, site = request_or_site, Site.find_for_request(request_or_site)
    memo = content_memo(SITE, request)
    key = ("glossary-url", site.pk if site else None, request.get_host() if request else None)
    if key not in memo:
        memo[key] = _glossary_page_url(request, site)
    return memo[key]


def _glossary_page_url(request: HttpRequest | None, site: Site | None) -> str | None:
    pages = GlossaryPage.objects.live().public()
    if site is not None:
        pages = pages.descendant_of(site.root_page, inclusive=True)
    page = pages.order_by("path").first()
    if page is None:
        return None
    return page.get_url(request=request, current_site=site)
