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


PREVIEWED = (
    "ORDER_PLACED",
    "TRIAL_REMINDER",
    "PAYMENT_REMINDER",
    "TRIAL_QUIT",
    "INSTALLMENT_PAID",
    "PAID_IN_FULL",
    "PAYMENT_FAILED",
    "PAYMENT_CONFIRMATION_NEEDED",
    "PAYMENT_CONFIRMATION_REMINDER",
    "PLAN_SUSPENDED",
    "PAYMENTS_CANCELLED",
    "REFUND_ISSUED",
    "ACCOUNT_DELETED",
)


def _preview(client, code: str, **texts):
    """Preview ``code`` with the texts the form starts from, changed by ``texts``."""
    url = edit_url(code)
    initial = client.get(url).context["form"].initial
    data = {
        "name": initial["name"],
        "email_subject_template": initial["email_subject_template"],
        "email_body_template": initial["email_body_template"],
        "email_body_html_template": initial["email_body_html_template"] or "",
        "show_preview": "1",
        **texts,
    }
    return client.post(url, data)


@pytest.mark.parametrize("code", PREVIEWED)
def test_each_email_is_previewed_with_the_newest_plan_rendered_and_nothing_saved(
    code, client, admin_user, make_fake_plan
):
    import html as html_module
    import re

    from django.conf import settings

    plan = make_fake_plan()
    client.force_login(admin_user)
    # Every kind is listed, the receipt and the deletion notice too (billing migration 0014).
    assert CommunicationEventType.objects.filter(code=code).exists()
    before = CommunicationEventType.objects.filter(code=code).values().get()
    response = _preview(client, code)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview is not None, response.context["form"].errors
    page = response.content.decode()
    assert preview["subject"].strip() and preview["subject"] in html_module.unescape(page)
    # The text as the customer reads it: real facts, no template left.
    assert (
        plan.user.email in preview["body"]
        or plan.card_last4 in preview["body"]
        or ("Robin" in preview["body"])
    )
    assert "{{" not in preview["body"] and "{%" not in preview["body"]
    if code != "ACCOUNT_DELETED":
        assert f"{settings.SITE_URL}/shop/accounts/program/" in preview["body"]
    # The HTML rendered in a sandboxed frame, as it leaves: styles in the elements.
    frame = re.search(r'<iframe id="preview-html-frame"([^>]*)>', page).group(1)
    assert 'sandbox=""' in frame
    shown = html_module.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert shown == preview["html_for_mail"]
    assert '<h1 style="' in shown and "<script" not in shown.lower()
    assert "{{" not in shown
    # Nothing saved.
    assert CommunicationEventType.objects.filter(code=code).values().get() == before


def test_a_preview_uses_the_unsaved_html_and_runs_no_script(client, admin_user, make_fake_plan):
    plan = make_fake_plan()
    client.force_login(admin_user)
    response = _preview(
        client,
        "TRIAL_QUIT",
        email_body_html_template=(
            "<html><head><style>p { color: #123456; }</style></head>"
            "<body><p>Order {{ order.number }}</p><script>alert(1)</script></body></html>"
        ),
    )
    page = response.content.decode()
    # Shown escaped inside the frame's srcdoc, and the frame allows no script.
    assert "<script>alert(1)</script>" not in page
    assert f"Order {plan.order.number}" in response.context["preview"]["html_for_mail"]
    assert 'style="color: #123456;"' in response.context["preview"]["html_for_mail"]
    assert 'sandbox=""' in page
    assert CommunicationEventType.objects.get(code="TRIAL_QUIT").email_body_html_template is None


def test_a_preview_with_a_broken_html_text_says_so(client, admin_user, make_fake_plan):
    make_fake_plan()
    client.force_login(admin_user)
    response = _preview(
        client, "TRIAL_QUIT", email_body_html_template='{% include "no/such/file.html" %}'
    )
    assert response.status_code == 200
    assert "preview" not in response.context or response.context["preview"] is None
    page = response.content.decode()
    assert "The email could not be written: it names a file that does not exist" in page
    assert "no/such/file.html" in page


def test_an_email_saved_without_html_goes_as_plain_text_only(client, admin_user, make_plan):
    plan = make_plan()
    client.force_login(admin_user)
    url = edit_url("TRIAL_QUIT")
    initial = client.get(url).context["form"].initial
    client.post(
        url,
        {
            "name": initial["name"],
            "email_subject_template": initial["email_subject_template"],
            "email_body_template": initial["email_body_template"],
            "email_body_html_template": "",
        },
    )
    mail.outbox.clear()
    plan_email_send(plan=plan, code="TRIAL_QUIT")
    assert getattr(mail.outbox[-1], "alternatives", []) == []
