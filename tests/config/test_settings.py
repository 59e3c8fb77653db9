"""Each environment's settings load from the environment, and production refuses to start
without its secrets. Each case runs in a fresh interpreter, as a real process start would."""

import json
import secrets

import pytest

from tests.conftest import run_python

DUMP = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'db': s.DATABASES['default']['ENGINE'], "
    "'db_name': str(s.DATABASES['default']['NAME']), "
    "'cache': s.CACHES['default']['BACKEND'], 'hosts': s.ALLOWED_HOSTS, "
    "'default_storage': s.STORAGES['default']['BACKEND'], "
    "'private_storage': s.STORAGES['private']['BACKEND'], "
    "'static_storage': s.STORAGES['staticfiles']['BACKEND'], "
    "'stripe_base': s.STRIPE_API_BASE, 'email': s.EMAIL_BACKEND, "
    "'tasks': s.TASKS['default']['BACKEND']}))"
)

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "shop.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "program-files",
    "STRIPE_SECRET_KEY": "sk_test_dummy",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_dummy",
    "STRIPE_WEBHOOK_SECRET": "whsec_dummy",
}


def load(**env):
    result = run_python(DUMP, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["dev", "test"])
def test_local_settings_load_on_embedded_defaults(module):
    loaded = load(DJANGO_SETTINGS_MODULE=f"config.settings.{module}")
    assert loaded["db"] == "django.db.backends.sqlite3"
    assert loaded["db_name"].endswith("var/db.sqlite3")
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert loaded["default_storage"] == "django.core.files.storage.FileSystemStorage"
    assert loaded["private_storage"] == "media_config.storages.PrivateFileSystemStorage"
    assert loaded["stripe_base"] == "http://127.0.0.1:8420"
    assert loaded["debug"] is (module == "dev")


def test_production_settings_load_with_secrets():
    loaded = load(**PRODUCTION_ENV)
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["shop.example.com"]
    assert loaded["static_storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert loaded["stripe_base"] == "https://api.stripe.com"
    assert loaded["tasks"] == "django_tasks_db.DatabaseBackend"
    # Nothing kept inside the process: shared cache, files in S3.
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["default_storage"] == "media_config.storages.PublicMediaS3Storage"
    assert loaded["private_storage"] == "media_config.storages.PrivateS3Storage"


def test_environment_chooses_database_cache_email_and_storage():
    loaded = load(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/backcare",
        REDIS_URL="redis://127.0.0.1:6379/1",
        EMAIL_URL="smtp+tls://user:pw@mail.example.com:587",
        AWS_STORAGE_BUCKET_NAME="program-files",
        STRIPE_API_BASE="http://127.0.0.1:9999",
    )
    assert loaded["db"] == "django.db.backends.postgresql"
    assert loaded["db_name"] == "backcare"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["default_storage"] == "media_config.storages.PublicMediaS3Storage"
    assert loaded["private_storage"] == "media_config.storages.PrivateS3Storage"
    assert loaded["stripe_base"] == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is not set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS is not set"),
        ("REDIS_URL", "REDIS_URL is not set"),
        ("AWS_STORAGE_BUCKET_NAME", "AWS_STORAGE_BUCKET_NAME is not set"),
        ("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY is not set"),
        ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET is not set"),
    ],
)
def test_production_refuses_to_start_without_a_secret(missing, message):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python(DUMP, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_python(DUMP, **{**PRODUCTION_ENV, "SECRET_KEY": "too-short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters long" in result.stderr


@pytest.mark.parametrize("weak", ["p" * 60, "django-insecure-" + secrets.token_urlsafe(50)])
def test_production_refuses_a_weak_secret_key(weak):
    result = run_python(DUMP, **{**PRODUCTION_ENV, "SECRET_KEY": weak})
    assert result.returncode != 0
    assert "SECRET_KEY looks generated for development or too repetitive" in result.stderr


def test_production_deploy_check_prints_no_warning():
    code = (
        "import sys, django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = run_python(code, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr + result.stdout
    assert "no issues" in result.stdout + result.stderr
