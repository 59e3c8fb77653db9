"""Factories for the shop's rows: customers, the downloadable program with its trial terms,
orders, installment plans with their installments, and download grants.

Each factory builds exactly the rows asked for, straight in the database (no Stripe
needed): ``InstallmentPlanFactory(status=...)`` is a plan with made-up Stripe ids. A plan
whose card must really exist at the gateway (to be charged, refunded or updated) comes from
``plan_for_tests``, which saves a card at the gateway as checkout does and starts the plan
through the checkout's own service.
"""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order

from shop import gateway
from shop.billing.models import (
    InstallmentPlan,
    PlanStatus,
    ScheduledCharge,
    StripeCustomer,
    TrialOffer,
)
from shop.billing.services import ConsentRecord, SavedCard, plan_start
from shop.downloads.models import DownloadGrant
from shop.gateway import testing as gateway_testing

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
Partner = get_model("partner", "Partner")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
StockRecord = get_model("partner", "StockRecord")

CARD_OK = "4242424242424242"
PASSWORD = "a-long-pass-phrase"


class UserFactory(factory.django.DjangoModelFactory):
    """A customer with an email address and a password they can sign in with."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"reader-{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Robin"
    password = factory.django.Password(PASSWORD)


class ProgramClassFactory(factory.django.DjangoModelFactory):
    """The programs' product class: nothing to ship, no stock to count."""

    class Meta:
        model = ProductClass

    name = "Dùｍϻϒ item class"
    requires_shipping = False
    track_stock = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The class is shared with Oscar's own test products: make it a program's again.
        product_class, _ = model_class.objects.update_or_create(
            name=kwargs.pop("name"), defaults=kwargs
        )
        return product_class


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("name",)

    name = ""


class StockRecordFactory(factory.django.DjangoModelFactory):
    """The program's price at the shop's one partner, never out of stock."""

    class Meta:
        model = StockRecord

    partner = factory.SubFactory(PartnerFactory)
    partner_sku = factory.Sequence(lambda n: f"program-{n}")
    price_currency = "USD"
    price = Decimal("197.00")
    num_in_stock = None


class TrialOfferFactory(factory.django.DjangoModelFactory):
    """The trial terms: a free tryout, then equal installments."""

    class Meta:
        model = TrialOffer

    trial_days = 14
    installment_count = 2
    installment_amount = Decimal("98.50")
    interval_days = 28
    currency = "USD"


class ProgramFactory(factory.django.DjangoModelFactory):
    """A public, downloadable product sold as a free tryout then equal installments:
    ``ProgramFactory(installment_amount=Decimal("50"), installment_count=3, trial_days=7)``."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    class Params:
        installment_amount = Decimal("98.50")
        installment_count = 2
        trial_days = 14
        interval_days = 28
        currency = "USD"

    title = "Get Free from That Back Pain"
    structure = Product.STANDALONE
    product_class = factory.SubFactory(ProgramClassFactory)
    stockrecord = factory.RelatedFactory(
        StockRecordFactory,
        factory_related_name="product",
        price=factory.LazyAttribute(
            lambda record: (
                record.factory_parent.installment_amount * record.factory_parent.installment_count
            )
        ),
        price_currency=factory.SelfAttribute("..currency"),
    )
    trial_offer = factory.RelatedFactory(
        TrialOfferFactory,
        factory_related_name="product",
        trial_days=factory.SelfAttribute("..trial_days"),
        installment_count=factory.SelfAttribute("..installment_count"),
        installment_amount=factory.SelfAttribute("..installment_amount"),
        interval_days=factory.SelfAttribute("..interval_days"),
        currency=factory.SelfAttribute("..currency"),
    )


class OrderFactory(factory.django.DjangoModelFactory):
    """An Oscar order as its test helper places it (a basket of one item, free shipping)."""

    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return create_order(**kwargs)


class InstallmentPlanFactory(factory.django.DjangoModelFactory):
    """A plan for the program, begun ``started`` ago, with made-up Stripe ids and no
    installments unless ``with_installments=True`` (as checkout writes them)."""

    class Meta:
        model = InstallmentPlan
        skip_postgeneration_save = True

    class Params:
        started = timedelta(days=1)
        trial_days = 14
        # A plan whose retries ran out: suspended, the download ended then.
        suspended = factory.Trait(
            suspended_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
        )

    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProgramFactory)
    order = factory.SubFactory(OrderFactory, user=factory.SelfAttribute("..user"))
    status = PlanStatus.TRIALING
    trial_started_at = factory.LazyAttribute(lambda plan: timezone.now() - plan.started)
    trial_ends_at = factory.LazyAttribute(
        lambda plan: plan.trial_started_at + timedelta(days=plan.trial_days)
    )
    currency = "USD"
    installment_amount_cents = 9850
    installment_count = 2
    interval_days = 28
    total_cents = factory.LazyAttribute(
        lambda plan: plan.installment_amount_cents * plan.installment_count
    )
    stripe_customer_id = "cus_test"
    stripe_payment_method_id = "pm_test"
    stripe_setup_intent_id = factory.LazyFunction(lambda: f"seti_{secrets.token_hex(8)}")

    @factory.post_generation
    def with_installments(plan, create, extracted, **kwargs):
        if create and extracted:
            for number in range(1, plan.installment_count + 1):
                ScheduledChargeFactory(plan=plan, sequence=number)


class ScheduledChargeFactory(factory.django.DjangoModelFactory):
    """Installment ``sequence`` of a plan, due when checkout schedules it."""

    class Meta:
        model = ScheduledCharge

    plan = factory.SubFactory(InstallmentPlanFactory)
    sequence = 1
    due_at = factory.LazyAttribute(
        lambda charge: (
            charge.plan.trial_ends_at
            + timedelta(days=charge.plan.interval_days * (charge.sequence - 1))
        )
    )
    amount_cents = factory.SelfAttribute("plan.installment_amount_cents")
    currency = factory.SelfAttribute("plan.currency")


class DownloadGrantFactory(factory.django.DjangoModelFactory):
    """The right to download the program that an order gives, from ``starts_at`` on."""

    class Meta:
        model = DownloadGrant

    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProgramFactory)
    order = factory.SubFactory(OrderFactory, user=factory.SelfAttribute("..user"))
    starts_at = factory.LazyFunction(timezone.now)


def saved_card_for_tests(*, user, card_number: str = CARD_OK) -> SavedCard:
    """A real card saved at the gateway for the user's customer, as checkout saves it:
    customer, SetupIntent confirmed with the card number, card attached."""
    customer = StripeCustomer.objects.filter(user=user).first()
    if customer is None:
        customer = StripeCustomer.objects.create(
            user=user,
            customer_id=gateway.customer_create(
                email=user.email, name=user.get_full_name(), metadata={"user_id": str(user.pk)}
            ),
        )
    intent = gateway.setup_intent_create(customer_id=customer.customer_id, metadata={})
    # Through the module, so the fake gateway's stand-in for Stripe.js is used when it is on.
    gateway_testing.card_confirm_for_tests(setup_intent_id=intent.id, card_number=card_number)
    intent = gateway.setup_intent_retrieve(intent.id)
    card = gateway.card_attach(
        payment_method_id=intent.payment_method_id, customer_id=customer.customer_id
    )
    return SavedCard(
        customer_id=customer.customer_id,
        payment_method_id=card.id,
        setup_intent_id=intent.id,
        fingerprint=card.fingerprint or "",
        brand=card.brand or "",
        last4=card.last4 or "",
    )


def plan_for_tests(
    *, user, product, start: datetime, card_number: str = CARD_OK, with_trial: bool = True
):
    """An Oscar order for the program with its installment plan, started at ``start`` with
    a real card saved at the gateway (faster than going through the checkout pages); with
    ``with_trial=False``, bought without the tryout (payment 1 still to be recorded)."""
    Default = get_class("partner.strategy", "Default")

    card = saved_card_for_tests(user=user, card_number=card_number)
    offer = product.trial_offer
    with transaction.atomic():
        basket = Basket.objects.create(owner=user)
        basket.strategy = Default()
        basket.add_product(product)
        order = create_order(user=user, basket=basket)
        source_type, _ = SourceType.objects.get_or_create(name="Stripe")
        Source.objects.create(
            order=order,
            source_type=source_type,
            currency=order.currency,
            amount_allocated=order.total_incl_tax,
            amount_debited=Decimal("0.00"),
            reference=card.payment_method_id,
            label=f"{card.brand} ····{card.last4}",
        )
        return plan_start(
            order=order,
            user=user,
            offer=offer,
            card=card,
            consent=ConsentRecord(
                text="I agree (test).",
                accepted_at=start,
                ip_address="127.0.0.1",
                user_agent="tests",
                country="US",
                immediate_access_requested=False,
                immediate_access_text="",
            ),
            start=start,
            with_trial=with_trial,
        )
