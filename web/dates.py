"""Dates as customers read them, in Python text (messages, emails built in code): the same
"December 13, 2026" the templates show with ``|date`` (web.formats)."""

from datetime import date, datetime

from django.utils import formats, timezone


def long_date(value: date | datetime) -> str:
    """ "December 13, 2026", for a date or a datetime (in the site's time zone)."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def long_datetime(value: datetime) -> str:
    """ "November 29, 2026, 6:51 p.m." (in the site's time zone)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")
