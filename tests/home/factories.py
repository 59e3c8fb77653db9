"""Factories for the home app's models: tests build exactly the content they need."""

import datetime

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from home.content_changes import content_changed
from home.models import (
    ArticlePage,
    AuthorProfile,
    GlossaryPage,
    GlossaryTerm,
    MedicalReviewer,
    QAPage,
    StandardPage,
    Testimonial,
)


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


class AuthorProfileFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Author {n}")
    post_nominals = "C.H.S.E."
    credentials = "Certified Practitioner, Hanna Somatic Education"
    linkedin_url = "https://www.linkedin.com/"

    class Meta:
        model = AuthorProfile


class TestimonialFactory(DjangoModelFactory):
    kind = Testimonial.TESTIMONIAL
    quote = factory.Sequence(lambda n: f"My back feels better, story {n}.\n\nSecond paragraph.")
    person = factory.Sequence(lambda n: f"Reader {n}")
    credentials = ""
    organisation = ""
    place = "Santa Fe, NM"
    consent_to_publish = True
    # Consent is shown only when recorded: when and how the person agreed.
    consent_given_on = factory.Maybe(
        "consent_to_publish", yes_declaration=datetime.date(2025, 1, 15), no_declaration=None
    )
    consent_method = factory.Maybe("consent_to_publish", yes_declaration="email", no_declaration="")

    class Meta:
        model = Testimonial


class MedicalReviewerFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Dr. Reviewer {n}")
    post_nominals = "D.P.T."
    credentials = "Doctor of Physical Therapy"
    profile_url = "https://clinic.example.com/reviewer/"

    class Meta:
        model = MedicalReviewer


class ArticlePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Article {n}")
    lead = "A short lead."
    body = "[]"

    class Meta:
        model = ArticlePage


class StandardPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Page {n}")
    body = "[]"

    class Meta:
        model = StandardPage


class QAPageFactory(wagtail_factories.PageFactory):
    title = "Questions and answers"
    intro = "<p>Answers.</p>"

    class Meta:
        model = QAPage


# Hundreds of rows in one INSERT each: saved one by one, every row would also be indexed for
# search and for references (seconds for a test about how a page copes with many rows).
# bulk_create sends no signals, so the glossary's cached terms are told of the change.


def bulk_glossary_terms(count: int, **fields) -> list[GlossaryTerm]:
    terms = GlossaryTermFactory.build_batch(count, **fields)
    for term in terms:
        term.slug = term.slug or GlossaryTerm.slug_for(term.term)
    created = GlossaryTerm.objects.bulk_create(terms)
    content_changed(glossary=True)
    return created


def bulk_testimonials(count: int, **fields) -> list[Testimonial]:
    return Testimonial.objects.bulk_create(TestimonialFactory.build_batch(count, **fields))
