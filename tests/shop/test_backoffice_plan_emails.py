"""Plan emails in the back office (/cms/plan-emails/): listed, starting from the text the
customer receives today, edited texts are what the next email says, each edit in the
email's history; previewed without saving; nothing added or deleted."""

import pytest
from django.core import mail
from oscar.core.loading import get_model

from shop.billing.emails import plan_email_send

CommunicationEventType = get_model("communication", "CommunicationEventType")

pytestmark = pytest.mark.django_db

LISTING = "/cms/plan-emails/"


def edit_url(code: str) -> str:
    return f"{LISTING}edit/{CommunicationEventType.objects.get(code=code).pk}/"


def test_every_plan_email_is_listed_for_the_author(client, admin_user):
    client.force_login(admin_user)
    page = client.get(LISTING).content.decode()
    for name in (
        "Program: the free tryout ends soon",
        "Program: payment coming up",
        "Program: please confirm your payment",
        "Program: please confirm your payment (reminder)",
        "Program: payment failed",
        "Program: refund issued",
    ):
        assert name in page
    assert edit_url("TRIAL_QUIT") in page
    # The shop sends emails by their code: none is added or deleted here.
    assert f"{LISTING}new/" not in page and "/delete/" not in page
    assert client.get(f"{LISTING}new/").status_code == 404


def test_the_form_starts_from_todays_text_and_an_edit_is_sent(client, admin_user, make_plan):
    plan = make_plan()
    client.force_login(admin_user)
    url = edit_url("TRIAL_QUIT")
    form = client.get(url)
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert "{% load money_tags %}" in initial["email_body_template"]
    assert initial["email_subject_template"].strip()

    # Saved unchanged, with no HTML body: the customer gets the same email as before.
    mail.outbox.clear()
    plan_email_send(plan=plan, code="TRIAL_QUIT")
    before = mail.outbox[-1]
    saved = client.post(
        url,
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
        url,
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
        edit_url("TRIAL_QUIT"),
        {
            "name": "Program: tryout quit",
            "email_subject_template": "Bye {% if %}",
            "email_body_template": "Body",
            "email_body_html_template": "",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email_subject_template"]
    assert CommunicationEventType.objects.get(code="TRIAL_QUIT").email_subject_template is None


def test_each_edit_is_in_the_emails_history_with_who_made_it(client, admin_user):
    client.force_login(admin_user)
    email = CommunicationEventType.objects.get(code="TRIAL_QUIT")
    client.post(
        edit_url("TRIAL_QUIT"),
        {
            "name": "Program: tryout quit",
            "email_subject_template": "You have left the tryout",
            "email_body_template": "Goodbye",
            "email_body_html_template": "",
        },
    )
    history = client.get(f"{LISTING}history/{email.pk}/")
    assert history.status_code == 200
    page = history.content.decode()
    assert "Edited" in page and admin_user.get_username() in page


def test_a_preview_shows_the_email_for_a_real_order_and_saves_nothing(
    client, admin_user, make_plan
):
    plan = make_plan()
    client.force_login(admin_user)
    response = client.post(
        edit_url("TRIAL_QUIT"),
        {
            "name": "Program: tryout quit",
            "email_subject_template": "Order {{ order.number }} left",
            "email_body_template": "Hello {{ user.email }}",
            "email_body_html_template": "",
            "show_preview": "1",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Order {plan.order.number} left" in page
    assert f"Hello {plan.user.email}" in page
    assert CommunicationEventType.objects.get(code="TRIAL_QUIT").email_subject_template is None


def test_only_who_may_change_emails_edits_them(client, django_user_model):
    from django.contrib.auth.models import Permission

    editor = django_user_model.objects.create_user("editor", "editor@example.com", "pw-long-1")
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    client.force_login(editor)
    url = edit_url("TRIAL_QUIT")
    response = client.post(
        url,
        {
            "name": "Hacked",
            "email_subject_template": "x",
            "email_body_template": "x",
            "email_body_html_template": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/cms/"
    assert CommunicationEventType.objects.get(code="TRIAL_QUIT").name == "Program: tryout quit"
    editor.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="communication", codename="change_communicationeventtype"
        )
    )
    assert client.get(url).status_code == 200


def test_every_email_template_compiles():
    """A template that does not compile is an email never sent (only logged)."""
    from pathlib import Path

    from django.template.loader import get_template

    folder = Path(__file__).resolve().parents[2] / "site/templates/oscar/communication/emails"
    names = sorted(path.name for path in folder.glob("commtype_*"))
    assert names
    for name in names:
        get_template(f"oscar/communication/emails/{name}")
