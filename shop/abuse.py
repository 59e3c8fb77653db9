"""Limits that slow down card testing: bots open throwaway accounts, ask for SetupIntents
(each one a chance to try a stolen card) and post card after card. Sign-ups are counted per
address; new SetupIntents and declined cards per address and per account.

The counts live in Django's cache (Redis in production, so every web process shares them),
each window starting at its first event. A small service rather than django-ratelimit's
decorator: only some events count (a new SetupIntent, not a reload that reuses one; a
decline, known only after Stripe answers), and declines must be checked without counting.
"""

from django.conf import settings
from django.core.cache import cache

from shop.errors import RefusedWithMessage
from web.client_address import client_ip

MESSAGE_SIGNUPS = (
    "Too many accounts have been opened from your network in the last hour. "
    "Please try again later, or sign in to an account you already have."
)
MESSAGE_CARDS = (
    "Too many card attempts in a short time. Nothing has been charged; "
    "please try again in an hour, or contact us if you need help."
)


class TooManyAttempts(RefusedWithMessage):
    """Over a limit: the message says so in plain words; nothing was asked of Stripe."""


def _address(request) -> str:
    return client_ip(request) or "unknown"


def _spend(key: str) -> int:
    """Count one event under ``key``; returns the count in the current window."""
    window = settings.CARD_TESTING_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:
        # The window ended between add() and incr(): this event opens a new one.
        cache.set(key, 1, timeout=window)
        return 1


def _counters(request, kind: str) -> list[tuple[str, int]]:
    """(cache key, limit) for the visitor's address and, when signed in, the account."""
    counters = [(f"abuse:{kind}:ip:{_address(request)}", getattr(settings, f"{kind}_PER_ADDRESS"))]
    if request.user.is_authenticated:
        counters.append(
            (f"abuse:{kind}:user:{request.user.pk}", getattr(settings, f"{kind}_PER_ACCOUNT"))
        )
    return counters


def signup_spend(*, request) -> None:
    """Count one sign-up from the visitor's address; raises TooManyAttempts past
    ``SIGNUPS_PER_ADDRESS`` in the window (before the account is created)."""
    key = f"abuse:SIGNUPS:ip:{_address(request)}"
    if _spend(key) > settings.SIGNUPS_PER_ADDRESS:
        raise TooManyAttempts(MESSAGE_SIGNUPS)


def card_declines_check(*, request) -> None:
    """Raise TooManyAttempts while the visitor's address or account has had its window's
    allowance of declined cards; counts nothing."""
    for key, limit in _counters(request, "CARD_DECLINES"):
        if cache.get(key, 0) >= limit:
            raise TooManyAttempts(MESSAGE_CARDS)


def card_decline_record(*, request) -> None:
    """Count one declined card (a failed save or a declined first payment) for the visitor."""
    for key, _limit in _counters(request, "CARD_DECLINES"):
        _spend(key)


def card_setup_spend(*, request) -> None:
    """Count one new SetupIntent for the visitor; raises TooManyAttempts, before Stripe is
    asked, past the address's or the account's limit or after too many declined cards."""
    card_declines_check(request=request)
    over = [key for key, limit in _counters(request, "CARD_SETUPS") if _spend(key) > limit]
    if over:
        raise TooManyAttempts(MESSAGE_CARDS)
