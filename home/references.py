"""The sources an article cites: its references block, numbered, and the markers such as [1]
in its text that link to them.

The author types a marker in square brackets in the prose: ``[1]``, ``[2, 3]`` or ``[1-3]``.
On the page each number becomes a link to its entry in the references block, and each entry
links back to every place that cites it. The links are made in the rendered HTML by
:class:`CitationLinker` (the ``{% citations_linked %}`` tag); the references block counts the
citations beforehand with :func:`page_citations`, which reads the same text the same way, so
its back links are complete wherever the block sits on the page.
"""

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

from bs4 import BeautifulSoup, NavigableString, Tag
from wagtail.models import Page

from home.prose_html import prose_texts, text_replace

__all__ = [
    "PROSE_BLOCKS",
    "CitationLinker",
    "ReferenceEntry",
    "citation_problems",
    "doi_alone",
    "doi_url",
    "page_citations",
    "page_references",
    "reference_entries",
]

# The author's own prose, where markers are made links (the glossary links the same blocks).
PROSE_BLOCKS = ("paragraph", "bullet_list", "callout")

# Digits in square brackets and nothing else: [1], [2, 3], [1-3], [1–3], [1, 4–6]. Three
# digits at most, so a year such as [2019] stays text.
_SPAN = r"\d{1,3}(?:\s*[-–]\s*\d{1,3})?"
MARKER = re.compile(rf"\[\s*({_SPAN}(?:\s*,\s*{_SPAN})*)\s*\]")

CITATION_CLASS = "citation"

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
# Characters a DOI may hold that would end or break the path of a https://doi.org/ address.
_DOI_SAFE = "/:;()[],-._~!*'@$&+="


def _references_in(body: Iterable) -> list | None:
    """The entries of the body's references block (it has at most one), in their numbered
    order; None when the body has no such block."""
    for block in body:
        if block.block_type == "references":
            return list(block.value["references"])
    return None


def page_references(*, page: Page) -> list:
    """The entries of the page's references block, in their numbered order: reference 1
    first. Empty when the page cites nothing."""
    return _references_in(getattr(page, "body", None) or []) or []


def doi_alone(value: str) -> str:
    """The DOI without the https://doi.org/ address or the "doi:" an author may paste with it,
    e.g. 10.1016/S0140-6736(18)30480-X."""
    value = (value or "").strip()
    alone = _DOI_PREFIX.sub("", value)
    # A DOI copied from the address bar has its brackets and the like percent-encoded.
    return unquote(alone) if alone != value and value.lower().startswith("http") else alone


def doi_url(doi: str) -> str:
    """The https://doi.org/ address of a DOI."""
    return "https://doi.org/" + quote(doi, safe=_DOI_SAFE)


# Markers: finding them, and the numbers they cite.


@dataclass(frozen=True)
class _Marker:
    text: str  # as the author typed it, e.g. "[1–3]"
    spans: tuple[tuple[int, int], ...]  # (first, last) of each number or range

    @classmethod
    def from_match(cls, match: re.Match) -> "_Marker":
        spans = []
        for part in match.group(1).split(","):
            first, _, last = part.replace("–", "-").partition("-")
            spans.append((int(first), int(last or first)))
        return cls(match.group(0), tuple(spans))

    @property
    def backwards(self) -> tuple[int, int] | None:
        """The first range written high to low, such as 3–1; such a marker links nothing."""
        return next(((a, b) for a, b in self.spans if a > b), None)

    def parts(self, reference_count: int) -> list[int | str]:
        """What the marker shows, in order: the number of each reference it cites (a range
        expanded), and as text what cites no reference. Nothing for a backwards range."""
        if self.backwards:
            return []
        parts: list[int | str] = []
        for first, last in self.spans:
            for number in range(first, min(last, reference_count) + 1):
                parts.append(number if number >= 1 else str(number))
            beyond = max(first, reference_count + 1)
            if beyond <= last:
                parts.append(str(beyond) if beyond == last else f"{beyond}–{last}")
        return parts

    def missing(self, reference_count: int) -> list[tuple[int, int]]:
        """The numbers (as first, last) the marker cites but the references do not have."""
        missing = []
        for first, last in self.spans:
            if first < 1:
                missing.append((first, min(last, 0)))
            beyond = max(first, reference_count + 1)
            if beyond <= last:
                missing.append((beyond, last))
        return missing


def _is_citation(tag: Tag) -> bool:
    return CITATION_CLASS in (tag.get("class") or [])


def _prose_texts(soup: BeautifulSoup) -> Iterator[NavigableString]:
    """The text nodes of the HTML in which markers count: not in links, headings or code,
    nor in a citation already made."""
    return prose_texts(soup, also_skip=_is_citation)


def _html_markers(html: str) -> Iterator[_Marker]:
    if not html or not MARKER.search(html):
        return
    for text in _prose_texts(BeautifulSoup(html, "html.parser")):
        for match in MARKER.finditer(str(text)):
            yield _Marker.from_match(match)


def _plain_markers(text: str) -> Iterator[_Marker]:
    for match in MARKER.finditer(text or ""):
        yield _Marker.from_match(match)


def _block_markers(block_type: str, value) -> Iterator[_Marker]:
    """The markers in one block's stored value, in the order its template shows them. Plain
    text fields are shown escaped, so a marker in them counts wherever it stands."""
    if block_type == "paragraph":
        yield from _html_markers(value.source)
    elif block_type == "bullet_list":
        yield from _plain_markers(value.get("heading"))
        for item in value.get("items") or []:
            yield from _html_markers(item["text"].source)
            for sub_item in item.get("sub_items") or []:
                yield from _plain_markers(sub_item)
    elif block_type == "callout":
        yield from _plain_markers(value.get("title"))
        yield from _html_markers(value["body"].source)


def _body_markers(body: Iterable) -> Iterator[tuple[int, _Marker]]:
    for index, block in enumerate(body):
        if block.block_type in PROSE_BLOCKS:
            for marker in _block_markers(block.block_type, block.value):
                yield index, marker


def _reference_count(body: Iterable) -> int | None:
    references = _references_in(body)
    return None if references is None else len(references)


def page_citations(*, page: Page) -> Counter:
    """How many times the page's text cites each reference, by number: what the page will
    show as links, counted before it is shown."""
    body = getattr(page, "body", None) or []
    count = _reference_count(body) or 0
    cited: Counter = Counter()
    for _index, marker in _body_markers(body):
        cited.update(part for part in marker.parts(count) if isinstance(part, int))
    return cited


# Validation: every marker cites a reference the page has.


def _numbers_in_words(spans: list[tuple[int, int]]) -> str:
    words = [str(a) if a == b else f"{a}–{b}" for a, b in spans]
    several = len(words) > 1 or spans[0][0] != spans[0][1]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"references {listed}" if several else f"reference {listed}"


def citation_problems(*, body: Iterable) -> dict[int, list[str]]:
    """What is wrong with the markers of a page's body, by the index of the block that holds
    them: a number the references block does not have (or no references block), or a range
    written backwards. Empty when every marker cites a reference."""
    blocks = list(body)
    count = _reference_count(blocks)
    problems: dict[int, list[str]] = {}
    for index, marker in _body_markers(blocks):
        if backwards := marker.backwards:
            message = (
                f"{marker.text} has a range written backwards: write it "
                f"{backwards[1]}–{backwards[0]}."
            )
        elif missing := marker.missing(count or 0):
            cites = f"{marker.text} cites {_numbers_in_words(missing)}"
            if count is None:
                message = (
                    f"{cites}, but the page has no References block: add one with the "
                    "sources, or remove the marker."
                )
            else:
                entries = "entry" if count == 1 else "entries"
                message = f"{cites}, but the References block has {count} {entries}."
        else:
            continue
        if message not in problems.setdefault(index, []):
            problems[index].append(message)
    return problems


# The links, in the rendered HTML.


class CitationLinker:
    """Turns the markers in a page's rendered prose into links to its references.

    A page is rendered in parts (one per block); one linker passed through them in page order
    numbers the citations of each reference, cite-2-1, cite-2-2 and so on, so every link has
    an id of its own for the references to link back to.
    """

    def __init__(self, reference_count: int):
        self.reference_count = reference_count
        self.cited: Counter = Counter()

    def link(self, html: str) -> str:
        """Return ``html`` with each marker citing a reference made a link to it. A number
        with no reference stays text. Returns ``html`` unchanged when it has no marker."""
        if not self.reference_count or not html or not MARKER.search(html):
            return html
        soup = BeautifulSoup(html, "html.parser")
        changed = False
        for text in _prose_texts(soup):
            value = str(text)
            pieces: list[NavigableString | Tag] = []
            position = 0
            for match in MARKER.finditer(value):
                markup = self._markup(soup, _Marker.from_match(match))
                if markup is None:
                    continue
                # The marker is set as a superscript right after the word it follows.
                before = value[position : match.start()].rstrip(" \u00a0")
                if before:
                    pieces.append(NavigableString(before))
                pieces.append(markup)
                position = match.end()
            if not pieces:
                continue
            if position < len(value):
                pieces.append(NavigableString(value[position:]))
            text_replace(text, pieces)
            changed = True
        return str(soup) if changed else html

    def _markup(self, soup: BeautifulSoup, marker: _Marker) -> Tag | None:
        parts = marker.parts(self.reference_count)
        if not any(isinstance(part, int) for part in parts):
            return None
        sup = soup.new_tag("sup", attrs={"class": CITATION_CLASS})
        if len(parts) == 1:
            sup.append(self._link(soup, parts[0], f"[{parts[0]}]"))
            return sup
        sup.append("[")
        for position, part in enumerate(parts):
            if position:
                sup.append(",")
            sup.append(self._link(soup, part, str(part)) if isinstance(part, int) else part)
        sup.append("]")
        return sup

    def _link(self, soup: BeautifulSoup, number: int, words: str) -> Tag:
        self.cited[number] += 1
        link = soup.new_tag(
            "a",
            attrs={
                "href": f"#reference-{number}",
                "id": f"cite-{number}-{self.cited[number]}",
                "aria-label": f"Reference {number}",
            },
        )
        link.string = words
        return link


# The references list.


def _letter(position: int) -> str:
    """a, b, ... z, aa, ab, ...: the label of the position-th (from 1) citation."""
    letters = ""
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _full_stop(text: str) -> str:
    text = (text or "").strip()
    return text if not text or text[-1] in ".?!" else f"{text}."


@dataclass(frozen=True)
class Citation:
    id: str
    letter: str


@dataclass(frozen=True)
class ReferenceEntry:
    """One entry of the references list as the page shows it."""

    number: int
    reference: dict
    citations: tuple[Citation, ...]

    @property
    def authors(self) -> str:
        return _full_stop(self.reference["authors"])

    @property
    def title(self) -> str:
        return _full_stop(self.reference["title"])

    @property
    def doi(self) -> str:
        return doi_alone(self.reference.get("doi") or "")

    @property
    def doi_url(self) -> str:
        return doi_url(self.doi) if self.doi else ""


def reference_entries(references: Iterable, cited: Mapping[int, int]) -> list[ReferenceEntry]:
    """The entries in their numbered order, each with the ids of the places that cite it
    (``cited``: how many times each number is cited, from :func:`page_citations`)."""
    return [
        ReferenceEntry(
            number=number,
            reference=reference,
            citations=tuple(
                Citation(id=f"cite-{number}-{k}", letter=_letter(k))
                for k in range(1, cited.get(number, 0) + 1)
            ),
        )
        for number, reference in enumerate(references, start=1)
    ]
