"""What the author edits in the CMS that the program's page in the shop shows too: the
testimonials that may be published, and the questions and answers."""

from dataclasses import dataclass

from django import template
from wagtail.models import Site

from home.models import QAItem, QAPage, Testimonial

register = template.Library()


@dataclass(frozen=True)
class QuestionsAndAnswers:
    url: str
    title: str
    items: list[QAItem]


@register.simple_tag
def testimonials_to_show(count: int = 3) -> list[Testimonial]:
    """The latest testimonials their authors agreed to publish; letters of reference last."""
    published = Testimonial.objects.publishable()
    testimonials = list(published.filter(kind=Testimonial.TESTIMONIAL)[:count])
    if len(testimonials) < count:
        testimonials += list(published.filter(kind=Testimonial.LETTER)[: count - len(testimonials)])
    return testimonials


@register.simple_tag(takes_context=True)
def questions_and_answers(context) -> QuestionsAndAnswers | None:
    """The site's questions and answers page, live and public, with its questions in the
    author's order; None when there is none."""
    request = context.get("request")
    site = (Site.find_for_request(request) if request else None) or Site.objects.filter(
        is_default_site=True
    ).first()
    pages = QAPage.objects.live().public()
    if site is not None:
        pages = pages.in_site(site)
    page = pages.order_by("path").first()
    if page is None:
        return None
    return QuestionsAndAnswers(
        url=page.get_url(request) or "", title=page.title, items=list(page.items.all())
    )
