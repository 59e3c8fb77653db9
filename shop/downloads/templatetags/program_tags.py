"""The program's files in templates: ``{% program_contents product %}`` lists what a product
holds (for the product page, no account data); ``{% customer_program user as programs %}``
gives "My program" the customer's files with where each was left off."""

from django import template
from django.utils import timezone

from media_config.storages import private_storage_get, storage_is_s3
from shop.downloads.selectors import program_contents as program_contents_select
from shop.downloads.selectors import program_for_customer
from shop.downloads.views import PLAY_LINK_SECONDS

register = template.Library()


@register.inclusion_tag("shop/downloads/program_contents.html")
def program_contents(product):
    return {"files": program_contents_select(product=product)}


@register.simple_tag
def customer_program(user):
    return program_for_customer(user=user, at=timezone.now())


@register.simple_tag
def play_link_seconds() -> int:
    """How long the players' links last: presigned links on S3 expire (the page's script
    asks for fresh ones), links to our own stream do not (0)."""
    storage = private_storage_get()
    if not storage_is_s3(storage):
        return 0
    return min(storage.querystring_expire, PLAY_LINK_SECONDS)


@register.filter
def playing_time(seconds) -> str:
    """4:05, or 1:02:03 from an hour on: how players show a length."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def iso_duration(seconds) -> str:
    """PT4M5S: a length as the datetime attribute of <time> wants it."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"
