"""Template tags that link the article's first mention of each glossary term.

``{% load glossary_tags %}`` then either wrap the article's body::

    {% glossary_linked page.link_glossary_terms %}
      {% for block in page.body %}{% include_block block %}{% endfor %}
    {% endglossary_linked %}

or render one rich-text value at a time with ``{% glossary_richtext page.intro %}``. Both
share one linker per request, so a term is linked once in the whole page, and both leave the
HTML as it is when the site has no live glossary page. The page needs
``css/glossary.css`` for the tooltips.

``{% glossary_term_links value.terms as entries %}`` pairs chosen terms with the addresses
of their entries. The work is done in ``home.glossary``.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe
from wagtail.templatetags.wagtailcore_tags import richtext

from home.glossary import selectors
from home.glossary.linking import glossary_linker_for_request

register = template.Library()


def _linked(context: template.Context, html: str) -> SafeString:
    request = context.get("request")
    linker = glossary_linker_for_request(request) if request is not None else None
    # The HTML comes from the site's own templates and rich text, already escaped.
    return mark_safe(linker.link(html) if linker else html)  # noqa: S308


@register.simple_tag(takes_context=True)
def glossary_richtext(context: template.Context, value) -> SafeString:
    """Render a rich-text value as ``|richtext`` does, its first term mentions linked."""
    return _linked(context, str(richtext(value)))


@register.simple_tag(takes_context=True)
def glossary_term_links(context: template.Context, terms) -> list:
    """Each term with the address of its entry, "" when the site has no live glossary."""
    return selectors.glossary_term_links(context.get("request"), terms)


class GlossaryLinkedNode(template.Node):
    def __init__(self, nodelist: template.NodeList, condition: template.base.FilterExpression):
        self.nodelist = nodelist
        self.condition = condition

    def render(self, context: template.Context) -> str:
        html = self.nodelist.render(context)
        if self.condition is not None and not self.condition.resolve(context):
            return html
        return _linked(context, html)


@register.tag
def glossary_linked(parser: template.base.Parser, token: template.base.Token) -> GlossaryLinkedNode:
    """``{% glossary_linked [condition] %}...{% endglossary_linked %}``: link the first
    mention of each term in what the block renders, if ``condition`` is true or absent."""
    bits = token.split_contents()
    if len(bits) > 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes at most one condition")
    condition = parser.compile_filter(bits[1]) if len(bits) == 2 else None
    nodelist = parser.parse(("endglossary_linked",))
    parser.delete_first_token()
    return GlossaryLinkedNode(nodelist, condition)
