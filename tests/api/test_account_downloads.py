"""A signed-in customer's downloads through the API: the same rules and the same delivery
view as "My downloads" on the site; nobody else's files."""

from datetime import timedelta

import pytest
from django.test import Client

from shop.billing.models import PlanStatus
from tests.shop.download_factories import grant_with_plan, program_file_create
from tests.shop.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "media_config.storages.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


@pytest.fixture
def program():
    return ProgramFactory()


def test_a_customer_in_the_tryout_gets_the_files_and_their_delivery_addresses(
    client, django_user_model, program, private_storage
):
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "pw-1234567")
    grant_with_plan(user=reader, product=program, status=PlanStatus.TRIALING)
    book = program_file_create(product=program, title="The book", content=b"%PDF-1.7 book")
    client.force_login(reader)

    response = client.get("/api/account/downloads/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    (item,) = response.json()["items"]
    assert item["allowed"] is True and item["reason"] == ""
    (file,) = item["files"]
    assert file["title"] == "The book" and file["size_bytes"] == len(b"%PDF-1.7 book")
    assert file["download_url"] == f"http://testserver/shop/accounts/downloads/file/{book.pk}/"
    # The address is the site's own delivery view: the same checks, log and limits.
    delivered = client.get(file["download_url"])
    assert delivered.status_code == 200
    assert b"".join(delivered.streaming_content) == b"%PDF-1.7 book"


def test_ended_access_says_why_and_lists_no_file(client, django_user_model, program):
    reader = django_user_model.objects.create_user("reader", "reader@example.com", "pw-1234567")
    grant_with_plan(
        user=reader, product=program, status=PlanStatus.TRIAL_QUIT, started=timedelta(days=20)
    )
    client.force_login(reader)
    (item,) = client.get("/api/account/downloads/").json()["items"]
    assert item["allowed"] is False and item["files"] == []
    assert item["reason"].startswith("You quit the free tryout")


def test_nobody_else_sees_a_customers_files(django_user_model, program, private_storage):
    owner = django_user_model.objects.create_user("owner", "owner@example.com", "pw-1234567")
    grant_with_plan(user=owner, product=program)
    program_file_create(product=program)
    stranger = Client()
    stranger.force_login(
        django_user_model.objects.create_user("other", "other@example.com", "pw-1234567")
    )
    assert stranger.get("/api/account/downloads/").json() == {"items": []}
    anonymous = Client().get("/api/account/downloads/")
    assert anonymous.status_code == 403
    assert "message" in anonymous.json()
