"""Guessing passwords: every sign-in form and the password reset requests lock out an account
and an address after repeated failures, whatever X-Forwarded-For a visitor makes up, with a
page that says when to try again and how to get back in."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-42"
LIMIT = 5


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    settings.PASSWORD_RESET_RATE = "3/h"
    # Password reset requests are counted in the cache: each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_superuser("author", "Author@Example.com", PASSWORD)


def shop_login(client, email, password, **extra):
    data = {"login-username": email, "login-password": password, "login_submit": "Log in"}
    return client.post("/shop/accounts/login/", data, **extra)


def cms_login(client, username, password, **extra):
    return client.post("/cms/login/", {"username": username, "password": password}, **extra)


def admin_login(client, username, password, **extra):
    data = {"username": username, "password": password, "next": "/django-admin/"}
    return client.post("/django-admin/login/", data, **extra)


LOGINS = {
    "shop": (shop_login, lambda user: user.email),
    "cms": (cms_login, lambda user: user.username),
    "django-admin": (admin_login, lambda user: user.username),
}


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def assert_lockout_page(response):
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed sign-in attempts" in text
    # When to try again, as a time in UTC, and the way back through a password reset.
    assert re.search(r"Try again after \d{1,2}:\d{2} UTC", text), text
    assert 'href="/shop/password-reset/"' in text


@pytest.mark.parametrize("form", LOGINS)
def test_the_right_password_after_repeated_failures_is_refused(form, author):
    login, identifier = LOGINS[form]
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT - 1):
        assert login(client, identifier(author), "wrong-guess").status_code == 200
    # The failure that reaches the limit already answers with the lockout page.
    assert_lockout_page(login(client, identifier(author), "wrong-guess"))
    response = login(client, identifier(author), PASSWORD)
    assert not signed_in(client)
    assert_lockout_page(response)


@pytest.mark.parametrize("form", LOGINS)
def test_fewer_failures_than_the_limit_still_sign_in(form, author):
    login, identifier = LOGINS[form]
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT - 1):
        login(client, identifier(author), "wrong-guess")
    response = login(client, identifier(author), PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_checkout_offers_no_password_form_of_its_own(author):
    # Oscar's checkout gateway signs in without passing the request (so unguarded): it must
    # stay closed to visitors, who sign in through the guarded forms only.
    client = Client(REMOTE_ADDR="203.0.113.7")
    data = {"username": author.email, "options": "existing", "password": PASSWORD}
    response = client.post("/shop/checkout/", data)
    assert response.status_code == 302
    assert response["Location"].startswith("/shop/accounts/login/")
    assert not signed_in(client)


def test_registering_signs_the_new_customer_in():
    # Oscar signs a new account in without the request: nothing to guess, nothing refused.
    client = Client(REMOTE_ADDR="203.0.113.7")
    data = {
        "registration-email": "new@example.com",
        "registration-password1": PASSWORD,
        "registration-password2": PASSWORD,
        "registration_submit": "Register",
    }
    response = client.post("/shop/accounts/login/", data)
    assert response.status_code == 302
    assert signed_in(client)


def test_an_account_is_locked_whichever_address_and_form_the_guesses_come_from(author):
    # Guesses spread over many addresses and all three forms still count for the one account,
    # named by its email in the shop and by its username (any case) in the admin.
    guesses = [
        (shop_login, "author@example.com"),
        (cms_login, "author"),
        (admin_login, "AUTHOR"),
        (shop_login, " Author@Example.COM "),
        (cms_login, "author"),
    ]
    for number, (login, name) in enumerate(guesses):
        login(Client(REMOTE_ADDR=f"198.51.100.{number + 1}"), name, "wrong-guess")
    fresh = Client(REMOTE_ADDR="192.0.2.99")
    assert_lockout_page(shop_login(fresh, "author@example.com", PASSWORD))
    assert not signed_in(fresh)


def test_an_address_is_locked_whichever_accounts_it_guesses(author):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for number in range(LIMIT):
        shop_login(client, f"someone{number}@example.com", "wrong-guess")
    assert_lockout_page(shop_login(client, author.email, PASSWORD))
    assert not signed_in(client)


def test_a_forged_forwarded_for_header_does_not_start_a_fresh_count(author):
    # The site reads the visitor's address from web.client_address (REMOTE_ADDR, set by ProxyFix
    # from our own proxies' entries); a header the visitor writes must change nothing.
    client = Client(REMOTE_ADDR="203.0.113.7")
    for number in range(LIMIT):
        shop_login(
            client,
            f"someone{number}@example.com",
            "wrong-guess",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number + 1}",
        )
    response = shop_login(client, author.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert_lockout_page(response)
    assert not signed_in(client)


def test_a_failure_is_stored_without_the_password_typed(author):
    from axes.models import AccessAttempt

    client = Client(REMOTE_ADDR="203.0.113.7")
    shop_login(client, author.email, "my-secret-guess")
    cms_login(client, author.username, "my-other-guess")
    # One account, one address: one record of two failures, whichever form was used.
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == ("author@example.com", 2)
    assert "login-password=****" in attempt.post_data
    assert "guess" not in attempt.post_data


def test_the_lockout_page_names_the_end_of_the_cool_off(author, settings):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        shop_login(client, author.email, "wrong-guess")
    response = shop_login(client, author.email, PASSWORD)
    until = timezone.now() + settings.AXES_COOLOFF_TIME
    shown = re.search(r"Try again after (\d{1,2}:\d{2}) UTC", response.content.decode()).group(1)
    assert shown in {until.strftime("%-H:%M"), (until - timedelta(minutes=1)).strftime("%-H:%M")}


def test_staff_unlock_an_account_and_an_address_with_a_command(author):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        shop_login(client, author.email, "wrong-guess")
    assert shop_login(client, author.email, PASSWORD).status_code == 429
    # Accounts are counted under their email address in lower case, whichever form was used.
    call_command("axes_reset_username", "author@example.com")
    call_command("axes_reset_ip", "203.0.113.7")
    assert shop_login(client, author.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_cool_off_ends_the_lockout(author, settings):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        shop_login(client, author.email, "wrong-guess")
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert shop_login(client, author.email, PASSWORD).status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("path", ["/shop/password-reset/", "/cms/password_reset/"])
def test_password_reset_requests_are_limited_per_address(path, mailoutbox):
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.post(path, {"email": f"someone{n}@example.com"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        for n in range(4)
    ]
    assert [r.status_code for r in statuses[:3]] == [302, 302, 302]
    assert statuses[3].status_code == 429
    assert "Too many password reset requests" in statuses[3].content.decode()


def test_password_reset_requests_are_limited_per_account(author, mailoutbox):
    statuses = [
        Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        .post("/shop/password-reset/", {"email": "AUTHOR@example.com"})
        .status_code
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert len(mailoutbox) == 3


def test_a_locked_out_visitor_can_still_ask_for_a_password_reset(author, mailoutbox):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        shop_login(client, author.email, "wrong-guess")
    response = client.post("/shop/password-reset/", {"email": author.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1


def _reset_link(mailoutbox) -> str:
    match = re.search(r"https?://[^/\s]+(/shop/password-reset/confirm/\S+/)", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    return match.group(1)


def test_choosing_a_new_password_through_the_emailed_link_ends_the_lockout(author, mailoutbox):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        shop_login(client, author.email, "wrong-guess")
    assert_lockout_page(shop_login(client, author.email, PASSWORD))

    client.post("/shop/password-reset/", {"email": author.email})
    # The link redirects once to a URL that no longer carries the token, as Django does.
    form_page = client.get(_reset_link(mailoutbox), follow=True)
    assert form_page.status_code == 200
    new_password = "another-long-pass-phrase-77"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302

    response = shop_login(Client(REMOTE_ADDR="203.0.113.7"), author.email, new_password)
    assert response.status_code == 302


def test_a_new_password_does_not_lift_the_lock_on_an_address_guessing_other_accounts(
    author, django_user_model
):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for n in range(LIMIT):
        shop_login(client, f"someone-{n}@example.com", "wrong-guess")
    author.set_password("another-long-pass-phrase-77")
    author.save()
    assert_lockout_page(shop_login(client, author.email, "another-long-pass-phrase-77"))


def test_staff_setting_a_new_password_ends_the_accounts_lockout(author):
    for n in range(LIMIT):
        shop_login(Client(REMOTE_ADDR=f"192.0.2.{n + 1}"), author.email, "wrong-guess")
    assert_lockout_page(shop_login(Client(REMOTE_ADDR="192.0.2.99"), author.email, PASSWORD))
    author.set_password("another-long-pass-phrase-77")
    author.save()
    client = Client(REMOTE_ADDR="192.0.2.99")
    assert shop_login(client, author.email, "another-long-pass-phrase-77").status_code == 302
    assert signed_in(client)
