"""The reader's prose inside rendered HTML, where links are made in it (the glossary's first
mentions, the citation markers): which text counts as prose, and how a piece of it is
replaced by text and tags."""

from collections.abc import Callable, Iterator, Sequence

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

__all__ = ["NEVER_INSIDE", "prose_texts", "text_replace"]

# Text inside these is never prose to link: it is a link already, a heading, code, or not prose.
NEVER_INSIDE = frozenset(
    {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "kbd", "samp", "script", "style"}
    | {"textarea", "button", "select", "option", "label", "title", "svg", "math"}
)
NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)


def prose_texts(
    soup: BeautifulSoup, *, also_skip: Callable[[Tag], bool] = lambda tag: False
) -> Iterator[NavigableString]:
    """The text nodes of ``soup`` that are prose: not comments, not inside links, headings or
    code, nor inside a tag ``also_skip`` names (what a linker made itself, say)."""
    for text in list(soup.find_all(string=True)):
        if isinstance(text, NOT_TEXT):
            continue
        if any(parent.name in NEVER_INSIDE or also_skip(parent) for parent in text.parents):
            continue
        yield text


def text_replace(text: NavigableString, pieces: Sequence[NavigableString | Tag]) -> None:
    """Put ``pieces`` (at least one), in order, where ``text`` stood."""
    first, *rest = pieces
    text.replace_with(first)
    anchor = first
    for piece in rest:
        anchor.insert_after(piece)
        anchor = piece
