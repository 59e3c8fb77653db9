"""Paying at checkout, against the running Stripe stand-in: money is taken once, for exactly
the terms the customer read, and nothing is ever given away unpaid.

The test client posts what the page's Stripe.js would: the card is saved through the
SetupIntent, the bank's check (3-D Secure) is done at the stand-in, then the form is sent."""

import threading
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import stripe
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_product

from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    PlanStatus,
    StripeCustomer,
    TrialConsent,
)
from shop.checkout.views import SETUP_INTENT_SESSION_KEY
from shop.downloads.models import DownloadGrant
from shop.gateway.testing import bank_check_for_tests, card_confirm_for_tests
from tests.shop.factories import ProgramFactory

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")
StockRecord = get_model("partner", "StockRecord")
Default = get_class("partner.strategy", "Default")

pytestmark = pytest.mark.django_db

CARD_OK = "4242424242424242"
CARD_BANK_CHECK = "4000002500003155"
CARD_DECLINED_AT_CHARGE = "4000000000000341"
PAGE = "/shop/checkout/payment-details/"


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


@pytest.fixture
def recording():
    """A webinar recording, sold outright: a price, no tryout, nothing to post."""
    product = create_product(
        title="Webinar recording: Why back pain comes back",
        price=Decimal("49.00"),
        num_in_stock=None,
        product_class="Webinar recording",
    )
    product_class = product.get_product_class()
    product_class.requires_shipping = False
    product_class.track_stock = False
    product_class.save()
    return product


class _FormFields(HTMLParser):
    """The inputs of one form of a page, as the browser would send them untouched."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields, self.labels = form_id, False, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif tag == "input" and self.inside and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def hidden_fields(html: str, form_id: str = "trial-form") -> dict:
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields


def add_to_basket(client, product) -> None:
    assert client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1}).status_code == 302


def payment_page(client) -> str:
    response = client.get("/shop/checkout/", follow=True)
    assert response.redirect_chain[-1][0].endswith(PAGE), response.redirect_chain
    return response.content.decode()


def save_card(client, number: str = CARD_OK) -> str:
    intent_id = client.session[SETUP_INTENT_SESSION_KEY]["id"]
    card_confirm_for_tests(setup_intent_id=intent_id, card_number=number, bank_check=True)
    return intent_id


def filled_form(page: str, intent_id: str, **extra) -> dict:
    """The page's form as the customer sends it: card saved, country chosen, box ticked."""
    return {
        **hidden_fields(page),
        "setup_intent_id": intent_id,
        "country": "US",
        "consent": "on",
        **extra,
    }


def stripe_payment_intents(user) -> list:
    """Every PaymentIntent of the user's customer at the stand-in."""
    from django.conf import settings

    customer_id = StripeCustomer.objects.get(user=user).customer_id
    client = stripe.StripeClient(
        "sk_test_standin", base_addresses={"api": settings.STRIPE_API_BASE}
    )
    # The stand-in refuses the customer filter: list all and filter here.
    intents = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [intent for intent in intents if intent.customer == customer_id]


def succeeded(user) -> list:
    return [i for i in stripe_payment_intents(user) if i.status == "succeeded"]


def tryout_used(client, program) -> None:
    """The reader had the free tryout; the author sells the program without it."""
    program.trial_offer.sell_without_trial = True
    program.trial_offer.save()
    add_to_basket(client, program)
    page = payment_page(client)
    assert client.post(PAGE, filled_form(page, save_card(client))).status_code == 302


def page_without_tryout(client, program) -> str:
    tryout_used(client, program)
    add_to_basket(client, program)
    page = payment_page(client)
    assert "Pay $98.50 now" in page
    return page


# 4. Buying without the tryout takes the first payment once.


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_simultaneous_payments_without_the_tryout_charge_once(reader, program):
    first = Client()
    first.force_login(reader)
    page = page_without_tryout(first, program)
    data = filled_form(page, save_card(first))
    browsers = [first] + [Client() for _ in range(3)]
    for browser in browsers[1:]:
        browser.cookies = first.cookies  # one browser session, four tabs
    barrier = threading.Barrier(len(browsers))
    statuses = []

    def submit(browser):
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            statuses.append(browser.post(PAGE, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    paid = succeeded(reader)
    assert len(paid) == 1, [(i.id, i.status, i.amount) for i in paid]
    assert paid[0].amount == 9850
    plan = InstallmentPlan.objects.get(with_trial=False)
    assert plan.charges.get(sequence=1).payment_intent_id == paid[0].id
    assert Order.objects.count() == 2  # the tryout, then this purchase
    assert statuses.count(302) == len(browsers), statuses


def test_the_bank_check_at_purchase_is_done_in_the_browser_then_paid_once(client, reader, program):
    client.force_login(reader)
    page = page_without_tryout(client, program)
    form = filled_form(page, save_card(client, CARD_BANK_CHECK))

    response = client.post(PAGE, form)
    assert response.status_code == 200
    confirm_page = response.content.decode()
    assert "Your bank asks you to confirm this payment" in confirm_page
    confirm = hidden_fields(confirm_page, "confirm-form")
    intent_id = confirm["payment_intent_id"]
    assert f'data-client-secret="{intent_id}_secret_' in confirm_page
    assert not InstallmentPlan.objects.filter(with_trial=False).exists()

    # Sent again before the bank's check: the same PaymentIntent, no second one.
    again = client.post(PAGE, form)
    assert hidden_fields(again.content.decode(), "confirm-form")["payment_intent_id"] == intent_id
    assert len(stripe_payment_intents(reader)) == 1

    assert bank_check_for_tests(payment_intent_id=intent_id, success=True) == 200
    done = client.post(PAGE, confirm)
    assert done.status_code == 302 and done["Location"] == "/shop/checkout/thank-you/"

    plan = InstallmentPlan.objects.get(with_trial=False)
    first = plan.charges.get(sequence=1)
    assert (first.status, first.payment_intent_id) == (ChargeStatus.PAID, intent_id)
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert plan.order.sources.get().amount_debited == Decimal("98.50")
    assert [i.id for i in succeeded(reader)] == [intent_id]

    # The browser sends the confirmation once more: the order is shown, nothing repeats.
    repeat = client.post(PAGE, confirm)
    assert repeat.status_code == 302 and repeat["Location"] == "/shop/checkout/thank-you/"
    assert InstallmentPlan.objects.filter(with_trial=False).count() == 1
    assert len(stripe_payment_intents(reader)) == 1


def test_a_failed_bank_check_places_no_order_and_another_card_pays_once(client, reader, program):
    client.force_login(reader)
    page = page_without_tryout(client, program)
    response = client.post(PAGE, filled_form(page, save_card(client, CARD_BANK_CHECK)))
    confirm = hidden_fields(response.content.decode(), "confirm-form")
    bank_check_for_tests(payment_intent_id=confirm["payment_intent_id"], success=False)

    failed = client.post(PAGE, confirm)
    assert failed.status_code == 400
    page = failed.content.decode()
    assert "Your bank could not confirm this payment" in page
    assert not InstallmentPlan.objects.filter(with_trial=False).exists()
    assert succeeded(reader) == []

    done = client.post(PAGE, filled_form(page, save_card(client, CARD_OK)))
    assert done.status_code == 302, done.content.decode()[:2000]
    paid = succeeded(reader)
    assert len(paid) == 1
    plan = InstallmentPlan.objects.get(with_trial=False)
    assert plan.charges.get(sequence=1).payment_intent_id == paid[0].id


# 5. The customer agrees to the terms on the page, and only to those.


def test_terms_changed_after_the_page_was_shown_are_shown_again_and_nothing_is_charged(
    client, reader, program
):
    client.force_login(reader)
    page = page_without_tryout(client, program)
    form = filled_form(page, save_card(client))
    offer = program.trial_offer
    offer.installment_amount = Decimal("120.00")
    offer.save()

    response = client.post(PAGE, form)
    assert response.status_code == 400
    shown = response.content.decode()
    assert "The terms have changed since you opened this page" in shown
    assert "Pay $120.00 now" in shown and 'name="consent" id="id_consent" required>' in shown
    assert Order.objects.count() == 1 and InstallmentPlan.objects.count() == 1
    assert stripe_payment_intents(reader) == []


def test_tryout_terms_changed_after_the_page_was_shown_create_nothing(client, reader, program):
    client.force_login(reader)
    add_to_basket(client, program)
    page = payment_page(client)
    form = filled_form(page, save_card(client))
    offer = program.trial_offer
    offer.trial_days = 7
    offer.save()

    response = client.post(PAGE, form)
    assert response.status_code == 400
    shown = response.content.decode()
    assert "The terms have changed since you opened this page" in shown
    assert "I agree to a free 7-day tryout" in shown
    assert not Order.objects.exists() and not InstallmentPlan.objects.exists()


def test_the_consent_stored_is_the_text_shown_and_signed(client, reader, program):
    client.force_login(reader)
    add_to_basket(client, program)
    page = payment_page(client)
    label_start = page.index('<label for="id_consent">') + len('<label for="id_consent">')
    shown_text = page[label_start : page.index("</label>", label_start)]
    assert client.post(PAGE, filled_form(page, save_card(client))).status_code == 302
    from django.utils.html import escape

    assert escape(TrialConsent.objects.get().text) == shown_text


def test_terms_from_another_page_or_altered_are_refused(client, reader, program):
    client.force_login(reader)
    add_to_basket(client, program)
    page = payment_page(client)
    form = filled_form(page, save_card(client))
    for name in ("terms", "shown_on"):
        if name in form:
            form[name] = "x" + form[name][1:]
    response = client.post(PAGE, form)
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_dates_shown_yesterday_are_shown_again(client, reader, program):
    client.force_login(reader)
    add_to_basket(client, program)
    with time_machine.travel("2026-11-23 23:59:00+00:00", tick=False):
        page = payment_page(client)
    form = filled_form(page, save_card(client))
    with time_machine.travel("2026-11-24 00:01:00+00:00", tick=False):
        response = client.post(PAGE, form)
    assert response.status_code == 400
    assert "The dates of your payments have moved on" in response.content.decode()
    assert not Order.objects.exists()


# 6. Products sold outright are paid before they are ordered.


def test_a_product_sold_outright_is_paid_once_then_ordered_with_its_download(
    client, reader, recording
):
    client.force_login(reader)
    add_to_basket(client, recording)
    page = payment_page(client)
    assert "Pay $49.00 now" in page
    assert "Webinar recording: Why back pain comes back" in page

    response = client.post(PAGE, filled_form(page, save_card(client)))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/shop/checkout/thank-you/"

    order = Order.objects.get()
    assert order.status == "Paid" and order.total_incl_tax == Decimal("49.00")
    (paid,) = succeeded(reader)
    assert (paid.amount, paid.currency) == (4900, "usd")
    source = order.sources.get()
    assert (source.amount_allocated, source.amount_debited) == (Decimal("49.00"),) * 2
    assert source.reference == paid.id
    event = order.payment_events.get()
    assert (event.amount, event.reference) == (Decimal("49.00"), paid.id)
    assert DownloadGrant.objects.get(order=order, product=recording).is_active()
    assert order.basket.status == Basket.SUBMITTED
    assert not InstallmentPlan.objects.exists()
    assert "I agree to pay $49.00" in TrialConsent.objects.get(order=order).text

    receipt = mail.outbox[-1]
    assert receipt.to == ["reader@example.com"]
    assert "Paid today: $49.00" in receipt.body
    thank_you = client.get("/shop/checkout/thank-you/").content.decode()
    assert "$49.00 has been charged" in thank_you and "My program" in thank_you


def test_oscar_preview_and_place_order_cannot_place_an_unpaid_order(client, reader, recording):
    client.force_login(reader)
    add_to_basket(client, recording)
    # Through Oscar's steps (account, no shipping, payment method) as far as they go.
    client.get("/shop/checkout/", follow=True)
    for path, data in [
        ("/shop/checkout/preview/", {"action": "place_order"}),
        ("/shop/checkout/preview/", {}),
        (PAGE, {"action": "place_order"}),
        (PAGE, {}),
    ]:
        client.post(path, data)
    assert not Order.objects.exists()
    assert Basket.objects.get(owner=reader).status == Basket.OPEN


def test_a_declined_card_for_an_outright_purchase_places_no_order(client, reader, recording):
    client.force_login(reader)
    add_to_basket(client, recording)
    page = payment_page(client)
    response = client.post(PAGE, filled_form(page, save_card(client, CARD_DECLINED_AT_CHARGE)))
    assert response.status_code == 400
    assert "declined" in response.content.decode()
    assert not Order.objects.exists()
    assert succeeded(reader) == []


def unchargeable_basket(kind, reader, recording, program):
    basket = Basket.objects.create(owner=reader)
    basket.strategy = Default()
    record = recording.stockrecords.get()
    if kind == "zero price":
        record.price = Decimal("0.00")
    elif kind == "currency not taken":
        record.price_currency = "JPY"
    record.save()
    basket.add_product(recording)
    if kind == "missing price":
        StockRecord.objects.filter(pk=record.pk).update(price=None)
    elif kind == "not available":
        recording.is_public = False
        recording.save()
    elif kind == "tryout mixed with other lines":
        basket.add_product(program)


MESSAGES = {
    "zero price": ["has nothing to pay"],
    "missing price": ["has no price", "not available"],
    "currency not taken": ["priced in JPY"],
    "not available": ["not available"],
    "tryout mixed with other lines": ["bought on its own"],
}


@pytest.mark.parametrize(
    "kind",
    [
        "zero price",
        "missing price",
        "currency not taken",
        "not available",
        "tryout mixed with other lines",
    ],
)
def test_a_basket_the_site_cannot_charge_is_refused(client, reader, recording, program, kind):
    unchargeable_basket(kind, reader, recording, program)
    client.force_login(reader)
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"] == "/shop/basket/"
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said and any(word in said[0] for word in MESSAGES[kind]), said
    for path in (PAGE, "/shop/checkout/preview/"):
        client.post(path, {"action": "place_order", "setup_intent_id": "seti_x"})
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_simultaneous_outright_submissions_make_one_charge_and_one_order(reader, recording):
    first = Client()
    first.force_login(reader)
    add_to_basket(first, recording)
    data = filled_form(payment_page(first), save_card(first))
    browsers = [first] + [Client() for _ in range(3)]
    for browser in browsers[1:]:
        browser.cookies = first.cookies
    barrier = threading.Barrier(len(browsers))
    statuses = []

    def submit(browser):
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            statuses.append(browser.post(PAGE, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert len(succeeded(reader)) == 1
    assert Order.objects.count() == 1
    assert DownloadGrant.objects.count() == 1
    assert statuses.count(302) == len(browsers), statuses
