"""Marking the reader's search words in results."""

from django import template
from django.utils.safestring import SafeString

from home.site_search import text_excerpt, text_highlight

register = template.Library()


@register.filter
def highlight(text: str, words: list[str]) -> SafeString:
    """The text escaped, with the search words wrapped in <mark>."""
    return text_highlight(text=str(text), words=words)


@register.filter
def excerpt_highlight(text: str, words: list[str]) -> SafeString:
    """A short part of the text around the first search word, the words marked."""
    return text_highlight(text=text_excerpt(text=str(text), words=words), words=words)
