"""Stripe going away in the middle of the work: during checkout, a scheduled charge, a refund
and quitting the tryout. Each time the customer or the author reads what happened, the error
is logged with what it was about, nothing is lost or done twice, and once Stripe is back the
next try (or the next billing run) finishes the job exactly once."""

import logging
import re
import threading
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from oscar.core.loading import get_model
from oscar.test.factories import create_product

from shop import gateway
from shop.billing.charging import charge_installment
from shop.billing.models import (
    ChargeStatus,
    InstallmentPlan,
    InstallmentRefund,
    PlanStatus,
    RefundStatus,
)
from shop.checkout.models import CheckoutPayment
from shop.downloads.models import DownloadGrant
from tests.shop.billing_helpers import DAY0, day, intents_of
from tests.shop.factories import plan_for_tests

Order = get_model("order", "Order")
Basket = get_model("basket", "Basket")

pytestmark = pytest.mark.django_db

PAYMENT_PAGE = "/shop/checkout/payment-details/"
UNREACHABLE = "We could not reach our payment provider just now"


class CutWhenHeld(threading.Thread):
    """Cuts the relay once ``seen()`` grows; `join()` raises if that never happened, so a
    test cannot pass on an outage other than the one it set up."""

    def __init__(self, outage, seen):
        super().__init__(daemon=True)
        self.outage, self.seen, self.before, self.failure = outage, seen, seen(), None

    def run(self) -> None:
        try:
            self.outage.wait_until(lambda: self.seen() > self.before, timeout=30)
            self.outage.cut()
        except TimeoutError as err:
            self.failure = err

    def join(self, timeout=None) -> None:
        super().join(timeout)
        if self.failure is not None:
            raise AssertionError("the stand-in never held the request to cut") from self.failure


def cut_when_held(outage, held: str) -> CutWhenHeld:
    """Cut the relay once the stand-in holds the ``held`` request ("POST /v1/..."), whatever
    the machine's speed: a fixed wait cut an earlier request on a busy machine."""
    method, path = held.split(" ", 1)
    # "{id}" stands for one path segment, as in the stand-in's delay rules.
    pattern = re.compile(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$")

    def seen() -> int:
        return sum(
            1 for r in outage.requests() if r["method"] == method and pattern.match(r["path"])
        )

    thread = CutWhenHeld(outage, seen)
    thread.start()
    return thread


def payment_page_post_while_stripe_dies(client, outage, held: str, data: dict, caplog):
    """Post the payment page while Stripe holds the ``held`` request, then cut the relay
    before Stripe answers: Stripe did the work, the shop never hears of it."""
    outage.delay(held, 1.5)
    timer = cut_when_held(outage, held)
    with caplog.at_level(logging.WARNING):
        response = client.post(PAYMENT_PAGE, data)
    timer.join()
    return response


def billing_run_at(when, capture) -> str:
    out = StringIO()
    with time_machine.travel(when, tick=False), capture(execute=True):
        call_command("billing_run", now=when.isoformat(), stdout=out)
    return out.getvalue()


def subjects_to(address: str) -> list[str]:
    return [m.subject for m in mail.outbox if address in m.to]


@pytest.fixture
def reader_plan(stripe_outage, billing_program, billing_reader):
    return plan_for_tests(user=billing_reader, product=billing_program, start=DAY0)


# Scheduled charges


def test_billing_run_with_stripe_down_goes_on_and_the_next_run_charges_once(
    stripe_outage,
    reader_plan,
    billing_program,
    django_user_model,
    django_capture_on_commit_callbacks,
    caplog,
):
    plan = reader_plan
    other_user = django_user_model.objects.create_user("other", "other@example.com", "pw-1234567!")
    # Another customer in the tryout, whose end-of-tryout reminder is due in the same run.
    other = plan_for_tests(
        user=other_user, product=billing_program, start=day(5), card_number="5555555555554444"
    )
    mail.outbox.clear()

    stripe_outage.cut()
    with caplog.at_level(logging.WARNING):
        output = billing_run_at(day(14), django_capture_on_commit_callbacks)

    charge = plan.charges.get(sequence=1)
    assert charge.status == ChargeStatus.PROCESSING and charge.attempts == 1
    assert f"charge {charge.pk} of plan {plan.pk}" in caplog.text
    assert "charge_off_session" in caplog.text
    assert any(
        r.levelno >= logging.ERROR and str(plan.pk) in r.getMessage() for r in caplog.records
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIALING
    assert subjects_to("reader@example.com") == []
    # The rest of the run went on: the other customer was reminded.
    other.refresh_from_db()
    assert other.reminder_sent_at is not None
    assert len(subjects_to("other@example.com")) == 1
    assert "reminded 1" in output

    stripe_outage.restore()
    assert intents_of(plan) == []
    billing_run_at(day(14, hours=1), django_capture_on_commit_callbacks)
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.PAID
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert [i.status for i in intents_of(plan)] == ["succeeded"]
    assert len(subjects_to("reader@example.com")) == 1

    billing_run_at(day(14, hours=2), django_capture_on_commit_callbacks)
    assert [i.status for i in intents_of(plan)] == ["succeeded"]
    assert len(subjects_to("reader@example.com")) == 1


def test_a_charge_taken_by_stripe_whose_answer_was_lost_is_found_not_taken_again(
    stripe_outage, reader_plan, django_capture_on_commit_callbacks, caplog
):
    plan = reader_plan
    mail.outbox.clear()
    # Stripe holds the charge, the connection drops, then Stripe takes it all the same.
    stripe_outage.delay("POST /v1/payment_intents", 1.5)
    timer = cut_when_held(stripe_outage, "POST /v1/payment_intents")
    with caplog.at_level(logging.WARNING):
        billing_run_at(day(14), django_capture_on_commit_callbacks)
    timer.join()
    charge = plan.charges.get(sequence=1)
    assert charge.status == ChargeStatus.PROCESSING
    assert f"charge {charge.pk} of plan {plan.pk}" in caplog.text
    assert subjects_to("reader@example.com") == []

    stripe_outage.restore()
    stripe_outage.delay("POST /v1/payment_intents", 0)
    stripe_outage.wait_until(lambda: intents_of(plan))
    # Before it is stale, the run leaves it alone rather than charge beside it.
    billing_run_at(day(14, hours=0.05), django_capture_on_commit_callbacks)
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PROCESSING
    billing_run_at(day(14, hours=1), django_capture_on_commit_callbacks)
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PAID
    assert [i.status for i in intents_of(plan)] == ["succeeded"]
    assert charge.payment_intent_id == intents_of(plan)[0].payment_intent_id
    assert len(subjects_to("reader@example.com")) == 1

    billing_run_at(day(15), django_capture_on_commit_callbacks)
    assert len(intents_of(plan)) == 1
    assert len(subjects_to("reader@example.com")) == 1


# Refunds


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_superuser(
        "author", "author@example.com", "a-long-pass-phrase"
    )


def refunded_at_standin(outage, payment_intent_id: str) -> int:
    import stripe

    client = stripe.StripeClient("sk_test_standin", base_addresses={"api": outage.standin_url})
    refunds = client.v1.refunds.list(params={"limit": 100}).auto_paging_iter()
    return sum(r.amount for r in refunds if r.payment_intent == payment_intent_id)


def test_a_refund_with_stripe_down_is_kept_and_sent_once_when_it_is_back(
    client, author, stripe_outage, reader_plan, django_capture_on_commit_callbacks, caplog
):
    plan = reader_plan
    charge = plan.charges.get(sequence=1)
    with django_capture_on_commit_callbacks(execute=True):
        charge_installment(charge_id=charge.pk, now=day(14))
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.PAID
    mail.outbox.clear()
    client.force_login(author)
    url = f"/cms/programs/refund/{charge.pk}/"

    stripe_outage.cut()
    with (
        time_machine.travel(day(15), tick=False),
        caplog.at_level(logging.WARNING),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, {"amount": "98.50", "confirm": "yes"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stripe could not be reached" in page
    assert "Refunded 98.50 USD." not in page
    refund = InstallmentRefund.objects.get()
    assert refund.status == RefundStatus.REQUESTED
    assert f"refund {refund.pk}" in caplog.text and "refund_create" in caplog.text
    charge.refresh_from_db()
    plan.refresh_from_db()
    assert charge.status == ChargeStatus.PAID and charge.refunded_cents == 0
    assert plan.status == PlanStatus.INSTALLMENT_PAID
    assert subjects_to("reader@example.com") == []

    stripe_outage.restore()
    assert refunded_at_standin(stripe_outage, charge.payment_intent_id) == 0
    billing_run_at(day(15, hours=1), django_capture_on_commit_callbacks)
    refund.refresh_from_db()
    charge.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert charge.status == ChargeStatus.REFUNDED and charge.refunded_cents == 9850
    assert refunded_at_standin(stripe_outage, charge.payment_intent_id) == 9850
    assert len(subjects_to("reader@example.com")) == 1

    # Pressed again, or run again: nothing more goes back.
    again = client.post(url, {"amount": "98.50", "confirm": "yes"}, follow=True)
    assert "already fully refunded" in again.content.decode()
    billing_run_at(day(15, hours=2), django_capture_on_commit_callbacks)
    assert refunded_at_standin(stripe_outage, charge.payment_intent_id) == 9850
    assert len(subjects_to("reader@example.com")) == 1


# Quitting the tryout


def test_quitting_the_tryout_with_stripe_down_is_recorded_and_nothing_is_charged_later(
    client, billing_reader, stripe_outage, reader_plan, django_capture_on_commit_callbacks
):
    plan = reader_plan
    client.force_login(billing_reader)
    mail.outbox.clear()
    stripe_outage.requests_clear()

    stripe_outage.cut()
    with (
        time_machine.travel(day(3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            f"/shop/accounts/program/{plan.pk}/quit/", {"confirm": "yes"}, follow=True
        )
    assert response.status_code == 200
    assert "You have quit the free tryout" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.TRIAL_QUIT
    assert subjects_to("reader@example.com") == [
        "You have quit your free tryout: nothing will be charged"
    ]
    # Quitting never needs Stripe, and no request was even tried.
    assert stripe_outage.requests() == []

    stripe_outage.restore()
    billing_run_at(day(14), django_capture_on_commit_callbacks)
    billing_run_at(day(42), django_capture_on_commit_callbacks)
    assert intents_of(plan) == []
    assert set(plan.charges.values_list("status", flat=True)) == {ChargeStatus.CANCELLED}
    assert len(subjects_to("reader@example.com")) == 1


# Checkout


def open_payment_page(client, product) -> str:
    assert client.post(f"/shop/basket/add/{product.pk}/", {"quantity": 1}).status_code == 302
    response = client.get("/shop/checkout/", follow=True)
    assert response.redirect_chain[-1][0].endswith(PAYMENT_PAGE)
    return response.content.decode()


def test_the_tryout_started_while_stripe_dies_places_nothing_then_once_when_it_is_back(
    client, billing_reader, billing_program, stripe_outage, caplog
):
    from tests.shop.test_trial_checkout import form_data, save_card

    client.force_login(billing_reader)
    open_payment_page(client, billing_program)
    intent_id = save_card(client)
    basket = Basket.objects.get(owner=billing_reader)
    mail.outbox.clear()

    # The card is being attached to the customer when the connection to Stripe drops.
    response = payment_page_post_while_stripe_dies(
        client,
        stripe_outage,
        "POST /v1/payment_methods/{id}/attach",
        form_data(client, intent_id),
        caplog,
    )
    assert response.status_code == 400
    assert UNREACHABLE in response.content.decode()
    assert f"basket {basket.pk}" in caplog.text and "card_attach" in caplog.text
    assert not Order.objects.exists()
    assert not InstallmentPlan.objects.exists()
    assert not DownloadGrant.objects.exists()
    basket.refresh_from_db()
    assert basket.status == Basket.OPEN and basket.num_items == 1
    assert mail.outbox == []

    stripe_outage.restore()
    stripe_outage.delay("POST /v1/payment_methods/{id}/attach", 0)
    client.get(PAYMENT_PAGE)
    intent_id = save_card(client)
    response = client.post(PAYMENT_PAGE, form_data(client, intent_id))
    assert response.status_code == 302 and response["Location"].endswith("/thank-you/")
    # The same submission again (the browser retrying) places nothing more.
    again = client.post(PAYMENT_PAGE, form_data(client, intent_id))
    assert again.status_code == 302
    assert Order.objects.count() == 1
    assert InstallmentPlan.objects.count() == 1
    assert DownloadGrant.objects.count() == 1
    assert len(subjects_to("reader@example.com")) == 1


@pytest.fixture
def digital_product(db):
    product = create_product(price=Decimal("98.50"), num_in_stock=None)
    product_class = product.get_product_class()
    product_class.requires_shipping = False
    product_class.track_stock = False
    product_class.save()
    return product


def test_paying_outright_while_stripe_dies_charges_once_and_places_one_order(
    client, billing_reader, digital_product, stripe_outage, caplog
):
    from tests.shop.test_checkout_payment import filled_form
    from tests.shop.test_checkout_payment import save_card as save_card_checked

    client.force_login(billing_reader)
    page = open_payment_page(client, digital_product)
    intent_id = save_card_checked(client)
    basket = Basket.objects.get(owner=billing_reader)
    mail.outbox.clear()

    # Stripe takes the payment, but its answer never reaches the shop.
    data = filled_form(page, intent_id)
    response = payment_page_post_while_stripe_dies(
        client, stripe_outage, "POST /v1/payment_intents", data, caplog
    )
    assert response.status_code == 400
    assert UNREACHABLE in response.content.decode()
    assert f"basket {basket.pk}" in caplog.text and "payment_intent_create" in caplog.text
    assert not Order.objects.exists() and not DownloadGrant.objects.exists()
    basket.refresh_from_db()
    assert basket.status == Basket.OPEN
    assert mail.outbox == []

    stripe_outage.restore()
    stripe_outage.delay("POST /v1/payment_intents", 0)
    payment = CheckoutPayment.objects.get()
    assert payment.payment_intent_id == "" and payment.order_id is None

    def taken_at_stripe():
        return gateway.payment_intents_for(
            customer_id=payment.customer_id,
            metadata_key="checkout_payment",
            metadata_value=str(payment.pk),
        )

    stripe_outage.wait_until(taken_at_stripe)
    page = client.get(PAYMENT_PAGE).content.decode()
    intent_id = save_card_checked(client)
    response = client.post(PAYMENT_PAGE, filled_form(page, intent_id))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("/thank-you/")
    order = Order.objects.get()
    assert order.status == "Paid"
    assert DownloadGrant.objects.filter(order=order).count() == 1
    # The payment Stripe took during the outage became the order: nothing charged twice.
    taken = taken_at_stripe()
    assert [i.status for i in taken] == ["succeeded"]
    payment.refresh_from_db()
    assert payment.order == order and payment.payment_intent_id == taken[0].payment_intent_id
    assert len(subjects_to("reader@example.com")) == 1


def test_a_hanging_stripe_gives_the_visitor_a_message_within_the_time_out_not_an_error(
    client, billing_reader, billing_program, stripe_outage, caplog
):
    from tests.shop.test_trial_checkout import form_data, save_card

    client.force_login(billing_reader)
    open_payment_page(client, billing_program)
    intent_id = save_card(client)
    data = form_data(client, intent_id)

    # The process is stopped: connections are accepted and never answered.
    stripe_outage.pause()
    try:
        with caplog.at_level(logging.WARNING):
            response = client.post(PAYMENT_PAGE, data)
            page = client.get(PAYMENT_PAGE)
    finally:
        stripe_outage.resume()
    assert response.status_code == 400
    assert UNREACHABLE in response.content.decode()
    assert "setup_intent_retrieve" in caplog.text
    assert page.status_code == 200
    assert UNREACHABLE in page.content.decode()
    assert 'id="start-trial" disabled' in page.content.decode()
    assert not Order.objects.exists() and not InstallmentPlan.objects.exists()

    client.get(PAYMENT_PAGE)
    response = client.post(PAYMENT_PAGE, form_data(client, save_card(client)))
    assert response.status_code == 302
    assert Order.objects.count() == 1 and InstallmentPlan.objects.count() == 1
    assert len(subjects_to("reader@example.com")) == 1
