"""The sources an article cites: its references block, numbered, and the markers such as [1]
in its text that link to them."""

from wagtail.models import Page

__all__ = ["page_references"]


def page_references(*, page: Page) -> list:
    """The entries of the page's references block (it has at most one), in their numbered
    order: reference 1 first. Empty when the page cites nothing."""
    for block in getattr(page, "body", None) or []:
        if block.block_type == "references":
            return list(block.value["references"])
    return []
