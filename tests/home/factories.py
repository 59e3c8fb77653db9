"""Factories for the home app's models: tests build exactly the content they need."""

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from home.models import GlossaryPage, GlossaryTerm


class GlossaryTermFactory(DjangoModelFactory):
    term = factory.Sequence(lambda n: f"Term {n:04d}")
    slug = ""  # made from the term on save, as the admin form does
    definition = factory.LazyAttribute(lambda o: f"<p>What <b>{o.term}</b> means.</p>")
    source = "Get Free from That Back Pain (glossary)"
    also_matches = ""

    class Meta:
        model = GlossaryTerm


class GlossaryPageFactory(wagtail_factories.PageFactory):
    title = "Glossary"
    slug = "glossary"
    intro = "<p>Words explained.</p>"

    class Meta:
        model = GlossaryPage
