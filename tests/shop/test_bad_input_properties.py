"""Whatever arrives from outside (a Range header, a checkout form, a webhook body), the
answer is a clear refusal or a correct result: never a crash, never a change of state."""

import json

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.billing.models import InstallmentPlan, PlanEvent, ScheduledCharge, StripeEvent
from shop.checkout.forms import TrialCheckoutForm
from shop.downloads.byte_ranges import RangeNotSatisfiable, byte_range_parse
from shop.gateway.testing import webhook_signature_header
from tests.shop.billing_helpers import WEBHOOK_URL

RANGE_TEXT = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda a, b, sep: f"bytes={a}{sep}{b}",
        st.one_of(st.just(""), st.integers(min_value=-5, max_value=10**20).map(str)),
        st.one_of(st.just(""), st.integers(min_value=-5, max_value=10**20).map(str)),
        st.sampled_from(["-", ",", " - ", "--", "-1,2-"]),
    ),
)


@settings(max_examples=400, deadline=None)
@given(header=st.one_of(st.none(), RANGE_TEXT), size=st.integers(min_value=0, max_value=10**12))
def test_a_range_header_gives_the_whole_file_a_range_inside_it_or_416(header, size):
    try:
        answer = byte_range_parse(header=header, size=size)
    except RangeNotSatisfiable:
        return
    if answer is not None:
        first, last = answer
        assert 0 <= first <= last < size


FORM_VALUE = st.one_of(st.text(max_size=60), st.sampled_from(["on", "US", "DE", "seti_x", ""]))


@settings(max_examples=200, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(
            ["setup_intent_id", "country", "consent", "immediate_access", "terms", "other"]
        ),
        FORM_VALUE,
    )
)
def test_the_checkout_form_refuses_or_accepts_any_input_without_crashing(data):
    form = TrialCheckoutForm(data, consent_text="I agree.", immediate_access_text="Now, please.")
    if form.is_valid():
        assert form.cleaned_data["setup_intent_id"].startswith("seti_")
    else:
        assert all(messages for messages in form.errors.values())


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
EVENT_TYPES = st.sampled_from(
    [
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.refunded",
        "charge.dispute.created",
        "setup_intent.succeeded",
        "customer.created",
    ]
)


def plan_state(plan):
    return (
        list(InstallmentPlan.objects.values_list("pk", "status", "suspended_at")),
        list(ScheduledCharge.objects.values_list("pk", "status", "payment_intent_id")),
        PlanEvent.objects.count(),
    )


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda type_, obj, created: json.dumps(
                {
                    "id": "evt_prop",
                    "object": "event",
                    "type": type_,
                    "created": created,
                    "data": {"object": obj},
                }
            ).encode(),
            EVENT_TYPES,
            JSONISH,
            st.one_of(st.integers(), st.text(max_size=5)),
        ),
    ),
    signed=st.booleans(),
)
def test_a_webhook_body_is_refused_or_recorded_never_a_crash(client, make_plan, body, signed):
    plan = make_plan() if not InstallmentPlan.objects.exists() else InstallmentPlan.objects.get()
    before = plan_state(plan)
    header = (
        webhook_signature_header(body, secret=django_settings.STRIPE_WEBHOOK_SECRET)
        if signed
        else "t=1,v1=forged"
    )
    response = client.post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code in (200, 400), response.content[:200]
    if response.status_code == 400:
        assert not StripeEvent.objects.filter(event_id="evt_prop").exists() or signed
    # Nothing names a real PaymentIntent of the plan: its installments never change.
    assert plan_state(plan) == before
    StripeEvent.objects.filter(event_id="evt_prop").delete()
