"""Guessing passwords: repeated failed sign-ins lock out the account and the address.

django-axes counts failures on every sign-in form (the shop's, the CMS's, the Django admin's)
per account and per address; password reset requests are limited per address and per account
with django-ratelimit. The address is the one the rest of the site reads
(``web.client_address.client_ip``), so a made-up ``X-Forwarded-For`` never starts a fresh count.
"""

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.utils import reset as failures_forget
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

from web.client_address import client_ip

# The named routes of the two password reset forms: Oscar's (customers) and Wagtail's (staff).
PASSWORD_RESET_ROUTES = frozenset({"password-reset", "wagtailadmin_password_reset"})


class SignInLockoutBackend(AxesStandaloneBackend):
    """Refuses a sign-in while its account or address is locked out (first in
    ``AUTHENTICATION_BACKENDS``).

    Every sign-in form passes the request; the one caller without it is Oscar's registration,
    which signs in the account it has just created with the password just chosen, so there is
    nothing to guess and nothing to count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def account_name(request, credentials: dict | None = None) -> str | None:
    """The account a sign-in names, as one key whichever form was used: the account's email
    address in lower case (the shop asks for the email, the CMS and admin for the username),
    or what was typed, in lower case, when no account has that username."""
    typed = (credentials or {}).get("username")
    if typed is None:
        typed = request.POST.get("username") or request.POST.get("login-username")
    typed = (typed or "").strip()
    if not typed:
        return None
    account = (
        get_user_model()
        .objects.filter(username__iexact=typed)
        .exclude(email="")
        .order_by("pk")
        .only("email")
        .first()
    )
    return (account.email if account else typed).lower()


def lockout_end_on_new_password(sender, instance, **kwargs) -> None:
    """A new password ends the account's lockout: the one who chose it opened the emailed reset
    link (or staff set it), so the guesses counted against the account no longer matter.

    Connected to the user model's ``post_save``. Django has no "password changed" signal; while
    the save runs, ``_password`` holds the new password until ``AbstractBaseUser.save`` hands it
    to the password validators, so it says whether this save changed the password, whichever
    form or command set it. The failures are forgotten by account only: an address that guessed
    at other accounts stays locked out."""
    if getattr(instance, "_password", None) is not None:
        failures_forget(username=(instance.email or instance.get_username()).lower())


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The page shown instead of a sign-in while locked out: when to try again, and the
    password reset as the way back (refused tries restart the wait, so it runs from now)."""
    started = getattr(request, "axes_attempt_time", None) or timezone.now()
    return render(
        request,
        "lockout.html",
        {"until": started + get_cool_off(request), "reason": "sign-in"},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def _reset_address(group, request) -> str:
    return client_ip(request) or ""


def _reset_account(group, request) -> str:
    return request.POST.get("email", "").strip().lower()


def password_reset_refusal(request) -> HttpResponse | None:
    """Count one password reset request for its address and for the account it names; the
    refusal page once either is over ``PASSWORD_RESET_RATE``, else None."""
    ends = []
    keys = [("password-reset-address", _reset_address)]
    if _reset_account(None, request):
        keys.append(("password-reset-account", _reset_account))
    for group, key in keys:
        usage = get_usage(
            request, group=group, key=key, rate=settings.PASSWORD_RESET_RATE, increment=True
        )
        if usage and usage["should_limit"]:
            ends.append(usage["time_left"])
    if not ends:
        return None
    until = timezone.now() + timedelta(seconds=max(max(ends), 0))
    return render(request, "lockout.html", {"until": until, "reason": "reset"}, status=429)


class PasswordResetLimitMiddleware:
    """Refuses password reset requests over the limit, on both reset forms."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None or match.url_name not in PASSWORD_RESET_ROUTES:
            return None
        return password_reset_refusal(request)
