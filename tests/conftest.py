import pytest
from django.db.backends.base.creation import BaseDatabaseCreation

from tests.support.database import (
    kept_database_emptied,
    migrated_rows_insert,
    migrated_rows_restore,
)
from tests.support.demo_site import (
    demo_site_for_test,
    module_demo_before_test,
    module_demo_fixture,
    module_demo_tests_last,
)
from tests.support.processes import stripe_standin_running
from tests.support.s3 import (
    S3_TEST_BUCKET,
    S3_TEST_CREDENTIALS,
    moto_reset,
    moto_server_running,
    s3_client,
)


def pytest_addoption(parser):
    parser.addoption(
        "--standin-storms",
        choices=("all", "few"),
        default="all",
        help="Billing storms on the Stripe stand-in: every seed (default), or the first few "
        "(make test-fast); every seed runs on the in-process fake gateway either way.",
    )


def pytest_collection_modifyitems(items):
    module_demo_tests_last(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    module_demo_before_test(item)


@pytest.fixture(autouse=True)
def emails_kept_in_the_outbox(settings):
    """In tests every email sent is kept (shop.emails.outbox) and then handed to Django's
    memory backend, so ``mail.outbox`` lists it: the test runner replaces EMAIL_BACKEND with
    that memory backend before each test, and this puts the outbox in front of it again."""
    settings.EMAIL_BACKEND = "shop.emails.outbox.OutboxBackend"
    settings.EMAIL_OUTBOX_FORWARD_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(scope="session")
def django_db_createdb(request, django_db_modify_db_settings, django_db_blocker) -> bool:
    """Build the test database afresh with --create-db, and when the kept one was left
    empty by a run that stopped early (see tests/support/database.py)."""
    if request.config.getvalue("create_db"):
        return True
    if not request.config.getvalue("reuse_db"):
        return False
    from django.db import connections

    with django_db_blocker.unblock():
        return any(kept_database_emptied(alias) for alias in connections)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_keepdb):
    """The migrated rows are put back in one INSERT per table before each test with
    ``serialized_rollback``, and the kept test database ends the session as migrations
    left it (tests/support/database.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseCreation, "deserialize_db_from_string", migrated_rows_insert)
        yield
        if django_db_keepdb:
            with django_db_blocker.unblock():
                migrated_rows_restore()


@pytest.fixture(autouse=True)
def fresh_content_version():
    """Each test starts from a new content version: rolling a test's rows back sends no
    signals, so pages kept under the old version would outlive the rows they came from."""
    from home.content_changes import content_version_forget

    content_version_forget()
    yield


@pytest.fixture(scope="module")
def demo_site_module(request, django_db_setup, django_db_blocker):
    """The demo site, loaded once for the module's tests that ask for it and rolled back
    after them (tests/support/demo_site.py)."""
    yield from module_demo_fixture(request.module, django_db_blocker)


@pytest.fixture
def demo_site(demo_site_module, db):
    """The demo site's home page: the demo exactly as loaded, whatever earlier tests did."""
    return demo_site_for_test(demo_site_module)


@pytest.fixture(scope="session")
def stripe_standin():
    """The local Stripe stand-in on its own loopback port, for the whole session (of each
    test worker, when they run in parallel)."""
    with stripe_standin_running() as url:
        yield url


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on its own loopback port, for the whole session."""
    with moto_server_running() as (_, url):
        yield url


@pytest.fixture
def s3_bucket(s3_server):
    """An empty private bucket on the stand-in; returns its name."""
    moto_reset(s3_server)
    s3_client(s3_server).create_bucket(Bucket=S3_TEST_BUCKET)
    return S3_TEST_BUCKET


@pytest.fixture
def s3_storages(settings, s3_server, s3_bucket):
    """Point both storages at the S3 stand-in, as AWS_STORAGE_BUCKET_NAME would."""
    settings.AWS_STORAGE_BUCKET_NAME = s3_bucket
    settings.AWS_PRIVATE_BUCKET_NAME = s3_bucket
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.AWS_ACCESS_KEY_ID = S3_TEST_CREDENTIALS["aws_access_key_id"]
    settings.AWS_SECRET_ACCESS_KEY = S3_TEST_CREDENTIALS["aws_secret_access_key"]
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_S3_FILE_OVERWRITE = False
    settings.AWS_QUERYSTRING_EXPIRE = 300
    settings.AWS_S3_CUSTOM_DOMAIN = None
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "media_config.storages.PublicMediaS3Storage"},
        "private": {"BACKEND": "media_config.storages.PrivateS3Storage"},
    }
    return s3_server


def _member_of(group_name: str, username: str):
    from django.contrib.auth.models import Group

    from tests.shop.factories import UserFactory

    user = UserFactory(username=username, email=f"{username}@example.com")
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor(db):
    """Someone in the "Editor" group the migrations create: content only."""
    return _member_of("Editor", "editor")


@pytest.fixture
def shop_manager(db):
    """Someone in the "Shop manager" group: customers and money, no pages."""
    return _member_of("Shop manager", "manager")
