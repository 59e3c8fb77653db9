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

    @property
    def anchor(self) -> str:
        return "letter-other" if self.letter == OTHER_LETTER else f"letter-{self.letter.lower()}"


def glossary_letter_of(term: str) -> str:
    """The index letter a term is filed under: 'Écart' under E, '5th lumbar' under #."""
    base = unicodedata.normalize("NFKD", term.strip())[:1].upper()
    return base if base in string.ascii_uppercase else OTHER_LETTER


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


def glossary_sections() -> list[GlossaryLetter]:
    """Every letter A to Z (then # if needed) with its terms in order, empty letters kept."""
    terms = list(GlossaryTerm.objects.all())
    definitions = richtext_many([term.definition for term in terms])
    letters = {letter: GlossaryLetter(letter) for letter in string.ascii_uppercase}
    for term, definition_html in zip(terms, definitions, strict=True):
        letter = glossary_letter_of(term.term)
        letters.setdefault(letter, GlossaryLetter(letter))
        letters[letter].entries.append(GlossaryEntry(term, definition_html))
    return list(letters.values())


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
