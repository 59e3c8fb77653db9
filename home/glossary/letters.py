"""The glossary's A-to-Z index: the letter each term is filed under, whether the glossary is
one page or a page per letter, and where a term's entry is.

Rules over terms already read, with no database access of their own, so the glossary page's
model and the selectors both build on them.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bs4 import BeautifulSoup
from wagtail.rich_text import expand_db_html

from home.content_changes import GLOSSARY, content_memo

if TYPE_CHECKING:
    from home.models.glossary import GlossaryTerm

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


def glossary_is_split(terms: Sequence[GlossaryTerm]) -> bool:
    """Whether the glossary has too many terms for one page and is shown a letter a page."""
    return len(terms) > GLOSSARY_ONE_PAGE_MAX


def glossary_entry_url(glossary_url: str, term: GlossaryTerm, *, split: bool) -> str:
    """The address of a term's entry: on the glossary page, or on its letter's page."""
    if split:
        letter = glossary_letter_slug(glossary_letter_of(term.term))
        return f"{glossary_url}{letter}/#term-{term.slug}"
    return f"{glossary_url}#term-{term.slug}"


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


def _terms_by_letter(terms: Sequence[GlossaryTerm]) -> dict[str, list[GlossaryTerm]]:
    memo = content_memo(GLOSSARY)
    # Grouped once per list of terms read, which is once per change to the glossary.
    if memo.get("by-letter-of") is not terms:
        letters: dict[str, list[GlossaryTerm]] = {letter: [] for letter in string.ascii_uppercase}
        for term in terms:
            letters.setdefault(glossary_letter_of(term.term), []).append(term)
        memo["by-letter-of"], memo["by-letter"] = terms, letters
    return memo["by-letter"]


def glossary_sections(
    terms: Sequence[GlossaryTerm], letter: str | None = None
) -> list[GlossaryLetter]:
    """Every letter A to Z (then # if needed) with its number of terms, empty letters kept.

    On one page every letter comes with its terms; split by letter, only ``letter`` does
    (none when it is None), so a page expands a bounded number of definitions.
    """
    split = glossary_is_split(terms)
    sections = []
    shown = []
    for key, letter_terms in _terms_by_letter(terms).items():
        if key == OTHER_LETTER and not letter_terms:
            continue
        section = GlossaryLetter(
            key, count=len(letter_terms), path=f"{glossary_letter_slug(key)}/" if split else ""
        )
        sections.append(section)
        if not split or key == letter:
            shown.append((section, letter_terms))
    definitions = richtext_many([term.definition for _, ts in shown for term in ts])
    position = 0
    for section, letter_terms in shown:
        for term in letter_terms:
            section.entries.append(GlossaryEntry(term, definitions[position]))
            position += 1
    return sections
