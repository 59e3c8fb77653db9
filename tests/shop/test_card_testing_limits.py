"""Card testing slowed down: sign-ups per address, new SetupIntents and declined cards per
address and per account, each answered in plain words and without asking Stripe anything
once over the limit; counts reset when their window ends."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from shop import gateway
from shop.checkout.views import SETUP_INTENT_SESSION_KEY
from shop.gateway.testing import card_confirm_for_tests
from tests.shop.factories import ProgramFactory
from tests.shop.standin import standin_requests
from tests.shop.test_trial_checkout import buy_once, form_data, open_payment_page, save_card

pytestmark = pytest.mark.django_db

PAYMENT_PAGE = "/shop/checkout/payment-details/"
CARD_LIMIT_WORDS = "Too many card attempts"
SIGNUP_LIMIT_WORDS = "Too many accounts have been opened"


@pytest.fixture(autouse=True)
def stripe_at_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin
    return stripe_standin


@pytest.fixture(autouse=True)
def fresh_counts():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def program():
    return ProgramFactory()


def shopper(n: int):
    return get_user_model().objects.create_user(
        f"shopper{n}", f"shopper{n}@example.com", "a-long-pass-phrase"
    )


def browser(address: str, user) -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def setup_intents_made(received) -> int:
    return sum(1 for r in received if (r["method"], r["path"]) == ("POST", "/v1/setup_intents"))


def test_new_setup_intents_stop_at_the_address_limit_other_addresses_go_on(
    settings, program, stripe_at_standin
):
    settings.CARD_SETUPS_PER_ADDRESS = 2
    with standin_requests(stripe_at_standin) as received:
        pages = [open_payment_page(browser("203.0.113.5", shopper(n)), program) for n in range(4)]
    assert setup_intents_made(received) == 2
    assert [CARD_LIMIT_WORDS in p.content.decode() for p in pages] == [False, False, True, True]
    assert 'id="start-trial" disabled' in pages[-1].content.decode()

    with standin_requests(stripe_at_standin) as received:
        page = open_payment_page(browser("198.51.100.7", shopper(9)), program)
    assert setup_intents_made(received) == 1
    assert CARD_LIMIT_WORDS not in page.content.decode()


def test_one_account_gets_few_new_setup_intents_from_any_address(
    settings, program, stripe_at_standin
):
    settings.CARD_SETUPS_PER_ACCOUNT = 2
    reader, other = shopper(1), shopper(2)
    with standin_requests(stripe_at_standin) as received:
        pages = [open_payment_page(browser("203.0.113.1", reader), program)]
        # The account's basket, opened again in new sessions (so no SetupIntent is reused)
        pages += [
            browser(f"203.0.113.{n}", reader).get("/shop/checkout/", follow=True) for n in (2, 3)
        ]
    assert setup_intents_made(received) == 2
    assert CARD_LIMIT_WORDS in pages[-1].content.decode()

    # Another account at one of the same addresses is not affected.
    with standin_requests(stripe_at_standin) as received:
        open_payment_page(browser("203.0.113.1", other), program)
    assert setup_intents_made(received) == 1


def test_the_limit_resets_when_its_window_ends(settings, program, stripe_at_standin):
    settings.CARD_SETUPS_PER_ADDRESS = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        open_payment_page(browser("203.0.113.5", shopper(1)), program)
        refused = open_payment_page(browser("203.0.113.5", shopper(2)), program)
    assert CARD_LIMIT_WORDS in refused.content.decode()

    later = start + timedelta(seconds=settings.CARD_TESTING_WINDOW_SECONDS + 1)
    with (
        time_machine.travel(later, tick=False),
        standin_requests(stripe_at_standin) as received,
    ):
        page = open_payment_page(browser("203.0.113.5", shopper(3)), program)
    assert setup_intents_made(received) == 1
    assert CARD_LIMIT_WORDS not in page.content.decode()


def test_the_update_card_page_makes_no_setup_intent_over_the_limit(
    settings, make_plan, billing_standin
):
    settings.CARD_SETUPS_PER_ACCOUNT = 1
    plan = make_plan()
    url = f"/shop/accounts/program/{plan.pk}/card/"
    with standin_requests(billing_standin) as received:
        first = browser("203.0.113.5", plan.user).get(url)
        second = browser("203.0.113.6", plan.user).get(url)
    assert setup_intents_made(received) == 1
    assert CARD_LIMIT_WORDS not in first.content.decode()
    assert CARD_LIMIT_WORDS in second.content.decode()


def test_declined_cards_stop_the_account_without_a_call_to_stripe(
    settings, program, stripe_at_standin
):
    settings.CARD_DECLINES_PER_ACCOUNT = 1
    reader = shopper(1)
    client = browser("203.0.113.5", reader)
    open_payment_page(client, program)
    intent_id = client.session[SETUP_INTENT_SESSION_KEY]["id"]
    with pytest.raises(gateway.CardNotUsable):
        card_confirm_for_tests(setup_intent_id=intent_id, card_number="4000000000000002")
    declined = client.post(PAYMENT_PAGE, form_data(client, intent_id))
    assert declined.status_code == 400
    assert "Your card could not be saved" in declined.content.decode()

    data = form_data(client, intent_id)
    with standin_requests(stripe_at_standin) as received:
        refused = client.post(PAYMENT_PAGE, data)
        page = client.get(PAYMENT_PAGE)
    assert received == []
    assert refused.status_code == 429
    assert CARD_LIMIT_WORDS in refused.content.decode()
    assert CARD_LIMIT_WORDS in page.content.decode()

    # Another account elsewhere still checks out.
    with standin_requests(stripe_at_standin) as received:
        open_payment_page(browser("198.51.100.7", shopper(2)), program)
    assert setup_intents_made(received) == 1


def test_declined_first_payments_count_per_address(settings, program, stripe_at_standin):
    settings.CARD_DECLINES_PER_ADDRESS = 1
    program.trial_offer.sell_without_trial = True
    program.trial_offer.save()
    client = browser("203.0.113.5", shopper(1))
    buy_once(client, program)  # the tryout once: the next purchase pays its first installment

    open_payment_page(client, program)
    declined = client.post(PAYMENT_PAGE, form_data(client, save_card(client, "4000000000000341")))
    assert declined.status_code == 400
    assert "declined" in declined.content.decode()

    # A second account at the same address is refused before Stripe is asked.
    with standin_requests(stripe_at_standin) as received:
        page = open_payment_page(browser("203.0.113.5", shopper(2)), program)
    assert setup_intents_made(received) == 0
    assert CARD_LIMIT_WORDS in page.content.decode()


def registration(address: str, n: int, *, path: str = "/shop/accounts/login/"):
    client = Client(REMOTE_ADDR=address)
    if path.endswith("login/"):
        data = {
            "registration-email": f"new{n}@example.com",
            "registration-password1": "a-long-pass-phrase",
            "registration-password2": "a-long-pass-phrase",
            "registration_submit": "Register",
        }
    else:
        data = {
            "email": f"new{n}@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
            "redirect_url": "/shop/checkout/",
        }
    return client.post(path, data)


@pytest.mark.parametrize("path", ["/shop/accounts/login/", "/shop/accounts/register/"])
def test_sign_ups_stop_at_the_address_limit(settings, path):
    settings.SIGNUPS_PER_ADDRESS = 2
    answers = [registration("203.0.113.5", n, path=path) for n in range(4)]

    assert [a.status_code for a in answers] == [302, 302, 429, 429]
    assert SIGNUP_LIMIT_WORDS in answers[-1].content.decode()
    users = get_user_model().objects
    assert sorted(users.values_list("email", flat=True)) == [
        "new0@example.com",
        "new1@example.com",
    ]
    # Another address signs up; and after the window the first one may again.
    assert registration("198.51.100.7", 7, path=path).status_code == 302
    later = timezone.now() + timedelta(seconds=settings.CARD_TESTING_WINDOW_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert registration("203.0.113.5", 8, path=path).status_code == 302
    assert users.count() == 4
