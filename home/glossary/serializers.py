"""Glossary terms as the content API shows them."""

from rest_framework import serializers
from wagtail.rich_text import expand_db_html

from home.glossary.selectors import glossary_term_url
from home.models.glossary import GlossaryTerm


class GlossaryTermSerializer(serializers.ModelSerializer):
    definition = serializers.SerializerMethodField(help_text="HTML, with links resolved.")
    also_matches = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The term's anchor on the glossary page.")

    class Meta:
        model = GlossaryTerm
        fields = ["id", "term", "slug", "definition", "source", "also_matches", "url"]

    def get_definition(self, term) -> str:
        return expand_db_html(term.definition)

    def get_also_matches(self, term) -> list[str]:
        return term.phrases[1:]

    def get_url(self, term) -> str | None:
        page_url = self.context.get("glossary_url")
        return glossary_term_url(page_url, term) if page_url else None
