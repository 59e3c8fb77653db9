"""Starting the free tryout, against the running Stripe stand-in: the card is saved by a
SetupIntent (as Stripe.js would), nothing is charged, and the order, its plan, consent and
download grant appear together, or not at all."""

import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import stripe
import time_machine
from django.core import mail
from django.test import Client
from oscar.core.loading import get_model

from shop import gateway
from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    PlanStatus,
    ScheduledCharge,
    TrialClaim,
    TrialConsent,
)
from shop.checkout.views import SETUP_INTENT_SESSION_KEY
from shop.downloads.models import DownloadGrant
from shop.gateway.testing import card_confirm_for_tests
from tests.shop.factories import ProgramFactory
from tests.support.processes import free_port

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def stripe_at_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin
    return stripe_standin


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user(
        "reader", "reader@example.com", "a-long-pass-phrase", first_name="Robin"
    )


def open_payment_page(client, product):
    assert client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1}).status_code == 302
    response = client.get("/shop/checkout/", follow=True)
    assert response.redirect_chain[-1][0].endswith("/shop/checkout/payment-details/")
    return response


def save_card(client, number="4242424242424242") -> str:
    intent_id = client.session[SETUP_INTENT_SESSION_KEY]["id"]
    card_confirm_for_tests(setup_intent_id=intent_id, card_number=number)
    return intent_id


def shown_terms(browser) -> str:
    """The signed terms the payment page shows now, as its form sends them back."""
    page = browser.get("/shop/checkout/payment-details/").content.decode()
    found = re.search(r'name="terms" value="([^"]*)"', page)
    return found.group(1) if found else ""


def form_data(browser, intent_id, **extra):
    return {
        "setup_intent_id": intent_id,
        "country": "US",
        "consent": "on",
        "terms": shown_terms(browser),
        **extra,
    }


def stripe_payment_intents(customer_id: str, base: str) -> list:
    client = stripe.StripeClient("sk_test_standin", base_addresses={"api": base})
    # The stand-in refuses the customer filter: list all and filter here.
    intents = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [intent for intent in intents if intent.customer == customer_id]


def test_checkout_with_4242_starts_the_trial_and_charges_nothing(
    client, reader, program, stripe_at_standin
):
    client.force_login(reader)
    with time_machine.travel(NOW, tick=True):
        open_payment_page(client, program)
        intent_id = save_card(client)
        response = client.post(
            "/shop/checkout/payment-details/",
            form_data(client, intent_id),
            HTTP_USER_AGENT="Test Browser 1.0",
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/shop/checkout/thank-you/"

    order = Order.objects.get()
    assert order.status == "Free tryout"
    assert order.total_incl_tax == Decimal("197.00")
    source = order.sources.get()
    assert (source.amount_allocated, source.amount_debited) == (Decimal("197.00"), Decimal("0"))
    assert order.basket.status == Basket.SUBMITTED

    plan = InstallmentPlan.objects.get(order=order)
    assert plan.status == PlanStatus.TRIALING
    assert plan.total_cents == 19700 and plan.installment_amount_cents == 9850
    charges = list(plan.charges.all())
    assert [c.amount_cents for c in charges] == [9850, 9850]
    assert [c.status for c in charges] == [ChargeStatus.SCHEDULED] * 2
    start = plan.trial_started_at
    assert charges[0].due_at == start + timedelta(days=14)
    assert charges[1].due_at == start + timedelta(days=42)
    assert plan.card_last4 == "4242" and plan.card_fingerprint
    assert plan.events.get().kind == "trial_started"

    consent = TrialConsent.objects.get(order=order)
    assert "$98.50 on December 8, 2026 and $98.50 on January 5, 2027" in consent.text
    assert "($197.00 in total)" in consent.text
    assert consent.ip_address == "127.0.0.1"
    assert consent.user_agent == "Test Browser 1.0"
    assert DownloadGrant.objects.get(order=order).is_active()
    assert TrialClaim.objects.filter(plan=plan).count() == 3

    # Nothing charged at Stripe; the card is attached to the customer for later.
    assert stripe_payment_intents(plan.stripe_customer_id, stripe_at_standin) == []
    card = gateway.card_details(plan.stripe_payment_method_id)
    assert card.customer_id == plan.stripe_customer_id

    thank_you = client.get("/shop/checkout/thank-you/").content.decode()
    assert "nothing has been charged today" in thank_you
    assert "December 8, 2026" in thank_you and "January 5, 2027" in thank_you
    assert "Quit 2-Week Tryout" in thank_you

    receipt = mail.outbox[-1]
    assert receipt.to == ["reader@example.com"]
    assert "$0.00" in receipt.subject
    assert "Charged today: $0.00" in receipt.body
    assert "December 8, 2026: payment 1 of 2, $98.50" in receipt.body
    assert "Quit 2-Week Tryout" in receipt.body
    assert "/shop/accounts/program/" in receipt.body


def test_the_payment_page_discloses_every_term_with_real_dates(client, reader, program):
    client.force_login(reader)
    with time_machine.travel(NOW, tick=True):
        page = open_payment_page(client, program).content.decode()
    assert "trial-disclosure" in page, page[page.find('<div class="trial-checkout">') :][:1500]
    assert "14-day free tryout" in page
    assert "$0.00" in page
    assert '<time datetime="2026-12-08">December 8, 2026</time>' in page
    assert '<time datetime="2027-01-05">January 5, 2027</time>' in page
    assert page.count("$98.50") >= 2
    assert "$197.00" in page and "every 4 weeks" in page
    assert "Quit 2-Week Tryout" in page
    assert "nothing is ever charged" in page
    assert "at least 7 days before the first payment" in page
    # The consent box is separate and unticked.
    assert 'name="consent" id="id_consent" required>' in page
    assert "I agree to a free 14-day tryout" in page
    assert "I ask for immediate access to the download" in page
    # Stripe.js from settings, loaded in the head, with the SetupIntent's secret.
    head = page[: page.index("</head>")]
    assert "/js.stripe.com/v3/" in head
    assert 'data-client-secret="seti_' in page


def test_unticked_consent_is_refused_and_nothing_is_written(client, reader, program):
    client.force_login(reader)
    open_payment_page(client, program)
    intent_id = save_card(client)
    data = form_data(client, intent_id)
    del data["consent"]
    response = client.post("/shop/checkout/payment-details/", data)
    assert response.status_code == 400
    assert "Please tick the box to agree to the payment terms" in response.content.decode()
    assert not Order.objects.exists() and not InstallmentPlan.objects.exists()


def test_eu_customers_must_ask_for_immediate_access(client, reader, program):
    client.force_login(reader)
    open_payment_page(client, program)
    intent_id = save_card(client)
    response = client.post(
        "/shop/checkout/payment-details/", form_data(client, intent_id, country="DE")
    )
    assert response.status_code == 400
    assert "we can only give you the download at once if you ask" in response.content.decode()
    assert not Order.objects.exists()

    response = client.post(
        "/shop/checkout/payment-details/",
        form_data(client, intent_id, country="DE", immediate_access="on"),
    )
    assert response.status_code == 302
    consent = TrialConsent.objects.get()
    assert consent.country == "DE" and consent.immediate_access_requested
    assert "right of withdrawal ends" in consent.immediate_access_text


def test_declined_card_4000_0000_0000_0002_places_no_order(client, reader, program):
    client.force_login(reader)
    open_payment_page(client, program)
    intent_id = client.session[SETUP_INTENT_SESSION_KEY]["id"]
    with pytest.raises(gateway.CardNotUsable):
        card_confirm_for_tests(setup_intent_id=intent_id, card_number="4000000000000002")
    # Even if the page were posted anyway with that SetupIntent:
    response = client.post("/shop/checkout/payment-details/", form_data(client, intent_id))
    assert response.status_code == 400
    assert "Your card could not be saved" in response.content.decode()
    assert not Order.objects.exists() and not InstallmentPlan.objects.exists()
    assert Basket.objects.get(owner=reader).status == Basket.OPEN


def test_stripe_unreachable_gives_a_clear_message_and_keeps_the_basket(
    client, reader, program, settings
):
    client.force_login(reader)
    open_payment_page(client, program)
    intent_id = save_card(client)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    response = client.post("/shop/checkout/payment-details/", form_data(client, intent_id))
    assert response.status_code == 400
    page = response.content.decode()
    assert "We could not reach our payment provider just now" in page
    assert "Nothing has been charged" in page
    assert not Order.objects.exists()
    basket = Basket.objects.get(owner=reader)
    assert basket.status == Basket.OPEN and basket.num_items == 1
    # The page itself, opened while the provider is down, says so and offers no button.
    page = client.get("/shop/checkout/payment-details/").content.decode()
    assert "We could not reach our payment provider just now" in page
    assert 'id="start-trial" disabled' in page


def test_a_second_trial_is_refused_for_the_account(client, reader, program):
    client.force_login(reader)
    open_payment_page(client, program)
    client.post("/shop/checkout/payment-details/", form_data(client, save_card(client)))
    assert Order.objects.count() == 1

    page = open_payment_page(client, program).content.decode()
    assert "has already been used with this account and this email address" in page
    assert 'id="trial-form"' not in page


def test_a_second_trial_is_refused_for_the_same_card(client, reader, program, django_user_model):
    client.force_login(reader)
    open_payment_page(client, program)
    client.post("/shop/checkout/payment-details/", form_data(client, save_card(client)))

    other = Client()
    other.force_login(
        django_user_model.objects.create_user("other", "other@example.com", "a-long-pass-phrase")
    )
    open_payment_page(other, program)
    response = other.post("/shop/checkout/payment-details/", form_data(other, save_card(other)))
    assert response.status_code == 400
    assert "has already been used with this card" in response.content.decode()
    assert Order.objects.count() == 1


def test_posting_the_same_card_twice_gives_one_order(client, reader, program):
    client.force_login(reader)
    open_payment_page(client, program)
    intent_id = save_card(client)
    first = client.post("/shop/checkout/payment-details/", form_data(client, intent_id))
    assert first.status_code == 302
    sent = len(mail.outbox)
    # The browser retries the same request (the basket is now submitted).
    client.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1})
    second = client.post("/shop/checkout/payment-details/", form_data(client, intent_id))
    assert second.status_code == 302
    assert second["Location"] == "/shop/checkout/thank-you/"
    assert Order.objects.count() == 1 and InstallmentPlan.objects.count() == 1
    assert len(mail.outbox) == sent


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_submissions_give_one_order(reader, program, stripe_at_standin):
    first = Client()
    first.force_login(reader)
    open_payment_page(first, program)
    intent_id = save_card(first)
    second = Client()
    second.cookies = first.cookies  # the same browser session, two tabs
    data = form_data(first, intent_id)
    barrier = threading.Barrier(2)
    statuses = []

    def submit(browser):
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            statuses.append(browser.post("/shop/checkout/payment-details/", data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(b,)) for b in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Order.objects.count() == 1
    assert InstallmentPlan.objects.count() == 1
    assert ScheduledCharge.objects.count() == 2
    assert 302 in statuses


def test_terms_shown_yesterday_are_shown_again(client, reader, program):
    client.force_login(reader)
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        open_payment_page(client, program)
        data = form_data(client, save_card(client))
    with time_machine.travel(NOW, tick=False):
        response = client.post("/shop/checkout/payment-details/", data)
    assert response.status_code == 400
    assert "dates of your payments have moved on" in response.content.decode()
    assert not Order.objects.exists()


def test_guest_checkout_is_off(client, program):
    client.post(f"/shop/basket/add/{program.pk}/", {"quantity": 1})
    for path in ("/shop/checkout/", "/shop/checkout/payment-details/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/shop/accounts/login/?next=/shop/checkout/")
    page = client.get(response["Location"]).content.decode()
    assert 'name="login_submit"' in page and 'name="registration_submit"' in page


def test_the_trial_is_bought_once_per_basket(client, reader, program):
    client.force_login(reader)
    client.post(f"/shop/basket/add/{program.pk}/", {"quantity": 2})
    response = client.get("/shop/checkout/payment-details/", follow=True)
    assert "please leave only one copy" in response.content.decode()
    assert not Order.objects.exists()


def test_quitting_during_the_trial_cancels_everything_once(
    client, reader, program, django_capture_on_commit_callbacks
):
    client.force_login(reader)
    open_payment_page(client, program)
    client.post("/shop/checkout/payment-details/", form_data(client, save_card(client)))
    plan = InstallmentPlan.objects.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/shop/accounts/program/{plan.pk}/quit/", {"confirm": "yes"}, follow=True
        )
    assert "You have quit the free tryout" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIAL_QUIT
    assert set(plan.charges.values_list("status", flat=True)) == {"cancelled"}
    assert plan.order.status == "Tryout quit"
    grant = DownloadGrant.objects.get(order=plan.order)
    assert grant.ends_at == plan.trial_ends_at and grant.is_active()
    assert not grant.is_active(at=plan.trial_ends_at)
    assert [m.subject for m in mail.outbox] == [
        "You have quit your free tryout: nothing will be charged"
    ]

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(
            f"/shop/accounts/program/{plan.pk}/quit/", {"confirm": "yes"}, follow=True
        )
    assert "already quit" in again.content.decode()
    assert plan.events.filter(kind="trial_quit").count() == 1
    assert len(mail.outbox) == 1


def test_nobody_else_can_quit_a_customers_trial(client, reader, program, django_user_model):
    client.force_login(reader)
    open_payment_page(client, program)
    client.post("/shop/checkout/payment-details/", form_data(client, save_card(client)))
    plan = InstallmentPlan.objects.get()
    stranger = Client()
    stranger.force_login(
        django_user_model.objects.create_user("x", "x@example.com", "a-long-pass-phrase")
    )
    assert stranger.post(f"/shop/accounts/program/{plan.pk}/quit/").status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIALING


def test_the_dashboard_shows_the_plan_its_payments_and_events(
    client, reader, program, django_user_model
):
    client.force_login(reader)
    open_payment_page(client, program)
    client.post("/shop/checkout/payment-details/", form_data(client, save_card(client)))
    order = Order.objects.get()
    author = django_user_model.objects.create_superuser("author", "a@example.com", "pw-1234567")
    client.force_login(author)
    page = client.get(f"/shop/dashboard/orders/{order.number}/").content.decode()
    assert 'id="installment-plan"' in page and "Free tryout" in page
    assert page.count("$98.50") >= 2 and "$197.00" in page
    # The whole story (events, consent, card) is on the program's page in the back office.
    plan_url = f"/cms/programs/{order.installment_plan.pk}/"
    assert f'href="{plan_url}"' in page
    program = client.get(plan_url).content.decode()
    assert "trial_started" in program and "I agree to a free 14-day tryout" in program
    assert "Visa ····4242" in program or "····4242" in program


def buy_once(client, program):
    open_payment_page(client, program)
    response = client.post("/shop/checkout/payment-details/", form_data(client, save_card(client)))
    assert response.status_code == 302


def test_after_the_tryout_the_program_can_be_bought_without_it_when_the_author_allows(
    client, reader, program, stripe_at_standin
):
    program.trial_offer.sell_without_trial = True
    program.trial_offer.save()
    client.force_login(reader)
    buy_once(client, program)

    with time_machine.travel(NOW, tick=True):
        page = open_payment_page(client, program).content.decode()
        assert "You have already had the free tryout" in page
        assert "I agree to buy Get Free from That Back Pain without a free tryout" in page
        assert '<time datetime="2026-11-24">November 24, 2026</time>' in page
        assert '<time datetime="2026-12-22">December 22, 2026</time>' in page
        assert "Pay $98.50 now" in page
        response = client.post(
            "/shop/checkout/payment-details/", form_data(client, save_card(client))
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    order = Order.objects.order_by("-pk").first()
    assert order.status == "Payments under way"
    plan = order.installment_plan
    assert not plan.with_trial and plan.status == PlanStatus.INSTALLMENT_PAID
    first, second = plan.charges.all()
    assert first.status == ChargeStatus.PAID and first.payment_intent_id
    assert second.status == ChargeStatus.SCHEDULED
    assert second.due_at == plan.trial_started_at + timedelta(days=28)
    assert order.sources.get().amount_debited == Decimal("98.50")
    paid = gateway.payment_intent_retrieve(first.payment_intent_id)
    assert (paid.status, paid.amount_cents) == ("succeeded", 9850)
    assert TrialClaim.objects.filter(plan=plan).count() == 0
    assert "Charged today: $98.50" in mail.outbox[-1].body
    assert "Quit" not in mail.outbox[-1].body


def test_without_the_tryout_a_declined_first_payment_places_no_order(client, reader, program):
    program.trial_offer.sell_without_trial = True
    program.trial_offer.save()
    client.force_login(reader)
    buy_once(client, program)

    open_payment_page(client, program)
    # Saves fine, declined when charged.
    response = client.post(
        "/shop/checkout/payment-details/",
        form_data(client, save_card(client, "4000000000000341")),
    )
    assert response.status_code == 400
    assert "declined" in response.content.decode()
    assert Order.objects.count() == 1


def test_a_card_that_had_the_tryout_is_offered_the_plan_without_it(
    client, reader, program, django_user_model
):
    program.trial_offer.sell_without_trial = True
    program.trial_offer.save()
    client.force_login(reader)
    buy_once(client, program)

    other = Client()
    other.force_login(
        django_user_model.objects.create_user("other", "other@example.com", "a-long-pass-phrase")
    )
    open_payment_page(other, program)
    response = other.post("/shop/checkout/payment-details/", form_data(other, save_card(other)))
    assert response.status_code == 400
    page = response.content.decode()
    assert "already been used with this card" in page
    assert "You can still buy it without the tryout" in page
    assert "I agree to buy" in page and "Pay $98.50 now" in page
    assert Order.objects.count() == 1


def repeat_card_page(client, program, django_user_model):
    """A second account enters the card that already had the tryout; the page it gets."""
    client.force_login(
        django_user_model.objects.create_user("first", "first@example.com", "a-long-pass-phrase")
    )
    buy_once(client, program)
    other = Client()
    other.force_login(
        django_user_model.objects.create_user("other", "other@example.com", "a-long-pass-phrase")
    )
    with time_machine.travel(NOW, tick=True):
        open_payment_page(other, program)
        response = other.post("/shop/checkout/payment-details/", form_data(other, save_card(other)))
    return other, response


def test_a_repeat_card_reads_the_refusal_once_and_the_program_without_the_tryout(
    client, program, django_user_model
):
    program.trial_offer.sell_without_trial = True
    program.trial_offer.save()
    other, response = repeat_card_page(client, program, django_user_model)
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("already been used with this card") == 1
    assert page.count("already had the free tryout") == 0
    assert "Start free" not in page and "$0.00 today" not in page
    # The same program paid now, with its own disclosure, consent and button.
    assert "Payment 1 of 2: <strong>$98.50</strong> charged today" in page
    assert "I agree to buy Get Free from That Back Pain without a free tryout" in page
    assert (
        'id="id_consent"' in page and " checked" not in page[page.index('id="id_consent"') :][:80]
    )
    assert "Pay $98.50 now" in page
    with time_machine.travel(NOW, tick=True):
        again = other.post("/shop/checkout/payment-details/", form_data(other, save_card(other)))
    assert again.status_code == 302, again.content.decode()[:2000]
    assert Order.objects.order_by("-pk").first().installment_plan.with_trial is False


def test_a_repeat_card_without_the_option_reads_the_refusal_once_and_no_tryout_button(
    client, program, django_user_model
):
    other, response = repeat_card_page(client, program, django_user_model)
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("already been used with this card") == 1
    assert "Start free" not in page and "$0.00 today" not in page
    assert 'id="trial-form"' not in page
    assert Order.objects.count() == 1
