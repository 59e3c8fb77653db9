"""Template tags that make the markers in an article's text, such as [1] or [2, 3], links to
its references and give each link an id of its own for the references to link back to.

``{% load reference_tags %}`` then wrap each prose block of the page's body::

    {% for block in page.body %}
      {% if block|is_prose %}
        {% citations_linked page %}{% include_block block %}{% endcitations_linked %}
      {% else %}{% include_block block %}{% endif %}
    {% endfor %}

Every ``citations_linked`` of one template shares one linker for the page, so the citations
of each reference are numbered in page order. The work is done in ``home.references``.
"""

from django import template
from django.utils.safestring import mark_safe

from home.references import PROSE_BLOCKS, CitationLinker, page_references

register = template.Library()


@register.filter
def is_prose(block) -> bool:
    """Whether the block is the author's prose, in which markers are made links."""
    return getattr(block, "block_type", None) in PROSE_BLOCKS


class CitationsLinkedNode(template.Node):
    def __init__(self, nodelist: template.NodeList, page: template.base.FilterExpression):
        self.nodelist = nodelist
        self.page = page

    def render(self, context: template.Context) -> str:
        html = self.nodelist.render(context)
        page = self.page.resolve(context)
        if page is None:
            return html
        # Kept for the rest of this template's rendering: one page, one numbering.
        key = ("citation_linker", id(page))
        linker = context.render_context.get(key)
        if linker is None:
            linker = CitationLinker(len(page_references(page=page)))
            context.render_context[key] = linker
        # The HTML comes from the site's own templates and rich text, already escaped.
        return mark_safe(linker.link(html))  # noqa: S308


@register.tag
def citations_linked(
    parser: template.base.Parser, token: template.base.Token
) -> CitationsLinkedNode:
    """``{% citations_linked page %}...{% endcitations_linked %}``: make the markers in what
    the block renders links to the page's references."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes the page")
    page = parser.compile_filter(bits[1])
    nodelist = parser.parse(("endcitations_linked",))
    parser.delete_first_token()
    return CitationsLinkedNode(nodelist, page)
