"""The wording shown with a testimonial (home.testimonial_disclosures), for templates.

What most people can expect is a per-site setting: it is read once per request from Wagtail's
cache on the request, however many testimonials the page shows."""

from django import template

from home.models import HealthContentSettings, Testimonial
from home.testimonial_disclosures import testimonial_disclosures

register = template.Library()


def typical_results_for(request) -> str:
    """The author's statement of what most people can expect, for the request's site (the
    default site's when there is no request)."""
    if request is None:
        return HealthContentSettings.for_default_site().typical_results
    try:
        return HealthContentSettings.for_request(request).typical_results
    except HealthContentSettings.DoesNotExist:  # no site at all: nothing the author said
        return ""


@register.simple_tag(takes_context=True, name="testimonial_disclosures")
def testimonial_disclosures_tag(context, testimonial: Testimonial) -> list[str]:
    """The sentences a reader must be told with this testimonial; empty when none."""
    return testimonial_disclosures(
        testimonial=testimonial, typical_results=typical_results_for(context.get("request"))
    )
