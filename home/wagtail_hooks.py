"""What the CMS shows for our own models, and the choosers it offers."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from home.choosers import product_chooser_viewset
from home.models import GlossaryTerm


@hooks.register("register_admin_viewset")
def register_product_chooser():
    return product_chooser_viewset


class GlossaryTermViewSet(SnippetViewSet):
    """The glossary terms in the CMS, listed and searched by term and definition."""

    model = GlossaryTerm
    icon = "help"
    menu_label = "Glossary"
    menu_order = 200
    add_to_admin_menu = True
    list_display = ["term", "slug", "source", "updated_at"]
    # The database search is enough for a few hundred terms, with no index to keep in step.
    search_fields = ["term", "definition", "also_matches"]
    search_backend_name = None


register_snippet(GlossaryTermViewSet)
