"""The plan's emails in the dashboard (Communications): listed, starting from the text the
customer receives today, and edited texts are what the next email says."""

import pytest
from django.core import mail

from shop.billing.emails import plan_email_send

pytestmark = pytest.mark.django_db

COMMS = "/shop/dashboard/comms/"


def test_every_plan_email_is_listed_for_the_author(client, admin_user):
    client.force_login(admin_user)
    page = client.get(COMMS).content.decode()
    for name in (
        "Program: the free tryout ends soon",
        "Program: please confirm your payment",
        "Program: please confirm your payment (reminder)",
        "Program: payment failed",
        "Program: refund issued",
    ):
        assert name in page


def test_the_form_starts_from_todays_text_and_an_edit_is_sent(client, admin_user, make_plan):
    plan = make_plan()
    client.force_login(admin_user)
    form = client.get(COMMS + "TRIAL_QUIT/")
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert "{% load money_tags %}" in initial["email_body_template"]
    assert initial["email_subject_template"].strip()

    # Saved unchanged, with no HTML body: the customer gets the same email as before.
    mail.outbox.clear()
    plan_email_send(plan=plan, code="TRIAL_QUIT")
    before = mail.outbox[-1]
    saved = client.post(
        COMMS + "TRIAL_QUIT/",
        {
            "name": "Program: tryout quit",
            "email_subject_template": initial["email_subject_template"],
            "email_body_template": initial["email_body_template"],
            "email_body_html_template": "",
        },
    )
    assert saved.status_code == 302
    plan_email_send(plan=plan, code="TRIAL_QUIT")
    after = mail.outbox[-1]
    assert (after.subject, after.body.rstrip()) == (before.subject, before.body.rstrip())

    edited = initial["email_body_template"].replace("Hello", "Dear reader", 1)
    client.post(
        COMMS + "TRIAL_QUIT/",
        {
            "name": "Program: tryout quit",
            "email_subject_template": "You have left the tryout",
            "email_body_template": edited,
            "email_body_html_template": "",
        },
    )
    plan_email_send(plan=plan, code="TRIAL_QUIT")
    message = mail.outbox[-1]
    assert message.subject == "You have left the tryout"
    assert message.body.startswith("Dear reader")


def test_a_broken_template_is_refused_with_a_message(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        COMMS + "TRIAL_QUIT/",
        {
            "name": "Program: tryout quit",
            "email_subject_template": "Bye {% if %}",
            "email_body_template": "Body",
            "email_body_html_template": "",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email_subject_template"]


def test_every_email_template_compiles():
    """A template that does not compile is an email never sent (only logged)."""
    from pathlib import Path

    from django.template.loader import get_template

    folder = Path(__file__).resolve().parents[2] / "site/templates/oscar/communication/emails"
    names = sorted(path.name for path in folder.glob("commtype_*"))
    assert names
    for name in names:
        get_template(f"oscar/communication/emails/{name}")
