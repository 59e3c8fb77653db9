"""A bounced email on the plan's page in the back office, and sending it again to a
corrected address: the plan page and the "Emails sent" listing show each email's delivery
state (bounced and spam reports flagged in words), in a number of queries that does not
grow with the emails; the resend writes one new owed email, recorded on the plan and in the
CMS's history, once however often the form is sent."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ModelLogEntry

from shop.billing.email_resend import email_resend
from shop.billing.models import OutgoingEmail, PlanEvent
from shop.emails.models import DeliveryEvent
from shop.errors import RefusedWithMessage
from tests.shop.factories import InstallmentPlanFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = DeliveryEvent.Kind
LISTING = "/cms/emails-sent/"


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_superuser(
        "author", "author@example.com", "a-long-pass-phrase"
    )


@pytest.fixture
def plan(db):
    user = UserFactory(email="robin@exmaple.com", first_name="Robin", last_name="Reader")
    return InstallmentPlanFactory(user=user, product=ProgramFactory())


def sent_email(plan, code="ORDER_PLACED", key="placed", message_id="", **fields):
    now = timezone.now()
    return OutgoingEmail.objects.create(
        order=plan.order,
        plan=fields.pop("for_plan", None),
        code=code,
        key=key,
        context=fields.pop("context", {"quit_path": "/shop/quit/abc/"}),
        created_at=fields.pop("created_at", now - timedelta(hours=2)),
        sent_at=fields.pop("sent_at", now - timedelta(hours=2)),
        attempts=1,
        message_id=message_id,
        **fields,
    )


def event(message_id, kind, *, minutes_ago=60, event_id=None, **fields):
    return DeliveryEvent.objects.create(
        event_id=event_id or f"{message_id}-{kind}-{minutes_ago}",
        provider="Postmark",
        kind=kind,
        message_id=message_id,
        recipient=fields.pop("recipient", "robin@exmaple.com"),
        occurred_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


def plan_page(client, plan) -> str:
    response = client.get(f"/cms/programs/{plan.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def email_row(page: str, email) -> str:
    start = page.index(f'id="email-{email.pk}"')
    return page[start : page.index("</tr>", start)]


def resend_url(email) -> str:
    return f"/cms/programs/emails/{email.pk}/send-again/"


# The plan's page and the listing


def test_the_plan_page_shows_each_emails_delivery_and_flags_bounces_and_spam(client, author, plan):
    receipt = sent_email(plan, message_id="m-receipt")
    event(receipt.message_id, Kind.BOUNCED, description="Unknown user: robin@exmaple.com")
    # Delivered first, then reported as spam: the report is what counts.
    reminder = sent_email(plan, code="TRIAL_REMINDER", key="reminder", message_id="m-reminder")
    event(reminder.message_id, Kind.DELIVERED, minutes_ago=50)
    event(reminder.message_id, Kind.COMPLAINED, minutes_ago=10)
    delivered = sent_email(plan, code="TRIAL_QUIT", key="quit", message_id="m-quit")
    event(delivered.message_id, Kind.DELIVERED, minutes_ago=30)
    unreported = sent_email(plan, code="PAYMENT_FAILED", key="failed", message_id="m-none")
    waiting = sent_email(plan, code="REFUND_ISSUED", key="refund", sent_at=None)
    client.force_login(author)

    page = plan_page(client, plan)

    bounced_row = email_row(page, receipt)
    assert "Bounced" in bounced_row and "Unknown user: robin@exmaple.com" in bounced_row
    assert "⚠" in bounced_row and "email--flagged" in bounced_row
    assert "robin@exmaple.com" in bounced_row  # where it was sent
    assert resend_url(receipt) in bounced_row
    spam_row = email_row(page, reminder)
    assert "Marked as spam" in spam_row and "⚠" in spam_row
    assert "Delivered at" in email_row(page, delivered)
    assert "⚠" not in email_row(page, delivered)
    assert "No report yet" in email_row(page, unreported)
    waiting_row = email_row(page, waiting)
    assert "waiting" in waiting_row and resend_url(waiting) not in waiting_row


def test_the_plan_page_reads_as_many_queries_for_many_reported_emails_as_for_one(client, author):
    small = InstallmentPlanFactory()
    one = sent_email(small, message_id="small-1")
    event(one.message_id, Kind.DELIVERED)
    large = InstallmentPlanFactory()
    for n in range(8):
        email = sent_email(large, code=f"CODE_{n}", key=f"k{n}", message_id=f"large-{n}")
        event(email.message_id, Kind.DELIVERED, minutes_ago=40)
        event(email.message_id, Kind.BOUNCED if n % 2 else Kind.COMPLAINED, minutes_ago=20)
    client.force_login(author)
    plan_page(client, small)  # the session and permissions, read once

    counts = []
    for each in (small, large):
        with CaptureQueriesContext(connection) as queries:
            plan_page(client, each)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_listing_shows_delivery_and_filters_bounced_or_marked_as_spam(client, author, plan):
    bounced = sent_email(plan, key="a", message_id="m-bounced")
    event(bounced.message_id, Kind.BOUNCED, minutes_ago=30, description="Mailbox full")
    event(bounced.message_id, Kind.DELIVERED, minutes_ago=5)  # reported late: stays bounced
    spam = sent_email(plan, key="b", message_id="m-spam")
    event(spam.message_id, Kind.COMPLAINED)
    delivered = sent_email(plan, key="c", message_id="m-delivered")
    event(delivered.message_id, Kind.DELIVERED)
    unreported = sent_email(plan, key="d", message_id="")
    client.force_login(author)

    page = client.get(LISTING).content.decode()
    assert "Bounced or marked as spam" in page  # the filter's choice
    assert "Bounced" in page and "Mailbox full" in page and "Marked as spam" in page
    assert "Delivered at" in page

    response = client.get(LISTING, {"delivery": "flagged"})
    assert response.status_code == 200
    shown = {email.pk for email in response.context["object_list"]}
    assert shown == {bounced.pk, spam.pk}
    assert unreported.pk not in shown and delivered.pk not in shown


def test_the_listing_reads_as_many_queries_for_many_emails_as_for_one(client, author):
    first = InstallmentPlanFactory()
    email = sent_email(first, message_id="only-1")
    event(email.message_id, Kind.BOUNCED)
    client.force_login(author)
    client.get(LISTING)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LISTING).status_code == 200
    for n in range(9):
        other = InstallmentPlanFactory()
        email = sent_email(other, message_id=f"more-{n}")
        event(email.message_id, Kind.DELIVERED)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(LISTING)
    assert len(response.context["object_list"]) == 10
    assert len(ten) == len(one), [query["sql"] for query in ten.captured_queries]


# Sending again to a corrected address


def test_the_form_asks_for_the_address_with_the_one_it_went_to(client, author, plan):
    receipt = sent_email(plan, message_id="m-receipt")
    event(receipt.message_id, Kind.BOUNCED, description="Unknown user")
    client.force_login(author)
    response = client.get(resend_url(receipt))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="robin@exmaple.com"' in page
    assert "Also use this address for the customer&#x27;s account" in page
    assert "Bounced" in page and "Unknown user" in page


def test_a_resend_writes_one_new_email_to_the_corrected_address_and_records_it(
    client, author, plan, django_capture_on_commit_callbacks
):
    receipt = sent_email(plan, message_id="m-receipt")
    client.force_login(author)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend_url(receipt), {"to_address": " robin@Example.COM "})

    assert response.status_code == 302
    assert response["Location"] == f"/cms/programs/{plan.pk}/#plan-emails"
    resent = OutgoingEmail.objects.get(resend_of=receipt)
    assert resent.to_address == "robin@example.com"  # the domain in lower case
    assert (resent.order_id, resent.code, resent.context) == (
        receipt.order_id,
        receipt.code,
        receipt.context,
    )
    assert resent.key == "placed:resend:1"
    assert resent.sent_at is not None  # sent after commit, through the usual path
    plan.user.refresh_from_db()
    assert plan.user.email == "robin@exmaple.com"  # the account was not asked to change

    recorded = PlanEvent.objects.get(plan=plan, kind="email_sent_again")
    assert recorded.actor == author and recorded.actor_label == "author"
    assert "sent again to robin@example.com" in recorded.note
    entry = ModelLogEntry.objects.get(action="billing.email_resend")
    assert entry.user_id == author.pk and entry.object_id == str(plan.pk)

    page = client.get(response["Location"]).content.decode()
    assert "The email was sent again to robin@example.com." in page
    new_row = email_row(page, resent)
    assert "robin@example.com" in new_row and "sent again" in new_row


def test_the_form_sent_twice_sends_one_email(client, author, plan):
    receipt = sent_email(plan, message_id="m-receipt")
    client.force_login(author)
    for _ in range(2):
        response = client.post(resend_url(receipt), {"to_address": "robin@example.com"})
        assert response.status_code == 302
    assert OutgoingEmail.objects.filter(resend_of=receipt).count() == 1
    assert PlanEvent.objects.filter(plan=plan, kind="email_sent_again").count() == 1
    assert ModelLogEntry.objects.filter(action="billing.email_resend").count() == 1


def test_a_later_resend_and_a_resend_of_a_resend_are_numbered_from_the_first(author, plan):
    receipt = sent_email(plan)
    first = email_resend(email_id=receipt.pk, to_address="robin@example.com", actor=author).email
    OutgoingEmail.objects.filter(pk=first.pk).update(sent_at=timezone.now())
    later = timezone.now() + timedelta(minutes=5)
    second = email_resend(
        email_id=first.pk, to_address="robin@example.org", actor=author, now=later
    ).email
    assert second.resend_of_id == receipt.pk
    assert (first.key, second.key) == ("placed:resend:1", "placed:resend:2")


@pytest.mark.parametrize(
    "typed, said",
    [
        ("", "This field is required."),
        ("robin@", "is not an email address"),
        ("robin example.com", "is not an email address"),
    ],
)
def test_a_wrong_address_is_refused_with_a_message_and_nothing_written(
    client, author, plan, typed, said
):
    receipt = sent_email(plan)
    client.force_login(author)
    response = client.post(resend_url(receipt), {"to_address": typed})
    assert response.status_code == 400
    assert said in response.content.decode()
    assert not OutgoingEmail.objects.filter(resend_of=receipt).exists()
    assert not PlanEvent.objects.filter(kind="email_sent_again").exists()


def test_the_account_takes_the_corrected_address_when_asked(client, author, plan):
    receipt = sent_email(plan)
    client.force_login(author)
    response = client.post(
        resend_url(receipt), {"to_address": "robin@example.com", "update_account": "on"}
    )
    assert response.status_code == 302
    plan.user.refresh_from_db()
    assert plan.user.email == "robin@example.com"
    note = PlanEvent.objects.get(kind="email_sent_again").note
    assert "changed from robin@exmaple.com" in note
    # The first email still says where it went: the old address, not the account's new one.
    receipt.refresh_from_db()
    assert receipt.to_address == "robin@exmaple.com"
    assert "robin@exmaple.com" in email_row(plan_page(client, plan), receipt)


def test_the_account_keeps_its_address_when_another_account_has_the_new_one(client, author, plan):
    UserFactory(email="Taken@example.com")
    receipt = sent_email(plan)
    client.force_login(author)
    response = client.post(
        resend_url(receipt), {"to_address": "taken@example.com", "update_account": "on"}
    )
    assert response.status_code == 400
    assert "Another account already uses taken@example.com" in response.content.decode()
    plan.user.refresh_from_db()
    assert plan.user.email == "robin@exmaple.com"
    assert not OutgoingEmail.objects.filter(resend_of=receipt).exists()

    # The service says the same, and writes nothing, when the form is not in the way.
    with pytest.raises(RefusedWithMessage, match="Another account already uses"):
        email_resend(
            email_id=receipt.pk,
            to_address="taken@example.com",
            actor=author,
            update_account=True,
        )
    assert not OutgoingEmail.objects.filter(resend_of=receipt).exists()
    assert get_user_model().objects.filter(email__iexact="taken@example.com").count() == 1


def test_an_email_not_sent_yet_is_not_sent_again(client, author, plan):
    waiting = sent_email(plan, sent_at=None)
    client.force_login(author)
    response = client.post(resend_url(waiting), {"to_address": "robin@example.com"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/cms/programs/{plan.pk}/"
    assert "has not been sent yet" in response.content.decode()
    assert not OutgoingEmail.objects.filter(resend_of=waiting).exists()


def test_who_may_not_resend_sees_no_link_and_is_refused(client, editor, shop_manager, plan):
    receipt = sent_email(plan)
    client.force_login(editor)
    response = client.post(resend_url(receipt), {"to_address": "robin@example.com"})
    assert response.status_code == 403
    assert not OutgoingEmail.objects.filter(resend_of=receipt).exists()
    # The shop manager may: the group holds the permission.
    client.force_login(shop_manager)
    assert resend_url(receipt) in plan_page(client, plan)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submits_at_the_same_moment_send_one_email(author):
    plan = InstallmentPlanFactory()
    receipt = sent_email(plan)
    start = threading.Barrier(2)
    results: list = []

    def submit():
        try:
            start.wait(timeout=10)
            results.append(
                email_resend(email_id=receipt.pk, to_address="robin@example.com", actor=author)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 2
    assert {result.email.pk for result in results} == {
        OutgoingEmail.objects.get(resend_of=receipt).pk
    }
    assert sorted(result.created for result in results) == [False, True]
    assert PlanEvent.objects.filter(plan=plan, kind="email_sent_again").count() == 1
