"""Fixtures for the billing tests: the Stripe stand-in or the fake gateway, the program, a
reader, a plan."""

import pytest
import time_machine

from shop.billing.scheduler import billing_run
from tests.shop.billing_helpers import DAY0, day
from tests.shop.factories import CARD_OK, ProgramFactory, UserFactory, plan_for_tests
from tests.support.fake_gateway import FakeGateway


@pytest.fixture
def billing_standin(settings, stripe_standin):
    settings.STRIPE_API_BASE = stripe_standin
    return stripe_standin


@pytest.fixture
def billing_program(db):
    return ProgramFactory()


@pytest.fixture
def billing_reader(db):
    return UserFactory(username="reader", email="reader@example.com", first_name="Robin")


def _plan_maker(program, reader):
    def make(card_number=CARD_OK, start=DAY0, user=None):
        return plan_for_tests(
            user=user or reader, product=program, start=start, card_number=card_number
        )

    return make


@pytest.fixture
def make_plan(billing_standin, billing_program, billing_reader):
    """Plans whose card is saved at the Stripe stand-in."""
    return _plan_maker(billing_program, billing_reader)


@pytest.fixture
def fake_gateway(monkeypatch, settings):
    """The in-process fake in place of Stripe for this test (tests/support/fake_gateway.py).
    A call it does not answer goes to a closed port and fails at once."""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return FakeGateway().install(monkeypatch)


@pytest.fixture
def make_fake_plan(fake_gateway, billing_program, billing_reader):
    """Plans whose card is saved at the fake gateway."""
    return _plan_maker(billing_program, billing_reader)


@pytest.fixture
def run_at(django_capture_on_commit_callbacks):
    """Run the billing clock at day ``n``, with the emails it sends after commit."""

    def run(n: float, hours: float = 0):
        with (
            time_machine.travel(day(n, hours), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return billing_run(now=day(n, hours))

    return run


@pytest.fixture
def stripe_outage(settings):
    """A stand-in of this test's own that it can make unreachable and bring back (see
    tests/shop/outage.py); the site's requests give up after a second, without retrying."""
    from tests.shop.outage import stripe_outage_running

    for outage in stripe_outage_running():
        settings.STRIPE_API_BASE = outage.url
        settings.STRIPE_CONNECT_TIMEOUT_SECONDS = 1
        settings.STRIPE_READ_TIMEOUT_SECONDS = 1
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        yield outage


@pytest.fixture
def local_private_storage(settings, tmp_path):
    """Program files on local disk in the test's own folder (the private storage's default
    backend), so a test reads back exactly what it stored."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "media_config.storages.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    return tmp_path / "private"
